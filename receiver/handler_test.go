package receiver

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// handlerSetup starts a Handler for profile p behind a real HTTP server
// on loopback.
func handlerSetup(t *testing.T, p Profile) (*Handler, func(body []byte, h http.Header) int) {
	t.Helper()
	right, _ := secretsFor(p)
	h := NewHandler(&Verifier{Profile: p, Secrets: []string{right}, Now: fixedNow, MaxBodyBytes: 4096})
	h.Logger = slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	post := func(body []byte, hdr http.Header) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = hdr
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	return h, post
}

func leanDelivery(eventID, typ string) ([]byte, http.Header) {
	body := []byte(`{"type":"` + typ + `","message":"m","payload":{"id":"p1","status":"ACCEPTED_BY_BANK","amount":1.5},"timestamp":"2024-03-01T11:59:59.123456Z","event_id":"` + eventID + `"}`)
	return body, signedHeaders(Lean, testRaw, body, testNow)
}

func TestHandlerDedupeAndRetry(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Lean)
	var calls atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	h.On(LeanPaymentUpdated, func(ctx context.Context, w *Webhook) error {
		calls.Add(1)
		v, err := w.Decode()
		if err != nil {
			return err
		}
		if p := v.(*LeanPayment); p.Amount != 1.5 {
			t.Errorf("payment = %+v", p)
		}
		if fail.Load() {
			return errors.New("database down")
		}
		return nil
	})

	body, hdr := leanDelivery("evt-1", LeanPaymentUpdated)
	if code := post(body, hdr); code != http.StatusInternalServerError || calls.Load() != 1 {
		t.Fatalf("failing func: status %d, calls %d; want 500, 1", code, calls.Load())
	}
	fail.Store(false)
	if code := post(body, hdr); code != http.StatusOK || calls.Load() != 2 {
		t.Fatalf("retry: status %d, calls %d; want 200, 2", code, calls.Load())
	}
	if code := post(body, hdr); code != http.StatusOK || calls.Load() != 2 {
		t.Fatalf("duplicate: status %d, calls %d; want 200 without a call", code, calls.Load())
	}
	body2, hdr2 := leanDelivery("evt-2", LeanPaymentUpdated)
	if code := post(body2, hdr2); code != http.StatusOK || calls.Load() != 3 {
		t.Fatalf("next event: status %d, calls %d; want 200, 3", code, calls.Load())
	}
}

// TestHandlerLeanUppercaseHex: a lean-signature in uppercase hex spells
// the same MAC as Lean's lowercase and is accepted end to end (the hex is
// decoded and the bytes compared); a wrong MAC in uppercase is still 401.
func TestHandlerLeanUppercaseHex(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Lean)
	var calls atomic.Int32
	h.On(LeanPaymentUpdated, func(context.Context, *Webhook) error { calls.Add(1); return nil })
	body, hdr := leanDelivery("evt-upper", LeanPaymentUpdated)
	sig := hdr.Get("lean-signature")
	wrong := signLeanTest("wrong secret", body)
	for _, c := range []struct {
		name, sig string
		want      int
	}{
		{"wrong MAC, uppercase", "sha512=" + strings.ToUpper(strings.TrimPrefix(wrong, "sha512=")), http.StatusUnauthorized},
		{"uppercase hex", "sha512=" + strings.ToUpper(strings.TrimPrefix(sig, "sha512=")), http.StatusOK},
		{"uppercase, again: a duplicate", "SHA512=" + strings.ToUpper(strings.TrimPrefix(sig, "sha512=")), http.StatusOK},
	} {
		up := hdr.Clone()
		up.Set("lean-signature", c.sig)
		if code := post(body, up); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("func called %d times, want once", n)
	}
}

func TestHandlerAnswers(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Lean)
	var calls, anyCalls atomic.Int32
	h.On(LeanPaymentUpdated, func(context.Context, *Webhook) error { calls.Add(1); return nil })

	body, hdr := leanDelivery("evt-a", LeanPaymentUpdated)
	bad := hdr.Clone()
	bad.Set("lean-signature", signLeanTest("wrong secret", body))
	if code := post(body, bad); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d, want 401", code)
	}
	if code := post(body, http.Header{}); code != http.StatusUnauthorized {
		t.Errorf("no signature: %d, want 401", code)
	}
	junk := []byte(`{"type":`)
	if code := post(junk, signedHeaders(Lean, testRaw, junk, testNow)); code != http.StatusBadRequest {
		t.Errorf("signed junk: %d, want 400", code)
	}
	big := bytes.Repeat([]byte(" "), 5000)
	if code := post(big, signedHeaders(Lean, testRaw, big, testNow)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d, want 413", code)
	}
	if calls.Load() != 0 {
		t.Errorf("func called %d times on rejected requests", calls.Load())
	}

	other, ohdr := leanDelivery("evt-b", LeanReportGenerated)
	if code := post(other, ohdr); code != http.StatusOK {
		t.Errorf("type without func: %d, want 200", code)
	}
	h.OnAny(func(_ context.Context, w *Webhook) error {
		if w.Type != LeanReportGenerated {
			t.Errorf("fallback got %s", w.Type)
		}
		anyCalls.Add(1)
		return nil
	})
	other, ohdr = leanDelivery("evt-c", LeanReportGenerated)
	if code := post(other, ohdr); code != http.StatusOK || anyCalls.Load() != 1 {
		t.Errorf("fallback: %d, %d calls; want 200, 1", code, anyCalls.Load())
	}
	if code := post(body, hdr); code != http.StatusOK || calls.Load() != 1 || anyCalls.Load() != 1 {
		t.Errorf("own func before fallback: %d, calls %d/%d", code, calls.Load(), anyCalls.Load())
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d, Allow %q; want 405, POST", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestHandlerConcurrentDuplicate(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Lean)
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	h.On(LeanPaymentUpdated, func(context.Context, *Webhook) error {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return nil
	})
	body, hdr := leanDelivery("evt-slow", LeanPaymentUpdated)
	first := make(chan int)
	go func() { first <- post(body, hdr) }()
	<-started
	if code := post(body, hdr); code != http.StatusConflict {
		t.Errorf("duplicate during processing: %d, want 409", code)
	}
	close(release)
	if code := <-first; code != http.StatusOK {
		t.Errorf("first: %d", code)
	}
	if code := post(body, hdr); code != http.StatusOK || calls.Load() != 1 {
		t.Errorf("after: %d, %d calls", code, calls.Load())
	}
}

func TestHandlerWeavrWithoutCallRef(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Weavr)
	var calls atomic.Int32
	h.On(WeavrLinkedAccountWatch, func(context.Context, *Webhook) error { calls.Add(1); return nil })
	body := testBodies[Weavr]
	hdr := signedHeaders(Weavr, testRaw, body, testNow)
	if code := post(body, hdr); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if code := post(body, hdr); code != http.StatusOK || calls.Load() != 1 {
		t.Fatalf("duplicate: %d, %d calls", code, calls.Load())
	}
	// With no call-ref there is nothing to deduplicate on: each delivery
	// runs the func.
	ts := hdr.Get("published-timestamp")
	_, v2 := signWeavrTest(testRaw, "", body, ts)
	bare := http.Header{"Published-Timestamp": {ts}, "Signature-V2": {v2}}
	post(body, bare)
	post(body, bare)
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
}

// brokenStore is a SeenStore whose backend is down.
type brokenStore struct{}

func (brokenStore) Seen(context.Context, string) (bool, error) { return false, errors.New("down") }
func (brokenStore) Mark(context.Context, string) error         { return errors.New("down") }

func TestHandlerSeenStoreDown(t *testing.T) {
	t.Parallel()
	h, post := handlerSetup(t, Lean)
	h.Seen = brokenStore{}
	var calls atomic.Int32
	h.On(LeanPaymentUpdated, func(context.Context, *Webhook) error { calls.Add(1); return nil })
	body, hdr := leanDelivery("evt-x", LeanPaymentUpdated)
	if code := post(body, hdr); code != http.StatusInternalServerError || calls.Load() != 0 {
		t.Errorf("store down: %d, %d calls; want 500 before any call", code, calls.Load())
	}
}

func TestMemorySeen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := testNow
	m := NewMemorySeen(3, time.Hour)
	m.now = func() time.Time { return now }
	seen := func(k string) bool {
		ok, _ := m.Seen(ctx, k)
		return ok
	}
	for _, k := range []string{"a", "b", "c"} {
		m.Mark(ctx, k)
		now = now.Add(time.Minute)
	}
	if !seen("a") || !seen("b") || !seen("c") || seen("d") {
		t.Fatal("marked keys not seen")
	}
	m.Mark(ctx, "d") // over the bound: a, the oldest, goes
	if seen("a") || !seen("d") || m.Len() != 3 {
		t.Errorf("after eviction: a %v, d %v, len %d", seen("a"), seen("d"), m.Len())
	}
	m.Mark(ctx, "b") // refreshed: now the newest
	now = now.Add(time.Hour)
	if !seen("b") || seen("c") {
		t.Errorf("after an hour: b %v (refreshed), c %v (expired)", seen("b"), seen("c"))
	}
	now = now.Add(2 * time.Hour)
	m.Mark(ctx, "e")
	if m.Len() != 1 || seen("b") || !seen("e") {
		t.Errorf("expired keys kept: len %d", m.Len())
	}
}
