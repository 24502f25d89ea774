package control_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/storetest"
)

var (
	stdSecretA = "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	stdSecretB = "whsec_" + base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
)

// ingest sends r to the source with the token and fails the test on an
// error.
func ingest(t *testing.T, b *bundle, token string, r *hookd.IngestRequest) *hookd.Ingested {
	t.Helper()
	got, err := b.svc.Ingest(context.Background(), token, r)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// sourceRequests returns the requests a source accepted.
func sourceRequests(t *testing.T, b *bundle, sourceID string) []*hookd.SourceRequest {
	t.Helper()
	reqs, err := b.svc.SourceRequests(context.Background(), "acme", sourceID, hookd.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return reqs
}

// wantRequest checks that a source accepted exactly one request: body,
// its event, replays counted.
func wantRequest(t *testing.T, b *bundle, src *hookd.Source, body, eventID string, duplicates int) {
	t.Helper()
	reqs := sourceRequests(t, b, src.ID)
	if len(reqs) != 1 {
		t.Fatalf("source %s: %d requests, want 1", src.Name, len(reqs))
	}
	if r := reqs[0]; string(r.Body) != body || r.EventID != eventID || r.Duplicates != duplicates {
		t.Fatalf("source %s: request %s of event %s, %d duplicates; want %s of event %s, %d duplicates",
			src.Name, r.Body, r.EventID, r.Duplicates, body, eventID, duplicates)
	}
}

// TestSourceSameIDAtTwoSources: two Standard Webhooks sources of one
// tenant (two accounts of a provider) each get a webhook with the same
// webhook-id and different bodies. Each is stored as an event of its own,
// with its request in its source's list (the first keeps the provider's
// id as its event id; the second, whose id is taken, gets one of its own),
// and each is relayed. A provider's retry to the same source is still a
// duplicate, counted on that source's request only. On SQLite and on
// PostgreSQL.
func TestSourceSameIDAtTwoSources(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		eu, _, sk := sourceSetup(t, b, &hookd.Source{Name: "billing-eu", Profile: "standard", Secrets: []hookd.Secret{{Value: stdSecretA}}})
		us, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "billing-us", Profile: "standard", Secrets: []hookd.Secret{{Value: stdSecretB}}})
		if err != nil {
			t.Fatal(err)
		}
		now := b.clock.Now()
		bodyEU := `{"type":"invoice.paid","timestamp":"2026-01-02T15:04:05Z","data":{"id":"inv_eu"}}`
		bodyUS := `{"type":"invoice.paid","timestamp":"2026-01-02T15:04:06Z","data":{"id":"inv_us"}}`

		first := ingest(t, b, eu.Token, standardRequest(stdSecretA, "msg_shared_1", now, bodyEU))
		if first.Duplicate || first.EventID != "msg_shared_1" {
			t.Fatalf("first source: %+v, want a new event msg_shared_1", first)
		}
		second := ingest(t, b, us.Token, standardRequest(stdSecretB, "msg_shared_1", now, bodyUS))
		if second.Duplicate || second.EventID == "" || second.EventID == first.EventID {
			t.Fatalf("second source, same webhook-id: %+v, want a new event with an id of its own", second)
		}

		// The providers' retries: duplicates of each source's own event.
		for _, c := range []struct {
			src    *hookd.Source
			secret string
			body   string
			want   string
		}{{us, stdSecretB, bodyUS, second.EventID}, {eu, stdSecretA, bodyEU, first.EventID}} {
			again := ingest(t, b, c.src.Token, standardRequest(c.secret, "msg_shared_1", now, c.body))
			if !again.Duplicate || again.EventID != c.want {
				t.Fatalf("retry to %s: %+v, want a duplicate of %s", c.src.Name, again, c.want)
			}
		}
		wantRequest(t, b, eu, bodyEU, first.EventID, 1)
		wantRequest(t, b, us, bodyUS, second.EventID, 1)

		evs := events(t, b)
		if len(evs) != 2 {
			t.Fatalf("%d events, want 2", len(evs))
		}
		for _, id := range []string{first.EventID, second.EventID} {
			ev, _, err := b.svc.Event(ctx, "acme", id)
			if err != nil || ev.Source == nil {
				t.Fatalf("event %s: %+v, %v", id, ev, err)
			}
		}
		reqs := sk.wait(t, 2)
		var relayed []string
		for _, r := range reqs {
			var body struct {
				Data struct{ ID string } `json:"data"`
			}
			if err := json.Unmarshal(r.Body, &body); err != nil {
				t.Fatal(err)
			}
			relayed = append(relayed, body.Data.ID)
		}
		if strings.Join(relayed, ",") != "inv_eu,inv_us" && strings.Join(relayed, ",") != "inv_us,inv_eu" {
			t.Fatalf("relayed %v, want both invoices once", relayed)
		}
		time.Sleep(200 * time.Millisecond)
		if n := sk.count(); n != 2 {
			t.Fatalf("the receiver got %d requests, want 2 (the retries are not relayed)", n)
		}
	})
}

// TestSourceIDOfPublishedEvent: a webhook whose provider id is the id of
// an event published through the API is not that event: it is stored as
// an event of its own, with its request.
func TestSourceIDOfPublishedEvent(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "lean-secret"}}})
	pub := event("lean:payment.created", leanPayment)
	pub.ID = "3a1f0c9e-5b7d-4e2a-8c6f-1d9b0a7e4c52"
	if res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{pub}); err != nil || res[0].Err != nil {
		t.Fatalf("publish: %v", err)
	}
	req := leanRequest("lean-secret", pub.ID, "payment.created", leanPaymentIn)
	got := ingest(t, b, src.Token, req)
	if got.Duplicate || got.EventID == pub.ID {
		t.Fatalf("ingested %+v: want a new event with an id of its own", got)
	}
	wantRequest(t, b, src, string(req.Body), got.EventID, 0)
	if again := ingest(t, b, src.Token, leanRequest("lean-secret", pub.ID, "payment.created", leanPaymentIn)); !again.Duplicate || again.EventID != got.EventID {
		t.Fatalf("Lean's retry: %+v, want a duplicate of %s", again, got.EventID)
	}
}

// TestSourcesOfThreeProfilesOneEvent: hookd relaying one event to a lean,
// a standard and a linkmoney source of the same tenant (each profile
// carries the event's id: event_id, webhook-id, id) stores one event and
// one request per source, each answered as new, and each source's replay
// as its own duplicate.
func TestSourcesOfThreeProfilesOneEvent(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		const id = "01a231b1-1d79-7b38-a61e-f7147496a989"
		lean, _, _ := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "lean-secret"}}})
		std, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "std", Profile: "standard", Secrets: []hookd.Secret{{Value: stdSecretA}}})
		if err != nil {
			t.Fatal(err)
		}
		lm, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "link", Profile: "linkmoney", AllowIPs: []string{"127.0.0.0/8"}})
		if err != nil {
			t.Fatal(err)
		}
		lmBody := `{"id":"` + id + `","creationTime":"2026-01-02T15:04:05.123","eventType":"customer.created","metadata":{"resourceId":"7f4c6a52-1e0b-4b7d-9a36-5d2f8c9e0b14","resourceType":"customer"}}`
		stdBody := `{"type":"entity.created","timestamp":"2026-01-02T15:04:05Z","data":{"id":"dd64bba9-9446-4ca0-b9ed-bec2b2a49024"}}`
		requests := map[string]func() *hookd.IngestRequest{
			lean.Name: func() *hookd.IngestRequest { return leanRequest("lean-secret", id, "payment.created", leanPaymentIn) },
			std.Name:  func() *hookd.IngestRequest { return standardRequest(stdSecretA, id, b.clock.Now(), stdBody) },
			lm.Name: func() *hookd.IngestRequest {
				return &hookd.IngestRequest{Body: []byte(lmBody), Header: map[string][]string{}, RemoteIP: net.ParseIP("127.0.0.1")}
			},
		}
		sources := []*hookd.Source{lean, std, lm}
		eventOf := map[string]string{}
		for _, src := range sources {
			got := ingest(t, b, src.Token, requests[src.Name]())
			if got.Duplicate {
				t.Fatalf("%s: %+v, want a new event", src.Name, got)
			}
			eventOf[src.Name] = got.EventID
		}
		if eventOf[lean.Name] != id || eventOf[std.Name] == id || eventOf[lm.Name] == id || eventOf[std.Name] == eventOf[lm.Name] {
			t.Fatalf("events %v: want the first to keep %s, the others ids of their own", eventOf, id)
		}
		for _, src := range sources {
			got := ingest(t, b, src.Token, requests[src.Name]())
			if !got.Duplicate || got.EventID != eventOf[src.Name] {
				t.Fatalf("%s again: %+v, want a duplicate of %s", src.Name, got, eventOf[src.Name])
			}
			wantRequest(t, b, src, string(requests[src.Name]().Body), eventOf[src.Name], 1)
		}
		if evs := events(t, b); len(evs) != 3 {
			t.Fatalf("%d events, want 3", len(evs))
		}
	})
}

// TestSourceSameIDConcurrent: webhooks with the same ids arrive at two
// sources at once, and each is also sent twice (a provider's quick retry),
// through two nodes sharing one PostgreSQL database: the unique constraint
// decides which takes the provider's id, and every webhook is stored once,
// at its source, as an event of its own.
func TestSourceSameIDConcurrent(t *testing.T) {
	t.Parallel()
	u, key := storetest.PostgresSchema(t), testKey(t)
	nodes := []*bundle{setupOn(t, openPostgres(t, u, key)), setupOn(t, openPostgres(t, u, key))}
	ctx := context.Background()
	a, _, sk := sourceSetup(t, nodes[0], &hookd.Source{Name: "lean-a", Profile: "lean", Secrets: []hookd.Secret{{Value: "secret-a"}}})
	b, err := nodes[0].svc.CreateSource(ctx, "acme", &hookd.Source{Name: "lean-b", Profile: "lean", Secrets: []hookd.Secret{{Value: "secret-b"}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for i := range n {
		id := fmt.Sprintf("0f9c3a4e-7b1d-4c8e-9f2a-%012d", i)
		for j, c := range []struct {
			token, secret string
		}{{a.Token, "secret-a"}, {b.Token, "secret-b"}, {a.Token, "secret-a"}, {b.Token, "secret-b"}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				node := nodes[(i+j)%2]
				if _, err := node.svc.Ingest(ctx, c.token, leanRequest(c.secret, id, "payment.created", leanPaymentIn)); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, src := range []*hookd.Source{a, b} {
		reqs := sourceRequests(t, nodes[1], src.ID)
		dups := 0
		for _, r := range reqs {
			dups += r.Duplicates
		}
		if len(reqs) != n || dups != n {
			t.Fatalf("source %s: %d requests with %d duplicates, want %d with %d", src.Name, len(reqs), dups, n, n)
		}
	}
	if evs := events(t, nodes[1]); len(evs) != 2*n {
		t.Fatalf("%d events, want %d", len(evs), 2*n)
	}
	sk.wait(t, 2*n)
}

// TestSourceReplayOfUnscopedKey: an event ingested before idempotency keys
// were scoped by source (key "lean:<event_id>", the provider's id as its
// id) still answers its source's replay as a duplicate, counted on its
// request; the same id at another source is an event of its own.
func TestSourceReplayOfUnscopedKey(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	const id = "3a1f0c9e-5b7d-4e2a-8c6f-1d9b0a7e4c52"
	a, _, _ := sourceSetup(t, b, &hookd.Source{Name: "lean-a", Profile: "lean", Secrets: []hookd.Secret{{Value: "secret-a"}}})
	other, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "lean-b", Profile: "lean", Secrets: []hookd.Secret{{Value: "secret-b"}}})
	if err != nil {
		t.Fatal(err)
	}
	// As an older hookd stored it.
	req := leanRequest("secret-a", id, "payment.created", leanPaymentIn)
	now := b.clock.Now()
	old := &hookd.Event{ID: id, TenantID: "acme", Type: "lean:payment.created", Payload: json.RawMessage(leanPaymentIn),
		IdempotencyKey: "lean:" + id, CreatedAt: now}
	sr := &hookd.SourceRequest{ID: "sreq_01a231b1-1d79-7b38-a61e-f7147496a989", TenantID: "acme", SourceID: a.ID, ReceivedAt: now,
		Header: req.Header, Body: req.Body, Verdict: hookd.VerdictAccepted}
	if p, err := b.eng.Ingest(ctx, old, sr); err != nil || p.Existing != nil {
		t.Fatalf("storing the old event: %+v, %v", p, err)
	}

	again := ingest(t, b, a.Token, leanRequest("secret-a", id, "payment.created", leanPaymentIn))
	if !again.Duplicate || again.EventID != id {
		t.Fatalf("replay at its source: %+v, want a duplicate of %s", again, id)
	}
	wantRequest(t, b, a, string(req.Body), id, 1)
	elsewhere := ingest(t, b, other.Token, leanRequest("secret-b", id, "payment.created", leanPaymentIn))
	if elsewhere.Duplicate || elsewhere.EventID == id {
		t.Fatalf("the same id at another source: %+v, want a new event", elsewhere)
	}
	wantRequest(t, b, a, string(req.Body), id, 1)
	if evs := events(t, b); len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
}
