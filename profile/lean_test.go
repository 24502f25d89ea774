package profile_test

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// leanMessages stands in for the catalog: Lean's sentences by wire type.
func leanMessages(wireType string) string {
	switch wireType {
	case "results.ready":
		return "Your results are ready."
	case "payment.created":
		return "A payment object has been created."
	}
	return ""
}

// verifyLean checks lean-signature the way Lean's docs tell receivers to:
// "sha512=" + lowercase hex HMAC-SHA512(webhookSecret, raw body). Value i
// must verify with secrets[i].
func verifyLean(t *testing.T, h http.Header, body []byte, secrets ...string) {
	t.Helper()
	vals := h.Values("lean-signature")
	if len(vals) != len(secrets) {
		t.Fatalf("lean-signature has %d values, want %d: %q", len(vals), len(secrets), vals)
	}
	for i, s := range secrets {
		mac := hmac.New(sha512.New, []byte(s))
		mac.Write(body)
		want := "sha512=" + hex.EncodeToString(mac.Sum(nil))
		if !hmac.Equal([]byte(vals[i]), []byte(want)) {
			t.Errorf("lean-signature[%d] = %q, want %q", i, vals[i], want)
		}
	}
}

func TestLeanGolden(t *testing.T) {
	t.Parallel()
	p := profile.Lean{Messages: leanMessages}
	ev := &hookd.Event{
		ID:        "f8752072-cef2-4056-9ff0-d5d2aa1e4558",
		Type:      "results.ready",
		Payload:   []byte(`{"id":"dbd310a2-ebd9-4a0f-ae10-0f82f25f1bff"}`),
		CreatedAt: time.Date(2021, 9, 2, 15, 38, 54, 573741000, time.UTC),
	}
	body, err := p.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	// The seed's results.ready example, in its key order, compacted.
	const wantBody = `{"payload":{"id":"dbd310a2-ebd9-4a0f-ae10-0f82f25f1bff"},` +
		`"type":"results.ready","message":"Your results are ready.",` +
		`"timestamp":"2021-09-02T15:38:54.573741Z","event_id":"f8752072-cef2-4056-9ff0-d5d2aa1e4558"}`
	if string(body) != wantBody {
		t.Fatalf("body\n got %s\nwant %s", body, wantBody)
	}

	const secret = "lean-test-secret-0123456789abcdef"
	h := http.Header{}
	p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_1", Attempt: 1, At: time.Now()}, body, []string{secret})
	verifyLean(t, h, body, secret)
	// Computed outside Go (Python hmac) from the body above.
	const want = "sha512=df739afdd518c937eccd3935607f15ed6dee0d944fdd080b42288813c11d44b8" +
		"c829ff0d6e7871ae361eafef7a19025b5c14c23fa6cb51ec87be2694045c8232"
	if got := h.Get("lean-signature"); got != want {
		t.Errorf("lean-signature = %q, want %q", got, want)
	}
	if len(h) != 1 {
		t.Errorf("Sign set %d headers, want only lean-signature: %v", len(h), h)
	}
}

func TestLeanQualifiedType(t *testing.T) {
	t.Parallel()
	ev := &hookd.Event{
		ID:        "f4096636-85f3-42f1-8148-3cf9b5377db2",
		Type:      "lean:payment.created",
		Payload:   []byte(`{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED"}`),
		CreatedAt: time.Date(2020, 6, 22, 13, 15, 28, 565512000, time.UTC),
	}
	const head = `{"payload":{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED"},`
	const tail = `,"timestamp":"2020-06-22T13:15:28.565512Z","event_id":"f4096636-85f3-42f1-8148-3cf9b5377db2"}`
	for _, tc := range []struct {
		name string
		p    profile.Lean
		want string
	}{
		{"catalog", profile.Lean{Messages: leanMessages},
			head + `"type":"payment.created","message":"A payment object has been created."` + tail},
		{"nil messages", profile.Lean{},
			head + `"type":"payment.created","message":"A payment.created event occurred."` + tail},
		{"unknown to the catalog", profile.Lean{Messages: func(string) string { return "" }},
			head + `"type":"payment.created","message":"A payment.created event occurred."` + tail},
	} {
		body, err := tc.p.Body(ev)
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != tc.want {
			t.Errorf("%s: body\n got %s\nwant %s", tc.name, body, tc.want)
		}
	}
}

func TestLeanTimestamp(t *testing.T) {
	t.Parallel()
	dubai := time.FixedZone("GST", 4*60*60)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2021, 9, 2, 15, 38, 54, 500000000, time.UTC), "2021-09-02T15:38:54.500000Z"},
		{time.Date(2021, 9, 2, 15, 38, 54, 0, time.UTC), "2021-09-02T15:38:54.000000Z"},
		// Nanoseconds are cut, not rounded: .9999999 stays in its second.
		{time.Date(2021, 9, 2, 15, 38, 54, 999999999, time.UTC), "2021-09-02T15:38:54.999999Z"},
		{time.Date(2022, 10, 7, 10, 43, 45, 128593273, time.UTC), "2022-10-07T10:43:45.128593Z"},
		{time.Date(2021, 9, 2, 19, 38, 54, 573741000, dubai), "2021-09-02T15:38:54.573741Z"},
	} {
		ev := &hookd.Event{ID: "e", Type: "results.ready", Payload: []byte(`{}`), CreatedAt: tc.at}
		body, err := profile.Lean{}.Body(ev)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"timestamp":"` + tc.want + `"`; !strings.Contains(string(body), want) {
			t.Errorf("%v: body %s lacks %s", tc.at, body, want)
		}
	}
}

// TestLeanOneSignature: given several secrets, lean signs with the first
// alone: Lean's receivers compare one value, and a second line would be
// joined to the first by Node.js (see hookd.Endpoint.Rotate for how the
// secrets take turns during a rotation).
func TestLeanOneSignature(t *testing.T) {
	t.Parallel()
	p := profile.Lean{Messages: leanMessages}
	if p.MultiSignature() {
		t.Fatal("lean claims several signatures per request")
	}
	ev := &hookd.Event{ID: "f8752072-cef2-4056-9ff0-d5d2aa1e4558", Type: "results.ready",
		Payload: []byte(`{"id":"dbd310a2-ebd9-4a0f-ae10-0f82f25f1bff"}`), CreatedAt: time.Now()}
	body, _ := p.Body(ev)
	first, second := "lean-test-secret-0123456789abcdef", "an-older-lean-secret-kept-in-grace"
	h := http.Header{}
	p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_1", Attempt: 2, At: time.Now()}, body, []string{first, second})
	verifyLean(t, h, body, first)

	// Signing again replaces the value, never adds one.
	p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_1", Attempt: 3, At: time.Now()}, body, []string{second})
	verifyLean(t, h, body, second)
}

func TestLeanPolicy(t *testing.T) {
	t.Parallel()
	pol := profile.Lean{}.Policy()
	if pol.Timeout != 10*time.Second || !pol.FromFirst || pol.Retryable != nil {
		t.Fatalf("policy = %+v, want 10 s, from the first send, every failure retried", pol)
	}
	first := time.Date(2024, 1, 9, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		tries int
		sent  time.Duration // the last try's, after first
		now   time.Duration // when it ended, after first
		next  time.Duration // after first
	}{
		{1, 0, 3 * time.Second, time.Minute},
		{2, time.Minute, 61 * time.Second, 2 * time.Minute},
		{3, 2 * time.Minute, 2*time.Minute + 10*time.Second, 5 * time.Minute},
		{4, 5 * time.Minute, 5*time.Minute + 10*time.Second, 10 * time.Minute},
		{5, 10 * time.Minute, 10*time.Minute + 10*time.Second, 60 * time.Minute},
		{6, 60 * time.Minute, 60*time.Minute + 10*time.Second, 180 * time.Minute},
		// A try sent late moves the next as much: it still waits the
		// gap (3 min) after it.
		{3, 2*time.Minute + 30*time.Second, 2*time.Minute + 40*time.Second, 5*time.Minute + 30*time.Second},
		// A try sent past later points (a Retry-After of 15 min moved
		// the second): the next ones keep the schedule's gaps after it
		// (1, 3, 5, 50 and 120 min) rather than go out back to back.
		{2, 15 * time.Minute, 15 * time.Minute, 16 * time.Minute},
		{3, 16 * time.Minute, 16*time.Minute + 10*time.Second, 19 * time.Minute},
		{4, 19 * time.Minute, 19 * time.Minute, 24 * time.Minute},
		{5, 24 * time.Minute, 24 * time.Minute, 74 * time.Minute},
		{6, 74 * time.Minute, 74 * time.Minute, 194 * time.Minute},
		// One sent late, past its own point but not the next's.
		{2, 3 * time.Minute, 3 * time.Minute, 4 * time.Minute},
	} {
		// No jitter: the extremes of the random number change nothing.
		for _, rnd := range []float64{0, 0.5, 0.999} {
			d, ok := pol.NextDelay(tc.tries, first, first.Add(tc.sent), first.Add(tc.now), rnd)
			if !ok || first.Add(tc.now).Add(d) != first.Add(tc.next) {
				t.Errorf("after try %d sent at first+%v (rnd %v): next at first+%v (ok %v), want first+%v",
					tc.tries, tc.sent, rnd, tc.now+d, ok, tc.next)
			}
		}
	}
	if d, ok := pol.NextDelay(1, first, first, first.Add(3*time.Second), 0.5); d != 57*time.Second || !ok {
		t.Errorf("NextDelay(1, first, first, first+3s) = %v, %v; want 57s", d, ok)
	}
	if _, ok := pol.NextDelay(7, first, first.Add(4*time.Hour), first.Add(4*time.Hour), 0.5); ok {
		t.Error("a seventh retry is scheduled; Lean stops after six")
	}
}

func TestLeanSecret(t *testing.T) {
	t.Parallel()
	p := profile.Lean{}
	s, err := p.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 || s != strings.ToLower(s) {
		t.Errorf("NewSecret = %q, want 32 bytes of lowercase hex", s)
	}
	if err := p.CheckSecret(s); err != nil {
		t.Errorf("CheckSecret(NewSecret()) = %v", err)
	}
	checkASCIISecrets(t, p)
}

// checkASCIISecrets tests the secret rule of lean and weavr.
func checkASCIISecrets(t *testing.T, p hookd.Profile) {
	t.Helper()
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{strings.Repeat("a", 16), true},
		{strings.Repeat("~", 256), true},
		{"with spaces and !@#$%^&*()_+{}|:<>?", true},
		// The secret of a provider account, reused: no length is set.
		{"my-lean-secret", true},
		{strings.Repeat("a", 8), true},
		{strings.Repeat("a", 7), false},
		{strings.Repeat("a", 257), false},
		{"", false},
		{"tab\tin-the-middle-of-it", false},
		{"newline-at-the-end-of-it\n", false},
		{"non-ascii-é-in-the-secret", false},
	} {
		err := p.CheckSecret(tc.s)
		if (err == nil) != tc.ok {
			t.Errorf("%s: CheckSecret(%q) = %v, want ok %v", p.Name(), tc.s, err, tc.ok)
		}
		if err != nil && hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("%s: CheckSecret(%q) code %q, want %q", p.Name(), tc.s, hookd.ErrorCode(err), hookd.EINVALID)
		}
	}
	want := "a " + p.Name() + " secret is 8 to 256 printable ASCII characters"
	if err := p.CheckSecret("short"); err == nil || hookd.ErrorMessage(err) != want {
		t.Errorf("%s: CheckSecret(short) = %v, want %q", p.Name(), err, want)
	}
}
