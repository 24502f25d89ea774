package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
				w.Header().Set("X-Odd", "caf\xe9") // not UTF-8, which PostgreSQL's text refuses
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
					Response string            `json:"response"`
					Headers  map[string]string `json:"response_headers"`
				} `json:"attempts"`
			}
			a.must(t, 200, "GET", "/v1/tenants/acme/deliveries/"+ds.Data[0].ID, tok, nil, &d)
			if len(d.Attempts) == 0 || d.Attempts[0].Response != "bad\uFFFDbody \uFFFD" {
				t.Errorf("the answer recorded as %+v, want its NUL and invalid byte as U+FFFD", d.Attempts)
			}
			for i, at := range d.Attempts {
				if at.Headers["X-Odd"] != "caf\uFFFD" || at.Headers["Content-Length"] != "10" {
					t.Errorf("attempt %d's answer headers recorded as %v, want X-Odd with U+FFFD and Content-Length 10", i+1, at.Headers)
				}
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

// TestRefusedResultHeldApart: an attempt's result the store refuses
// whatever the batch (here a trigger of the test's that raises on it, on
// PostgreSQL) fails the commit it first meets, and then only itself: the
// writer commits it apart from later batches, so the publishes after it
// are stored and answered 202. Before, it was carried into every later
// commit, and every publish of the node failed with 500.
func TestRefusedResultHeldApart(t *testing.T) {
	db := testPostgres(t)
	a := startNode(t, db, randomKey())
	conn, err := pgx.Connect(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		`CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN
			IF NEW.attempt1_response LIKE '%poison%' OR NEW.last_error LIKE '%poison%' THEN RAISE EXCEPTION 'poison refused'; END IF;
			RETURN NEW; END $$ LANGUAGE plpgsql`,
		`CREATE TRIGGER refuse_poison BEFORE UPDATE ON deliveries FOR EACH ROW EXECUTE FUNCTION refuse_poison()`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}
	tok := a.tenant(t, "acme")
	poison := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("poison"))
	})
	a.endpoint(t, "acme", tok, map[string]any{"url": poison.URL, "event_types": []string{"poison.*"}, "retry_schedule": []int{3600}})
	ok := newReceiver(t, nil)
	a.endpoint(t, "acme", tok, map[string]any{"url": ok.URL, "event_types": []string{"fine.*"}})
	a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, map[string]any{"type": "poison.pill", "payload": map[string]any{}}, nil)
	poison.wait(t, 10*time.Second)
	failed := 0
	for i := range 20 {
		st := call(t, "POST", a.url+"/v1/tenants/acme/events", tok, map[string]any{"type": "fine.thing", "payload": map[string]any{"i": i}}, nil)
		switch {
		case st == 202:
			ok.wait(t, 10*time.Second)
		case st >= 500 && i < 10:
			failed++ // it shared the commit the refused result first failed
		default:
			t.Fatalf("publish %d after the refused result: %d", i, st)
		}
	}
	if failed > 1 {
		t.Errorf("%d publishes failed beside the refused result, want at most the one that shared its first commit", failed)
	}
}
