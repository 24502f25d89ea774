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
