package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// setup starts a server with tenant "acme" and returns the admin's client
// and the tenant's.
func setup(t *testing.T, opts ...client.Option) (admin, acme *client.Client, srv *server) {
	t.Helper()
	srv = newServer(t)
	ctx := context.Background()
	admin = client.New(srv.URL, adminToken, opts...)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd", Metadata: json.RawMessage(`{"plan":"pro"}`)}); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CreateToken(ctx, "acme", client.TokenCreate{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Token, "hkt_") || tok.TenantID != "acme" {
		t.Fatalf("token %+v", tok)
	}
	return admin, admin.WithToken(tok.Token), srv
}

// TestTenantRoutes: create, get, update, list (paged), delete, with the
// admin token; a tenant token is refused the admin's routes with 403.
func TestTenantRoutes(t *testing.T) {
	admin, acme, _ := setup(t)
	ctx := context.Background()
	got, err := acme.GetTenant(ctx, "acme")
	if err != nil || got.Name != "Acme Ltd" || string(got.Metadata) != `{"plan":"pro"}` {
		t.Fatalf("get: %+v %v", got, err)
	}
	name := "Acme Inc"
	up, err := admin.UpdateTenant(ctx, "acme", hookd.TenantUpdate{Name: &name})
	if err != nil || up.Name != name || string(up.Metadata) != `{"plan":"pro"}` {
		t.Fatalf("update: %+v %v", up, err)
	}
	for _, id := range []string{"b", "c", "d"} {
		if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	for tn, err := range admin.ListTenants(ctx, client.ListOptions{Limit: 3}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tn.ID)
	}
	if !slices.Equal(ids, []string{"acme", "b", "c", "d"}) {
		t.Fatalf("tenants %v", ids)
	}
	pg, err := admin.ListTenantsPage(ctx, client.ListOptions{Limit: 2})
	if err != nil || len(pg.Data) != 2 || !pg.HasMore || pg.Next != "b" {
		t.Fatalf("page %+v %v", pg, err)
	}
	pg, err = admin.ListTenantsPage(ctx, client.ListOptions{After: pg.Next, Limit: 2})
	if err != nil || len(pg.Data) != 2 || pg.Data[0].ID != "c" {
		t.Fatalf("second page %+v %v", pg, err)
	}
	_, err = acme.CreateTenant(ctx, client.TenantCreate{Name: "x"})
	if client.StatusCode(err) != 403 || hookd.ErrorCode(err) != hookd.EFORBIDDEN {
		t.Fatalf("tenant token creating a tenant: %v (status %d)", err, client.StatusCode(err))
	}
	if err := admin.DeleteTenant(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.GetTenant(ctx, "d"); client.StatusCode(err) != 404 {
		t.Fatalf("deleted tenant: %v", err)
	}
}

// TestEndpointRoutes walks every endpoint route.
func TestEndpointRoutes(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	hook, got := receiver()
	defer hook.Close()
	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL + "/h", EventTypes: []string{"payment.*"},
		Profile: "standard", Headers: map[string]string{"X-Env": "test"}, TimeoutMS: 5000, Ordering: "key"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.ID == "" || ep.Ordering != "key" || ep.TimeoutMS != 5000 || ep.Headers["X-Env"] != "test" {
		t.Fatalf("created %+v", ep)
	}
	desc := "payments"
	up, err := acme.UpdateEndpoint(ctx, "acme", ep.ID, hookd.EndpointUpdate{Description: &desc})
	if err != nil || up.Description != desc || up.URL != ep.URL || up.TimeoutMS != 5000 {
		t.Fatalf("update: %+v %v", up, err)
	}
	g, err := acme.GetEndpoint(ctx, "acme", ep.ID)
	if err != nil || g.Description != desc {
		t.Fatalf("get: %+v %v", g, err)
	}
	grace := int64(60)
	rot, err := acme.RotateSecret(ctx, "acme", ep.ID, hookd.Rotation{GraceSeconds: &grace})
	if err != nil || !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == ep.Secret || rot.PreviousExpiresAt.Sub(rot.ActiveFrom) != time.Minute {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	dis, err := acme.DisableEndpoint(ctx, "acme", ep.ID, "maintenance")
	if err != nil || !dis.Disabled || dis.DisabledReason != "maintenance" {
		t.Fatalf("disable: %+v %v", dis, err)
	}
	en, err := acme.EnableEndpoint(ctx, "acme", ep.ID)
	if err != nil || en.Disabled || en.DisabledReason != "" {
		t.Fatalf("enable: %+v %v", en, err)
	}
	res, err := acme.TestEndpoint(ctx, "acme", ep.ID, "lean:payment.created")
	if err != nil || len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("test: %+v %v", res, err)
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the test webhook did not arrive")
	}
	// The attempt is recorded after the answer: wait for the stats to count it.
	q := hookd.StatsQuery{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour), Interval: time.Hour}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		st, err := acme.EndpointStats(ctx, "acme", ep.ID, q)
		if err != nil || len(st.Buckets) != 2 {
			t.Fatalf("stats: %+v %v", st, err)
		}
		if st.Totals.Attempts == 1 && st.Totals.Succeeded == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats never counted the test delivery: %+v", st.Totals)
		}
	}
	// An interval of no whole seconds is sent as given, for the server to
	// refuse, not cut to the seconds below it.
	odd := 90*time.Minute + 500*time.Millisecond
	if _, err := acme.EndpointStats(ctx, "acme", ep.ID, hookd.StatsQuery{Since: q.Since, Until: q.Since.Add(3 * time.Hour), Interval: odd}); client.StatusCode(err) != 400 {
		t.Fatalf("stats by %v: %v, want 400 (whole seconds)", odd, err)
	}
	if _, err := acme.EndpointStats(ctx, "acme", ep.ID, hookd.StatsQuery{Interval: time.Second}); client.StatusCode(err) != 400 {
		t.Fatalf("stats with a 1 s interval: %v, want 400", err)
	}
	n, err := acme.RecoverEndpoint(ctx, "acme", ep.ID, time.Now().Add(-time.Hour), time.Time{})
	if err != nil || n != 0 {
		t.Fatalf("recover: %d %v", n, err)
	}
	eps, err := client.Collect(acme.ListEndpoints(ctx, "acme", client.ListOptions{}))
	if err != nil || len(eps) != 1 || eps[0].ID != ep.ID {
		t.Fatalf("list: %v %v", eps, err)
	}
	if err := acme.DeleteEndpoint(ctx, "acme", ep.ID); err != nil {
		t.Fatal(err)
	}
	_, err = acme.GetEndpoint(ctx, "acme", ep.ID)
	var herr *hookd.Error
	if !errors.As(err, &herr) || herr.Code != hookd.ENOTFOUND || client.StatusCode(err) != 404 {
		t.Fatalf("deleted endpoint: %v", err)
	}
}

// TestErrorDecoded: the API's error object becomes a *hookd.Error with its
// details; the HTTP status is kept.
func TestErrorDecoded(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	_, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: "ftp://127.0.0.1/x"})
	var herr *hookd.Error
	if !errors.As(err, &herr) || herr.Code != hookd.EINVALID || !strings.Contains(herr.Message, "url") || client.StatusCode(err) != 400 {
		t.Fatalf("bad url: %#v", err)
	}
	_, err = acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: json.RawMessage(`{"id":1}`)})
	if !errors.As(err, &herr) || herr.Code != hookd.EUNPROCESSABLE || len(herr.Details) == 0 || client.StatusCode(err) != 422 {
		t.Fatalf("schema: %#v", err)
	}
	if herr.Details[0].Path == "" || herr.Details[0].Message == "" {
		t.Fatalf("details %+v", herr.Details)
	}
	_, err = client.New(acme.BaseURL(), "wrong-token").GetTenant(ctx, "acme")
	if hookd.ErrorCode(err) != hookd.EUNAUTHORIZED || client.StatusCode(err) != 401 {
		t.Fatalf("bad token: %v", err)
	}
	// A network error is no *hookd.Error and has no status.
	_, err = client.New("http://127.0.0.1:1", "t").GetTenant(ctx, "acme")
	if err == nil || errors.As(err, &herr) || client.StatusCode(err) != 0 {
		t.Fatalf("network error: %v", err)
	}
}

// TestEventsAndDeliveries: publish, batch (with a refused event), list
// and read events and deliveries (with the type filter and paging), retry.
func TestEventsAndDeliveries(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	hook, got := receiver()
	defer hook.Close()
	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	res, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment, ID: "ev-1", OrderingKey: "p1"})
	if err != nil || res.ID != "ev-1" || len(res.Deliveries) != 1 || res.IdempotencyKey == "" {
		t.Fatalf("publish: %+v %v", res, err)
	}
	batch, err := acme.PublishBatch(ctx, "acme", []client.EventCreate{
		{Type: "lean:payment.created", Payload: payment, ID: "ev-2"},
		{Type: "lean:payment.created", Payload: json.RawMessage(`{}`), ID: "ev-bad"},
		{Type: "lean:payment.created", Payload: payment, ID: "ev-3"},
	})
	if err != nil || len(batch) != 3 {
		t.Fatalf("batch: %+v %v", batch, err)
	}
	if batch[0].Err != nil || batch[0].ID != "ev-2" || batch[2].ID != "ev-3" || batch[1].Err == nil || batch[1].Err.Code != hookd.EUNPROCESSABLE {
		t.Fatalf("batch results: %+v / %+v / %+v", batch[0], batch[1], batch[2])
	}
	for range 3 {
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("webhooks did not arrive")
		}
	}
	var ids []string
	for ev, err := range acme.ListEvents(ctx, "acme", client.EventListOptions{Type: "payment.*", ListOptions: client.ListOptions{Limit: 2}}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	if !slices.Equal(ids, []string{"ev-3", "ev-2", "ev-1"}) {
		t.Fatalf("events newest first: %v", ids)
	}
	ev, err := acme.GetEvent(ctx, "acme", "ev-1")
	if err != nil || ev.OrderingKey != "p1" || len(ev.Deliveries) != 1 || ev.Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("event: %+v %v", ev, err)
	}
	var ds []*hookd.Delivery
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		ds, err = client.Collect(acme.ListDeliveries(ctx, "acme", client.DeliveryListOptions{Endpoint: ep.ID, State: hookd.StateSucceeded}))
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) == 3 {
			break
		}
	}
	if len(ds) != 3 {
		t.Fatalf("succeeded deliveries: %d, want 3", len(ds))
	}
	d, err := acme.GetDelivery(ctx, "acme", ds[0].ID)
	if err != nil || d.State != hookd.StateSucceeded || len(d.Attempts) != 1 || d.Attempts[0].Status != 204 || d.Delivery.Attempts != 1 {
		t.Fatalf("delivery: %+v %v", d, err)
	}
	r, err := acme.RetryDelivery(ctx, "acme", d.ID)
	if err != nil || r.ID != d.ID || r.State != hookd.StatePending {
		t.Fatalf("retry: %+v %v", r, err)
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the retried delivery did not arrive")
	}
	byEvent, err := client.Collect(acme.ListDeliveries(ctx, "acme", client.DeliveryListOptions{Event: "ev-2"}))
	if err != nil || len(byEvent) != 1 || byEvent[0].EventID != "ev-2" {
		t.Fatalf("deliveries of ev-2: %v %v", byEvent, err)
	}
}

// TestEventTypes: the catalog, one type, a custom type registered.
func TestEventTypes(t *testing.T) {
	admin, acme, _ := setup(t)
	ctx := context.Background()
	types, err := client.Collect(acme.ListEventTypes(ctx))
	if err != nil || len(types) < 30 {
		t.Fatalf("catalog: %d types, %v", len(types), err)
	}
	et, err := acme.GetEventType(ctx, "lean:payment.created")
	if err != nil || et.Provider != "lean" || len(et.Example) == 0 || len(et.Schema) == 0 {
		t.Fatalf("type: %+v %v", et, err)
	}
	ct, err := admin.CreateEventType(ctx, client.EventTypeCreate{Name: "invoice.paid", Description: "an invoice was paid",
		Schema: json.RawMessage(`{"type":"object","required":["invoice"]}`), Example: json.RawMessage(`{"invoice":"in_1"}`)})
	if err != nil || !ct.Custom || ct.Name != "invoice.paid" {
		t.Fatalf("custom: %+v %v", ct, err)
	}
	if _, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "invoice.paid", Payload: json.RawMessage(`{}`)}); client.StatusCode(err) != 422 {
		t.Fatalf("custom schema not applied: %v", err)
	}
	if err := acme.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if err := acme.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

// flaky is a transport in front of the real one that, for the first fail
// publishes, either sends the request and then loses the answer (lose) or
// answers 503 itself without sending it.
type flaky struct {
	fail  int32
	lose  bool
	tries atomic.Int32
}

func (f *flaky) RoundTrip(r *http.Request) (*http.Response, error) {
	if !strings.HasSuffix(r.URL.Path, "/events") && !strings.HasSuffix(r.URL.Path, "/batch") {
		return http.DefaultTransport.RoundTrip(r)
	}
	n := f.tries.Add(1)
	if n > f.fail {
		return http.DefaultTransport.RoundTrip(r)
	}
	if !f.lose {
		return &http.Response{StatusCode: 503, Header: http.Header{"Retry-After": {"1"}}, Request: r,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"unavailable","message":"busy"}}`))}, nil
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return nil, errors.New("connection reset (the answer was lost)")
}

// TestPublishRetrySafe: a publish whose answer is lost on the way back is
// retried under the same Idempotency-Key, and the server holds one event;
// a 503 is retried after its Retry-After; retries are bounded.
func TestPublishRetrySafe(t *testing.T) {
	srv := newServer(t)
	ctx := context.Background()
	admin := client.New(srv.URL, adminToken)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}

	lose := &flaky{fail: 2, lose: true}
	c := client.New(srv.URL, adminToken, client.WithHTTPClient(&http.Client{Transport: lose}), client.WithPublishRetries(3, time.Millisecond))
	res, err := c.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment})
	if err != nil {
		t.Fatal(err)
	}
	if lose.tries.Load() != 3 || !res.Duplicate {
		t.Fatalf("tries %d, duplicate %v: want 3 tries, the last answering the first publish", lose.tries.Load(), res.Duplicate)
	}
	batch, err := c.PublishBatch(ctx, "acme", []client.EventCreate{{Type: "lean:payment.created", Payload: payment}})
	if err != nil || len(batch) != 1 || batch[0].Err != nil {
		t.Fatalf("batch: %+v %v", batch, err)
	}
	evs, err := client.Collect(admin.ListEvents(ctx, "acme", client.EventListOptions{}))
	if err != nil || len(evs) != 2 {
		t.Fatalf("events: %d (%v), want 2: a lost answer must not publish twice", len(evs), err)
	}

	busy := &flaky{fail: 1}
	c = client.New(srv.URL, adminToken, client.WithHTTPClient(&http.Client{Transport: busy}), client.WithPublishRetries(1, time.Millisecond))
	start := time.Now()
	if _, err := c.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment}); err != nil {
		t.Fatal(err)
	}
	if busy.tries.Load() != 2 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("503: %d tries after %v; want 2, the second after Retry-After (1 s)", busy.tries.Load(), time.Since(start))
	}

	down := &flaky{fail: 100}
	c = client.New(srv.URL, adminToken, client.WithHTTPClient(&http.Client{Transport: down}), client.WithPublishRetries(2, time.Millisecond))
	_, err = c.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment})
	if client.StatusCode(err) != 503 || hookd.ErrorCode(err) != hookd.EUNAVAILABLE || down.tries.Load() != 3 {
		t.Fatalf("always 503: %v after %d tries; want the 503 after 3", err, down.tries.Load())
	}
	// Other requests are not retried.
	_, err = c.GetTenant(ctx, "nobody")
	if client.StatusCode(err) != 404 {
		t.Fatalf("get: %v", err)
	}
	// A refused publish (4xx) is not retried.
	bad := &flaky{}
	c = client.New(srv.URL, adminToken, client.WithHTTPClient(&http.Client{Transport: bad}))
	if _, err := c.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: json.RawMessage(`{}`)}); client.StatusCode(err) != 422 || bad.tries.Load() != 1 {
		t.Fatalf("422: %v after %d tries", err, bad.tries.Load())
	}
}

// TestIteratorStops: breaking out of a range stops fetching; an error
// ends the sequence after it is yielded.
func TestIteratorStops(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	for i := range 4 {
		if _, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment, ID: "e" + string(rune('0'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for _, err := range acme.ListEvents(ctx, "acme", client.EventListOptions{ListOptions: client.ListOptions{Limit: 1}}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("n = %d", n)
	}
	var errs int
	for _, err := range acme.ListEvents(ctx, "other", client.EventListOptions{}) {
		if client.StatusCode(err) != 404 {
			t.Fatalf("another tenant's events: %v", err)
		}
		errs++
	}
	if errs != 1 {
		t.Fatalf("%d errors yielded, want 1", errs)
	}
}

// TestTokenExpiresIn: an ExpiresIn the API's expires_in cannot carry (not
// a whole number of seconds from 1 s: 500 ms would truncate to 0, a token
// that never expires) is refused before a request is sent, and makes no
// token; one second is the shortest life.
func TestTokenExpiresIn(t *testing.T) {
	admin, acme, _ := setup(t)
	ctx := context.Background()
	count := func() int {
		toks, err := client.Collect(acme.ListTokens(ctx, "acme", client.ListOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return len(toks)
	}
	before := count()
	for _, d := range []time.Duration{time.Nanosecond, 500 * time.Millisecond, 1500 * time.Millisecond, -time.Second} {
		in := client.TokenCreate{Name: "short", ExpiresIn: d}
		if tok, err := admin.CreateToken(ctx, "acme", in); hookd.ErrorCode(err) != hookd.EINVALID || client.StatusCode(err) != 0 ||
			!strings.Contains(hookd.ErrorMessage(err), "ExpiresIn") {
			t.Errorf("CreateToken with ExpiresIn %v: %+v, %v; want an EINVALID error of the client", d, tok, err)
		}
		if tok, err := admin.CreateAdminToken(ctx, in); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("CreateAdminToken with ExpiresIn %v: %+v, %v; want EINVALID", d, tok, err)
		}
		if b, err := json.Marshal(in); err == nil {
			t.Errorf("TokenCreate{ExpiresIn: %v} marshals to %s", d, b)
		}
	}
	if n := count(); n != before {
		t.Fatalf("%d tokens after refused creates, want %d", n, before)
	}
	tok, err := admin.CreateToken(ctx, "acme", client.TokenCreate{Name: "brief", ExpiresIn: time.Second})
	if err != nil || tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt) != time.Second {
		t.Fatalf("a token for one second: %+v, %v", tok, err)
	}
}

// TestTokens: a tenant token with a name and an expiry is listed without
// its secret and refused once revoked; admin tokens likewise.
func TestTokens(t *testing.T) {
	admin, acme, _ := setup(t)
	ctx := context.Background()
	tok, err := admin.CreateToken(ctx, "acme", client.TokenCreate{Name: "ci", ExpiresIn: time.Hour})
	if err != nil || tok.ID == "" || tok.Name != "ci" || tok.ExpiresAt == nil || tok.ExpiresAt.Sub(tok.CreatedAt) != time.Hour {
		t.Fatalf("create: %+v %v", tok, err)
	}
	ci := admin.WithToken(tok.Token)
	if _, err := ci.GetTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	toks, err := client.Collect(acme.ListTokens(ctx, "acme", client.ListOptions{}))
	if err != nil || len(toks) != 2 || toks[1].ID != tok.ID || toks[1].Name != "ci" {
		t.Fatalf("list: %+v %v", toks, err)
	}
	if err := acme.DeleteToken(ctx, "acme", tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ci.GetTenant(ctx, "acme"); client.StatusCode(err) != 401 {
		t.Fatalf("revoked token: %v", err)
	}
	at, err := admin.CreateAdminToken(ctx, client.TokenCreate{Name: "ops"})
	if err != nil || !strings.HasPrefix(at.Token, "hka_") || at.TenantID != "" {
		t.Fatalf("admin token: %+v %v", at, err)
	}
	ops := admin.WithToken(at.Token)
	ats, err := client.Collect(ops.ListAdminTokens(ctx, client.ListOptions{}))
	if err != nil || len(ats) != 1 || ats[0].Name != "ops" {
		t.Fatalf("admin tokens: %+v %v", ats, err)
	}
	if err := admin.DeleteAdminToken(ctx, at.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.ListTenantsPage(ctx, client.ListOptions{}); client.StatusCode(err) != 401 {
		t.Fatalf("revoked admin token: %v", err)
	}
}
