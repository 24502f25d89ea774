package receiver

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

var fuzzProfiles = [...]Profile{Standard, LinkMoney, Lean, Weavr}

// fuzzHeaders spreads the fuzzed strings over the headers of profile p.
func fuzzHeaders(p Profile, id, ts, sig, sig2 string) http.Header {
	h := http.Header{}
	set := func(k, v string) {
		if v != "" {
			h[http.CanonicalHeaderKey(k)] = []string{v}
		}
	}
	switch p {
	case Standard, LinkMoney:
		set("webhook-id", id)
		set("webhook-timestamp", ts)
		set("webhook-signature", sig)
	case Lean:
		set("lean-signature", sig)
	case Weavr:
		set("call-ref", id)
		set("published-timestamp", ts)
		set("signature-v2", sig)
		set("signature", sig2)
	}
	return h
}

// tokens splits a signature header the way the profiles document lists.
func tokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// oracleSigned says, by the test's own recipes, whether the headers carry
// a signature that only the holder of secret could have made.
func oracleSigned(p Profile, secret string, h http.Header, body []byte) bool {
	switch p {
	case Standard, LinkMoney:
		n, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
		if err != nil {
			return false
		}
		want := signStandardTest(secret, h.Get("webhook-id"), n, body)
		for _, s := range strings.Fields(h.Get("webhook-signature")) {
			if s == want {
				return true
			}
		}
	case Lean:
		want := signLeanTest(secret, body)
		for _, s := range tokens(h.Get("lean-signature")) {
			if strings.EqualFold(s, want) {
				return true
			}
		}
	case Weavr:
		ts := h.Get("published-timestamp")
		v1, v2 := signWeavrTest(secret, h.Get("call-ref"), body, ts)
		has := func(name, want string) bool {
			for _, s := range tokens(h.Get(name)) {
				if s == want {
					return true
				}
			}
			return false
		}
		// A blank header carries no signature: it counts as absent.
		if len(tokens(h.Get("signature-v2"))) > 0 {
			return has("signature-v2", v2) && (len(tokens(h.Get("signature"))) == 0 || has("signature", v1))
		}
		return has("signature", v1) // only reached with AllowLegacy
	}
	return false
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrMissingHeader, ErrBadSignature, ErrTimestamp, ErrMalformed} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func FuzzVerify(f *testing.F) {
	for i, p := range fuzzProfiles {
		right, _ := secretsFor(p)
		body := testBodies[p]
		h := signedHeaders(p, right, body, testNow)
		id := h.Get("webhook-id") + h.Get("call-ref")
		ts := h.Get("webhook-timestamp") + h.Get("published-timestamp")
		sig := h.Get("webhook-signature") + h.Get("lean-signature") + h.Get("signature-v2")
		f.Add(uint8(i), body, id, ts, sig, h.Get("signature"))
		f.Add(uint8(i)|4, body, id, ts, sig+" "+sig, "")
		f.Add(uint8(i), []byte("{}"), "", "0", "v1,", "")
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte, id, ts, sig, sig2 string) {
		p := fuzzProfiles[sel%4]
		right, other := secretsFor(p)
		v := &Verifier{Profile: p, Secrets: []string{right}, Now: fixedNow,
			AllowLegacy: sel&4 != 0, LeanMaxAge: time.Duration(sel>>3) * time.Hour}
		h := fuzzHeaders(p, id, ts, sig, sig2)
		err := v.Verify(h, body)
		if err != nil {
			if !isSentinel(err) {
				t.Fatalf("%s: unexpected error kind: %v", p, err)
			}
			return
		}
		if !oracleSigned(p, right, h, body) {
			t.Fatalf("%s: verified without a signature by the secret: %v", p, h)
		}
		if (&Verifier{Profile: p, Secrets: []string{other}, Now: fixedNow, AllowLegacy: v.AllowLegacy}).Verify(h, body) == nil {
			t.Fatalf("%s: verified with another secret: %v", p, h)
		}
		if p == Weavr && len(tokens(h.Get("signature-v2"))) == 0 && !v.AllowLegacy {
			t.Fatalf("weavr: legacy signature accepted without AllowLegacy")
		}
	})
}

func FuzzParse(f *testing.F) {
	for _, body := range testBodies {
		f.Add(body, testMsgID, "1709294400")
	}
	for _, s := range []string{seedLeanEntityCreated, seedLeanPaymentUpdated, seedLinkMoneyPaymentFailed, seedWeavrLinkedAccount} {
		f.Add([]byte(s), "", "")
	}
	f.Add([]byte(`{"type":"payment.created","data":null,"payload":[],"metadata":"x"}`), "x", "-1")
	f.Add([]byte(`{"eventType":"payment.failed","creationTime":"2023-12-08T17:30:42.505Z"}`), "", "99999999999999999999")
	f.Fuzz(func(t *testing.T, body []byte, id, ts string) {
		h := http.Header{}
		for _, k := range []string{"webhook-id", "call-ref"} {
			h.Set(k, id)
		}
		for _, k := range []string{"webhook-timestamp", "published-timestamp"} {
			h.Set(k, ts)
		}
		for _, p := range fuzzProfiles {
			w, err := Parse(p, h, body)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: unexpected error kind: %v", p, err)
				}
				continue
			}
			if !json.Valid(body) {
				t.Fatalf("%s: parsed invalid JSON %q", p, body)
			}
			if w.Type == "" || w.Profile != p || !bytes.Equal(w.Raw, body) {
				t.Fatalf("%s: bad webhook %+v", p, w)
			}
			if !w.Timestamp.IsZero() && w.Timestamp.Location() != time.UTC {
				t.Fatalf("%s: timestamp %v not in UTC", p, w.Timestamp)
			}
			for _, as := range []Profile{w.Profile, Lean, Weavr, LinkMoney, Standard} {
				v, err := w.DecodeAs(as)
				if err != nil {
					if !errors.Is(err, ErrMalformed) {
						t.Fatalf("%s as %s: unexpected error kind: %v", p, as, err)
					}
					continue
				}
				// Whatever decoded must encode again.
				if _, err := json.Marshal(v); err != nil {
					t.Fatalf("%s as %s: %T does not marshal: %v", p, as, v, err)
				}
			}
			if _, err := w.Decode(); err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: Decode: %v", p, err)
			}
		}
	})
}
