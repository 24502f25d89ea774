package receiver

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// TestSvixHeaders: Svix sends the Standard Webhooks scheme under its own
// header names, svix-id, svix-timestamp and svix-signature, unless its
// customer pays to white-label them (docs.svix.com, "Verifying Webhooks
// Manually"); the Svix libraries read either set, and the README sends a
// Svix sender to profile standard. Such a request verifies here, keyed by
// svix-id, through the Handler behind a real server too (a retry is a
// duplicate); one whose svix-* set is altered does not; a request that
// carries webhook-* headers is read by them alone.
func TestSvixHeaders(t *testing.T) {
	t.Parallel()
	body := testBodies[Standard]
	at := testNow.Unix()
	// By hand, from Svix's recipe: base64 HMAC-SHA256(key, id.timestamp.body).
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(testWhsec, "whsec_"))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(testMsgID + "." + strconv.FormatInt(at, 10) + "."))
	m.Write(body)
	byHand := "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	sx, err := svix.NewWebhook(testWhsec)
	if err != nil {
		t.Fatal(err)
	}
	byLib, err := sx.Sign(testMsgID, time.Unix(at, 0), body)
	if err != nil || byLib != byHand {
		t.Fatalf("svix signs %q (%v), the recipe %q", byLib, err, byHand)
	}
	svixHeaders := func(id, ts, sig string) http.Header {
		return http.Header{"Svix-Id": {id}, "Svix-Timestamp": {ts}, "Svix-Signature": {sig}}
	}
	ts := strconv.FormatInt(at, 10)
	v := &Verifier{Profile: Standard, Secrets: []string{testWhsec}, Now: fixedNow}
	for _, p := range []Profile{Standard, LinkMoney} {
		v := &Verifier{Profile: p, Secrets: []string{testWhsec}, Now: fixedNow}
		if err := v.Verify(svixHeaders(testMsgID, ts, byHand), body); err != nil {
			t.Errorf("%s: svix-* headers: %v", p, err)
		}
	}
	for name, h := range map[string]http.Header{
		"other svix-id":        svixHeaders("msg_other", ts, byHand),
		"svix-timestamp moved": svixHeaders(testMsgID, strconv.FormatInt(at+1, 10), byHand),
	} {
		if err := v.Verify(h, body); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	old := strconv.FormatInt(at-600, 10)
	if err := v.Verify(svixHeaders(testMsgID, old, byHand), body); !errors.Is(err, ErrTimestamp) {
		t.Errorf("stale svix-timestamp: Verify = %v, want ErrTimestamp", err)
	}
	// webhook-* present: that set is the request's, svix-* is not looked at.
	mixed := svixHeaders(testMsgID, ts, byHand)
	mixed.Set("webhook-id", "msg_other")
	if err := v.Verify(mixed, body); !errors.Is(err, ErrMissingHeader) {
		t.Errorf("webhook-id beside svix-*: Verify = %v, want ErrMissingHeader", err)
	}
	w, err := Parse(Standard, svixHeaders(testMsgID, ts, byHand), body)
	if err != nil || w.ID != testMsgID || !w.Timestamp.Equal(time.Unix(at, 0)) {
		t.Fatalf("Parse: %+v, %v: want the id and time of svix-id and svix-timestamp", w, err)
	}

	h, post := handlerSetup(t, Standard)
	var calls int
	h.OnAny(func(_ context.Context, w *Webhook) error {
		calls++
		return nil
	})
	for range 2 {
		if st := post(body, svixHeaders(testMsgID, ts, byHand)); st != http.StatusOK {
			t.Fatalf("Handler: %d, want 200", st)
		}
	}
	if calls != 1 {
		t.Errorf("the func ran %d times for a webhook and its retry, want 1", calls)
	}
}
