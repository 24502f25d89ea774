package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"
)

// TestPublishDeliverVerify publishes one event and checks, with the Standard
// Webhooks and Svix libraries (not hookd's code), that what arrives is
// signed correctly, that the body is the envelope around the payload's exact
// bytes, and that the API shows the delivery and its attempt.
func TestPublishDeliverVerify(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "acme")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "acme", tok, map[string]any{"url": rc.URL + "/hook", "event_types": []string{"payment.*"}})
	if !strings.HasPrefix(ep.Secret, "whsec_") {
		t.Fatalf("secret %q is not whsec_", ep.Secret)
	}
	payload := `{ "id":"pay_1",  "amount": 10.17, "currency":"AED" }`
	var pub struct {
		ID         string
		Deliveries []struct{ ID, EndpointID string }
	}
	a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, `{"type":"payment.settled","payload":`+payload+`}`, &pub)
	if len(pub.Deliveries) != 1 {
		t.Fatalf("deliveries %+v, want 1", pub.Deliveries)
	}
	got := rc.wait(t, 5*time.Second)

	wh, err := standardwebhooks.NewWebhook(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got.body, got.header); err != nil {
		t.Fatalf("standard webhooks verify: %v", err)
	}
	sv, err := svix.NewWebhook(ep.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.Verify(got.body, got.header); err != nil {
		t.Fatalf("svix verify: %v", err)
	}
	if got.header.Get("webhook-id") != pub.ID {
		t.Fatalf("webhook-id %q, want the event id %q", got.header.Get("webhook-id"), pub.ID)
	}
	var env struct {
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(got.body, &env); err != nil {
		t.Fatal(err)
	}
	if env.Type != "payment.settled" || string(env.Data) != payload {
		t.Fatalf("envelope %s", got.body)
	}
	if _, err := time.Parse(time.RFC3339Nano, env.Timestamp); err != nil {
		t.Fatalf("timestamp %q: %v", env.Timestamp, err)
	}
	if !strings.HasPrefix(string(got.body), `{"type":"payment.settled","timestamp":"`) {
		t.Fatalf("field order: %s", got.body)
	}

	// A tampered body fails both verifiers.
	bad := append([]byte{}, got.body...)
	bad[len(bad)-2] = ' '
	if wh.Verify(bad, got.header) == nil || sv.Verify(bad, got.header) == nil {
		t.Fatal("a tampered body verified")
	}

	var dl struct {
		State        string
		AttemptCount int `json:"attempt_count"`
		Attempts     []struct {
			N          int
			Status     int
			DurationMS int64 `json:"duration_ms"`
		}
	}
	eventually(t, 5*time.Second, "delivery succeeded", func() bool {
		call(t, "GET", a.url+"/v1/tenants/acme/deliveries/"+pub.Deliveries[0].ID, tok, nil, &dl)
		return dl.State == "succeeded"
	})
	if dl.AttemptCount != 1 || len(dl.Attempts) != 1 || dl.Attempts[0].Status != 204 {
		t.Fatalf("delivery %+v", dl)
	}
	var ev struct {
		ID         string
		Payload    json.RawMessage
		Deliveries []struct{ State string }
	}
	a.must(t, 200, "GET", "/v1/tenants/acme/events/"+pub.ID, tok, nil, &ev)
	if string(ev.Payload) != payload || len(ev.Deliveries) != 1 { // byte for byte, whitespace and all
		t.Fatalf("event %+v", ev)
	}

	// A type the endpoint does not subscribe to creates no delivery.
	a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, map[string]any{"type": "customer.joined", "payload": map[string]any{}}, &pub)
	if len(pub.Deliveries) != 0 {
		t.Fatalf("unsubscribed type got deliveries: %+v", pub)
	}
}

// TestIdempotency: an Idempotency-Key or an event id given twice with the
// same request returns the first result and creates nothing new (a
// different request under them: TestIdempotencyKeyReusedForAnotherRequest).
func TestIdempotency(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t1")
	rc := newReceiver(t, nil)
	a.endpoint(t, "t1", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	type res struct {
		ID         string
		Duplicate  bool
		Deliveries []struct{ ID string }
	}
	var r1, r2, r3, r4 res
	a.must(t, 202, "POST", "/v1/tenants/t1/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{"n": 1}}, &r1, "Idempotency-Key", "k1")
	a.must(t, 202, "POST", "/v1/tenants/t1/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{"n": 1}}, &r2, "Idempotency-Key", "k1")
	if r2.ID != r1.ID || !r2.Duplicate || len(r2.Deliveries) != 1 || r2.Deliveries[0].ID != r1.Deliveries[0].ID {
		t.Fatalf("second publish with the key: %+v, first %+v", r2, r1)
	}
	a.must(t, 202, "POST", "/v1/tenants/t1/events", tok, map[string]any{"id": "evt-1", "type": "x.y", "payload": map[string]any{}}, &r3)
	a.must(t, 202, "POST", "/v1/tenants/t1/events", tok, map[string]any{"id": "evt-1", "type": "x.y", "payload": map[string]any{}}, &r4)
	if r4.ID != "evt-1" || !r4.Duplicate || r4.Deliveries[0].ID != r3.Deliveries[0].ID {
		t.Fatalf("event id twice: %+v %+v", r3, r4)
	}
	var evs struct{ Data []any }
	a.must(t, 200, "GET", "/v1/tenants/t1/events", tok, nil, &evs)
	if len(evs.Data) != 2 {
		t.Fatalf("%d events stored, want 2", len(evs.Data))
	}
	eventually(t, 5*time.Second, "two deliveries", func() bool { return rc.count() == 2 })
	time.Sleep(200 * time.Millisecond)
	if rc.count() != 2 {
		t.Fatalf("%d webhooks arrived, want 2", rc.count())
	}
}

// TestBatchPublish: up to 1000 events in one request, each judged alone.
func TestBatchPublish(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "b")
	rc := newReceiver(t, nil)
	a.endpoint(t, "b", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	evs := make([]map[string]any, 1000)
	for i := range evs {
		evs[i] = map[string]any{"type": "order.paid", "id": fmt.Sprintf("o-%d", i), "payload": map[string]any{"i": i}}
	}
	evs[7]["payload"] = "not an object"
	var out struct {
		Data []struct {
			ID    string
			Error *struct{ Code, Message string }
		}
	}
	a.must(t, 202, "POST", "/v1/tenants/b/events/batch", tok, map[string]any{"events": evs}, &out)
	if len(out.Data) != 1000 || out.Data[7].Error == nil || out.Data[8].ID != "o-8" || out.Data[8].Error != nil {
		t.Fatalf("batch results: %d, [7]=%+v [8]=%+v", len(out.Data), out.Data[7], out.Data[8])
	}
	eventually(t, 10*time.Second, "999 deliveries", func() bool { return rc.count() == 999 })

	evs = append(evs, map[string]any{"type": "order.paid", "payload": map[string]any{}})
	a.must(t, 400, "POST", "/v1/tenants/b/events/batch", tok, map[string]any{"events": evs}, nil)

	// The request's Idempotency-Key makes the batch a request that a retry
	// repeats: the same events are answered, as duplicates, and nothing
	// new is published; an event's own key is kept.
	two := map[string]any{"events": []map[string]any{{"type": "order.paid", "payload": map[string]any{"n": 1}},
		{"type": "order.paid", "payload": map[string]any{"n": 2}, "idempotency_key": "own"}}}
	type result struct {
		ID        string
		Duplicate bool
	}
	var first, again struct{ Data []result }
	a.must(t, 202, "POST", "/v1/tenants/b/events/batch", tok, two, &first, "Idempotency-Key", "batch-7")
	a.must(t, 202, "POST", "/v1/tenants/b/events/batch", tok, two, &again, "Idempotency-Key", "batch-7")
	if len(first.Data) != 2 || len(again.Data) != 2 || again.Data[0] != (result{first.Data[0].ID, true}) ||
		again.Data[1] != (result{first.Data[1].ID, true}) || first.Data[0].Duplicate {
		t.Fatalf("a batch sent twice under one Idempotency-Key: %+v then %+v", first.Data, again.Data)
	}
	var ev struct {
		IdempotencyKey string `json:"idempotency_key"`
	}
	a.must(t, 200, "GET", "/v1/tenants/b/events/"+first.Data[0].ID, tok, nil, &ev)
	if ev.IdempotencyKey != "batch-7:0" {
		t.Errorf("the first event's key is %q, want batch-7:0", ev.IdempotencyKey)
	}
	a.must(t, 200, "GET", "/v1/tenants/b/events/"+first.Data[1].ID, tok, nil, &ev)
	if ev.IdempotencyKey != "own" {
		t.Errorf("the second event's key is %q, want its own", ev.IdempotencyKey)
	}
	// The events list finds an event by its key ("did order-42 go out?").
	var byKey struct{ Data []struct{ ID string } }
	a.must(t, 200, "GET", "/v1/tenants/b/events?idempotency_key=batch-7:0", tok, nil, &byKey)
	if len(byKey.Data) != 1 || byKey.Data[0].ID != first.Data[0].ID {
		t.Errorf("events?idempotency_key=batch-7:0: %+v, want the first event alone", byKey.Data)
	}
	a.must(t, 200, "GET", "/v1/tenants/b/events?idempotency_key=nobody", tok, nil, &byKey)
	if len(byKey.Data) != 0 {
		t.Errorf("events?idempotency_key=nobody: %+v, want none", byKey.Data)
	}

	// An id given empty is refused (a publisher's unset variable), alone
	// and in a batch; one event's malformed field names its place.
	var e struct {
		Error struct {
			Details []struct{ Path string }
		}
	}
	a.must(t, 400, "POST", "/v1/tenants/b/events", tok, map[string]any{"type": "order.paid", "id": "", "payload": map[string]any{}}, &e)
	if len(e.Error.Details) != 1 || e.Error.Details[0].Path != "id" {
		t.Errorf("an empty id: %+v, want a detail at id", e.Error)
	}
	var mixed struct {
		Data []struct {
			ID    string
			Error *struct{ Details []struct{ Path string } }
		}
	}
	a.must(t, 202, "POST", "/v1/tenants/b/events/batch", tok, map[string]any{"events": []map[string]any{
		{"type": "order.paid", "payload": map[string]any{}}, {"type": "order.paid", "id": "", "payload": map[string]any{}}}}, &mixed)
	if len(mixed.Data) != 2 || mixed.Data[0].ID == "" || mixed.Data[1].Error == nil || mixed.Data[1].Error.Details[0].Path != "id" {
		t.Errorf("a batch with an empty id: %+v", mixed.Data)
	}
	a.must(t, 400, "POST", "/v1/tenants/b/events/batch", tok, `{"events":[{"type":"order.paid","payload":{}},{"type":"order.paid","payload":{},"idempotncy_key":"x"}]}`, &e)
	if len(e.Error.Details) != 1 || e.Error.Details[0].Path != "events[1].idempotncy_key" {
		t.Errorf("an unknown field in the second event: %+v, want a detail at events[1].idempotncy_key", e.Error)
	}
}

// TestPublishEmptyIDSpelled: an id given empty is refused however the
// body spells its key (escaped, or in other letters: encoding/json reads
// them as "id"), alone and in a batch; an id given null is left out, as
// every field of the API is, and gets an id of hookd's making.
func TestPublishEmptyIDSpelled(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "e")
	// The OpenAPI check of an accepted batch reads "ID" as a mismatch of
	// the document: that spelling is sent alone.
	for _, field := range []string{`"\u0069d":""`, `"i\u0064" : ""`, `"ID":""`, `"Id" : ""`} {
		var e struct {
			Error struct{ Details []struct{ Path string } }
		}
		if code := call(t, "POST", a.url+"/v1/tenants/e/events", tok, `{"type":"order.paid","payload":{},`+field+`}`, &e); code != 400 ||
			len(e.Error.Details) != 1 || e.Error.Details[0].Path != "id" {
			t.Errorf("publish with %s: %d %+v, want 400 at id", field, code, e.Error)
		}
		if !strings.Contains(field, `\u`) {
			continue
		}
		var out struct {
			Data []struct {
				ID    string
				Error *struct{ Details []struct{ Path string } }
			}
		}
		a.must(t, 202, "POST", "/v1/tenants/e/events/batch", tok, `{"events":[{"type":"order.paid","payload":{}},{"type":"order.paid","payload":{},`+field+`}]}`, &out)
		if len(out.Data) != 2 || out.Data[0].ID == "" || out.Data[1].Error == nil || out.Data[1].Error.Details[0].Path != "id" {
			t.Errorf("batch with %s: %+v, want the second refused at id", field, out.Data)
		}
	}
	var one struct{ ID string }
	a.must(t, 202, "POST", "/v1/tenants/e/events", tok, `{"type":"order.paid","payload":{},"id":null,"ordering_key":null}`, &one)
	var batch struct{ Data []struct{ ID string } }
	a.must(t, 202, "POST", "/v1/tenants/e/events/batch", tok, `{"events":[{"type":"order.paid","payload":{},"id":null,"ordering_key":null,"idempotency_key":null}]}`, &batch)
	if one.ID == "" || len(batch.Data) != 1 || batch.Data[0].ID == "" || one.ID == batch.Data[0].ID {
		t.Errorf("ids given null: %q and %+v, want two ids of hookd's making", one.ID, batch.Data)
	}
	// A payload's own "id" stays the payload's.
	a.must(t, 202, "POST", "/v1/tenants/e/events", tok, `{"type":"order.paid","payload":{"ID":"","id":null}}`, nil)
}

// TestBatchKeyCollides: a batch's KEY:N that another event of the batch
// gives as its own idempotency_key does not make one event of the two: the
// event that would take it is refused (not answered as the other's
// duplicate, never published), and so again on a retry.
func TestBatchKeyCollides(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "c")
	body := `{"events":[{"type":"order.paid","payload":{"n":1},"idempotency_key":"b-1:1"},{"type":"order.paid","payload":{"n":1}},` +
		`{"type":"order.paid","payload":{"n":2}},{"type":"order.paid","payload":{"n":2},"idempotency_key":"b-1:2"}]}`
	type result struct {
		ID        string
		Duplicate bool
		Error     *struct{ Code string }
	}
	for try := range 2 {
		var out struct{ Data []result }
		a.must(t, 202, "POST", "/v1/tenants/c/events/batch", tok, body, &out, "Idempotency-Key", "b-1")
		if len(out.Data) != 4 {
			t.Fatalf("try %d: %+v", try, out.Data)
		}
		for i, r := range out.Data {
			// 1 and 2 would take b-1:1 and b-1:2, the keys of 0 and 3.
			if refused := i == 1 || i == 2; refused != (r.Error != nil) || !refused && r.Duplicate != (try == 1) {
				t.Errorf("try %d: event %d: %+v", try, i, r)
			}
		}
	}
	var evs struct{ Data []struct{ ID string } }
	a.must(t, 200, "GET", "/v1/tenants/c/events", tok, nil, &evs)
	if len(evs.Data) != 2 {
		t.Errorf("%d events stored, want 2", len(evs.Data))
	}
}

// TestBatchKeyMaxBatch: with --max-batch above 10000, a batch's
// Idempotency-Key leaves room for the longer places (KEY:10000): a key that
// would make one longer than 256 is refused with the batch, never left to
// fail in one event's result.
func TestBatchKeyMaxBatch(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.MaxBatch = 10001 })
	tok := a.tenant(t, "m")
	body := `{"events":[` + strings.Repeat(`{},`, 10000) + `{"type":"order.paid","payload":{}}]}`
	var e struct {
		Error struct{ Details []struct{ Path string } }
	}
	code := call(t, "POST", a.url+"/v1/tenants/m/events/batch", tok, body, &e, "Idempotency-Key", strings.Repeat("k", 251))
	if code != 400 || len(e.Error.Details) != 1 || e.Error.Details[0].Path != "Idempotency-Key" {
		t.Errorf("a 251-character key with --max-batch 10001: %d %+v, want 400 at Idempotency-Key", code, e.Error)
	}
	var out struct {
		Data []struct {
			ID    string
			Error *struct{ Message string }
		}
	}
	a.must(t, 202, "POST", "/v1/tenants/m/events/batch", tok, body, &out, "Idempotency-Key", strings.Repeat("k", 250))
	if len(out.Data) != 10001 || out.Data[10000].Error != nil || out.Data[10000].ID == "" {
		t.Errorf("a 250-character key with --max-batch 10001: %d results, the last %+v", len(out.Data), out.Data[len(out.Data)-1])
	}
}

// TestBatchEventNotObject: a batch's event that is not an object refuses
// the batch, the details naming it (events[1]), as any other malformed
// event is named.
func TestBatchEventNotObject(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "n")
	for _, ev := range []string{`5`, `"x"`, `[]`} {
		var e struct {
			Error struct {
				Message string
				Details []struct{ Path string }
			}
		}
		a.must(t, 400, "POST", "/v1/tenants/n/events/batch", tok, `{"events":[{"type":"order.paid","payload":{}},`+ev+`]}`, &e)
		if len(e.Error.Details) != 1 || e.Error.Details[0].Path != "events[1]" || strings.Contains(e.Error.Message, "request body") {
			t.Errorf("an event %s: %+v, want a detail at events[1]", ev, e.Error)
		}
	}
}

// TestBatchErrorPath: a batch with a key given twice in one event and a
// field of the wrong type in another is refused with a JSON path of the
// body ($.events[0].type), not one of the event alone glued to its place
// (events[0].$.type).
func TestBatchErrorPath(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "q")
	for body, want := range map[string]string{
		`{"events":[{"type":"a.b","payload":{},"type":"b.c"},{"type":5,"payload":{}}]}`:              "$.events[0].type",
		"{\"events\":[{\"type\":\"a.b\",\"payload\":{\"x\":\"\xff\"}},{\"type\":5,\"payload\":{}}]}": "$.events[0].payload.x",
	} {
		var e struct {
			Error struct {
				Message string
				Details []struct{ Path string }
			}
		}
		a.must(t, 400, "POST", "/v1/tenants/q/events/batch", tok, body, &e)
		if len(e.Error.Details) != 1 || e.Error.Details[0].Path != want {
			t.Errorf("%q: %+v, want a detail at %s", body, e.Error, want)
		}
	}
}

// TestBatchUnknownTenant: a batch to a tenant that does not exist answers
// 404, also when every event of it is refused before publishing.
func TestBatchUnknownTenant(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	for _, body := range []string{`{"events":[{"type":"order.paid","payload":{}}]}`, `{"events":[{"type":"order.paid","payload":{},"id":""}]}`} {
		var e struct{ Error struct{ Code string } }
		if code := call(t, "POST", a.url+"/v1/tenants/nobody/events/batch", testAdmin, body, &e); code != 404 || e.Error.Code != "not_found" {
			t.Errorf("%s to an unknown tenant: %d %+v, want 404", body, code, e)
		}
	}
}

// TestRotateSecret: during the grace period both secrets sign.
func TestRotateSecret(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "r")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "r", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	var rot struct{ Secret string }
	a.must(t, 200, "POST", "/v1/tenants/r/endpoints/"+ep.ID+"/rotate-secret", tok, map[string]any{"grace_seconds": 3600}, &rot)
	if rot.Secret == "" || rot.Secret == ep.Secret {
		t.Fatalf("rotation gave %q", rot.Secret)
	}
	a.must(t, 202, "POST", "/v1/tenants/r/events", tok, map[string]any{"type": "a.b", "payload": map[string]any{}}, nil)
	got := rc.wait(t, 5*time.Second)
	if n := len(strings.Fields(got.header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("%d signatures, want 2 during the grace period", n)
	}
	for _, s := range []string{ep.Secret, rot.Secret} {
		wh, _ := standardwebhooks.NewWebhook(s)
		if err := wh.Verify(got.body, got.header); err != nil {
			t.Fatalf("secret %s: %v", s[:10], err)
		}
	}
	// Without grace the old secret stops at once.
	a.must(t, 200, "POST", "/v1/tenants/r/endpoints/"+ep.ID+"/rotate-secret", tok, map[string]any{"grace_seconds": 0}, &rot)
	a.must(t, 202, "POST", "/v1/tenants/r/events", tok, map[string]any{"type": "a.b", "payload": map[string]any{}}, nil)
	got = rc.wait(t, 5*time.Second)
	if n := len(strings.Fields(got.header.Get("webhook-signature"))); n != 1 {
		t.Fatalf("%d signatures after a rotation without grace", n)
	}
	wh, _ := standardwebhooks.NewWebhook(rot.Secret)
	if err := wh.Verify(got.body, got.header); err != nil {
		t.Fatal(err)
	}
	// The secret is never in a read.
	var raw json.RawMessage
	a.must(t, 200, "GET", "/v1/tenants/r/endpoints/"+ep.ID, tok, nil, &raw)
	a.must(t, 200, "GET", "/v1/tenants/r/endpoints", tok, nil, &raw)
	if strings.Contains(string(raw), "whsec_") {
		t.Fatal("a list response shows a secret")
	}
}

// TestZeroMeansNever: serve's --disable-after 0 and --retention 0 mean
// never, as the docs say, not the defaults: an endpoint failing for 1,000
// days (on the injected clock) is not disabled, and the event, its
// delivery and its attempts stay readable. (The engine's own test,
// delivery.TestNegativeMeansNever, shows that nothing is purged beside an
// engine that purges.)
func TestZeroMeansNever(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	a := startApp(t, func(c *Config) { c.clock, c.Retention, c.DisableAfter = clock, 0, 0 })
	tok := a.tenant(t, "z")
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusServiceUnavailable) })
	ep := a.endpoint(t, "z", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "retry_schedule": []float64{3600}})
	var pub struct {
		ID         string
		Deliveries []struct{ ID string }
	}
	a.must(t, 202, "POST", "/v1/tenants/z/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{}}, &pub)
	rc.wait(t, 10*time.Second)
	var d struct {
		State    string
		Attempts []json.RawMessage
	}
	read := func() {
		a.must(t, 200, "GET", "/v1/tenants/z/deliveries/"+pub.Deliveries[0].ID, tok, nil, &d)
	}
	eventually(t, 10*time.Second, "the first attempt recorded", func() bool { read(); return len(d.Attempts) == 1 })
	clock.Add(1000 * 24 * time.Hour) // the retry is due, 1,000 days into the failure
	rc.wait(t, 10*time.Second)
	eventually(t, 10*time.Second, "the delivery failed", func() bool { read(); return d.State == "failed" })
	// The endpoint's health is committed with the attempt's result.
	var got endpointResp
	a.must(t, 200, "GET", "/v1/tenants/z/endpoints/"+ep.ID, tok, nil, &got)
	if got.Disabled {
		t.Fatalf("--disable-after 0 disabled an endpoint failing for 1,000 days: %q", got.DisabledReason)
	}
	if len(d.Attempts) != 2 {
		t.Fatalf("%d attempts, want 2", len(d.Attempts))
	}
	a.must(t, 200, "GET", "/v1/tenants/z/events/"+pub.ID, tok, nil, nil)
}
