package profile_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// The test vector of Svix's own v1a signing (svix-webhooks, server
// src/core/message_app.rs, test_asymmetric_key_signing): the key, message
// id, timestamp and body there sign to exactly this header. ed25519 is
// deterministic, so any correct signer produces the same bytes.
const (
	svixSigningKey = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg=="
	svixPublicKey  = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
	svixMsgID      = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	svixTimestamp  = 1614265330
	svixBody       = `{"test": 2432232314}`
	svixSignature  = "v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg=="
)

// TestV1aSvixVector: standard and linkmoney sign Svix's published vector
// to Svix's published signature, and the public key is Svix's.
func TestV1aSvixVector(t *testing.T) {
	t.Parallel()
	if got := hookd.PublicKeyOf(svixSigningKey); got != svixPublicKey {
		t.Errorf("PublicKeyOf = %q, want %q", got, svixPublicKey)
	}
	for _, p := range []hookd.Profile{profile.Standard{}, profile.LinkMoney{}} {
		if err := p.CheckSecret(svixSigningKey); err != nil {
			t.Fatalf("%s: CheckSecret(signing key): %v", p.Name(), err)
		}
		h := http.Header{}
		m := &hookd.Message{Event: &hookd.Event{ID: svixMsgID}, At: time.Unix(svixTimestamp, 0)}
		p.Sign(h, m, []byte(svixBody), []string{svixSigningKey})
		if got := h.Get("Webhook-Signature"); got != svixSignature {
			t.Errorf("%s: webhook-signature %q, want Svix's %q", p.Name(), got, svixSignature)
		}
	}
}

// TestV1aRecipe: a v1a signature verifies with crypto/ed25519 alone, by
// the spec's recipe (the public key's 32 bytes, "id.timestamp.body"),
// and during a rotation the header carries one entry per key, each
// verifiable with its own public key.
func TestV1aRecipe(t *testing.T) {
	t.Parallel()
	oldKey, _ := hookd.NewSigningKey()
	newKey, _ := hookd.NewSigningKey()
	body := []byte(`{"type":"payment.created","timestamp":"2026-12-01T00:00:00.000000Z","data":{"id":"p_1"}}`)
	h := http.Header{}
	profile.Standard{}.Sign(h, &hookd.Message{Event: &hookd.Event{ID: "evt_1"}, At: time.Unix(1764547200, 0)}, body, []string{newKey, oldKey})
	entries := strings.Split(h.Get("Webhook-Signature"), " ")
	if len(entries) != 2 {
		t.Fatalf("webhook-signature %q: want two entries", h.Get("Webhook-Signature"))
	}
	signed := []byte(h.Get("Webhook-Id") + "." + h.Get("Webhook-Timestamp") + "." + string(body))
	for i, key := range []string{newKey, oldKey} {
		pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(hookd.PublicKeyOf(key), "whpk_"))
		if err != nil || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("public key of %d: %v", i, err)
		}
		b64, ok := strings.CutPrefix(entries[i], "v1a,")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if !ok || err != nil || !ed25519.Verify(pub, signed, sig) {
			t.Errorf("entry %d %q does not verify with its public key", i, entries[i])
		}
		if ed25519.Verify(pub, []byte(string(signed)+" "), sig) {
			t.Errorf("entry %d verifies a changed message", i)
		}
	}
	// A v1 secret and a v1a key side by side (a profile change mid-way
	// is refused, but the signer must not care): one entry each.
	h = http.Header{}
	profile.Standard{}.Sign(h, &hookd.Message{Event: &hookd.Event{ID: "evt_1"}, At: time.Unix(1764547200, 0)}, body, []string{newKey, whsec})
	if e := strings.Split(h.Get("Webhook-Signature"), " "); len(e) != 2 || !strings.HasPrefix(e[0], "v1a,") || !strings.HasPrefix(e[1], "v1,") {
		t.Errorf("webhook-signature %q: want a v1a then a v1 entry", h.Get("Webhook-Signature"))
	}
}

// TestV1aKeys: what a signing key must be, and which profiles take one.
func TestV1aKeys(t *testing.T) {
	t.Parallel()
	key, err := hookd.NewSigningKey()
	if err != nil || !strings.HasPrefix(key, "whsk_") {
		t.Fatalf("NewSigningKey = %q, %v", key, err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(key, "whsk_"))
	if len(raw) != ed25519.PrivateKeySize {
		t.Fatalf("signing key of %d bytes, want 64", len(raw))
	}
	// A key whose public half is another pair's is refused.
	other, _ := hookd.NewSigningKey()
	rawOther, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(other, "whsk_"))
	mixed := "whsk_" + base64.StdEncoding.EncodeToString(append(raw[:32:32], rawOther[32:]...))
	for _, bad := range []string{mixed, "whsk_", "whsk_" + base64.StdEncoding.EncodeToString(raw[:32]), "whsk_not base64"} {
		if err := (profile.Standard{}).CheckSecret(bad); err == nil {
			t.Errorf("CheckSecret(%q) accepted", bad)
		}
	}
	for _, p := range all() {
		want := p.p.Name() == "standard" || p.p.Name() == "linkmoney"
		if got := hookd.SignsV1a(p.p); got != want {
			t.Errorf("SignsV1a(%s) = %v, want %v", p.p.Name(), got, want)
		}
	}
}
