package receiver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"
)

// The senders' recipes, written here from their documents with
// crypto/hmac, not with hmac.go.

func macOf(h func() hash.Hash, key, msg string) []byte {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

const hmacBody = `{"action":"opened","type":"issue.opened","id":"evt_1","data":{"object":{"id":"in_1"}},"n":42}`

// github is GitHub's scheme: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>.
var github = &HMACScheme{Header: "X-Hub-Signature-256", Prefix: "sha256=", IDHeader: "X-GitHub-Delivery",
	TypeHeader: "X-GitHub-Event", TypePrefix: "github."}

func githubHeaders(secret, body string) http.Header {
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(macOf(sha256.New, secret, body)))
	h.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	h.Set("X-GitHub-Event", "issues")
	return h
}

// stripe is Stripe's scheme: Stripe-Signature: t=<unix s>,v1=<hex
// HMAC-SHA256(secret, t + "." + body)>, the whsec_ secret used as is.
var stripe = &HMACScheme{Header: "Stripe-Signature", Prefix: "v1=", SignedContent: "{timestamp}.{body}",
	TimestampHeader: "Stripe-Signature", TimestampPrefix: "t=", IDPath: "id", TypePath: "type"}

func stripeHeader(at time.Time, body string, secrets ...string) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	v := "t=" + ts
	for _, s := range secrets {
		v += ",v1=" + hex.EncodeToString(macOf(sha256.New, s, ts+"."+body))
	}
	v += ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
	h := http.Header{}
	h.Set("Stripe-Signature", v)
	return h
}

func TestHMACTemplates(t *testing.T) {
	t.Parallel()
	now := testNow
	shopify := &HMACScheme{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64", IDHeader: "X-Shopify-Webhook-Id", TypeHeader: "X-Shopify-Topic"}
	shopifyH := http.Header{}
	shopifyH.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(macOf(sha256.New, "shpss_secret", hmacBody)))
	unpadded := http.Header{}
	unpadded.Set("X-Shopify-Hmac-Sha256", base64.RawStdEncoding.EncodeToString(macOf(sha256.New, "shpss_secret", hmacBody)))
	legacy := &HMACScheme{Algorithm: "sha1", Header: "X-Hub-Signature", Prefix: "sha1="}
	legacyH := http.Header{}
	legacyH.Set("X-Hub-Signature", "sha1="+hex.EncodeToString(macOf(sha1.New, "gh", hmacBody)))
	wide := &HMACScheme{Algorithm: "sha512", Header: "X-Sig", Encoding: "base64url", SecretEncoding: "hex",
		SignedContent: "{header:X-Account}:{id}:{timestamp}:{body}", IDHeader: "X-Id", TimestampHeader: "X-Ts"}
	key, _ := hex.DecodeString("00ff10ee")
	wideH := http.Header{}
	wideH.Set("X-Account", "acct_9")
	wideH.Set("X-Id", "d-1")
	wideH.Set("X-Ts", strconv.FormatInt(now.UnixMilli(), 10))
	wideH.Set("X-Sig", base64.URLEncoding.EncodeToString(macOf(sha512.New, string(key), "acct_9:d-1:"+wideH.Get("X-Ts")+":"+hmacBody)))
	upper := githubHeaders("gh", hmacBody)
	upper.Set("X-Hub-Signature-256", "sha256="+strings.ToUpper(hex.EncodeToString(macOf(sha256.New, "gh", hmacBody))))
	twoLines := githubHeaders("old", hmacBody)
	twoLines.Add("X-Hub-Signature-256", githubHeaders("gh", hmacBody).Get("X-Hub-Signature-256"))

	for _, c := range []struct {
		name    string
		s       *HMACScheme
		secrets []string
		h       http.Header
	}{
		{"github", github, []string{"gh"}, githubHeaders("gh", hmacBody)},
		{"github, upper-case hex", github, []string{"gh"}, upper},
		{"github, the second of two header lines", github, []string{"gh"}, twoLines},
		{"github, the second of two secrets", github, []string{"other", "gh"}, githubHeaders("gh", hmacBody)},
		{"github legacy sha1", legacy, []string{"gh"}, legacyH},
		{"shopify base64", shopify, []string{"shpss_secret"}, shopifyH},
		{"shopify base64 unpadded", shopify, []string{"shpss_secret"}, unpadded},
		{"stripe", stripe, []string{"whsec_stripe"}, stripeHeader(now.Add(-time.Minute), hmacBody, "whsec_stripe")},
		{"stripe, signed by old and new secret", stripe, []string{"whsec_new"}, stripeHeader(now, hmacBody, "whsec_old", "whsec_new")},
		{"sha512 base64url, hex secret, headers, unix ms", wide, []string{"00ff10ee"}, wideH},
	} {
		v := &Verifier{Profile: HMAC, HMAC: c.s, Secrets: c.secrets, Now: fixedNow}
		if err := v.Verify(c.h, []byte(hmacBody)); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestHMACSvix: the Svix library signs; a template describing Standard
// Webhooks verifies what it signed.
func TestHMACSvix(t *testing.T) {
	t.Parallel()
	sx, err := svix.NewWebhook(testWhsec)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	sig, err := sx.Sign(testMsgID, now, []byte(hmacBody))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("webhook-id", testMsgID)
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", "v1,AAAA "+sig)
	s := &HMACScheme{Header: "webhook-signature", Prefix: "v1,", Encoding: "base64", SecretEncoding: "base64",
		SignedContent: "{id}.{timestamp}.{body}", IDHeader: "webhook-id", TimestampHeader: "webhook-timestamp"}
	v := &Verifier{Profile: HMAC, HMAC: s, Secrets: []string{testWhsec}}
	if err := v.Verify(h, []byte(hmacBody)); err != nil {
		t.Fatalf("svix-signed: %v", err)
	}
	h.Set("webhook-id", "msg_other")
	if err := v.Verify(h, []byte(hmacBody)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another id: %v, want a bad signature", err)
	}
}

func TestHMACRefusals(t *testing.T) {
	t.Parallel()
	now := testNow
	altered := strings.Replace(hmacBody, "42", "43", 1)
	b64 := githubHeaders("gh", hmacBody)
	b64.Set("X-Hub-Signature-256", "sha256="+base64.StdEncoding.EncodeToString(macOf(sha256.New, "gh", hmacBody)))
	noPrefix := githubHeaders("gh", hmacBody)
	noPrefix.Set("X-Hub-Signature-256", strings.TrimPrefix(noPrefix.Get("X-Hub-Signature-256"), "sha256="))
	sha1Prefix := githubHeaders("gh", hmacBody)
	sha1Prefix.Set("X-Hub-Signature-256", "sha1="+strings.TrimPrefix(sha1Prefix.Get("X-Hub-Signature-256"), "sha256="))
	missing := githubHeaders("gh", hmacBody)
	missing.Del("X-Hub-Signature-256")
	noT := stripeHeader(now, hmacBody, "whsec_s")
	noT.Set("Stripe-Signature", strings.SplitN(noT.Get("Stripe-Signature"), ",", 2)[1])
	movedT := stripeHeader(now, hmacBody, "whsec_s")
	movedT.Set("Stripe-Signature", strings.Replace(movedT.Get("Stripe-Signature"), "t="+strconv.FormatInt(now.Unix(), 10), "t="+strconv.FormatInt(now.Unix()-1, 10), 1))
	idSigned := &HMACScheme{Header: "X-Sig", SignedContent: "{id}.{body}", IDHeader: "X-Id"}
	noID := http.Header{}
	noID.Set("X-Sig", hex.EncodeToString(macOf(sha256.New, "k", "."+hmacBody)))

	for _, c := range []struct {
		name string
		s    *HMACScheme
		h    http.Header
		body string
		want error
	}{
		{"wrong secret", github, githubHeaders("other", hmacBody), hmacBody, ErrBadSignature},
		{"altered body", github, githubHeaders("gh", hmacBody), altered, ErrBadSignature},
		{"missing header", github, missing, hmacBody, ErrMissingHeader},
		{"base64 where hex is expected", github, b64, hmacBody, ErrBadSignature},
		{"no prefix", github, noPrefix, hmacBody, ErrBadSignature},
		{"another prefix", github, sha1Prefix, hmacBody, ErrBadSignature},
		{"stale stripe timestamp", stripe, stripeHeader(now.Add(-6*time.Minute), hmacBody, "gh"), hmacBody, ErrTimestamp},
		{"stripe timestamp ahead", stripe, stripeHeader(now.Add(6*time.Minute), hmacBody, "gh"), hmacBody, ErrTimestamp},
		{"stripe without t=", stripe, noT, hmacBody, ErrMissingHeader},
		{"stripe timestamp changed", stripe, movedT, hmacBody, ErrBadSignature},
		{"id header missing", idSigned, noID, hmacBody, ErrMissingHeader},
	} {
		secret := "gh"
		if c.s == idSigned {
			secret = "k"
		}
		if c.name == "stripe without t=" || c.name == "stripe timestamp changed" {
			secret = "whsec_s"
		}
		v := &Verifier{Profile: HMAC, HMAC: c.s, Secrets: []string{secret}, Now: fixedNow}
		if err := v.Verify(c.h, []byte(c.body)); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

func TestHMACSchemeCheck(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s    HMACScheme
		want string
	}{
		{HMACScheme{}, "hmac.header is required"},
		{HMACScheme{Header: "X", Algorithm: "md5"}, "hmac.algorithm"},
		{HMACScheme{Header: "X", Encoding: "base32"}, "hmac.encoding"},
		{HMACScheme{Header: "X", SignedContent: "{timestamp}"}, "{body} exactly once"},
		{HMACScheme{Header: "X", SignedContent: "{body}{body}"}, "{body} exactly once"},
		{HMACScheme{Header: "X", SignedContent: "{body}.{url}"}, "unknown placeholder {url}"},
		{HMACScheme{Header: "X", SignedContent: "{body"}, "a { without its }"},
		{HMACScheme{Header: "X", SignedContent: "{header:Bad Name}.{body}"}, "unknown placeholder"},
		{HMACScheme{Header: "X", SignedContent: "{timestamp}.{body}"}, "set hmac.timestamp_header"},
		{HMACScheme{Header: "X", TimestampHeader: "X-Ts"}, "has no {timestamp}"},
		{HMACScheme{Header: "X", SignedContent: "{id}.{body}"}, "set hmac.id_header"},
	} {
		err := c.s.Check()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.s, err, c.want)
		}
	}
	if err := stripe.Check(); err != nil {
		t.Fatal(err)
	}
	v := &Verifier{Profile: HMAC, HMAC: &HMACScheme{Header: "X", SecretEncoding: "base64"}, Secrets: []string{"!!"}}
	if err := v.Verify(http.Header{}, nil); !errors.Is(err, ErrConfig) {
		t.Fatalf("a secret that is not base64: %v", err)
	}
}

func TestHMACParse(t *testing.T) {
	t.Parallel()
	w, err := github.Parse(githubHeaders("gh", hmacBody), []byte(hmacBody))
	if err != nil {
		t.Fatal(err)
	}
	if w.Type != "github.issues" || w.ID != "72d3162e-cc78-11e3-81ab-4c9367dc0958" || string(w.Payload) != hmacBody {
		t.Fatalf("github: %+v", w)
	}
	at := testNow.Add(-time.Minute)
	w, err = stripe.Parse(stripeHeader(at, hmacBody, "s"), []byte(hmacBody))
	if err != nil || w.Type != "issue.opened" || w.ID != "evt_1" || !w.Timestamp.Equal(at) {
		t.Fatalf("stripe: %+v %v", w, err)
	}
	for _, c := range []struct {
		s          HMACScheme
		id, typ    string
		wantErrSub string
	}{
		{HMACScheme{Header: "X", IDPath: "data.object.id", TypePath: "action"}, "in_1", "opened", ""},
		{HMACScheme{Header: "X", IDPath: "n", DefaultType: "thing.happened"}, "42", "thing.happened", ""},
		{HMACScheme{Header: "X", IDPath: "missing"}, "", "issue.opened", ""},
		{HMACScheme{Header: "X", TypePath: "data.object"}, "", "", "no event type in body field data.object"},
		{HMACScheme{Header: "X", TypeHeader: "X-Event", TypePath: "nope"}, "", "", "header X-Event or body field nope"},
	} {
		w, err := c.s.Parse(http.Header{}, []byte(hmacBody))
		if c.wantErrSub != "" {
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.wantErrSub) {
				t.Errorf("%+v: %v, want %q", c.s, err, c.wantErrSub)
			}
			continue
		}
		if err != nil || w.ID != c.id || w.Type != c.typ {
			t.Errorf("%+v: %+v %v, want id %q type %q", c.s, w, err, c.id, c.typ)
		}
	}
	for _, body := range []string{``, `[1]`, `null`, `id=1&type=x`} {
		if _, err := github.Parse(http.Header{}, []byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("body %q: %v, want malformed", body, err)
		}
	}
}

func TestParseStamp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, format string
		want       time.Time
	}{
		{"1700000000", "", time.Unix(1700000000, 0)},
		{"99999999999", "auto", time.Unix(99999999999, 0)},
		{"100000000000", "auto", time.UnixMilli(100000000000)},
		{"1700000000123", "", time.UnixMilli(1700000000123)},
		{"1700000000123", "unix", time.Unix(1700000000123, 0)},
		{"1700000000", "unix_ms", time.UnixMilli(1700000000)},
		{"2024-03-01T12:00:00.5Z", "", time.Date(2024, 3, 1, 12, 0, 0, 5e8, time.UTC)},
		{"2024-03-01T12:00:00Z", "rfc3339", time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)},
	} {
		got, err := parseStamp(c.in, c.format)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("%q as %q: %v %v, want %v", c.in, c.format, got, err, c.want)
		}
	}
	for _, c := range [][2]string{{"-1700000000", ""}, {"+1700000000", "unix"}, {"17e8", ""}, {"2024-03-01", "rfc3339"}, {"1700000000", "rfc3339"}, {"99999999999999999999", ""}} {
		if _, err := parseStamp(c[0], c[1]); err == nil {
			t.Errorf("%q as %q: accepted", c[0], c[1])
		}
	}
}

// BenchmarkVerifyHMAC: the template's cost per request beside Lean's
// fixed verifier (HMAC-SHA512 of the same 1 KB body) and Standard
// Webhooks'.
func BenchmarkVerifyHMAC(b *testing.B) {
	body := `{"type":"invoice.paid","data":"` + strings.Repeat("x", 1000) + `"}`
	gh := githubHeaders("gh", body)
	st := stripeHeader(testNow, body, "whsec_s")
	lean := http.Header{}
	lean.Set("lean-signature", "sha512="+hex.EncodeToString(macOf(sha512.New, "gh", body)))
	std := http.Header{}
	std.Set("webhook-id", testMsgID)
	std.Set("webhook-timestamp", strconv.FormatInt(testNow.Unix(), 10))
	std.Set("webhook-signature", signStandardTest(testWhsec, testMsgID, testNow.Unix(), []byte(body)))
	for _, c := range []struct {
		name string
		v    *Verifier
		h    http.Header
	}{
		{"hmac-github", &Verifier{Profile: HMAC, HMAC: github, Secrets: []string{"gh"}, Now: fixedNow}, gh},
		{"hmac-stripe", &Verifier{Profile: HMAC, HMAC: stripe, Secrets: []string{"whsec_s"}, Now: fixedNow}, st},
		{"lean", &Verifier{Profile: Lean, Secrets: []string{"gh"}, Now: fixedNow}, lean},
		{"standard", &Verifier{Profile: Standard, Secrets: []string{testWhsec}, Now: fixedNow}, std},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := c.v.Verify(c.h, []byte(body)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
