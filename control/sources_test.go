package control_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receiver"
)

// The providers' requests are signed here from the providers' own recipes,
// not by hookd's profiles.

// leanRequest is a Lean webhook: lean-signature is sha512= and the hex of
// HMAC-SHA512(secret, body).
func leanRequest(secret, eventID, typ string, payload string) *hookd.IngestRequest {
	body := fmt.Sprintf(`{"type":%q,"message":"A payment was created.","payload":%s,"timestamp":"2026-01-02T15:04:05.123456Z","event_id":%q}`,
		typ, payload, eventID)
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(body))
	h := http.Header{}
	h.Set("lean-signature", "sha512="+hex.EncodeToString(m.Sum(nil)))
	h.Set("Content-Type", "application/json")
	return &hookd.IngestRequest{Header: h, Body: []byte(body), RemoteIP: net.ParseIP("127.0.0.1")}
}

// weavrRequest is a Weavr webhook: signature-v2 is the base64 of
// HMAC-SHA256(api key, call-ref + body + published-timestamp), the
// timestamp in epoch milliseconds.
func weavrRequest(key, callRef string, at time.Time, typ, payload string) *hookd.IngestRequest {
	body := fmt.Sprintf(`{"type":%q,"payload":%s}`, typ, payload)
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(callRef + body + ts))
	h := http.Header{}
	h.Set("call-ref", callRef)
	h.Set("published-timestamp", ts)
	h.Set("signature-v2", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return &hookd.IngestRequest{Header: h, Body: []byte(body), RemoteIP: net.ParseIP("127.0.0.1")}
}

// standardRequest is a Standard Webhooks request: v1, the base64 of
// HMAC-SHA256(key, id.timestamp.body), the key the base64 after whsec_.
func standardRequest(secret, id string, at time.Time, body string) *hookd.IngestRequest {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + body))
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return &hookd.IngestRequest{Header: h, Body: []byte(body), RemoteIP: net.ParseIP("127.0.0.1")}
}

// sink is a loopback receiver that keeps the requests it gets.
type sink struct {
	mu   sync.Mutex
	reqs []*hookd.IngestRequest
	srv  *httptest.Server
}

func newSink(t *testing.T) *sink {
	s := &sink{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, &hookd.IngestRequest{Header: r.Header.Clone(), Body: body})
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) count() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.reqs) }

// wait waits until the sink has n requests (generously: the machine may be
// slow) and returns them.
func (s *sink) wait(t *testing.T, n int) []*hookd.IngestRequest {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for s.count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests, want %d", s.count(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*hookd.IngestRequest(nil), s.reqs...)
}

// sourceSetup makes a tenant, a Standard Webhooks endpoint at a loopback
// sink taking every event, and a source of the profile.
func sourceSetup(t *testing.T, b *bundle, src *hookd.Source) (*hookd.Source, *hookd.Endpoint, *sink) {
	t.Helper()
	ctx := context.Background()
	if err := b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	sk := newSink(t)
	prof, all := "standard", []string{"*"}
	url := sk.srv.URL
	ep, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: &url, Profile: &prof, EventTypes: &all}, "")
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.svc.CreateSource(ctx, "acme", src)
	if err != nil {
		t.Fatal(err)
	}
	if out.Token == "" || out.Token == out.ID || len(out.Token) < 40 {
		t.Fatalf("ingest token %q: want a long random token that is not the id %q", out.Token, out.ID)
	}
	return out, ep, sk
}

func events(t *testing.T, b *bundle) []*hookd.Event {
	t.Helper()
	evs, err := b.svc.Events(context.Background(), "acme", hookd.EventQuery{Page: hookd.Page{Limit: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

const leanPaymentIn = `{"id":"0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70","amount":100,"currency":"SAR","status":"PENDING"}`

// TestSourceLeanRelayed: a Lean webhook signed with Lean's recipe is
// verified, published once (a retry of it is a duplicate) and delivered to
// the tenant's Standard Webhooks endpoint, signed with its secret.
func TestSourceLeanRelayed(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, ep, sk := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "lean-secret"}}})
	req := leanRequest("lean-secret", "3a1f0c9e-5b7d-4e2a-8c6f-1d9b0a7e4c52", "payment.created", leanPaymentIn)
	got, err := b.svc.Ingest(ctx, src.Token, req)
	if err != nil {
		t.Fatal(err)
	}
	if got.Duplicate || got.EventID != "3a1f0c9e-5b7d-4e2a-8c6f-1d9b0a7e4c52" || got.Type != "lean:payment.created" {
		t.Fatalf("ingested %+v: want event 3a1f0c9e-… of type lean:payment.created", got)
	}
	again, err := b.svc.Ingest(ctx, src.Token, leanRequest("lean-secret", "3a1f0c9e-5b7d-4e2a-8c6f-1d9b0a7e4c52", "payment.created", leanPaymentIn))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.EventID != got.EventID {
		t.Fatalf("replay: %+v, want a duplicate of %s", again, got.EventID)
	}
	evs := events(t, b)
	if len(evs) != 1 || evs[0].OrderingKey != "0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70" {
		t.Fatalf("events %+v: want one, ordered by the payment id", evs)
	}
	reqs := sk.wait(t, 1)
	v := receiver.Verifier{Profile: receiver.Standard, Secrets: []string{ep.Secrets[0].Value}}
	if err := v.Verify(reqs[0].Header, reqs[0].Body); err != nil {
		t.Fatalf("the relayed webhook does not verify with the endpoint's secret: %v", err)
	}
	var body struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Type != "payment.created" || !strings.Contains(string(body.Data), "0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70") {
		t.Fatalf("relayed body %s", reqs[0].Body)
	}
	time.Sleep(200 * time.Millisecond)
	if n := sk.count(); n != 1 {
		t.Fatalf("the receiver got %d requests, want 1 (the replay is not relayed)", n)
	}
}

// TestSourceRejections: a wrong secret, an altered body, a missing
// signature, a stale Weavr timestamp, Weavr's legacy signature alone: 401,
// an entry in the source's error log, nothing published; an unknown token:
// 404.
func TestSourceRejections(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	lean, _, sk := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "lean-secret"}}})
	weavr, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "weavr", Profile: "weavr", Secrets: []hookd.Secret{{Value: "weavr-key"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := b.clock.Now()
	altered := leanRequest("lean-secret", "e1", "payment.created", leanPaymentIn)
	altered.Body = []byte(strings.Replace(string(altered.Body), `"amount":100`, `"amount":900`, 1))
	missing := leanRequest("lean-secret", "e2", "payment.created", leanPaymentIn)
	missing.Header.Del("lean-signature")
	legacy := weavrRequest("weavr-key", "c3", now, "linkedAccountWatch", `{"id":"652d25b73541d8084a88a38d"}`)
	legacy.Header.Del("signature-v2")
	legacy.Header.Set("signature", "anything")
	for _, c := range []struct {
		name  string
		token string
		req   *hookd.IngestRequest
	}{
		{"wrong secret", lean.Token, leanRequest("other-secret", "e0", "payment.created", leanPaymentIn)},
		{"altered body", lean.Token, altered},
		{"missing header", lean.Token, missing},
		{"stale weavr timestamp", weavr.Token, weavrRequest("weavr-key", "c1", now.Add(-10*time.Minute), "linkedAccountWatch", `{"id":"x"}`)},
		{"weavr wrong key", weavr.Token, weavrRequest("other", "c2", now, "linkedAccountWatch", `{"id":"x"}`)},
		{"weavr legacy signature alone", weavr.Token, legacy},
	} {
		_, err := b.svc.Ingest(ctx, c.token, c.req)
		if hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Errorf("%s: %v, want unauthorized", c.name, err)
		}
	}
	_, err = b.svc.Ingest(ctx, "src_unknown", leanRequest("lean-secret", "e9", "payment.created", leanPaymentIn))
	code(t, err, hookd.ENOTFOUND)
	if evs := events(t, b); len(evs) != 0 {
		t.Fatalf("%d events published from refused requests", len(evs))
	}
	log, err := b.svc.SourceErrors(ctx, "acme", lean.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 3 || !strings.Contains(log[0].Reason, "lean-signature") || log[0].Body == "" {
		t.Fatalf("lean error log %+v: want 3 entries with reasons and bodies", log)
	}
	wlog, err := b.svc.SourceErrors(ctx, "acme", weavr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(wlog) != 3 || !strings.Contains(wlog[2].Reason, "timestamp") {
		t.Fatalf("weavr error log %+v: want 3 entries, the oldest about the timestamp", wlog)
	}
	time.Sleep(100 * time.Millisecond)
	if sk.count() != 0 {
		t.Fatalf("a refused request was relayed")
	}
}

// TestSourceRotation: after a rotation the old and the new secret are
// both accepted during the grace period, only the new one after; a
// rotated token keeps the old URL working for the grace period too.
func TestSourceRotation(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "weavr", Profile: "weavr", Secrets: []hookd.Secret{{Value: "old-key"}}})
	// A grace beyond the bound is refused, also one whose seconds would
	// wrap round as a time.Duration, and nothing changes.
	for _, g := range []int64{-1, 30*24*3600 + 1, math.MaxInt64, math.MaxInt64 / 1000} {
		_, err := b.svc.RotateSource(ctx, "acme", src.ID, &hookd.SourceRotation{Secret: "new-key", GraceSeconds: &g, Token: true})
		code(t, err, hookd.EINVALID)
	}
	if _, err := b.svc.Ingest(ctx, src.Token, weavrRequest("old-key", "before", b.clock.Now(), "linkedAccountWatch", `{"id":"652d25b73541d8084a88a38c"}`)); err != nil {
		t.Fatalf("after refused rotations, the old token and key: %v", err)
	}
	grace := int64(3600)
	rot, err := b.svc.RotateSource(ctx, "acme", src.ID, &hookd.SourceRotation{Secret: "new-key", GraceSeconds: &grace, Token: true})
	if err != nil {
		t.Fatal(err)
	}
	if rot.Token == "" || rot.Token == src.Token || rot.SecretCount != 2 {
		t.Fatalf("rotated %+v: want a new token and two secrets", rot)
	}
	pay := `{"id":"652d25b73541d8084a88a38d"}`
	for i, c := range []struct{ key, token string }{{"old-key", src.Token}, {"new-key", src.Token}, {"old-key", rot.Token}, {"new-key", rot.Token}} {
		if _, err := b.svc.Ingest(ctx, c.token, weavrRequest(c.key, fmt.Sprint("during-", i), b.clock.Now(), "linkedAccountWatch", pay)); err != nil {
			t.Fatalf("during the grace period, %s: %v", c.key, err)
		}
	}
	b.clock.mu.Lock()
	b.clock.t = b.clock.t.Add(time.Hour + time.Second)
	b.clock.mu.Unlock()
	_, err = b.svc.Ingest(ctx, rot.Token, weavrRequest("old-key", "after-1", b.clock.Now(), "linkedAccountWatch", pay))
	code(t, err, hookd.EUNAUTHORIZED)
	_, err = b.svc.Ingest(ctx, src.Token, weavrRequest("new-key", "after-2", b.clock.Now(), "linkedAccountWatch", pay))
	code(t, err, hookd.ENOTFOUND)
	if _, err := b.svc.Ingest(ctx, rot.Token, weavrRequest("new-key", "after-3", b.clock.Now(), "linkedAccountWatch", pay)); err != nil {
		t.Fatalf("after the grace period, the new key: %v", err)
	}
	if evs := events(t, b); len(evs) != 6 {
		t.Fatalf("%d events, want 6", len(evs))
	}
}

// TestSourceStandardAndLinkMoney: a Standard Webhooks source checks its
// 5-minute tolerance; a Link Money source, which signs nothing, checks
// its basic auth and allow-list, and its body's id deduplicates.
func TestSourceStandardAndLinkMoney(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	std, _, sk := sourceSetup(t, b, &hookd.Source{Name: "std", Profile: "standard", Secrets: []hookd.Secret{{Value: secret}}})
	body := `{"type":"invoice.paid","timestamp":"2026-01-02T15:04:05Z","data":{"id":"inv_1"}}`
	now := b.clock.Now()
	if _, err := b.svc.Ingest(ctx, std.Token, standardRequest(secret, "msg_1", now.Add(-6*time.Minute), body)); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
		t.Fatalf("a 6-minute-old timestamp: %v, want unauthorized", err)
	}
	got, err := b.svc.Ingest(ctx, std.Token, standardRequest(secret, "msg_1", now.Add(-4*time.Minute), body))
	if err != nil {
		t.Fatal(err)
	}
	if got.Invalid == "" {
		t.Fatalf("an unknown type is accepted and flagged: %+v", got)
	}
	if _, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "bad", Profile: "standard", Secrets: []hookd.Secret{{Value: "whsec_!!"}}}); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("a secret that is not base64: %v, want invalid", err)
	}

	lm, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "link", Profile: "linkmoney",
		BasicAuth: &hookd.BasicAuth{Username: "link", Password: "pw"}, AllowIPs: []string{"127.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	lmBody := `{"id":"9b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d","creationTime":"2026-01-02T15:04:05.123Z","eventType":"customer.created","metadata":{"resourceId":"7f4c6a52-1e0b-4b7d-9a36-5d2f8c9e0b14","resourceType":"customer"}}`
	mk := func(user, pass, ip string) *hookd.IngestRequest {
		r := &http.Request{Header: http.Header{}}
		r.SetBasicAuth(user, pass)
		return &hookd.IngestRequest{Header: r.Header, Body: []byte(lmBody), RemoteIP: net.ParseIP(ip)}
	}
	if _, err := b.svc.Ingest(ctx, lm.Token, mk("link", "wrong", "127.0.0.1")); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := b.svc.Ingest(ctx, lm.Token, mk("link", "pw", "10.1.2.3")); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
		t.Fatalf("an address outside the allow-list: %v", err)
	}
	for i := 0; i < 2; i++ {
		got, err := b.svc.Ingest(ctx, lm.Token, mk("link", "pw", "127.0.0.1"))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != "customer.created" || got.Duplicate != (i == 1) || got.Invalid != "" {
			t.Fatalf("link money, request %d: %+v", i, got)
		}
	}
	if evs := events(t, b); len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	sk.wait(t, 2)
}

// TestSourceCRUD: create refuses bad input naming the field; reads never
// show secrets; delete makes the URL unknown.
func TestSourceCRUD(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "s"}}})
	for _, bad := range []*hookd.Source{
		{Name: "", Profile: "lean", Secrets: []hookd.Secret{{Value: "s"}}},
		{Name: "x", Profile: "stripe", Secrets: []hookd.Secret{{Value: "s"}}},
		{Name: "x", Profile: "lean"},
		{Name: "x", Profile: "linkmoney", AllowIPs: []string{"nope"}},
	} {
		if _, err := b.svc.CreateSource(ctx, "acme", bad); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("%+v: %v, want invalid", bad, err)
		}
	}
	got, err := b.svc.Source(ctx, "acme", src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Token != "" || got.SecretCount != 1 || got.ToleranceSeconds != 300 {
		t.Fatalf("read %+v (want the default tolerance, 300, not 0)", got)
	}
	tol := 60
	if up, err := b.svc.UpdateSource(ctx, "acme", src.ID, &hookd.SourceUpdate{ToleranceSeconds: &tol}); err != nil || up.ToleranceSeconds != 60 {
		t.Fatalf("update tolerance: %+v %v", up, err)
	}
	tol = 0
	if up, err := b.svc.UpdateSource(ctx, "acme", src.ID, &hookd.SourceUpdate{ToleranceSeconds: &tol}); err != nil || up.ToleranceSeconds != 300 {
		t.Fatalf("update tolerance to the default: %+v %v", up, err)
	}
	name := "renamed"
	if up, err := b.svc.UpdateSource(ctx, "acme", src.ID, &hookd.SourceUpdate{Name: &name}); err != nil || up.Name != "renamed" {
		t.Fatalf("update: %+v %v", up, err)
	}
	list, err := b.svc.Sources(ctx, "acme", hookd.Page{})
	if err != nil || len(list) != 1 {
		t.Fatalf("list: %d %v", len(list), err)
	}
	if err := b.svc.DeleteSource(ctx, "acme", src.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Ingest(ctx, src.Token, leanRequest("s", "e", "payment.created", leanPaymentIn))
	code(t, err, hookd.ENOTFOUND)
}

// TestSourceOperationalTypeName: a provider's webhook that names one of
// hookd's operational types is taken as an unknown type of that provider
// (qualified, flagged invalid), whatever the catalog lists: it never
// becomes hookd's own event.
func TestSourceOperationalTypeName(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "lean", Profile: "lean", Secrets: []hookd.Secret{{Value: "lean-secret"}}})
	got, err := b.svc.Ingest(ctx, src.Token, leanRequest("lean-secret", "e-op", hookd.EndpointDisabled, leanPaymentIn))
	if err != nil {
		t.Fatal(err)
	}
	if got.Type != "lean:"+hookd.EndpointDisabled || !strings.Contains(got.Invalid, "unknown event type") {
		t.Fatalf("ingested %+v: want type lean:%s, flagged as an unknown type", got, hookd.EndpointDisabled)
	}
}
