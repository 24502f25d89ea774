package client_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// postLean sends a Lean webhook, signed with Lean's recipe, to an ingest
// URL with the client's Ingest and returns the status.
func postLean(t *testing.T, c *client.Client, ingest, secret, body string) int {
	t.Helper()
	m := hmac.New(sha512.New, []byte(secret))
	m.Write([]byte(body))
	in, err := c.Ingest(context.Background(), ingest, http.Header{"lean-signature": {"sha512=" + hex.EncodeToString(m.Sum(nil))}}, []byte(body))
	if err != nil {
		if client.StatusCode(err) == 0 {
			t.Fatal(err)
		}
		return client.StatusCode(err)
	}
	if in.EventID == "" || in.Type != "lean:payment.created" {
		t.Fatalf("ingested %+v", in)
	}
	return http.StatusOK
}

func TestSourceRoutes(t *testing.T) {
	_, acme, srv := setup(t)
	ctx := context.Background()
	src, err := acme.CreateSource(ctx, "acme", client.SourceCreate{Name: "lean", Profile: "lean", Secrets: []string{"lean-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(src.IngestURL, srv.URL+"/ingest/") || strings.Contains(src.IngestURL, src.ID) || src.SecretCount != 1 {
		t.Fatalf("created %+v", src)
	}
	body := `{"type":"payment.created","message":"m","payload":{"id":"p1","amount":1},"timestamp":"2026-01-02T15:04:05Z","event_id":"ev-1"}`
	if st := postLean(t, acme, src.IngestURL, "lean-secret", body); st != http.StatusOK {
		t.Fatalf("ingest: %d", st)
	}
	if st := postLean(t, acme, src.IngestURL, "wrong", body); st != http.StatusUnauthorized {
		t.Fatalf("ingest with a wrong secret: %d", st)
	}
	if st := postLean(t, acme, "src_nope", "lean-secret", body); st != http.StatusNotFound {
		t.Fatalf("ingest at an unknown token: %d", st)
	}
	// The request as received, with the event it became, which links to it;
	// a replay adds no request, it counts.
	if st := postLean(t, acme, src.IngestURL, "lean-secret", body); st != http.StatusOK {
		t.Fatalf("replay: %d", st)
	}
	var reqs []*hookd.SourceRequest
	for r, err := range acme.ListSourceRequests(ctx, "acme", src.ID, client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	if len(reqs) != 1 || string(reqs[0].Body) != body || reqs[0].Header.Get("Lean-Signature") == "" ||
		reqs[0].Verdict == "" || reqs[0].Duplicates != 1 || reqs[0].RemoteAddr != "127.0.0.1" {
		t.Fatalf("requests: %+v", reqs)
	}
	ev, err := acme.GetEvent(ctx, "acme", reqs[0].EventID)
	if err != nil || ev.Source == nil || ev.Source.SourceID != src.ID || ev.Source.RequestID != reqs[0].ID {
		t.Fatalf("the event of the request: %+v %v", ev, err)
	}
	one, err := acme.GetSourceRequest(ctx, "acme", src.ID, reqs[0].ID)
	if err != nil || one.ID != reqs[0].ID || string(one.Body) != body {
		t.Fatalf("get request: %+v %v", one, err)
	}
	errs, err := acme.SourceErrors(ctx, "acme", src.ID)
	if err != nil || len(errs) != 1 || !strings.Contains(errs[0].Reason, "lean-signature") {
		t.Fatalf("errors: %+v %v", errs, err)
	}
	name := "lean prod"
	up, err := acme.UpdateSource(ctx, "acme", src.ID, hookd.SourceUpdate{Name: &name})
	if err != nil || up.Name != name {
		t.Fatalf("update: %+v %v", up, err)
	}
	g, err := acme.GetSource(ctx, "acme", src.ID)
	if err != nil || g.Name != name || g.IngestURL != "" {
		t.Fatalf("get: %+v %v", g, err)
	}
	rot, err := acme.RotateSource(ctx, "acme", src.ID, hookd.SourceRotation{Secret: "new-secret", Token: true})
	if err != nil || rot.SecretCount != 2 || rot.IngestURL == "" || rot.IngestURL == src.IngestURL {
		t.Fatalf("rotate: %+v %v", rot, err)
	}
	body2 := strings.Replace(body, "ev-1", "ev-2", 1)
	if st := postLean(t, acme, rot.IngestURL, "new-secret", body2); st != http.StatusOK {
		t.Fatalf("ingest after rotation: %d", st)
	}
	n := 0
	for s, err := range acme.ListSources(ctx, "acme", client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == src.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("listed %d times", n)
	}
	if err := acme.DeleteSource(ctx, "acme", src.ID); err != nil {
		t.Fatal(err)
	}
	if st := postLean(t, acme, rot.IngestURL, "new-secret", body2); st != http.StatusNotFound {
		t.Fatalf("ingest after delete: %d", st)
	}
}

// TestSourceHMACRoutes: an hmac source's scheme goes through create, get
// and update as the OpenAPI document says (the contract check holds each
// exchange to it), and a Stripe-style webhook signed here verifies.
func TestSourceHMACRoutes(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	scheme := &hookd.HMACScheme{Header: "Stripe-Signature", Prefix: "v1=", SignedContent: "{timestamp}.{body}",
		TimestampHeader: "Stripe-Signature", TimestampPrefix: "t=", TimestampFormat: "unix", IDPath: "id", TypePath: "type", TypePrefix: "stripe."}
	src, err := acme.CreateSource(ctx, "acme", client.SourceCreate{Name: "stripe", Profile: "hmac", Secrets: []string{"whsec_abc"}, HMAC: scheme})
	if err != nil {
		t.Fatal(err)
	}
	if src.HMAC == nil || *src.HMAC != *scheme {
		t.Fatalf("created %+v", src.HMAC)
	}
	body := `{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte("whsec_abc"))
	m.Write([]byte(ts + "." + body))
	req, _ := http.NewRequest(http.MethodPost, src.IngestURL, strings.NewReader(body))
	req.Header.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	changed := *scheme
	changed.Algorithm, changed.Encoding = "sha512", "base64"
	up, err := acme.UpdateSource(ctx, "acme", src.ID, hookd.SourceUpdate{HMAC: &changed})
	if err != nil || *up.HMAC != changed {
		t.Fatalf("update: %+v %v", up, err)
	}
	if _, err := acme.CreateSource(ctx, "acme", client.SourceCreate{Name: "x", Profile: "hmac", Secrets: []string{"s"},
		HMAC: &hookd.HMACScheme{Header: "X", Algorithm: "md5"}}); err == nil || !strings.Contains(err.Error(), "hmac.algorithm") {
		t.Fatalf("md5: %v, want refused naming hmac.algorithm", err)
	}
}
