package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The providers' requests here are signed, and hookd's relayed requests
// verified, by code written in the test from the providers' recipes.

// leanSign is Lean's recipe: sha512= and the lowercase hex of
// HMAC-SHA512(secret, body).
func leanSign(secret string, body []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(body)
	return "sha512=" + hex.EncodeToString(m.Sum(nil))
}

// weavrSign is Weavr's signature-v2: the base64 of HMAC-SHA256(api key,
// call-ref + body + published-timestamp).
func weavrSign(key, callRef string, body []byte, ts string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(callRef))
	m.Write(body)
	m.Write([]byte(ts))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// postIngest sends body to an ingest URL with the headers and returns the
// status.
func postIngest(t *testing.T, url string, body []byte, hdr http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = hdr.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func leanWebhook(eventID string) []byte {
	return []byte(`{"type":"payment.created","message":"A payment was created.","payload":{"id":"0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70","amount":100,"currency":"SAR","status":"PENDING"},"timestamp":"2026-01-02T15:04:05.123456Z","event_id":"` + eventID + `"}`)
}

type sourceResp struct {
	ID        string `json:"id"`
	IngestURL string `json:"ingest_url"`
}

func (a *testApp) source(t *testing.T, tenant, tok string, body map[string]any) sourceResp {
	t.Helper()
	var src sourceResp
	a.must(t, http.StatusCreated, http.MethodPost, "/v1/tenants/"+tenant+"/sources", tok, body, &src)
	return src
}

// TestIngestResignedInProviderFormat: a Lean webhook received by a Lean
// source reaches a lean endpoint in Lean's wire format signed with that
// endpoint's own secret, and a standard endpoint as Standard Webhooks; a
// Weavr webhook likewise reaches a weavr endpoint signed in Weavr's
// format with its own key. The payload is the provider's, byte for byte.
func TestIngestResignedInProviderFormat(t *testing.T) {
	a := startApp(t, nil)
	for _, tc := range []struct {
		provider string
		secret   string
		request  func(url string) int
		payload  string
		verify   func(t *testing.T, secret string, r received)
	}{
		{provider: "lean", secret: "lean-webhook-secret",
			payload: `{"id":"0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70","amount":100,"currency":"SAR","status":"PENDING"}`,
			request: func(url string) int {
				body := leanWebhook("7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f")
				return postIngest(t, url, body, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", body)}})
			},
			verify: func(t *testing.T, secret string, r received) {
				if got, want := r.header.Get("lean-signature"), leanSign(secret, r.body); got != want {
					t.Errorf("lean-signature %q, want %q (HMAC-SHA512 with the endpoint's secret)", got, want)
				}
				var b struct {
					Type    string `json:"type"`
					EventID string `json:"event_id"`
				}
				if err := json.Unmarshal(r.body, &b); err != nil || b.Type != "payment.created" || b.EventID != "7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f" {
					t.Errorf("lean body %s: %v", r.body, err)
				}
			}},
		{provider: "weavr", secret: "weavr-api-key-0123456789",
			payload: `{"id":"652d25b73541d8084a88a38d","status":"LINKED"}`,
			request: func(url string) int {
				body := []byte(`{"type":"linkedAccountWatch","payload":{"id":"652d25b73541d8084a88a38d","status":"LINKED"}}`)
				ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
				return postIngest(t, url, body, http.Header{"Call-Ref": {"call-ref-1"}, "Published-Timestamp": {ts},
					"Signature-V2": {weavrSign("weavr-api-key-0123456789", "call-ref-1", body, ts)}})
			},
			verify: func(t *testing.T, secret string, r received) {
				ts, ref := r.header.Get("published-timestamp"), r.header.Get("call-ref")
				if ts == "" || ref == "" {
					t.Fatalf("weavr headers %v", r.header)
				}
				if got, want := r.header.Get("signature-v2"), weavrSign(secret, ref, r.body, ts); got != want {
					t.Errorf("signature-v2 %q, want %q (HMAC-SHA256 with the endpoint's key)", got, want)
				}
				var b struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal(r.body, &b); err != nil || b.Type != "linkedAccountWatch" {
					t.Errorf("weavr body %s: %v", r.body, err)
				}
			}},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			tenant := "acme-" + tc.provider
			tok := a.tenant(t, tenant)
			own, std := newReceiver(t, nil), newReceiver(t, nil)
			ownEp := a.endpoint(t, tenant, tok, map[string]any{"url": own.URL, "profile": tc.provider, "event_types": []string{"*"}})
			stdEp := a.endpoint(t, tenant, tok, map[string]any{"url": std.URL, "profile": "standard", "event_types": []string{"*"}})
			if ownEp.Secret == "" || ownEp.Secret == tc.secret {
				t.Fatalf("the %s endpoint's secret %q: want its own", tc.provider, ownEp.Secret)
			}
			src := a.source(t, tenant, tok, map[string]any{"name": tc.provider, "profile": tc.provider, "secrets": []string{tc.secret}})
			if st := tc.request(src.IngestURL); st != http.StatusOK {
				t.Fatalf("ingest: %d", st)
			}
			r := own.wait(t, 30*time.Second)
			tc.verify(t, ownEp.Secret, r)
			if !bytes.Contains(r.body, []byte(`"payload":`+tc.payload)) {
				t.Errorf("the %s body does not carry the provider's payload byte for byte: %s", tc.provider, r.body)
			}
			s := std.wait(t, 30*time.Second)
			wh, err := standardwebhooks.NewWebhook(stdEp.Secret)
			if err != nil {
				t.Fatal(err)
			}
			if err := wh.Verify(s.body, s.header); err != nil {
				t.Fatalf("the standard endpoint's request does not verify as Standard Webhooks: %v", err)
			}
			if !bytes.Contains(s.body, []byte(tc.payload)) {
				t.Errorf("the standard body does not carry the provider's payload: %s", s.body)
			}
		})
	}
}

// TestIngestNotRateLimited: with a publish rate of 1 event a second, a
// provider's burst of webhooks is answered 200 every one (the limit is on:
// publishes one after another are refused with 429); a body over --max-body
// is refused with 413 and stores nothing.
func TestIngestNotRateLimited(t *testing.T) {
	a := startApp(t, func(c *Config) { c.PublishRate = 1; c.MaxBody = 8 << 10 })
	tok := a.tenant(t, "acme")
	src := a.source(t, "acme", tok, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{"lean-webhook-secret"}})
	const burst = 40
	var wg sync.WaitGroup
	statuses := make([]int, burst)
	for i := range burst {
		wg.Go(func() {
			body := leanWebhook(fmt.Sprintf("7d3e2c1b-0a9f-4e8d-b7c6-%012d", i))
			statuses[i] = postIngest(t, src.IngestURL, body, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", body)}})
		})
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK {
			t.Fatalf("webhook %d of the burst: %d, want 200", i, st)
		}
	}
	// The limit is on: publishes one after another meet a 429 (the
	// first of a second passes).
	published := 0
	for i := 0; ; i++ {
		st := call(t, http.MethodPost, a.url+"/v1/tenants/acme/events", tok, map[string]any{"type": "acme.thing", "payload": map[string]any{"id": i}}, nil)
		if st == http.StatusTooManyRequests {
			break
		}
		if st != http.StatusAccepted || i == 1000 {
			t.Fatalf("publish %d at a rate of 1/s: %d, want 202 then 429", i, st)
		}
		published++
	}
	big := []byte(`{"type":"payment.created","payload":{"id":"x","note":"` + strings.Repeat("a", 9<<10) + `"},"event_id":"big"}`)
	if st := postIngest(t, src.IngestURL, big, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", big)}}); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over --max-body: %d, want 413", st)
	}
	var page struct {
		Data []struct {
			EventID string `json:"event_id"`
		} `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/sources/"+src.ID+"/requests?limit=1000", tok, nil, &page)
	if len(page.Data) != burst {
		t.Fatalf("%d requests stored, want the burst's %d", len(page.Data), burst)
	}
	var evs struct {
		Data []struct{ ID string } `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/events?limit=1000", tok, nil, &evs)
	if len(evs.Data) != burst+published {
		t.Fatalf("%d events, want %d", len(evs.Data), burst+published)
	}
}

// TestIngestOversizeCounted: a body over --max-body sent to a source's
// URL is answered 413 and counted as the source's refused request
// (hookd_ingest_requests_total{profile,result="rejected"}), as a bad
// signature is, and logged in the source's errors; one sent to a URL no
// source has is answered 404 and counted as not_found.
func TestIngestOversizeCounted(t *testing.T) {
	a := startApp(t, func(c *Config) { c.MaxBody = 8 << 10 })
	tok := a.tenant(t, "acme")
	src := a.source(t, "acme", tok, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{"lean-webhook-secret"}})
	rejected := func() float64 {
		return a.scrape(t).value("hookd_ingest_requests_total", "profile=lean", "result=rejected")
	}
	if n := rejected(); n > 0 {
		t.Fatalf("%v rejected requests before any was sent", n)
	}
	big := []byte(`{"type":"payment.created","payload":{"id":"x","note":"` + strings.Repeat("a", 9<<10) + `"},"event_id":"big"}`)
	if st := postIngest(t, src.IngestURL, big, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", big)}}); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("a body over --max-body: %d, want 413", st)
	}
	if n := rejected(); n != 1 {
		t.Fatalf(`hookd_ingest_requests_total{profile="lean",result="rejected"} = %v after an oversize body, want 1`, n)
	}
	var errs struct {
		Data []struct {
			Reason      string `json:"reason"`
			BodyExcerpt string `json:"body_excerpt"`
		} `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/sources/"+src.ID+"/errors", tok, nil, &errs)
	if len(errs.Data) != 1 || !strings.Contains(errs.Data[0].Reason, "larger than 8192 bytes") ||
		!strings.HasPrefix(errs.Data[0].BodyExcerpt, `{"type":"payment.created"`) {
		t.Fatalf("source errors after an oversize body: %+v", errs)
	}

	unknown := strings.TrimSuffix(src.IngestURL, src.IngestURL[strings.LastIndex(src.IngestURL, "/")+1:]) + "nosuchtoken"
	if st := postIngest(t, unknown, big, http.Header{}); st != http.StatusNotFound {
		t.Fatalf("an oversize body to an unknown token: %d, want 404", st)
	}
	if n := a.scrape(t).value("hookd_ingest_requests_total", "profile=unknown", "result=not_found"); n != 1 {
		t.Fatalf(`hookd_ingest_requests_total{profile="unknown",result="not_found"} = %v, want 1`, n)
	}
	var evs struct {
		Data []struct{ ID string } `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/events", tok, nil, &evs)
	if len(evs.Data) != 0 {
		t.Fatalf("%d events after refused webhooks, want none", len(evs.Data))
	}
}

// TestIngestKeepsWhatWasSigned: a provider's body with bytes that are not
// UTF-8 is taken as signed (ingest verifies and keeps the raw bytes; only
// the API's own request bodies must be UTF-8), and shown as body_base64.
func TestIngestKeepsWhatWasSigned(t *testing.T) {
	a := startApp(t, nil)
	tok := a.tenant(t, "acme")
	src := a.source(t, "acme", tok, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{"lean-webhook-secret"}})
	body := []byte(strings.Replace(string(leanWebhook("5c1d2e3f-0a9b-4c8d-8e7f-6a5b4c3d2e1f")), `"SAR"`, `"SA`+"\xff"+`"`, 1))
	if st := postIngest(t, src.IngestURL, body, http.Header{"Lean-Signature": {leanSign("lean-webhook-secret", body)}}); st != http.StatusOK {
		t.Fatalf("a signed body with a byte that is not UTF-8: %d, want 200", st)
	}
	var reqs struct {
		Data []struct {
			Body       *string `json:"body"`
			BodyBase64 []byte  `json:"body_base64"`
		} `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/sources/"+src.ID+"/requests", tok, nil, &reqs)
	if len(reqs.Data) != 1 || reqs.Data[0].Body != nil || !bytes.Equal(reqs.Data[0].BodyBase64, body) {
		t.Fatalf("the request as stored: %+v", reqs.Data)
	}
}

// TestIngestSvixHeaders: a Svix sender whose headers are not white-labeled
// sends svix-id, svix-timestamp and svix-signature (the Standard Webhooks
// scheme under Svix's names; signed here by hand from Svix's recipe). A
// source of profile standard, where the README sends such a sender,
// accepts it as the event svix-id names, and its retry, re-signed at
// another time, is a duplicate; an altered body is refused with 401 and
// stores nothing.
func TestIngestSvixHeaders(t *testing.T) {
	a := startApp(t, nil)
	tok := a.tenant(t, "acme")
	key := []byte("svix-sender-signing-key-32-bytes")
	src := a.source(t, "acme", tok, map[string]any{"name": "svix", "profile": "standard",
		"secrets": []string{"whsec_" + base64.StdEncoding.EncodeToString(key)}})
	body := []byte(`{"type":"user.created","timestamp":"2026-01-02T15:04:05.123456Z","data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC"}}`)
	svixHeaders := func(id string, at time.Time, body []byte) http.Header {
		ts := strconv.FormatInt(at.Unix(), 10)
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + ts + "."))
		m.Write(body)
		return http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {"v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))}}
	}
	const id = "msg_2aLBr3cN8xZz1qeP"
	if st := postIngest(t, src.IngestURL, body, svixHeaders(id, time.Now(), body)); st != http.StatusOK {
		t.Fatalf("a Svix sender's webhook: %d, want 200", st)
	}
	if st := postIngest(t, src.IngestURL, body, svixHeaders(id, time.Now().Add(time.Second), body)); st != http.StatusOK {
		t.Fatalf("its retry: %d, want 200", st)
	}
	altered := svixHeaders("msg_other", time.Now(), body)
	if st := postIngest(t, src.IngestURL, append(bytes.Clone(body), ' '), altered); st != http.StatusUnauthorized {
		t.Fatalf("an altered body: %d, want 401", st)
	}
	var evs struct {
		Data []struct{ ID string } `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/events", tok, nil, &evs)
	if len(evs.Data) != 1 || evs.Data[0].ID != id {
		t.Fatalf("events %+v, want one, %s", evs.Data, id)
	}
	var reqs struct {
		Data []struct {
			Duplicates int `json:"duplicates"`
		} `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/sources/"+src.ID+"/requests", tok, nil, &reqs)
	if len(reqs.Data) != 1 || reqs.Data[0].Duplicates != 1 {
		t.Fatalf("requests %+v, want one with one duplicate", reqs.Data)
	}
}

// TestIngestV1a: a standard source whose secret is a Standard Webhooks
// v1a public key (whpk_) takes webhooks signed with its private key
// (v1a,<base64 ed25519 of id.timestamp.body>), computed here from the
// specification, and refuses one whose body was altered.
func TestIngestV1a(t *testing.T) {
	a := startApp(t, nil)
	tok := a.tenant(t, "acme")
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	src := a.source(t, "acme", tok, map[string]any{"name": "v1a", "profile": "standard",
		"secrets": []string{"whpk_" + base64.StdEncoding.EncodeToString(pub)}})
	body := []byte(`{"type":"user.created","timestamp":"2026-01-02T15:04:05.123456Z","data":{"id":"u_1"}}`)
	signed := func(id string, body []byte) http.Header {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		sig := ed25519.Sign(priv, append([]byte(id+"."+ts+"."), body...))
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {ts}, "Webhook-Signature": {"v1a," + base64.StdEncoding.EncodeToString(sig)}}
	}
	if st := postIngest(t, src.IngestURL, body, signed("msg_v1a_1", body)); st != http.StatusOK {
		t.Fatalf("a v1a webhook: %d, want 200", st)
	}
	h := signed("msg_v1a_2", body)
	if st := postIngest(t, src.IngestURL, append(bytes.Clone(body), ' '), h); st != http.StatusUnauthorized {
		t.Fatalf("an altered body: %d, want 401", st)
	}
	var evs struct {
		Data []struct{ ID string } `json:"data"`
	}
	a.must(t, http.StatusOK, http.MethodGet, "/v1/tenants/acme/events", tok, nil, &evs)
	if len(evs.Data) != 1 || evs.Data[0].ID != "msg_v1a_1" {
		t.Fatalf("events %+v, want one, msg_v1a_1", evs.Data)
	}
}
