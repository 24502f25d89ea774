package main

import (
	"encoding/json"
	"strings"
	"testing"
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
