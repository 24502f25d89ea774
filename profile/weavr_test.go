package profile_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// verifyWeavr checks the headers the way Weavr's docs tell receivers to:
// signature = base64 HMAC-SHA256(apiKey, published-timestamp), signature-v2
// = base64 HMAC-SHA256(apiKey, call-ref + raw body + published-timestamp).
// Value i of each must verify with secrets[i].
func verifyWeavr(t *testing.T, h http.Header, body []byte, secrets ...string) {
	t.Helper()
	callRef, ts := h.Get("call-ref"), h.Get("published-timestamp")
	if len(h.Values("call-ref")) != 1 || len(h.Values("published-timestamp")) != 1 {
		t.Errorf("call-ref %q and published-timestamp %q must have one value each",
			h.Values("call-ref"), h.Values("published-timestamp"))
	}
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Errorf("published-timestamp %q is not an integer", ts)
	}
	v1, v2 := h.Values("signature"), h.Values("signature-v2")
	if len(v1) != len(secrets) || len(v2) != len(secrets) {
		t.Fatalf("signature %q and signature-v2 %q, want %d values each", v1, v2, len(secrets))
	}
	for i, s := range secrets {
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write([]byte(ts))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); v1[i] != want {
			t.Errorf("signature[%d] = %q, want %q", i, v1[i], want)
		}
		mac = hmac.New(sha256.New, []byte(s))
		mac.Write([]byte(callRef + string(body) + ts))
		if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); v2[i] != want {
			t.Errorf("signature-v2[%d] = %q, want %q", i, v2[i], want)
		}
	}
}

// weavrEvent is a Linked Account Status update as Weavr's spec describes it.
func weavrEvent() *hookd.Event {
	return &hookd.Event{
		ID:   "f8752072-cef2-4056-9ff0-d5d2aa1e4558",
		Type: "linkedAccountWatch",
		Payload: []byte(`{"id":"65a1b2c3d4e5f60718293a4b",` +
			`"accountIdentification":{"sortCode":"040004","accountNumber":"12345678"},` +
			`"currency":"GBP","institution":{"displayName":"Mock Bank","countries":["GB"]},` +
			`"consent":{"expiresAt":"2024-04-08T10:00:00.000Z","expiresIn":7776000,"status":"ACTIVE"},` +
			`"status":"LINKED","buyerId":"65a1b2c3d4e5f60718290001","userId":"65a1b2c3d4e5f60718290002"}`),
		CreatedAt: time.Date(2024, 1, 9, 9, 59, 59, 0, time.UTC),
	}
}

func TestWeavrGolden(t *testing.T) {
	t.Parallel()
	p := profile.Weavr{}
	ev := weavrEvent()
	body, err := p.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	const wantBody = `{"type":"linkedAccountWatch","payload":{"id":"65a1b2c3d4e5f60718293a4b",` +
		`"accountIdentification":{"sortCode":"040004","accountNumber":"12345678"},` +
		`"currency":"GBP","institution":{"displayName":"Mock Bank","countries":["GB"]},` +
		`"consent":{"expiresAt":"2024-04-08T10:00:00.000Z","expiresIn":7776000,"status":"ACTIVE"},` +
		`"status":"LINKED","buyerId":"65a1b2c3d4e5f60718290001","userId":"65a1b2c3d4e5f60718290002"}}`
	if string(body) != wantBody {
		t.Fatalf("body\n got %s\nwant %s", body, wantBody)
	}

	const secret = "weavr-api-key-0123456789ABCDEF=="
	m := &hookd.Message{Event: ev, DeliveryID: "dlv_01HKRZ8V3Q9W6T2M4N5P7R8S0A", Attempt: 1,
		At: time.Date(2024, 1, 9, 10, 0, 0, 123456789, time.UTC)}
	h := http.Header{}
	p.Sign(h, m, body, []string{secret})
	verifyWeavr(t, h, body, secret)
	// The signatures were computed outside Go (Python hmac).
	for k, want := range map[string]string{
		"call-ref":            "dlv_01HKRZ8V3Q9W6T2M4N5P7R8S0A",
		"published-timestamp": "1704794400123",
		"signature":           "gbmnsVku8dHOALgSKEGcckliYS8ERjM2Sfh4Lz+08zw=",
		"signature-v2":        "+CPyrR0FF+MmXx6spYTBD0TM+woE26TGkdrvrO6TdRA=",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(h) != 4 {
		t.Errorf("Sign set %d headers, want 4: %v", len(h), h)
	}

	// A retry keeps the call-ref and stamps its own time.
	m2 := &hookd.Message{Event: ev, DeliveryID: m.DeliveryID, Attempt: 2, At: m.At.Add(10 * time.Second)}
	h2 := http.Header{}
	p.Sign(h2, m2, body, []string{secret})
	verifyWeavr(t, h2, body, secret)
	if h2.Get("call-ref") != m.DeliveryID || h2.Get("published-timestamp") != "1704794410123" {
		t.Errorf("retry headers %v: want the same call-ref and the retry's time", h2)
	}
}

// TestWeavrOneSignature: given several secrets, weavr signs both headers
// with the first alone (see TestLeanOneSignature).
func TestWeavrOneSignature(t *testing.T) {
	t.Parallel()
	p := profile.Weavr{}
	if p.MultiSignature() {
		t.Fatal("weavr claims several signatures per request")
	}
	ev := weavrEvent()
	body, _ := p.Body(ev)
	first, second := "weavr-api-key-0123456789ABCDEF==", "the-previous-weavr-api-key-still-valid"
	h := http.Header{}
	p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_2", Attempt: 1, At: time.Now()}, body, []string{first, second})
	verifyWeavr(t, h, body, first)
	// h.Add must not write into a neighbouring header's values.
	h.Add("Signature", "extra")
	if got := h.Values("Signature-V2"); len(got) != 1 {
		t.Errorf("after Add to signature, signature-v2 = %q", got)
	}
	p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_2", Attempt: 2, At: time.Now()}, body, []string{second})
	verifyWeavr(t, h, body, second)
}

func TestWeavrPolicy(t *testing.T) {
	t.Parallel()
	pol := profile.Weavr{}.Policy()
	if pol.Timeout != 10*time.Second || pol.FromFirst || pol.Retryable == nil {
		t.Fatalf("policy = %+v, want 10 s between tries with a Retryable rule", pol)
	}
	for _, code := range []int{408, 409, 425, 500, 502, 503, 504, 599} {
		if !pol.Retryable(code) {
			t.Errorf("Retryable(%d) = false, want true", code)
		}
	}
	for _, code := range []int{300, 301, 400, 401, 403, 404, 410, 422, 429, 600} {
		if pol.Retryable(code) {
			t.Errorf("Retryable(%d) = true, want false", code)
		}
	}
	first := time.Date(2024, 1, 9, 10, 0, 0, 0, time.UTC)
	for i, want := range []time.Duration{10 * time.Second, 60 * time.Second, 6 * time.Minute,
		36 * time.Minute, 3*time.Hour + 36*time.Minute} {
		// From the previous try, whenever the first was.
		now := first.Add(time.Duration(i) * time.Hour)
		if d, ok := pol.NextDelay(i+1, first, now, now, 0); !ok || d != want {
			t.Errorf("NextDelay(%d, rnd 0) = %v, %v; want %v", i+1, d, ok, want)
		}
		// Jitter only lengthens: up to 10 %, never earlier than Weavr's time.
		lo, _ := pol.NextDelay(i+1, first, now, now, 0)
		hi, _ := pol.NextDelay(i+1, first, now, now, 0.999999)
		if lo != want || hi > want*11/10 || lo >= hi {
			t.Errorf("try %d: jitter spans %v..%v, want %v to 10 %% more", i+1, lo, hi, want)
		}
	}
	if _, ok := pol.NextDelay(6, first, first, first, 0.5); ok {
		t.Error("a sixth retry is scheduled; Weavr stops after five")
	}
}

func TestWeavrSecret(t *testing.T) {
	t.Parallel()
	p := profile.Weavr{}
	s, err := p.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := base64.StdEncoding.DecodeString(s); err != nil || len(b) != 32 {
		t.Errorf("NewSecret = %q, want 32 bytes of standard base64", s)
	}
	if err := p.CheckSecret(s); err != nil {
		t.Errorf("CheckSecret(NewSecret()) = %v", err)
	}
	checkASCIISecrets(t, p)
}
