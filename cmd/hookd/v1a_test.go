package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// verifyV1a checks webhook-signature against whpk_ public keys with
// crypto/ed25519 alone, by the recipe of the spec: the base64 ed25519
// signature of "id.timestamp.body". It returns, per key, whether one
// "v1a," entry verified.
func verifyV1a(t *testing.T, h http.Header, body []byte, pubs ...string) []bool {
	t.Helper()
	signed := []byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "." + string(body))
	out := make([]bool, len(pubs))
	for i, p := range pubs {
		raw, ok := strings.CutPrefix(p, "whpk_")
		key, err := base64.StdEncoding.DecodeString(raw)
		if !ok || err != nil || len(key) != ed25519.PublicKeySize {
			t.Fatalf("public key %q is not whpk_ and 32 bytes in base64", p)
		}
		for _, entry := range strings.Fields(h.Get("webhook-signature")) {
			b64, ok := strings.CutPrefix(entry, "v1a,")
			sig, err := base64.StdEncoding.DecodeString(b64)
			if ok && err == nil && ed25519.Verify(key, signed, sig) {
				out[i] = true
			}
		}
	}
	return out
}

// TestV1aEndToEnd: a standard or linkmoney endpoint made with "signature":
// "v1a" gets a key pair; the answer shows its public key, never the
// private one; deliveries verify with the public key; a rotation answers
// the new public key and signs with both keys during the grace period;
// hookd listen --public-key verifies them.
func TestV1aEndToEnd(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "v1a")
	ctx := context.Background()
	for _, prof := range []string{"standard", "linkmoney"} {
		rc := newReceiver(t, nil)
		var created map[string]any
		a.must(t, 201, "POST", "/v1/tenants/v1a/endpoints", tok, map[string]any{"url": rc.URL, "profile": prof,
			"signature": "v1a", "event_types": []string{"*"}}, &created)
		pub, _ := created["public_key"].(string)
		if _, has := created["secret"]; has || !strings.HasPrefix(pub, "whpk_") || created["signature"] != "v1a" {
			t.Fatalf("%s: create answered %v: want public_key, signature v1a and no secret", prof, created)
		}
		id := created["id"].(string)
		got, err := a.api(tok).GetEndpoint(ctx, "v1a", id)
		if err != nil || got.PublicKey != pub || got.Signature != hookd.SignatureV1a {
			t.Fatalf("%s: read %+v, %v: want the same public key", prof, got, err)
		}
		for _, path := range []string{"/v1/tenants/v1a/endpoints/" + id, "/v1/tenants/v1a/endpoints"} {
			var raw json.RawMessage
			a.must(t, 200, "GET", path, tok, nil, &raw)
			if bytes.Contains(raw, []byte("whsk_")) || !bytes.Contains(raw, []byte(pub)) {
				t.Fatalf("%s: GET %s shows %s: want the public key and never the private one", prof, path, raw)
			}
		}

		publish := func(n int) received {
			t.Helper()
			if _, err := a.api(tok).Publish(ctx, "v1a", client.EventCreate{Type: "order.created",
				Payload: json.RawMessage(fmt.Sprintf(`{"n":%d}`, n))}); err != nil {
				t.Fatal(err)
			}
			return rc.wait(t, 10*time.Second)
		}
		first := publish(1)
		if ok := verifyV1a(t, first.header, first.body, pub); !ok[0] {
			t.Fatalf("%s: webhook-signature %q does not verify with %s", prof, first.header.Get("webhook-signature"), pub)
		}
		if n := len(strings.Fields(first.header.Get("webhook-signature"))); n != 1 {
			t.Errorf("%s: %d signatures before a rotation, want 1", prof, n)
		}

		// hookd listen verifies with the public key, and refuses another.
		for key, want := range map[string]int{pub: 200, "whpk_O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=": 401} {
			var out bytes.Buffer
			l := &listener{out: &out, profile: "auto", publicKeys: []string{key}}
			req := httptest.NewRequest("POST", "/hook", bytes.NewReader(first.body))
			req.Header = first.header.Clone()
			w := httptest.NewRecorder()
			l.ServeHTTP(w, req)
			if w.Code != want {
				t.Errorf("%s: listen --public-key %s answered %d, want %d: %s", prof, key, w.Code, want, out.String())
			}
		}

		var rot map[string]any
		a.must(t, 200, "POST", "/v1/tenants/v1a/endpoints/"+id+"/rotate-secret", tok, map[string]any{"grace_seconds": 3600}, &rot)
		newPub, _ := rot["public_key"].(string)
		if _, has := rot["secret"]; has || !strings.HasPrefix(newPub, "whpk_") || newPub == pub {
			t.Fatalf("%s: rotate answered %v: want a new public_key and no secret", prof, rot)
		}
		if got, _ := a.api(tok).GetEndpoint(ctx, "v1a", id); got.PublicKey != newPub {
			t.Errorf("%s: read after rotation shows %q, want the new key %q", prof, got.PublicKey, newPub)
		}
		second := publish(2)
		if ok := verifyV1a(t, second.header, second.body, newPub, pub); !ok[0] || !ok[1] {
			t.Errorf("%s: during the grace period webhook-signature %q verifies with new %v, old %v: want both",
				prof, second.header.Get("webhook-signature"), ok[0], ok[1])
		}
	}
}

// TestV1aRefused: v1a is refused, naming the field and the rule, on the
// profiles that do not send Standard Webhooks headers, for an unknown
// scheme, with a secret that is not a signing key, and as a change of an
// existing endpoint; nothing is created.
func TestV1aRefused(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "v1a-no")
	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"profile": "lean", "signature": "v1a"}, `signature: "v1a"`},
		{map[string]any{"profile": "weavr", "signature": "v1a"}, `signature: "v1a"`},
		{map[string]any{"signature": "v2"}, `signature must be "v1"`},
		{map[string]any{"signature": "v1a", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, "secret: a v1a endpoint"},
		{map[string]any{"secret": "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="}, `"signature": "v1a"`},
	} {
		c.body["url"] = "http://127.0.0.1:9/hook"
		c.body["event_types"] = []string{"*"}
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if code := call(t, "POST", a.url+"/v1/tenants/v1a-no/endpoints", tok, c.body, &e); code != 400 || !strings.Contains(e.Error.Message, c.want) {
			t.Errorf("%v: %d %q, want 400 naming %q", c.body, code, e.Error.Message, c.want)
		}
	}
	var list struct{ Data []any }
	a.must(t, 200, "GET", "/v1/tenants/v1a-no/endpoints", tok, nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("refused creates made %d endpoints", len(list.Data))
	}
	ep := a.endpoint(t, "v1a-no", tok, map[string]any{"url": "http://127.0.0.1:9/hook", "signature": "v1a", "event_types": []string{"*"}})
	for _, patch := range []map[string]any{{"signature": "v1"}, {"profile": "lean"}} {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if code := call(t, "PATCH", a.url+"/v1/tenants/v1a-no/endpoints/"+ep.ID, tok, patch, &e); code != 400 || !strings.Contains(e.Error.Message, "signature") {
			t.Errorf("PATCH %v: %d %q, want 400 naming signature", patch, code, e.Error.Message)
		}
	}
	got, err := a.api(tok).GetEndpoint(context.Background(), "v1a-no", ep.ID)
	if err != nil || got.Profile != "standard" || got.Signature != "v1a" {
		t.Errorf("after refused PATCHes: %+v, %v", got, err)
	}
}

// TestListenV1aBesideOtherSecrets: one hookd listen for a lean endpoint
// (--secret, a Lean secret that is no base64) and a v1a standard endpoint
// (--public-key), as a listener for several endpoints is given: the v1a
// webhook (signed here with crypto/ed25519 by the spec's recipe) verifies
// with the public key, the Lean secret being no Standard Webhooks secret;
// one signed with another key does not.
func TestListenV1aBesideOtherSecrets(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	var out syncBuffer
	l := &listener{out: &out, profile: "auto", secrets: []string{"lean-secret.not:base64"},
		publicKeys: []string{"whpk_" + base64.StdEncoding.EncodeToString(pub)}}
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	body := []byte(`{"type":"entity.created","timestamp":"2026-01-02T15:04:05.123456Z","data":{"id":"e1"}}`)
	post := func(key ed25519.PrivateKey) int {
		t.Helper()
		id, ts := "msg_v1a_1", fmt.Sprint(time.Now().Unix())
		sig := ed25519.Sign(key, []byte(id+"."+ts+"."+string(body)))
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/hook", bytes.NewReader(body))
		req.Header.Set("Webhook-Id", id)
		req.Header.Set("Webhook-Timestamp", ts)
		req.Header.Set("Webhook-Signature", "v1a,"+base64.StdEncoding.EncodeToString(sig))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post(priv); st != http.StatusOK {
		t.Errorf("a v1a webhook signed by the key: %d, want 200:\n%s", st, out.String())
	}
	if st := post(otherPriv); st != http.StatusUnauthorized {
		t.Errorf("a v1a webhook signed by another key: %d, want 401:\n%s", st, out.String())
	}
}
