package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// onBothStores runs test on a hookd with a SQLite file and on one with a
// fresh PostgreSQL schema (skipped without PostgreSQL), in parallel.
func onBothStores(t *testing.T, mod func(*Config), test func(t *testing.T, a *testApp)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, startApp(t, mod))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db, key := testPostgres(t), randomKey()
		test(t, startApp(t, func(c *Config) {
			if mod != nil {
				mod(c)
			}
			c.DB, c.DataKey = db, key
		}))
	})
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details []struct {
			Path    string `json:"path"`
			Message string `json:"message"`
		} `json:"details"`
	} `json:"error"`
}

type publishAnswer struct {
	ID         string `json:"id"`
	Duplicate  bool   `json:"duplicate"`
	Deliveries []struct {
		ID         string `json:"id"`
		EndpointID string `json:"endpoint_id"`
	} `json:"deliveries"`
}

// TestIdempotencyKeyReusedForAnotherRequest: a key (or an event id) names
// one request. The same request again is answered with the first result
// and "duplicate": true; a different request under the same key or id is
// refused with 409 naming what differs, and creates nothing. The batch
// route answers the same per event.
func TestIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	t.Parallel()
	onBothStores(t, nil, func(t *testing.T, a *testApp) {
		tok := a.tenant(t, "idem")
		rc := newReceiver(t, nil)
		a.endpoint(t, "idem", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
		publish := func(want int, body map[string]any, key string) (publishAnswer, apiError) {
			t.Helper()
			var raw json.RawMessage
			got := call(t, "POST", a.url+"/v1/tenants/idem/events", tok, body, &raw, "Idempotency-Key", key)
			if got != want {
				t.Fatalf("publish %v with key %q: status %d, want %d: %s", body, key, got, want, raw)
			}
			var ok publishAnswer
			var bad apiError
			json.Unmarshal(raw, &ok)
			json.Unmarshal(raw, &bad)
			return ok, bad
		}
		first, _ := publish(202, map[string]any{"type": "order.paid", "payload": map[string]any{"a": 1, "b": "x"}, "ordering_key": "o1"}, "k-1")
		if first.Duplicate || len(first.Deliveries) != 1 {
			t.Fatalf("first publish %+v", first)
		}
		// The same request (the payload's keys in another order, other
		// whitespace): the first result.
		again, _ := publish(202, map[string]any{"type": "order.paid", "payload": json.RawMessage(`{ "b": "x", "a": 1 }`), "ordering_key": "o1"}, "k-1")
		if !again.Duplicate || again.ID != first.ID || len(again.Deliveries) != 1 || again.Deliveries[0].ID != first.Deliveries[0].ID {
			t.Fatalf("the same request again: %+v, want the first result %+v with duplicate", again, first)
		}
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"type": "order.paid", "payload": map[string]any{"a": 2, "b": "x"}, "ordering_key": "o1"}, "payload"},
			{map[string]any{"type": "order.refunded", "payload": map[string]any{"a": 1, "b": "x"}, "ordering_key": "o1"}, "type"},
			{map[string]any{"type": "order.paid", "payload": map[string]any{"a": 1, "b": "x"}}, "ordering_key"},
			{map[string]any{"type": "order.paid", "payload": map[string]any{"a": 1, "b": "x"}, "ordering_key": "o1", "id": "other-id"}, "id"},
		} {
			_, e := publish(409, c.body, "k-1")
			if e.Error.Code != "conflict" || !strings.Contains(e.Error.Message, `Idempotency-Key "k-1"`) ||
				len(e.Error.Details) != 1 || e.Error.Details[0].Path != c.field {
				t.Errorf("key reused with another %s: %+v", c.field, e.Error)
			}
		}
		// An event id reused for another payload.
		byID, _ := publish(202, map[string]any{"type": "order.paid", "id": "evt-7", "payload": map[string]any{"n": 7}}, "")
		_, e := publish(409, map[string]any{"type": "order.paid", "id": "evt-7", "payload": map[string]any{"n": 8}}, "")
		if !strings.Contains(e.Error.Message, `event id "evt-7"`) {
			t.Errorf("id reused: %+v", e.Error)
		}
		if again, _ := publish(202, map[string]any{"type": "order.paid", "id": "evt-7", "payload": map[string]any{"n": 7}}, ""); !again.Duplicate || again.ID != byID.ID {
			t.Errorf("the same id and request again: %+v", again)
		}

		// Batch: per event.
		var batch struct {
			Data []struct {
				ID        string `json:"id"`
				Duplicate bool   `json:"duplicate"`
				Err       *struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			} `json:"data"`
		}
		a.must(t, 202, "POST", "/v1/tenants/idem/events/batch", tok, map[string]any{"events": []map[string]any{
			{"type": "order.paid", "payload": map[string]any{"a": 1, "b": "x"}, "ordering_key": "o1", "idempotency_key": "k-1"},
			{"type": "order.paid", "payload": map[string]any{"a": 9}, "ordering_key": "o1", "idempotency_key": "k-1"},
			{"type": "order.paid", "payload": map[string]any{"n": 8}, "id": "evt-7"},
			{"type": "order.paid", "payload": map[string]any{"z": 1}, "idempotency_key": "k-2"},
			{"type": "order.paid", "payload": map[string]any{"z": 2}, "idempotency_key": "k-2"},
		}}, &batch)
		d := batch.Data
		if len(d) != 5 || d[0].Err != nil || !d[0].Duplicate || d[0].ID != first.ID ||
			d[1].Err == nil || d[1].Err.Code != "conflict" || d[2].Err == nil || d[2].Err.Code != "conflict" ||
			d[3].Err != nil || d[3].Duplicate || d[4].Err == nil || d[4].Err.Code != "conflict" {
			t.Fatalf("batch results %+v", d)
		}
		// Nothing was created by the refused requests: three events.
		var list struct {
			Data []struct {
				ID      string          `json:"id"`
				Payload json.RawMessage `json:"payload"`
			} `json:"data"`
		}
		a.must(t, 200, "GET", "/v1/tenants/idem/events", tok, nil, &list)
		if len(list.Data) != 3 {
			t.Fatalf("events after refused reuses: %+v", list.Data)
		}
	})
}

// example returns the catalog example of an event type.
func (a *testApp) example(t *testing.T, tok, name string) json.RawMessage {
	t.Helper()
	var et struct {
		Example json.RawMessage `json:"example"`
	}
	a.must(t, 200, "GET", "/v1/event-types/"+name, tok, nil, &et)
	if len(et.Example) == 0 {
		t.Fatalf("no example for %s", name)
	}
	return et.Example
}

// eventTypes lists the types of the events a list query answers.
func (a *testApp) eventTypes(t *testing.T, tok, tenant, query string) []string {
	t.Helper()
	var list struct {
		Data []struct {
			Type string `json:"type"`
		} `json:"data"`
	}
	a.must(t, 200, "GET", "/v1/tenants/"+tenant+"/events"+query, tok, nil, &list)
	var out []string
	for _, e := range list.Data {
		out = append(out, e.Type)
	}
	return out
}

// TestEventListTypeFilter: ?type= selects what an endpoint subscribed to
// the same pattern receives: the wire name finds every provider's type of
// that name, the qualified name one provider's, SPEC's wildcards their
// prefix; a pattern SPEC does not define is refused.
func TestEventListTypeFilter(t *testing.T) {
	t.Parallel()
	onBothStores(t, nil, func(t *testing.T, a *testApp) {
		tok := a.tenant(t, "tf")
		for _, typ := range []string{"lean:payment.created", "linkmoney:payment.created", "payment.failed", "entity.created", "order.created"} {
			payload := json.RawMessage(`{"n":1}`)
			if typ != "order.created" {
				payload = a.example(t, tok, typ)
			}
			a.must(t, 202, "POST", "/v1/tenants/tf/events", tok, map[string]any{"type": typ, "payload": payload}, nil)
		}
		for _, c := range []struct{ query, want string }{
			{"?type=payment.created", "linkmoney:payment.created lean:payment.created"},
			{"?type=lean:payment.created", "lean:payment.created"},
			{"?type=linkmoney:payment.created&limit=1", "linkmoney:payment.created"},
			{"?type=payment.*", "payment.failed linkmoney:payment.created lean:payment.created"},
			{"?type=lean:entity.created", "entity.created"},
			{"?type=entity.created", "entity.created"},
			{"?type=order.*", "order.created"},
			{"?type=*", "order.created entity.created payment.failed linkmoney:payment.created lean:payment.created"},
			{"?type=payment.refunded", ""},
		} {
			if got := strings.Join(a.eventTypes(t, tok, "tf", c.query), " "); got != c.want {
				t.Errorf("events%s: %q, want %q", c.query, got, c.want)
			}
		}
		for _, bad := range []string{"pay*", "lean:payment.*", "payment*created", ".*"} {
			var e apiError
			if got := call(t, "GET", a.url+"/v1/tenants/tf/events?type="+bad, tok, nil, &e); got != 400 || !strings.Contains(e.Error.Message, "type: ") {
				t.Errorf("events?type=%s: %d %+v, want 400 naming the parameter", bad, got, e.Error)
			}
		}
	})
}

type deliveryView struct {
	ID            string  `json:"id"`
	EventID       string  `json:"event_id"`
	State         string  `json:"state"`
	NextAttemptAt *string `json:"next_attempt_at"`
	Attempts      int     `json:"attempt_count"`
}

// deliveries lists a tenant's deliveries with a query.
func (a *testApp) deliveries(t *testing.T, tok, tenant, query string) []deliveryView {
	t.Helper()
	var list struct {
		Data []deliveryView `json:"data"`
	}
	a.must(t, 200, "GET", "/v1/tenants/"+tenant+"/deliveries"+query, tok, nil, &list)
	return list.Data
}

// TestDisableByHand: POST …/disable {reason} and PATCH {"disabled": true}
// pause an endpoint: nothing is sent, its deliveries (new ones, and one
// whose retry is waiting) show parked, without a due time, in delivery
// reads, lists (?state=parked) and event reads; enable (the route or PATCH
// {"disabled": false}) sends each of them once.
func TestDisableByHand(t *testing.T) {
	t.Parallel()
	onBothStores(t, nil, func(t *testing.T, a *testApp) {
		tok := a.tenant(t, "dis")
		var failFirst atomic.Bool
		failFirst.Store(true)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if strings.Contains(r.Header.Get("webhook-id"), "retrying") && failFirst.Swap(false) {
				w.WriteHeader(500)
				return
			}
			w.WriteHeader(204)
		})
		ep := a.endpoint(t, "dis", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "retry_schedule": []int{2}})
		base := "/v1/tenants/dis/endpoints/" + ep.ID
		pub := func(id string) {
			t.Helper()
			a.must(t, 202, "POST", "/v1/tenants/dis/events", tok, map[string]any{"id": id, "type": "order.paid", "payload": map[string]any{"id": id}}, nil)
		}
		pub("before")
		rc.wait(t, 10*time.Second)
		pub("retrying") // fails once: its retry waits 2 s
		rc.wait(t, 10*time.Second)

		var got endpointResp
		a.must(t, 200, "POST", base+"/disable", tok, map[string]any{"reason": "receiver maintenance"}, &got)
		if !got.Disabled || got.DisabledReason != "receiver maintenance" {
			t.Fatalf("after disable: %+v", got)
		}
		pub("while-1")
		pub("while-2")
		parked := func(want int) {
			t.Helper()
			ds := a.deliveries(t, tok, "dis", "?state=parked")
			if len(ds) != want {
				t.Fatalf("?state=parked: %+v, want %d", ds, want)
			}
			for _, d := range ds {
				if d.State != "parked" || d.NextAttemptAt != nil {
					t.Errorf("parked delivery %+v", d)
				}
				var one deliveryView
				a.must(t, 200, "GET", "/v1/tenants/dis/deliveries/"+d.ID, tok, nil, &one)
				if one.State != "parked" || one.NextAttemptAt != nil {
					t.Errorf("GET delivery: %+v", one)
				}
				var ev struct {
					Deliveries []deliveryView `json:"deliveries"`
				}
				a.must(t, 200, "GET", "/v1/tenants/dis/events/"+d.EventID, tok, nil, &ev)
				if len(ev.Deliveries) != 1 || ev.Deliveries[0].State != "parked" {
					t.Errorf("GET event %s: %+v", d.EventID, ev.Deliveries)
				}
			}
			if ds := a.deliveries(t, tok, "dis", "?state=pending"); len(ds) != 0 {
				t.Errorf("?state=pending while disabled: %+v", ds)
			}
		}
		eventually(t, 10*time.Second, "three deliveries parked", func() bool {
			return len(a.deliveries(t, tok, "dis", "?state=parked")) == 3
		})
		parked(3)
		time.Sleep(2500 * time.Millisecond) // past the retry's due time
		if n := rc.count(); n != 2 {
			t.Fatalf("%d webhooks sent, want 2: a disabled endpoint was sent to", n)
		}
		parked(3)

		// PATCH enables; each parked delivery goes out once.
		got = endpointResp{}
		a.must(t, 200, "PATCH", base, tok, map[string]any{"disabled": false}, &got)
		if got.Disabled || got.DisabledReason != "" {
			t.Fatalf("after PATCH disabled=false: %+v", got)
		}
		for range 3 {
			rc.wait(t, 10*time.Second)
		}
		eventually(t, 10*time.Second, "all succeeded", func() bool {
			return len(a.deliveries(t, tok, "dis", "?state=succeeded")) == 4
		})

		// PATCH disables with a reason; the route enables.
		var bad apiError
		if st := call(t, "PATCH", a.url+base, tok, map[string]any{"disabled_reason": "x"}, &bad); st != 400 || !strings.Contains(bad.Error.Message, "disabled_reason") {
			t.Errorf("disabled_reason on an enabled endpoint: %d %+v", st, bad.Error)
		}
		a.must(t, 200, "PATCH", base, tok, map[string]any{"disabled": true, "disabled_reason": "paused by ops"}, &got)
		if !got.Disabled || got.DisabledReason != "paused by ops" {
			t.Fatalf("after PATCH disabled=true: %+v", got)
		}
		a.must(t, 200, "POST", base+"/disable", tok, nil, &got)
		if !got.Disabled || got.DisabledReason != "paused by ops" {
			t.Fatalf("disable again without a reason keeps the reason: %+v", got)
		}
		pub("while-3")
		eventually(t, 10*time.Second, "parked", func() bool { return len(a.deliveries(t, tok, "dis", "?state=parked")) == 1 })
		a.must(t, 200, "POST", base+"/enable", tok, nil, &got)
		rc.wait(t, 10*time.Second)
		eventually(t, 10*time.Second, "all succeeded", func() bool {
			return len(a.deliveries(t, tok, "dis", "?state=succeeded")) == 5
		})
		time.Sleep(300 * time.Millisecond)
		if n := rc.count(); n != 6 {
			t.Errorf("%d webhooks in all, want 6 (5 events, one retried once)", n)
		}
	})
}

// TestClusterDisableByHand: an endpoint disabled by hand through one node
// stops sending on every node: what another node holds in memory is
// parked there, not sent; enabled through that other node, every parked
// delivery is sent once.
func TestClusterDisableByHand(t *testing.T) {
	nodes := cluster(t, 2)
	a, b := &testApp{url: nodes[0].url}, &testApp{url: nodes[1].url}
	tok := a.tenant(t, "cd")
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	var mu sync.Mutex
	seen := map[string]int{}
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		<-release
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		mu.Unlock()
		w.WriteHeader(204)
	})
	t.Cleanup(open) // before the receiver closes (cleanups run last first)
	ep := a.endpoint(t, "cd", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	evs := make([]map[string]any, 200)
	for i := range evs {
		evs[i] = map[string]any{"type": "order.paid", "id": fmt.Sprintf("e-%03d", i), "payload": map[string]any{}}
	}
	b.must(t, 202, "POST", "/v1/tenants/cd/events/batch", tok, map[string]any{"events": evs}, nil)
	// Node b sends as many at once as an endpoint may have in flight
	// (held by the receiver) and holds the rest in memory.
	eventually(t, 10*time.Second, "requests in flight", func() bool { return rc.count() > 0 })

	a.must(t, 200, "POST", "/v1/tenants/cd/endpoints/"+ep.ID+"/disable", tok, map[string]any{"reason": "deploy"}, nil)
	// Every delivery is either at the receiver (sent before node b
	// learnt of the disable) or parked by node b.
	inFlight := 0
	eventually(t, 10*time.Second, "node b parked what it held", func() bool {
		n := rc.count()
		if n+len(b.deliveries(t, tok, "cd", "?state=parked&limit=1000")) != 200 {
			return false
		}
		inFlight = n
		return true
	})
	if inFlight >= 200 {
		t.Fatalf("%d requests in flight: nothing was left in memory to park", inFlight)
	}
	open()
	eventually(t, 10*time.Second, "in-flight requests answered", func() bool {
		return len(b.deliveries(t, tok, "cd", "?state=succeeded&limit=1000")) == inFlight
	})
	time.Sleep(500 * time.Millisecond)
	if n := rc.count(); n != inFlight {
		t.Fatalf("%d requests reached the endpoint disabled by hand, want the %d in flight", n, inFlight)
	}

	b.must(t, 200, "POST", "/v1/tenants/cd/endpoints/"+ep.ID+"/enable", tok, nil, nil)
	eventually(t, 20*time.Second, "every delivery succeeded", func() bool {
		return len(a.deliveries(t, tok, "cd", "?state=succeeded&limit=1000")) == 200
	})
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 200 || rc.count() != 200 {
		t.Fatalf("%d requests for %d events, want 200 each once", rc.count(), len(seen))
	}
}

// TestEndpointEventTypes: an endpoint's event_types name known types
// (catalog names, qualified or not, custom types, hookd's operational
// types) or select some with SPEC's wildcards; unknown names, wildcards
// that select nothing and wildcards SPEC does not define are refused,
// naming the entry; repeats are kept once; an empty list is "*".
func TestEndpointEventTypes(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(c *Config) { c.AllowUnknownTypes = false }, func(t *testing.T, a *testApp) {
		tok := a.tenant(t, "et")
		rc := newReceiver(t, nil)
		create := func(types any) (int, endpointResp, apiError) {
			t.Helper()
			body := map[string]any{"url": rc.URL}
			if types != nil {
				body["event_types"] = types
			}
			var raw json.RawMessage
			st := call(t, "POST", a.url+"/v1/tenants/et/endpoints", tok, body, &raw)
			var ep endpointResp
			var e apiError
			json.Unmarshal(raw, &ep)
			json.Unmarshal(raw, &e)
			return st, ep, e
		}
		st, ep, e := create([]string{"payment.created", "lean:payment.created", "payment.created", "lean:entity.created",
			"payment.*", "hookd.endpoint.disabled", "hookd.*", "linkedAccountWatch", "payment.*"})
		if st != 201 {
			t.Fatalf("known types: %d %+v", st, e.Error)
		}
		want := "payment.created lean:payment.created entity.created payment.* hookd.endpoint.disabled hookd.* linkedAccountWatch"
		if got := strings.Join(ep.EventTypes, " "); got != want {
			t.Errorf("stored event_types %q, want %q", got, want)
		}
		for _, types := range []any{nil, []string{}} {
			if st, ep, e := create(types); st != 201 || strings.Join(ep.EventTypes, " ") != "*" {
				t.Errorf("event_types %v: %d %v %+v, want [*]", types, st, ep.EventTypes, e.Error)
			}
		}
		for _, c := range []struct {
			types  []string
			status int
			says   string
		}{
			{[]string{"*", "pay.created"}, 422, `event_types[1]: unknown event type "pay.created"`},
			{[]string{"nothing.*"}, 422, `"nothing.*" selects no known event type`},
			{[]string{"pay*"}, 422, `event_types[0]: "pay*" is not a pattern`},
			{[]string{"lean:payment.*"}, 422, `use "payment.*"`},
			{[]string{"payment.*.created"}, 400, `event_types[0]`},
			{[]string{"linkmoney:entity.created"}, 422, `event_types[0]`},
			{[]string{"acme:order.created"}, 422, `event_types[0]`},
			{[]string{"hookd.nothing"}, 422, `event_types[0]`},
			{[]string{"order created"}, 400, `event_types[0]`},
		} {
			st, _, e := create(c.types)
			if st != c.status || !strings.Contains(e.Error.Message, c.says) {
				t.Errorf("event_types %v: %d %q, want %d saying %q", c.types, st, e.Error.Message, c.status, c.says)
			}
		}
		// PATCH is checked the same way and changes nothing when refused.
		var bad apiError
		if st := call(t, "PATCH", a.url+"/v1/tenants/et/endpoints/"+ep.ID, tok, map[string]any{"event_types": []string{"order.created"}}, &bad); st != 422 {
			t.Errorf("PATCH with an unknown type: %d %+v", st, bad.Error)
		}
		var now endpointResp
		a.must(t, 200, "GET", "/v1/tenants/et/endpoints/"+ep.ID, tok, nil, &now)
		if strings.Join(now.EventTypes, " ") != want {
			t.Errorf("a refused PATCH changed event_types: %v", now.EventTypes)
		}
		// A custom type is known once registered.
		a.must(t, 201, "POST", "/v1/event-types", testAdmin, map[string]any{"name": "order.created",
			"schema": map[string]any{"type": "object"}}, nil)
		a.must(t, 200, "PATCH", "/v1/tenants/et/endpoints/"+ep.ID, tok, map[string]any{"event_types": []string{"order.created", "order.*"}}, &now)
		if strings.Join(now.EventTypes, " ") != "order.created order.*" {
			t.Errorf("custom types: %v", now.EventTypes)
		}
	})
	// With unknown types allowed, names need only be well formed.
	a := startApp(t, nil)
	tok := a.tenant(t, "et")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "et", tok, map[string]any{"url": rc.URL, "event_types": []string{"pay.created", "nothing.*", "pay.created"}})
	if strings.Join(ep.EventTypes, " ") != "pay.created nothing.*" {
		t.Errorf("with unknown types allowed: %v", ep.EventTypes)
	}
	var e apiError
	if st := call(t, "POST", a.url+"/v1/tenants/et/endpoints", tok, map[string]any{"url": rc.URL, "event_types": []string{"pay*"}}, &e); st != 422 {
		t.Errorf("pay* with unknown types allowed: %d %+v", st, e.Error)
	}
}

// TestEndpointTestRoute: the test route resolves its type as publish does,
// with the endpoint's provider preferred (an unqualified name two providers
// define is refused on a standard endpoint, naming the qualified ones; on
// a lean endpoint it is Lean's); the event it publishes is marked
// "test": true where the API shows events, and never on the wire.
func TestEndpointTestRoute(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(c *Config) { c.AllowUnknownTypes = false }, func(t *testing.T, a *testApp) {
		tok := a.tenant(t, "tr")
		rc := newReceiver(t, nil)
		std := a.endpoint(t, "tr", tok, map[string]any{"url": rc.URL + "/std"})
		lean := a.endpoint(t, "tr", tok, map[string]any{"url": rc.URL + "/lean", "profile": "lean"})
		ops := a.endpoint(t, "tr", tok, map[string]any{"url": rc.URL + "/ops", "event_types": []string{"hookd.endpoint.disabled"}})
		a.must(t, 201, "POST", "/v1/event-types", testAdmin, map[string]any{"name": "tr.bare", "schema": map[string]any{"type": "object"}}, nil)
		bare := a.endpoint(t, "tr", tok, map[string]any{"url": rc.URL + "/bare", "event_types": []string{"tr.bare"}})

		var e apiError
		st := call(t, "POST", a.url+"/v1/tenants/tr/endpoints/"+std.ID+"/test", tok, map[string]any{"type": "payment.created"}, &e)
		if st != 422 || !strings.Contains(e.Error.Message, "lean:payment.created") || !strings.Contains(e.Error.Message, "linkmoney:payment.created") {
			t.Errorf("ambiguous type on a standard endpoint: %d %+v", st, e.Error)
		}
		type eventView struct {
			ID   string `json:"id"`
			Type string `json:"type"`
			Test *bool  `json:"test"`
		}
		test := func(ep endpointResp, body any, wantType, path string) {
			t.Helper()
			var res publishAnswer
			a.must(t, 202, "POST", "/v1/tenants/tr/endpoints/"+ep.ID+"/test", tok, body, &res)
			var ev eventView
			a.must(t, 200, "GET", "/v1/tenants/tr/events/"+res.ID, tok, nil, &ev)
			if wantType != "" && ev.Type != wantType || ev.Test == nil || !*ev.Test {
				t.Errorf("test event on %s: %+v, want type %s and test: true", path, ev, wantType)
			}
			got := rc.wait(t, 10*time.Second)
			var wire map[string]json.RawMessage
			if err := json.Unmarshal(got.body, &wire); err != nil || got.path != path {
				t.Fatalf("test webhook to %s: %s %v", got.path, got.body, err)
			}
			if _, ok := wire["test"]; ok || strings.Contains(string(got.body), `"test":true`) {
				t.Errorf("the wire shows the test mark: %s", got.body)
			}
		}
		test(lean, map[string]any{"type": "payment.created"}, "lean:payment.created", "/lean")
		test(std, map[string]any{"type": "linkmoney:payment.created"}, "linkmoney:payment.created", "/std")
		test(std, nil, "", "/std")                        // the first catalog type it wants
		test(ops, nil, "hookd.endpoint.disabled", "/ops") // the catalog has its example
		test(bare, nil, "hookd.test", "/bare")            // no type it wants has one

		// A published event is not a test.
		var res publishAnswer
		a.must(t, 202, "POST", "/v1/tenants/tr/events", tok, map[string]any{"type": "entity.created", "payload": a.example(t, tok, "entity.created")}, &res)
		var ev eventView
		a.must(t, 200, "GET", "/v1/tenants/tr/events/"+res.ID, tok, nil, &ev)
		if ev.Test == nil || *ev.Test {
			t.Errorf("published event: %+v, want test: false", ev)
		}
	})
}

// TestEndpointEventTypesKept: entries an endpoint already has (accepted by
// a node that allows unknown types) do not make a later change fail on a
// node that does not; new unknown entries are refused there.
func TestEndpointEventTypesKept(t *testing.T) {
	t.Parallel()
	db, key := testPostgres(t), randomKey()
	lax := startApp(t, func(c *Config) { c.DB, c.DataKey = db, key })
	strict := startApp(t, func(c *Config) { c.DB, c.DataKey, c.AllowUnknownTypes = db, key, false })
	tok := lax.tenant(t, "kept")
	rc := newReceiver(t, nil)
	ep := lax.endpoint(t, "kept", tok, map[string]any{"url": rc.URL, "event_types": []string{"legacy.x"}})
	path := "/v1/tenants/kept/endpoints/" + ep.ID
	var got endpointResp
	strict.must(t, 200, "PATCH", path, tok, map[string]any{"description": "renamed"}, &got)
	strict.must(t, 200, "PATCH", path, tok, map[string]any{"event_types": []string{"legacy.x", "entity.created"}}, &got)
	if strings.Join(got.EventTypes, " ") != "legacy.x entity.created" {
		t.Errorf("event_types %v", got.EventTypes)
	}
	var e apiError
	if st := call(t, "PATCH", strict.url+path, tok, map[string]any{"event_types": []string{"legacy.x", "legacy.y"}}, &e); st != 422 ||
		!strings.Contains(e.Error.Message, `event_types[1]: unknown event type "legacy.y"`) {
		t.Errorf("a new unknown entry: %d %+v", st, e.Error)
	}
}
