package receiver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"
)

// The signing recipes below are written from the providers' documents,
// independently of verify.go, so that a shared mistake cannot pass.

const (
	testWhsec   = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	testWhsec2  = "whsec_c2Vjb25kLXNlY3JldC1mb3Itcm90YXRpb24="
	testRaw     = "lean-or-weavr-api-key"
	testRaw2    = "another-api-key"
	testMsgID   = "msg_2aLBr3cN8xZz1qeP"
	testCallRef = "7f3c1f0e-5b7e-4a44-9d1f-1c7e2b6f0a11"
)

var testNow = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return testNow }

func signStandardTest(secret, id string, ts int64, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		panic(err)
	}
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.%s", id, ts, body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func signLeanTest(secret string, body []byte) string {
	m := hmac.New(sha512.New, []byte(secret))
	m.Write(body)
	return "sha512=" + hex.EncodeToString(m.Sum(nil))
}

func signWeavrTest(secret, callRef string, body []byte, ts string) (v1, v2 string) {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	v1 = base64.StdEncoding.EncodeToString(m.Sum(nil))
	m = hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(callRef + string(body) + ts))
	v2 = base64.StdEncoding.EncodeToString(m.Sum(nil))
	return v1, v2
}

var testBodies = map[Profile][]byte{
	Standard:  []byte(`{"type":"payment.updated","timestamp":"2024-03-01T11:59:59.123456Z","data":{"id":"p1","status":"ACCEPTED_BY_BANK"}}`),
	LinkMoney: []byte(`{"id":"b973a6e3b-a7d2-bb40-f811-be2df2d5d56","creationTime":"2024-03-01T11:59:59.505","eventType":"payment.failed","metadata":{"resourceId":"225f715c","resourceType":"payment","transactionType":"DEBIT","achReturnCode":"R03"}}`),
	Lean:      []byte(`{"type":"results.ready","message":"Your results are ready.","payload":{"id":"dbd310a2"},"timestamp":"2024-03-01T11:59:59.573741Z","event_id":"f8752072-cef2-4056-9ff0-d5d2aa1e4558"}`),
	Weavr:     []byte(`{"type":"linkedAccountWatch","payload":{"id":"652d25b73541d8084a88a38d","status":"LINKED"}}`),
}

// signedHeaders signs body for profile p with secret at time at.
func signedHeaders(p Profile, secret string, body []byte, at time.Time) http.Header {
	h := http.Header{}
	switch p {
	case Standard, LinkMoney:
		h.Set("webhook-id", testMsgID)
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		h.Set("webhook-signature", signStandardTest(secret, testMsgID, at.Unix(), body))
	case Lean:
		h.Set("lean-signature", signLeanTest(secret, body))
	case Weavr:
		ts := strconv.FormatInt(at.UnixMilli(), 10)
		v1, v2 := signWeavrTest(secret, testCallRef, body, ts)
		h.Set("call-ref", testCallRef)
		h.Set("published-timestamp", ts)
		h.Set("signature", v1)
		h.Set("signature-v2", v2)
	}
	return h
}

func secretsFor(p Profile) (right, other string) {
	if p == Standard || p == LinkMoney {
		return testWhsec, testWhsec2
	}
	return testRaw, testRaw2
}

func TestVerifyProfiles(t *testing.T) {
	t.Parallel()
	for _, p := range []Profile{Standard, LinkMoney, Lean, Weavr} {
		t.Run(string(p), func(t *testing.T) {
			t.Parallel()
			right, other := secretsFor(p)
			body := testBodies[p]
			v := &Verifier{Profile: p, Secrets: []string{right}, Now: fixedNow}
			check := func(name string, v *Verifier, h http.Header, body []byte, want error) {
				t.Helper()
				err := v.Verify(h, body)
				if want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Errorf("%s: Verify = %v, want %v", name, err, want)
				}
			}
			good := signedHeaders(p, right, body, testNow)
			check("good", v, good, body, nil)

			tampered := bytes.Clone(body)
			tampered[len(tampered)/2] ^= 0x20
			check("tampered body", v, good, tampered, ErrBadSignature)
			check("body with trailing newline", v, good, append(bytes.Clone(body), '\n'), ErrBadSignature)
			check("wrong secret", v, signedHeaders(p, other, body, testNow), body, ErrBadSignature)

			rot := &Verifier{Profile: p, Secrets: []string{other, right}, Now: fixedNow}
			check("second of two secrets", rot, good, body, nil)
			check("first of two secrets", rot, signedHeaders(p, other, body, testNow), body, nil)

			if p != Lean {
				check("4 min old", v, signedHeaders(p, right, body, testNow.Add(-4*time.Minute)), body, nil)
				check("6 min old", v, signedHeaders(p, right, body, testNow.Add(-6*time.Minute)), body, ErrTimestamp)
				check("6 min ahead", v, signedHeaders(p, right, body, testNow.Add(6*time.Minute)), body, ErrTimestamp)
				wide := &Verifier{Profile: p, Secrets: []string{right}, Now: fixedNow, Tolerance: time.Hour}
				check("6 min old, 1 h tolerance", wide, signedHeaders(p, right, body, testNow.Add(-6*time.Minute)), body, nil)
				off := &Verifier{Profile: p, Secrets: []string{right}, Now: fixedNow, Tolerance: -1}
				check("a day old, no tolerance", off, signedHeaders(p, right, body, testNow.Add(-24*time.Hour)), body, nil)
			}

			var required []string
			switch p {
			case Standard, LinkMoney:
				required = []string{"webhook-id", "webhook-timestamp", "webhook-signature"}
			case Lean:
				required = []string{"lean-signature"}
			case Weavr:
				required = []string{"published-timestamp", "signature-v2"}
			}
			for _, name := range required {
				h := good.Clone()
				h.Del(name)
				check("without "+name, v, h, body, ErrMissingHeader)
				h.Set(name, "")
				check("empty "+name, v, h, body, ErrMissingHeader)
			}

			check("no secret", &Verifier{Profile: p}, good, body, ErrConfig)
			check("empty secret", &Verifier{Profile: p, Secrets: []string{""}}, good, body, ErrConfig)
		})
	}
}

func TestVerifyStandardDetails(t *testing.T) {
	t.Parallel()
	body := testBodies[Standard]
	v := &Verifier{Profile: Standard, Secrets: []string{testWhsec}, Now: fixedNow}
	good := signedHeaders(Standard, testWhsec, body, testNow)
	sig := good.Get("webhook-signature")

	for _, tc := range []struct {
		name string
		edit func(h http.Header)
		want error
	}{
		{"secret without whsec_ prefix", nil, nil},
		{"several signatures, the good one last", func(h http.Header) {
			h.Set("webhook-signature", "v1,Zm9vYmFy v1a,c2lnbmF0dXJl "+sig)
		}, nil},
		{"signature on a second header line", func(h http.Header) {
			h.Set("webhook-signature", "v1,Zm9vYmFy")
			h.Add("webhook-signature", sig)
		}, nil},
		{"only another version", func(h http.Header) {
			h.Set("webhook-signature", "v1a"+strings.TrimPrefix(sig, "v1"))
		}, ErrBadSignature},
		{"no version", func(h http.Header) {
			h.Set("webhook-signature", strings.TrimPrefix(sig, "v1,"))
		}, ErrBadSignature},
		{"signature in lowercase", func(h http.Header) {
			h.Set("webhook-signature", "v1,"+strings.ToLower(strings.TrimPrefix(sig, "v1,")))
		}, ErrBadSignature},
		{"other id", func(h http.Header) { h.Set("webhook-id", "msg_other") }, ErrBadSignature},
		{"timestamp one second later", func(h http.Header) {
			h.Set("webhook-timestamp", strconv.FormatInt(testNow.Unix()+1, 10))
		}, ErrBadSignature},
		{"timestamp not a number", func(h http.Header) { h.Set("webhook-timestamp", "2024-03-01") }, ErrMalformed},
		{"timestamp in milliseconds", func(h http.Header) {
			h.Set("webhook-timestamp", strconv.FormatInt(testNow.UnixMilli(), 10))
		}, ErrTimestamp},
		{"lowercase header keys in a hand-made map", func(h http.Header) {
			for k, vs := range h {
				delete(h, k)
				h[strings.ToLower(k)] = vs
			}
		}, nil},
	} {
		h := good.Clone()
		if tc.edit != nil {
			tc.edit(h)
		}
		vv := v
		if tc.name == "secret without whsec_ prefix" {
			vv = &Verifier{Profile: Standard, Secrets: []string{strings.TrimPrefix(testWhsec, "whsec_")}, Now: fixedNow}
		}
		if err := vv.Verify(h, body); tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}

	bad := &Verifier{Profile: Standard, Secrets: []string{"whsec_not base64!"}, Now: fixedNow}
	if err := bad.Verify(good, body); !errors.Is(err, ErrConfig) {
		t.Errorf("undecodable secret: Verify = %v, want ErrConfig", err)
	}
	if err := (&Verifier{Profile: "nope", Secrets: []string{"x"}}).Verify(good, body); !errors.Is(err, ErrConfig) {
		t.Errorf("unknown profile: Verify = %v, want ErrConfig", err)
	}
}

func TestVerifyLeanDetails(t *testing.T) {
	t.Parallel()
	body := testBodies[Lean]
	sig := signLeanTest(testRaw, body)
	v := &Verifier{Profile: Lean, Secrets: []string{testRaw}, Now: fixedNow}
	for _, tc := range []struct {
		name, header string
		want         error
	}{
		{"lowercase hex", sig, nil},
		// Uppercase hex spells the same MAC; Lean sends lowercase, and
		// accepting either costs nothing.
		{"uppercase hex", "sha512=" + strings.ToUpper(strings.TrimPrefix(sig, "sha512=")), nil},
		{"uppercase scheme", "SHA512=" + strings.TrimPrefix(sig, "sha512="), nil},
		{"list with a stale signature first", signLeanTest("old", body) + ", " + sig, nil},
		{"no scheme", strings.TrimPrefix(sig, "sha512="), ErrBadSignature},
		{"sha256 scheme", "sha256=" + strings.TrimPrefix(sig, "sha512="), ErrBadSignature},
		{"truncated", sig[:len(sig)-2], ErrBadSignature},
		{"not hex", "sha512=" + strings.Repeat("zz", 64), ErrBadSignature},
	} {
		h := http.Header{"Lean-Signature": {tc.header}}
		if err := v.Verify(h, body); tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}

	// LeanMaxAge is opt-in: without it an old body verifies.
	h := http.Header{"Lean-Signature": {sig}}
	late := &Verifier{Profile: Lean, Secrets: []string{testRaw}, Now: func() time.Time { return testNow.Add(48 * time.Hour) }}
	if err := late.Verify(h, body); err != nil {
		t.Errorf("two-day-old body without LeanMaxAge: %v", err)
	}
	late.LeanMaxAge = 4 * time.Hour
	if err := late.Verify(h, body); !errors.Is(err, ErrTimestamp) {
		t.Errorf("two-day-old body with LeanMaxAge 4h: %v, want ErrTimestamp", err)
	}
	inTime := &Verifier{Profile: Lean, Secrets: []string{testRaw}, Now: fixedNow, LeanMaxAge: 4 * time.Hour}
	if err := inTime.Verify(h, body); err != nil {
		t.Errorf("fresh body with LeanMaxAge: %v", err)
	}
	early := &Verifier{Profile: Lean, Secrets: []string{testRaw}, LeanMaxAge: 4 * time.Hour,
		Now: func() time.Time { return testNow.Add(-time.Hour) }}
	if err := early.Verify(h, body); !errors.Is(err, ErrTimestamp) {
		t.Errorf("body from the future with LeanMaxAge: %v, want ErrTimestamp", err)
	}
	noTS := []byte(`{"type":"results.ready","payload":{"id":"x"}}`)
	if err := inTime.Verify(http.Header{"Lean-Signature": {signLeanTest(testRaw, noTS)}}, noTS); !errors.Is(err, ErrMalformed) {
		t.Errorf("body without timestamp with LeanMaxAge: %v, want ErrMalformed", err)
	}
}

func TestVerifyWeavrDetails(t *testing.T) {
	t.Parallel()
	body := testBodies[Weavr]
	ts := strconv.FormatInt(testNow.UnixMilli(), 10)
	v := &Verifier{Profile: Weavr, Secrets: []string{testRaw}, Now: fixedNow}
	legacy := &Verifier{Profile: Weavr, Secrets: []string{testRaw}, Now: fixedNow, AllowLegacy: true}
	v1, v2 := signWeavrTest(testRaw, testCallRef, body, ts)
	_, v2NoRef := signWeavrTest(testRaw, "", body, ts)
	_, v2Other := signWeavrTest(testRaw2, testCallRef, body, ts)
	v1Other, _ := signWeavrTest(testRaw2, testCallRef, body, ts)

	hdr := func(callRef, sig1, sig2 string) http.Header {
		h := http.Header{}
		h.Set("published-timestamp", ts)
		if callRef != "" {
			h.Set("call-ref", callRef)
		}
		if sig1 != "" {
			h.Set("signature", sig1)
		}
		if sig2 != "" {
			h.Set("signature-v2", sig2)
		}
		return h
	}
	for _, tc := range []struct {
		name string
		v    *Verifier
		h    http.Header
		want error
	}{
		{"both signatures", v, hdr(testCallRef, v1, v2), nil},
		{"v2 only", v, hdr(testCallRef, "", v2), nil},
		{"no call-ref, signed as empty", v, hdr("", v1, v2NoRef), nil},
		{"call-ref dropped in transit", v, hdr("", v1, v2), ErrBadSignature},
		{"other call-ref", v, hdr("other", v1, v2), ErrBadSignature},
		{"good v2, bad v1", v, hdr(testCallRef, v1Other, v2), ErrBadSignature},
		{"v2 and v1 by different secrets", &Verifier{Profile: Weavr, Secrets: []string{testRaw, testRaw2}, Now: fixedNow},
			hdr(testCallRef, v1Other, v2), ErrBadSignature},
		{"v2 by the second secret", &Verifier{Profile: Weavr, Secrets: []string{testRaw, testRaw2}, Now: fixedNow},
			hdr(testCallRef, "", v2Other), nil},
		{"legacy only, not allowed", v, hdr(testCallRef, v1, ""), ErrMissingHeader},
		{"legacy only, allowed", legacy, hdr(testCallRef, v1, ""), nil},
		{"legacy only, allowed, wrong", legacy, hdr(testCallRef, v1Other, ""), ErrBadSignature},
		{"no signature at all, legacy allowed", legacy, hdr(testCallRef, "", ""), ErrMissingHeader},
		{"timestamp in seconds", v, func() http.Header {
			h := hdr(testCallRef, v1, v2)
			h.Set("published-timestamp", strconv.FormatInt(testNow.Unix(), 10))
			return h
		}(), ErrTimestamp},
		{"timestamp not a number", v, func() http.Header {
			h := hdr(testCallRef, v1, v2)
			h.Set("published-timestamp", "soon")
			return h
		}(), ErrMalformed},
	} {
		if err := tc.v.Verify(tc.h, body); tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestStandardLibraries checks this verifier against the official
// Standard Webhooks and Svix libraries: what they sign verifies here, and
// what they reject is rejected here. They read the real clock, so this
// test does too.
func TestStandardLibraries(t *testing.T) {
	t.Parallel()
	body := testBodies[Standard]
	sw, err := standardwebhooks.NewWebhook(testWhsec)
	if err != nil {
		t.Fatal(err)
	}
	sx, err := svix.NewWebhook(testWhsec)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	swSig, err := sw.Sign(testMsgID, now, body)
	if err != nil {
		t.Fatal(err)
	}
	sxSig, err := sx.Sign(testMsgID, now, body)
	if err != nil {
		t.Fatal(err)
	}
	oldSig, _ := sw.Sign(testMsgID, now.Add(-10*time.Minute), body)
	newSig, _ := sw.Sign(testMsgID, now.Add(10*time.Minute), body)
	ts := strconv.FormatInt(now.Unix(), 10)
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{"webhook-id": id, "webhook-timestamp": ts, "webhook-signature": sig} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	cases := []struct {
		name  string
		h     http.Header
		body  []byte
		valid bool // both libraries accept it
	}{
		{"signed by standardwebhooks", hdr(testMsgID, ts, swSig), body, true},
		{"signed by svix", hdr(testMsgID, ts, sxSig), body, true},
		{"with junk before", hdr(testMsgID, ts, "v1,AAAA v2,BBBB "+swSig), body, true},
		{"leading zero timestamp", hdr(testMsgID, "0"+ts, swSig), body, true},
		{"plus-signed timestamp", hdr(testMsgID, "+"+ts, swSig), body, true},
		{"tampered body", hdr(testMsgID, ts, swSig), append(bytes.Clone(body), ' '), false},
		{"other id", hdr("msg_x", ts, swSig), body, false},
		{"hand-built id with a leading space", hdr(" "+testMsgID, ts, swSig), body, false},
		{"hand-built timestamp with a trailing space", hdr(testMsgID, ts+" ", swSig), body, false},
		{"timestamp moved", hdr(testMsgID, strconv.FormatInt(now.Unix()-1, 10), swSig), body, false},
		{"10 minutes old", hdr(testMsgID, strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10), oldSig), body, false},
		{"10 minutes ahead", hdr(testMsgID, strconv.FormatInt(now.Add(10*time.Minute).Unix(), 10), newSig), body, false},
		{"no id", hdr("", ts, swSig), body, false},
		{"no timestamp", hdr(testMsgID, "", swSig), body, false},
		{"no signature", hdr(testMsgID, ts, ""), body, false},
		{"bad timestamp", hdr(testMsgID, "x"+ts, swSig), body, false},
		{"other version", hdr(testMsgID, ts, "v2"+strings.TrimPrefix(swSig, "v1")), body, false},
		{"bare signature", hdr(testMsgID, ts, strings.TrimPrefix(swSig, "v1,")), body, false},
		{"signed with another secret", hdr(testMsgID, ts, signStandardTest(testWhsec2, testMsgID, now.Unix(), body)), body, false},
	}
	ours := &Verifier{Profile: Standard, Secrets: []string{testWhsec}}
	for _, tc := range cases {
		swErr := sw.Verify(tc.body, tc.h)
		sxErr := sx.Verify(tc.body, tc.h)
		err := ours.Verify(tc.h, tc.body)
		if tc.valid != (swErr == nil) || tc.valid != (sxErr == nil) {
			t.Errorf("%s: test case is wrong: standardwebhooks %v, svix %v", tc.name, swErr, sxErr)
		}
		if (swErr != nil || sxErr != nil) && err == nil {
			t.Errorf("%s: accepted, libraries reject (standardwebhooks %v, svix %v)", tc.name, swErr, sxErr)
		}
		if tc.valid && err != nil {
			t.Errorf("%s: rejected (%v), libraries accept", tc.name, err)
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	body := testBodies[Weavr]
	v := &Verifier{Profile: Weavr, Secrets: []string{testRaw}, Now: fixedNow, MaxBodyBytes: 1024}
	type result struct {
		w   *Webhook
		err error
	}
	got := make(chan result, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w, err := v.VerifyRequest(r)
		got <- result{w, err}
	}))
	defer srv.Close()
	post := func(body []byte, h http.Header) result {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return <-got
	}

	r := post(body, signedHeaders(Weavr, testRaw, body, testNow))
	if r.err != nil {
		t.Fatalf("VerifyRequest: %v", r.err)
	}
	if r.w.ID != testCallRef || r.w.Type != WeavrLinkedAccountWatch || !r.w.Timestamp.Equal(testNow) || !bytes.Equal(r.w.Raw, body) {
		t.Errorf("webhook = %+v", r.w)
	}

	big := bytes.Repeat([]byte("x"), 1025)
	if r := post(big, signedHeaders(Weavr, testRaw, big, testNow)); !errors.Is(r.err, ErrTooLarge) {
		t.Errorf("1025-byte body: %v, want ErrTooLarge", r.err)
	}
	exact := append([]byte(`{"type":"x","payload":"`), bytes.Repeat([]byte("y"), 1024-25)...)
	exact = append(exact, `"}`...)
	if len(exact) != 1024 {
		t.Fatalf("body is %d bytes", len(exact))
	}
	if r := post(exact, signedHeaders(Weavr, testRaw, exact, testNow)); r.err != nil {
		t.Errorf("1024-byte body: %v", r.err)
	}
	// A verified body that is not a webhook is still refused.
	junk := []byte(`not json`)
	if r := post(junk, signedHeaders(Weavr, testRaw, junk, testNow)); !errors.Is(r.err, ErrMalformed) {
		t.Errorf("signed junk: %v, want ErrMalformed", r.err)
	}
}
