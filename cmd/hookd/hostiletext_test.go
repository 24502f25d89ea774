package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestHostileText: text a tenant or a receiver chooses (an answer with a
// NUL byte, an ordering key or a description holding \u0000) is either
// stored in a form every store takes or refused with 400; it never fails
// the commits of the node that records it, on PostgreSQL, whose text
// refuses NUL, as on SQLite. Before, one receiver's NUL failed every
// later publish of the node with 500 until a restart.
func TestHostileText(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			var a *testApp
			if db == "postgres" {
				a = startNode(t, testPostgres(t), randomKey())
			} else {
				a = startApp(t, nil)
			}
			tok := a.tenant(t, "acme")
			nul := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("bad\x00body \xff"))
			})
			ep := a.endpoint(t, "acme", tok, map[string]any{"url": nul.URL, "event_types": []string{"nul.*"}, "retry_schedule": []int{1}})
			ok := newReceiver(t, nil)
			a.endpoint(t, "acme", tok, map[string]any{"url": ok.URL, "event_types": []string{"fine.*"}})

			a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, map[string]any{"type": "nul.answer", "payload": map[string]any{}}, nil)
			nul.wait(t, 10*time.Second)
			nul.wait(t, 10*time.Second) // the retry: its first attempt's result was committed
			var ds struct {
				Data []struct {
					ID       string `json:"id"`
					Attempts int    `json:"attempt_count"`
				} `json:"data"`
			}
			eventually(t, 10*time.Second, "the NUL answer's attempts recorded", func() bool {
				a.must(t, 200, "GET", "/v1/tenants/acme/deliveries?endpoint="+ep.ID, tok, nil, &ds)
				return len(ds.Data) == 1 && ds.Data[0].Attempts >= 2
			})
			var d struct {
				Attempts []struct {
					Response string `json:"response"`
				} `json:"attempts"`
			}
			a.must(t, 200, "GET", "/v1/tenants/acme/deliveries/"+ds.Data[0].ID, tok, nil, &d)
			if len(d.Attempts) == 0 || d.Attempts[0].Response != "bad\uFFFDbody \uFFFD" {
				t.Errorf("the answer recorded as %+v, want its NUL and invalid byte as U+FFFD", d.Attempts)
			}
			for i := range 5 {
				if st := call(t, "POST", a.url+"/v1/tenants/acme/events", tok, map[string]any{"type": "fine.thing", "payload": map[string]any{"i": i}}, nil); st != 202 {
					t.Fatalf("publish %d after the NUL answer: %d", i, st)
				}
				ok.wait(t, 10*time.Second)
			}

			// A tenant's text with \u0000 is refused, and the node goes on.
			for _, c := range []struct{ path, body string }{
				{"/v1/tenants/acme/events", `{"type":"fine.thing","ordering_key":"a\u0000b","payload":{}}`},
				{"/v1/tenants/acme/endpoints", `{"url":"` + ok.URL + `","description":"a\u0000b"}`},
				{"/v1/tenants/acme/endpoints/" + ep.ID + "/disable", `{"reason":"a\u0000b"}`},
				{"/v1/event-types", `{"name":"nul.typed","description":"a\u0000b","schema":{"type":"object"}}`},
			} {
				token := tok
				if c.path == "/v1/event-types" {
					token = testAdmin
				}
				if st := call(t, "POST", a.url+c.path, token, c.body, nil); st != 400 {
					t.Errorf("POST %s %s: %d, want 400", c.path, c.body, st)
				}
			}
			if st := call(t, "POST", a.url+"/v1/tenants/acme/events", tok, map[string]any{"type": "fine.thing", "ordering_key": "k", "payload": map[string]any{}}, nil); st != 202 {
				t.Fatalf("a publish after the refused ones: %d", st)
			}
			// A provider's webhook whose id and resource id hold \u0000 is
			// stored (its id hashed into the key, unordered) and relayed.
			src := a.source(t, "acme", tok, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{"lean-webhook-secret"}})
			a.endpoint(t, "acme", tok, map[string]any{"url": ok.URL, "profile": "standard", "event_types": []string{"lean:payment.created"}})
			body := []byte(strings.NewReplacer("0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70", `p\u0000q`).Replace(string(leanWebhook(`e\u0000f`))))
			if st := postIngest(t, src.IngestURL, body, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", body)}}); st != 200 {
				t.Fatalf("a webhook with \\u0000 in its ids: %d", st)
			}
			ok.wait(t, 10*time.Second)
			if st := postIngest(t, src.IngestURL, body, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", body)}}); st != 200 {
				t.Fatalf("the same webhook again: %d", st)
			}
		})
	}
}
