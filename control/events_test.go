package control_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

const leanPayment = `{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","customer_id":"0fd6d135-a4be-40ac-9630-1738ced7da69",` +
	`"intent_id":"b896af3a-1781-4a48-b173-ce4b2ca6a522","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED"}`

func event(typ, payload string) *hookd.Event {
	return &hookd.Event{Type: typ, Payload: json.RawMessage(payload)}
}

func TestPublish(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	ep, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), EventTypes: &[]string{"payment.*"}}, "")
	if err != nil {
		t.Fatal(err)
	}

	first := event("lean:payment.created", leanPayment)
	first.IdempotencyKey = "order-42"
	res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{
		first,
		event("", `{}`),
		event("lean:payment.created", `{"id":"x"}`),
		event("hookd.endpoint.disabled", `{}`),
		event("order.unknown", `{}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || res[0].Duplicate || len(res[0].Deliveries) != 1 || res[0].Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("first: %+v", res[0])
	}
	for i, want := range []string{"", hookd.EINVALID, hookd.EUNPROCESSABLE, hookd.EINVALID, hookd.EUNPROCESSABLE} {
		if i > 0 && hookd.ErrorCode(res[i].Err) != want {
			t.Errorf("event %d: %v, want %s", i, res[i].Err, want)
		}
	}
	stored, ds, err := b.svc.Event(ctx, "acme", res[0].ID)
	if err != nil || stored.Type != "lean:payment.created" || len(ds) != 1 || ds[0].EndpointID != ep.ID {
		t.Fatalf("stored %+v with %v, %v", stored, ds, err)
	}

	// The same request again: the first result. Key order and spaces of
	// the payload aside, it is the same.
	again := event("lean:payment.created", strings.Replace(leanPayment, `,"currency":"AED"`, `, "currency" : "AED"`, 1))
	again.IdempotencyKey = "order-42"
	res, err = b.svc.Publish(ctx, "acme", []*hookd.Event{again})
	if err != nil || res[0].Err != nil || !res[0].Duplicate || res[0].ID != stored.ID {
		t.Fatalf("the same request again: %+v, %v", res[0], err)
	}
	// A different request under the key: 409 naming the field.
	other := event("lean:payment.created", strings.Replace(leanPayment, "10.17", "11", 1))
	other.IdempotencyKey = "order-42"
	res, err = b.svc.Publish(ctx, "acme", []*hookd.Event{other})
	if err != nil {
		t.Fatal(err)
	}
	var he *hookd.Error
	if hookd.ErrorCode(res[0].Err) != hookd.ECONFLICT || !asError(res[0].Err, &he) || len(he.Details) != 1 || he.Details[0].Path != "payload" {
		t.Fatalf("a different request under the key: %+v", res[0].Err)
	}

	evs, err := b.svc.Events(ctx, "acme", hookd.EventQuery{Type: "payment.created"})
	if err != nil || len(evs) != 1 || evs[0].ID != stored.ID {
		t.Fatalf("?type=payment.created: %v, %v", evs, err)
	}
	_, err = b.svc.Events(ctx, "acme", hookd.EventQuery{Type: "pay*"})
	code(t, err, hookd.EINVALID)

	// An unknown tenant is not found, unless the caller is that tenant
	// (its token proves it exists).
	_, err = b.svc.Publish(ctx, "nobody", []*hookd.Event{event("lean:payment.created", leanPayment)})
	code(t, err, hookd.ENOTFOUND)
	_, err = b.svc.Events(ctx, "nobody", hookd.EventQuery{})
	code(t, err, hookd.ENOTFOUND)
	if _, err := b.svc.Events(hookd.NewContextWithTenant(ctx, "acme"), "acme", hookd.EventQuery{}); err != nil {
		t.Fatal(err)
	}
}

func asError(err error, target **hookd.Error) bool {
	e, ok := err.(*hookd.Error)
	*target = e
	return ok
}

// TestPublishRate: the per-tenant rate counts the valid events of a
// second, by the service's clock; a batch over it publishes nothing.
func TestPublishRate(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	b.svc.PublishRate = 3
	ctx := context.Background()
	two := []*hookd.Event{event("lean:payment.created", leanPayment), event("lean:payment.created", leanPayment)}
	if res, err := b.svc.Publish(ctx, "acme", two); err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatal(err)
	}
	// An invalid event does not count.
	if res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{event("lean:payment.created", leanPayment), event("", "{}")}); err != nil || res[0].Err != nil {
		t.Fatalf("third valid event: %v", err)
	}
	_, err := b.svc.Publish(ctx, "acme", []*hookd.Event{event("lean:payment.created", leanPayment)})
	code(t, err, hookd.ERATELIMIT)
	evs, err := b.svc.Events(ctx, "acme", hookd.EventQuery{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("%d events stored (%v), want 3", len(evs), err)
	}
	b.clock.t = b.clock.t.Add(time.Second)
	first := event("lean:payment.created", leanPayment)
	first.IdempotencyKey = "pay-1"
	if _, err := b.svc.Publish(ctx, "acme", []*hookd.Event{first}); err != nil {
		t.Fatalf("the next second: %v", err)
	}
	// A repeat of an event published before stores nothing and is given
	// back: it leaves the second's other two places free.
	for range 3 {
		again := event("lean:payment.created", leanPayment)
		again.IdempotencyKey = "pay-1"
		if res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{again}); err != nil || res[0].Err != nil || res[0].ID != first.ID {
			t.Fatalf("a repeat: %+v %v", res, err)
		}
	}
	two = []*hookd.Event{event("lean:payment.created", leanPayment), event("lean:payment.created", leanPayment)}
	if _, err := b.svc.Publish(ctx, "acme", two); err != nil {
		t.Fatalf("two more after the repeats: %v", err)
	}
	// The second is full. A repeat is still answered (a publisher whose
	// answer was lost retries at once), by its key or by its id; a new
	// event is not, nor a batch with one.
	again := event("lean:payment.created", leanPayment)
	again.IdempotencyKey = "pay-1"
	byID := event("lean:payment.created", leanPayment)
	byID.ID = two[0].ID
	if res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{again, byID}); err != nil || res[0].ID != first.ID || !res[0].Duplicate ||
		res[1].Err != nil || res[1].ID != two[0].ID || !res[1].Duplicate {
		t.Fatalf("repeats in a full second: %+v %v", res, err)
	}
	fresh := event("lean:payment.created", leanPayment)
	_, err = b.svc.Publish(ctx, "acme", []*hookd.Event{fresh})
	code(t, err, hookd.ERATELIMIT)
	again = event("lean:payment.created", leanPayment)
	again.IdempotencyKey = "pay-1"
	_, err = b.svc.Publish(ctx, "acme", []*hookd.Event{again, event("lean:payment.created", leanPayment)})
	code(t, err, hookd.ERATELIMIT)
	// A batch larger than the rate is refused even at the start of a
	// second, saying it can never pass and how to split it.
	b.clock.t = b.clock.t.Add(time.Second)
	four := []*hookd.Event{event("lean:payment.created", leanPayment), event("lean:payment.created", leanPayment),
		event("lean:payment.created", leanPayment), event("lean:payment.created", leanPayment)}
	_, err = b.svc.Publish(ctx, "acme", four)
	code(t, err, hookd.ERATELIMIT)
	if msg := hookd.ErrorMessage(err); !strings.Contains(msg, "batches of at most 3") {
		t.Errorf("a batch over the rate: %q, want it to say how to split it", msg)
	}
	if res, err := b.svc.Publish(ctx, "acme", four[:3]); err != nil || res[2].Err != nil {
		t.Fatalf("a batch of the rate: %v", err)
	}
	if evs, err = b.svc.Events(ctx, "acme", hookd.EventQuery{}); err != nil || len(evs) != 3+1+2+3 {
		t.Fatalf("%d events stored (%v), want 9", len(evs), err)
	}
}

// TestDeliveries: a delivery to a real receiver on loopback succeeds; a
// retry sends it again; reads list it with its attempts.
func TestDeliveries(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	var got atomic.Int32
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rs.Close()
	ep, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr(rs.URL + "/hook")}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{event("lean:payment.created", leanPayment)})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	id := res[0].Deliveries[0].ID
	wait := func(attempts int) *hookd.Delivery {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, as, err := b.svc.Delivery(ctx, "acme", id)
			if err != nil {
				t.Fatal(err)
			}
			if d.State == hookd.StateSucceeded && len(as) == attempts {
				return d
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %s: %s with %d attempts, want succeeded with %d", id, d.State, len(as), attempts)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wait(1)
	if _, err := b.svc.RetryDelivery(ctx, "acme", id); err != nil {
		t.Fatal(err)
	}
	wait(2)
	if n := got.Load(); n != 2 {
		t.Errorf("the receiver got %d requests, want 2", n)
	}
	ds, err := b.svc.Deliveries(ctx, "acme", hookd.DeliveryFilter{EndpointID: ep.ID, State: hookd.StateSucceeded})
	if err != nil || len(ds) != 1 || ds[0].ID != id {
		t.Fatalf("succeeded deliveries of %s: %v, %v", ep.ID, ds, err)
	}
	_, err = b.svc.Deliveries(ctx, "acme", hookd.DeliveryFilter{State: "done"})
	code(t, err, hookd.EINVALID)
	_, err = b.svc.RetryDelivery(ctx, "acme", "dlv_nope")
	code(t, err, hookd.ENOTFOUND)

	n, err := b.svc.RecoverEndpoint(ctx, "acme", ep.ID, hookd.Recovery{Since: ptr(b.clock.Now().Add(-time.Hour))})
	if err != nil || n != 0 {
		t.Fatalf("recover with nothing failed: %d, %v", n, err)
	}
	_, err = b.svc.RecoverEndpoint(ctx, "acme", ep.ID, hookd.Recovery{})
	code(t, err, hookd.EINVALID)
	_, err = b.svc.RecoverEndpoint(ctx, "acme", ep.ID, hookd.Recovery{Since: ptr(b.clock.Now()), Until: ptr(b.clock.Now())})
	code(t, err, hookd.EINVALID)
}
