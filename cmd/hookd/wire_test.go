package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// nodeHeader reads a header as Node.js's http module (and most Python
// frameworks) hand it to a receiver: repeated lines joined with ", ".
func nodeHeader(h http.Header, name string) string {
	return strings.Join(h.Values(name), ", ")
}

// verifyAsDocumented verifies a webhook as a receiver written from the
// provider's documents does, reading headers as Node.js does: Lean, one
// lean-signature "sha512=" + hex HMAC-SHA512(secret, body); Weavr,
// signature = base64 HMAC-SHA256(key, published-timestamp) and
// signature-v2 = base64 HMAC-SHA256(key, call-ref + body +
// published-timestamp); standard and linkmoney, the Standard Webhooks
// library (timestamps not checked: the tests run on fixed clocks).
func verifyAsDocumented(prof, secret string, h http.Header, body []byte) error {
	switch prof {
	case "lean":
		mac := hmac.New(sha512.New, []byte(secret))
		mac.Write(body)
		if got, want := nodeHeader(h, "lean-signature"), "sha512="+hex.EncodeToString(mac.Sum(nil)); got != want {
			return fmt.Errorf("lean-signature %q, want %q", got, want)
		}
	case "weavr":
		ref, ts, key := nodeHeader(h, "call-ref"), nodeHeader(h, "published-timestamp"), []byte(secret)
		if got, want := nodeHeader(h, "signature"), base64.StdEncoding.EncodeToString(macSHA256(key, ts)); got != want {
			return fmt.Errorf("signature %q, want %q", got, want)
		}
		if got, want := nodeHeader(h, "signature-v2"), base64.StdEncoding.EncodeToString(macSHA256(key, ref, string(body), ts)); got != want {
			return fmt.Errorf("signature-v2 %q, want %q", got, want)
		}
	default:
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			return err
		}
		return wh.VerifyIgnoringTimestamp(body, h)
	}
	return nil
}

// wireSecrets are a secret per profile, in each profile's format.
var wireSecrets = map[string]string{
	"lean":      "lean-webhook-secret-0123456789",
	"weavr":     "weavr-api-key-0123456789abcdef",
	"linkmoney": "whsec_" + base64.StdEncoding.EncodeToString([]byte("linkmoney-key-0123456789abcdef!")),
	"standard":  "whsec_" + base64.StdEncoding.EncodeToString([]byte("standard-key-0123456789abcdef!!")),
}

// TestEndpointTestRouteCompact: the endpoint test route sends the catalog
// example as compact JSON, as hookd trigger does, not with the catalog
// file's indentation, signed as the profile says.
func TestEndpointTestRouteCompact(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.AllowUnknownTypes = false })
	for prof, typ := range map[string]string{"lean": "lean:payment.created", "weavr": "weavr:linkedAccountWatch",
		"linkmoney": "linkmoney:payment.created", "standard": "lean:entity.created"} {
		tenant := "compact-" + prof
		tok := a.tenant(t, tenant)
		rc := newReceiver(t, nil)
		ep := a.endpoint(t, tenant, tok, map[string]any{"url": rc.URL, "profile": prof, "secret": wireSecrets[prof], "event_types": []string{"*"}})
		a.must(t, 202, "POST", "/v1/tenants/"+tenant+"/endpoints/"+ep.ID+"/test", tok, map[string]any{"type": typ}, nil)
		got := rc.wait(t, 5*time.Second)
		var compact bytes.Buffer
		if err := json.Compact(&compact, got.body); err != nil {
			t.Fatalf("%s: body is not JSON: %v: %s", prof, err, got.body)
		}
		if !bytes.Equal(compact.Bytes(), got.body) {
			t.Errorf("%s: the test route sent indented JSON:\n%s", prof, got.body)
		}
		var et catalogType
		a.must(t, 200, "GET", "/v1/event-types/"+typ, tok, nil, &et)
		compact.Reset()
		if err := json.Compact(&compact, et.Example); err != nil || compact.Len() < 10 || !bytes.Contains(got.body, compact.Bytes()) {
			t.Errorf("%s: body %s does not carry the example %s", prof, got.body, compact.Bytes())
		}
		if err := verifyAsDocumented(prof, wireSecrets[prof], got.header, got.body); err != nil {
			t.Errorf("%s: %v", prof, err)
		}
	}
}

// stepClock is a clock a test moves by hand.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signatureHeaders are the headers of a profile that carry signatures.
var signatureHeaders = map[string][]string{
	"lean":      {"lean-signature"},
	"weavr":     {"signature", "signature-v2"},
	"standard":  {"webhook-signature"},
	"linkmoney": {"webhook-signature"},
}

// rotationAnswer is the rotate-secret answer.
type rotationAnswer struct {
	Secret            string    `json:"secret"`
	ActiveFrom        time.Time `json:"active_from"`
	PreviousExpiresAt time.Time `json:"previous_expires_at"`
}

// rotationProbe publishes to one endpoint and checks what arrives.
type rotationProbe struct {
	a              *testApp
	rc             *recv
	prof, tenant   string
	tok, endpoint  string
	single         bool // the profile's receivers compare one value
	publishedCount int
}

func newRotationProbe(t *testing.T, a *testApp, prof, tenant, secret string) *rotationProbe {
	t.Helper()
	p := &rotationProbe{a: a, rc: newReceiver(t, nil), prof: prof, tenant: tenant, tok: a.tenant(t, tenant),
		single: prof == "lean" || prof == "weavr"}
	p.endpoint = a.endpoint(t, tenant, p.tok, map[string]any{"url": p.rc.URL, "profile": prof, "secret": secret, "event_types": []string{"*"}}).ID
	return p
}

func (p *rotationProbe) rotate(t *testing.T, in map[string]any) rotationAnswer {
	t.Helper()
	var out rotationAnswer
	p.a.must(t, 200, "POST", "/v1/tenants/"+p.tenant+"/endpoints/"+p.endpoint+"/rotate-secret", p.tok, in, &out)
	return out
}

// send publishes an event and checks that the webhook carries one line per
// signature header (one value too for lean and weavr), verifies for a
// receiver holding good, as written from the provider's docs and reading
// headers as Node.js does, and not for one holding only a secret of bad.
func (p *rotationProbe) send(t *testing.T, stage string, good string, bad ...string) received {
	t.Helper()
	p.publishedCount++
	p.a.must(t, 202, "POST", "/v1/tenants/"+p.tenant+"/events", p.tok,
		map[string]any{"type": "lean:results.ready", "id": fmt.Sprintf("%s-%d", p.tenant, p.publishedCount),
			"payload": map[string]any{"id": "dbd310a2-ebd9-4a0f-ae10-0f82f25f1bff"}}, nil)
	got := p.rc.wait(t, 5*time.Second)
	for _, h := range signatureHeaders[p.prof] {
		lines := got.header.Values(h)
		if len(lines) != 1 {
			t.Errorf("%s %s: %d %s lines, want 1: %q", p.prof, stage, len(lines), h, lines)
		} else if p.single && strings.ContainsAny(lines[0], ", ") {
			t.Errorf("%s %s: %s holds several values: %q", p.prof, stage, h, lines[0])
		}
	}
	if err := verifyAsDocumented(p.prof, good, got.header, got.body); err != nil {
		t.Errorf("%s %s: a receiver with the secret that should sign rejects the webhook: %v", p.prof, stage, err)
	}
	for _, b := range bad {
		if verifyAsDocumented(p.prof, b, got.header, got.body) == nil {
			t.Errorf("%s %s: secret %.12s… still signs", p.prof, stage, b)
		}
	}
	return got
}

// TestRotationOneSignatureValue: through the real engine, a Lean or Weavr
// receiver written to the provider's docs (one secret, headers joined as
// Node.js joins them) verifies every webhook before, during and after a
// secret rotation: the old secret signs alone until the switch time the
// rotation answer states, then the new one alone. The consumer may choose
// the switch time and bring it forward. Standard and linkmoney keep
// signing with both secrets, space-separated, during the grace period.
func TestRotationOneSignatureValue(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	a := startApp(t, func(c *Config) { c.clock = clock })
	probes := map[string]*rotationProbe{}
	for _, prof := range []string{"lean", "weavr", "standard", "linkmoney"} {
		probes[prof] = newRotationProbe(t, a, prof, "rot-"+prof, wireSecrets[prof])
		probes[prof].send(t, "before the rotation", wireSecrets[prof])
	}

	// Rotation with the default grace of 24 h.
	start := clock.Now()
	rot := map[string]rotationAnswer{}
	for prof, p := range probes {
		rot[prof] = p.rotate(t, nil)
		wantFrom := start.Add(24 * time.Hour)
		if !p.single {
			wantFrom = start
		}
		if r := rot[prof]; r.Secret == "" || r.Secret == wireSecrets[prof] || !r.ActiveFrom.Equal(wantFrom) ||
			!r.PreviousExpiresAt.Equal(start.Add(24*time.Hour)) {
			t.Errorf("%s: rotation answer %+v, want a new secret active from %v, the old one to %v", prof, r, wantFrom, start.Add(24*time.Hour))
		}
	}
	for _, stage := range []string{"just after the rotation", "in the grace period"} {
		for prof, p := range probes {
			if p.single {
				p.send(t, stage, wireSecrets[prof], rot[prof].Secret)
				continue
			}
			got := p.send(t, stage, wireSecrets[prof])
			if err := verifyAsDocumented(prof, rot[prof].Secret, got.header, got.body); err != nil {
				t.Errorf("%s %s: the new secret does not sign: %v", prof, stage, err)
			}
			if n := len(strings.Fields(got.header.Get("webhook-signature"))); n != 2 {
				t.Errorf("%s %s: %d webhook-signature entries, want 2 (new and old)", prof, stage, n)
			}
		}
		clock.Add(24*time.Hour - time.Second)
	}
	clock.Add(time.Second) // the switch
	for prof, p := range probes {
		p.send(t, "after the switch", rot[prof].Secret, wireSecrets[prof])
	}

	// The consumer chooses the switch time, then brings it forward once
	// its receiver has the new secret.
	for prof, p := range probes {
		if !p.single {
			continue
		}
		at := clock.Now().Add(time.Hour)
		next := p.rotate(t, map[string]any{"activate_at": at})
		if !next.ActiveFrom.Equal(at) || !next.PreviousExpiresAt.Equal(at) {
			t.Errorf("%s: rotation at %v answered %+v", prof, at, next)
		}
		p.send(t, "before the chosen switch", rot[prof].Secret, next.Secret)
		clock.Add(time.Minute)
		now := p.rotate(t, map[string]any{"secret": next.Secret, "activate_at": clock.Now()})
		if now.Secret != next.Secret || !now.ActiveFrom.Equal(clock.Now()) {
			t.Errorf("%s: bringing the switch forward answered %+v", prof, now)
		}
		p.send(t, "after the switch brought forward", next.Secret, rot[prof].Secret)
	}
	// activate_at is for profiles that sign with one secret at a time.
	p := probes["standard"]
	p.a.must(t, 400, "POST", "/v1/tenants/"+p.tenant+"/endpoints/"+p.endpoint+"/rotate-secret", p.tok,
		map[string]any{"activate_at": clock.Now().Add(time.Hour)}, nil)
}

// TestRotationProfileChange: a standard endpoint changed to lean or weavr
// during its rotation's grace period sends one signature value: the old
// secret's until the grace period ends, then the new one's.
func TestRotationProfileChange(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
	a := startApp(t, func(c *Config) { c.clock = clock })
	for _, prof := range []string{"lean", "weavr"} {
		old := wireSecrets["standard"]
		p := newRotationProbe(t, a, "standard", "change-"+prof, old)
		rot := p.rotate(t, map[string]any{"grace_seconds": 3600})
		p.send(t, "in the grace period", old)
		a.must(t, 200, "PATCH", "/v1/tenants/"+p.tenant+"/endpoints/"+p.endpoint, p.tok, map[string]any{"profile": prof}, nil)
		p.prof, p.single = prof, true
		p.send(t, "after the profile change", old, rot.Secret)
		clock.Add(time.Hour)
		p.send(t, "after the grace period", rot.Secret, old)
		clock.Add(-time.Hour)
	}
}
