package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// payment is a payload of Lean's payment.created, as its catalog example.
var payment = json.RawMessage(`{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","customer_id":"0fd6d135-a4be-40ac-9630-1738ced7da69",` +
	`"intent_id":"b896af3a-1781-4a48-b173-ce4b2ca6a522","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED"}`)

// An operator creates a tenant and its token with the admin token; the
// tenant's client registers an endpoint and publishes to it.
func Example() {
	srv := mustServer() // a hookd on loopback, for the example
	defer srv.stop()
	hook, got := receiver() // where the webhooks go
	defer hook.Close()
	ctx := context.Background()

	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"}); err != nil {
		log.Fatal(err)
	}
	tok, err := admin.CreateToken(ctx, "acme", client.TokenCreate{Name: "example"})
	if err != nil {
		log.Fatal(err)
	}
	acme := admin.WithToken(tok.Token) // this tenant's routes only

	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL + "/hook", EventTypes: []string{"payment.*"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("endpoint secret:", strings.HasPrefix(ep.Secret, "whsec_"))

	res, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deliveries:", len(res.Deliveries))
	body := <-got
	fmt.Println("received:", strings.Contains(string(body), `"ACCEPTED_BY_BANK"`))
	// Output:
	// endpoint secret: true
	// deliveries: 1
	// received: true
}

// Errors the API answers are *hookd.Error values: a code to branch on, a
// message for people, details naming the fields; StatusCode gives the HTTP
// status.
func Example_errors() {
	srv := mustServer()
	defer srv.stop()
	ctx := context.Background()
	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"}); err != nil {
		log.Fatal(err)
	}

	_, err := admin.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: json.RawMessage(`{"id":42}`)})
	var herr *hookd.Error
	if errors.As(err, &herr) {
		fmt.Println(client.StatusCode(err), herr.Code, len(herr.Details) > 0)
	}

	_, err = admin.GetEndpoint(ctx, "acme", "ep_missing")
	fmt.Println(client.StatusCode(err), hookd.ErrorCode(err))
	// Output:
	// 422 validation_failed true
	// 404 not_found
}

// A list is an iterator: ranging over it fetches page after page.
func ExampleClient_ListEndpoints() {
	srv := mustServer()
	defer srv.stop()
	ctx := context.Background()
	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"}); err != nil {
		log.Fatal(err)
	}
	for i := range 5 {
		in := client.EndpointCreate{URL: fmt.Sprintf("http://127.0.0.1:9/hook/%d", i), Description: fmt.Sprint("endpoint ", i)}
		if _, err := admin.CreateEndpoint(ctx, "acme", in); err != nil {
			log.Fatal(err)
		}
	}
	// Two per request: three requests in all.
	for ep, err := range admin.ListEndpoints(ctx, "acme", client.ListOptions{Limit: 2}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ep.Description)
	}
	// Output:
	// endpoint 0
	// endpoint 1
	// endpoint 2
	// endpoint 3
	// endpoint 4
}

// Publishing the same event again under the same Idempotency-Key creates
// nothing: the answer is the first one, marked duplicate. The client sends
// a key of its own when none is given, so its retries are safe too.
func ExampleClient_Publish() {
	srv := mustServer()
	defer srv.stop()
	ctx := context.Background()
	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"}); err != nil {
		log.Fatal(err)
	}
	ev := client.EventCreate{Type: "lean:payment.created", Payload: payment, IdempotencyKey: "order-42"}
	first, err := admin.Publish(ctx, "acme", ev)
	if err != nil {
		log.Fatal(err)
	}
	again, err := admin.Publish(ctx, "acme", ev)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(again.ID == first.ID, first.Duplicate, again.Duplicate)
	// Output: true false true
}

// A delivery that failed can be sent again; its attempts are kept.
func ExampleClient_RetryDelivery() {
	srv := mustServer()
	defer srv.stop()
	hook, got := receiver()
	defer hook.Close()
	ctx := context.Background()
	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"}); err != nil {
		log.Fatal(err)
	}
	if _, err := admin.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL}); err != nil {
		log.Fatal(err)
	}
	res, err := admin.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment})
	if err != nil {
		log.Fatal(err)
	}
	<-got
	id := res.Deliveries[0].ID
	waitState(ctx, admin, id, hookd.StateSucceeded)
	if _, err := admin.RetryDelivery(ctx, "acme", id); err != nil {
		log.Fatal(err)
	}
	<-got
	d := waitAttempts(ctx, admin, id, 2)
	fmt.Println(d.State, len(d.Attempts))
	// Output: succeeded 2
}

// waitState polls a delivery until it reaches state (at most 30 s).
func waitState(ctx context.Context, c *client.Client, id, state string) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d, err := c.GetDelivery(ctx, "acme", id); err == nil && d.State == state {
			return
		}
	}
	log.Fatalf("delivery %s not %s within 30 s", id, state)
}

// waitAttempts polls a delivery until it has n attempts recorded.
func waitAttempts(ctx context.Context, c *client.Client, id string, n int) *client.DeliveryWithAttempts {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d, err := c.GetDelivery(ctx, "acme", id); err == nil && len(d.Attempts) >= n && d.State != hookd.StatePending {
			return d
		}
	}
	log.Fatalf("delivery %s: not %d attempts within 30 s", id, n)
	return nil
}
