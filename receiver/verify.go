package receiver

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names, as the profiles send them.
const (
	hdrWebhookID          = "webhook-id"
	hdrWebhookTimestamp   = "webhook-timestamp"
	hdrWebhookSignature   = "webhook-signature"
	hdrLeanSignature      = "lean-signature"
	hdrCallRef            = "call-ref"
	hdrPublishedTimestamp = "published-timestamp"
	hdrSignature          = "signature"
	hdrSignatureV2        = "signature-v2"
	// Svix's names of the Standard Webhooks headers, which it sends unless
	// its customer white-labels them (the Svix libraries read either set).
	hdrSvixID        = "svix-id"
	hdrSvixTimestamp = "svix-timestamp"
	hdrSvixSignature = "svix-signature"
)

// Defaults of the Verifier's zero fields.
const (
	// DefaultTolerance is how far a signed timestamp may be from now, as
	// in the Standard Webhooks libraries.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes bounds the body VerifyRequest and Handler read.
	DefaultMaxBodyBytes = 1 << 20
)

// Verifier checks the signatures of one profile's webhooks. The zero
// values of its optional fields are usable defaults. A Verifier is safe
// for concurrent use as long as its fields are not changed.
type Verifier struct {
	// Profile is the wire format expected.
	Profile Profile
	// Secrets are the endpoint's signing secrets; a request verifies if
	// any of them signed it, so that a rotation can list the new secret
	// and the old one until the old one's grace period ends. standard and
	// linkmoney: "whsec_<base64 key>" (a secret without the prefix is read
	// as the base64 key, as the Standard Webhooks libraries do). lean and
	// weavr: the secret or API key as given, its bytes being the key.
	Secrets []string
	// PublicKeys (standard, linkmoney) are Standard Webhooks v1a public
	// keys, "whpk_<base64 of 32 bytes>" (the endpoint's public_key): a
	// request verifies if one of them made one of its "v1a," signatures.
	// Several may be listed while a key is rotated. A Verifier needs
	// Secrets, PublicKeys or both.
	PublicKeys []string
	// Tolerance is how far the signed timestamp may be from Now, either
	// way: webhook-timestamp (standard, linkmoney) or published-timestamp
	// (weavr). Zero means DefaultTolerance; negative disables the check,
	// which lets a captured request be replayed forever.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// AllowLegacy (weavr) accepts a request that carries only the
	// deprecated signature header. That signature covers the timestamp
	// alone, not the body: anyone who saw one request can forge any body
	// with the same timestamp, so leave it off unless a sender cannot
	// send signature-v2.
	AllowLegacy bool
	// LeanMaxAge (lean), when positive, also rejects a webhook whose body
	// timestamp is older than this, or further than Tolerance in the
	// future. Lean signs no timestamp header and its body timestamp is
	// the time of the first attempt, the same on every retry, and Lean
	// retries for up to 3 hours: a value below ~3h15m rejects genuine
	// retries. The check runs after the signature, on the signed body.
	LeanMaxAge time.Duration
	// HMAC (profile HMAC) describes the sender's scheme; Secrets are its
	// keys, as its SecretEncoding says.
	HMAC *HMACScheme
	// MaxBodyBytes bounds the body that VerifyRequest and Handler read;
	// zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
}

// Verify checks that body was signed, with one of the secrets, in the
// headers of the profile. It does not look inside the body, except for
// lean with LeanMaxAge set. The error wraps ErrMissingHeader,
// ErrBadSignature, ErrTimestamp, ErrMalformed or ErrConfig.
func (v *Verifier) Verify(h http.Header, body []byte) error {
	if v.Profile == HMAC {
		return v.verifyTemplate(h, body)
	}
	// The keys come first so that a misconfiguration is reported as such
	// whatever the request looks like.
	keys, err := v.keys()
	if err != nil {
		return err
	}
	switch v.Profile {
	case Standard, LinkMoney:
		pubs, err := v.publicKeys()
		if err != nil {
			return err
		}
		return v.verifyStandard(h, body, keys, pubs)
	case Lean:
		return v.verifyLean(h, body, keys)
	}
	return v.verifyWeavr(h, body, keys)
}

// keys returns the HMAC keys of the secrets. standard and linkmoney
// secrets are "whsec_" and standard base64, or the base64 alone; lean and
// weavr secrets are used as given. An empty key is refused: it would make
// every MAC computable by anyone.
func (v *Verifier) keys() ([][]byte, error) {
	if len(v.Secrets) == 0 && (len(v.PublicKeys) == 0 || v.Profile != Standard && v.Profile != LinkMoney) {
		return nil, fmt.Errorf("%w: no secret", ErrConfig)
	}
	keys := make([][]byte, len(v.Secrets))
	for i, s := range v.Secrets {
		switch v.Profile {
		case Standard, LinkMoney:
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
			if err != nil {
				return nil, fmt.Errorf("%w: secret %d: a %s secret is whsec_ and base64: %v", ErrConfig, i+1, v.Profile, err)
			}
			keys[i] = key
		case Lean, Weavr:
			keys[i] = []byte(s)
		default:
			return nil, fmt.Errorf("%w: unknown profile %q", ErrConfig, v.Profile)
		}
		if len(keys[i]) == 0 {
			return nil, fmt.Errorf("%w: secret %d is empty", ErrConfig, i+1)
		}
	}
	return keys, nil
}

// publicKeys decodes PublicKeys: whpk_ and the standard base64 of 32
// bytes (the prefix may be left out, as for secrets).
func (v *Verifier) publicKeys() ([]ed25519.PublicKey, error) {
	out := make([]ed25519.PublicKey, len(v.PublicKeys))
	for i, s := range v.PublicKeys {
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whpk_"))
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: public key %d: a v1a public key is whpk_ and the base64 of 32 bytes", ErrConfig, i+1)
		}
		out[i] = b
	}
	return out, nil
}

// VerifyRequest reads the request body (at most MaxBodyBytes), verifies it
// and parses it. The body is consumed.
func (v *Verifier) VerifyRequest(r *http.Request) (*Webhook, error) {
	body, err := readBody(r.Body, v.maxBody())
	if err != nil {
		return nil, err
	}
	if err := v.Verify(r.Header, body); err != nil {
		return nil, err
	}
	return v.Parse(r.Header, body)
}

// Parse reads a verified webhook of the Verifier's profile: [Parse], or
// for profile HMAC, [HMACScheme.Parse].
func (v *Verifier) Parse(h http.Header, body []byte) (*Webhook, error) {
	if v.Profile == HMAC {
		if v.HMAC == nil {
			return nil, fmt.Errorf("%w: profile hmac needs an HMACScheme", ErrConfig)
		}
		return v.HMAC.Parse(h, body)
	}
	return Parse(v.Profile, h, body)
}

func (v *Verifier) maxBody() int64 {
	if v.MaxBodyBytes > 0 {
		return v.MaxBodyBytes
	}
	return DefaultMaxBodyBytes
}

// readBody reads at most limit bytes, and fails rather than truncating:
// a truncated body would only fail its signature with a misleading error.
func readBody(rc io.ReadCloser, limit int64) ([]byte, error) {
	if rc == nil {
		return nil, nil
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, mbe.Limit)
		}
		return nil, fmt.Errorf("receiver: reading body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return body, nil
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// checkTime applies the tolerance to a signed timestamp.
func (v *Verifier) checkTime(name string, t time.Time) error {
	tol := v.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	if tol < 0 {
		return nil
	}
	now := v.now()
	if now.Sub(t) > tol {
		return fmt.Errorf("%w: %s %s is more than %s old", ErrTimestamp, name, t.UTC().Format(time.RFC3339), tol)
	}
	if t.Sub(now) > tol {
		return fmt.Errorf("%w: %s %s is more than %s in the future", ErrTimestamp, name, t.UTC().Format(time.RFC3339), tol)
	}
	return nil
}

// verifyStandard checks Standard Webhooks v1 and v1a: webhook-signature
// holds space-separated "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"
// and "v1a,<base64 ed25519 signature of id.timestamp.body>" entries; one
// that matches a secret (v1) or a public key (v1a) verifies the request.
// A request without webhook-* headers is read by Svix's svix-* ones
// (standardNames), as the Svix libraries read it.
//
// The timestamp is parsed as the Standard Webhooks libraries parse it and
// signed in canonical form, as they sign it, so whatever they sign
// verifies here. The entry list is read a little differently at the
// edges, never letting through a request without a valid MAC: here
// repeated header lines and any whitespace separate entries (they read
// the first line and split on single spaces), and "v1,<sig>,<more>" does
// not match (they ignore the tail). The timestamp is checked before the
// MAC, so a stale request costs no HMAC work.
func (v *Verifier) verifyStandard(h http.Header, body []byte, keys [][]byte, pubs []ed25519.PublicKey) error {
	idName, tsName, sigName := standardNames(h)
	id := header(h, idName)
	ts := header(h, tsName)
	sigs := headerValues(h, sigName)
	switch {
	case id == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, idName)
	case ts == "":
		return fmt.Errorf("%w: %s", ErrMissingHeader, tsName)
	case len(sigs) == 0:
		return fmt.Errorf("%w: %s", ErrMissingHeader, sigName)
	}
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not unix seconds", ErrMalformed, tsName, ts)
	}
	if err := v.checkTime(tsName, time.Unix(n, 0)); err != nil {
		return err
	}
	ts = strconv.FormatInt(n, 10)

	var given, givenA [][]byte
	for _, line := range sigs {
		for _, s := range strings.Fields(line) {
			if b64, ok := strings.CutPrefix(s, "v1,"); ok {
				given = append(given, []byte(b64))
			}
			if b64, ok := strings.CutPrefix(s, "v1a,"); ok {
				givenA = append(givenA, []byte(b64))
			}
		}
	}
	switch {
	case len(keys) > 0 && len(given) == 0 && (len(pubs) == 0 || len(givenA) == 0):
		return fmt.Errorf("%w: no v1 signature in %s", ErrBadSignature, sigName)
	case len(keys) == 0 && len(givenA) == 0:
		return fmt.Errorf("%w: no v1a signature in %s", ErrBadSignature, sigName)
	}
	if len(pubs) > 0 && len(givenA) > 0 {
		signed := make([]byte, 0, len(id)+len(ts)+2+len(body))
		signed = append(append(append(append(append(signed, id...), '.'), ts...), '.'), body...)
		for _, g := range givenA {
			// Decoded strictly: a signature is 64 bytes, 88 characters
			// with padding, and any other spelling is not the sender's.
			sig, err := base64.StdEncoding.Strict().DecodeString(string(g))
			if err != nil || len(sig) != ed25519.SignatureSize {
				continue
			}
			for _, pub := range pubs {
				if ed25519.Verify(pub, signed, sig) {
					return nil
				}
			}
		}
	}
	want := make([]byte, base64.StdEncoding.EncodedLen(sha256.Size))
	for _, key := range keys {
		mac := hmac.New(sha256.New, key)
		io.WriteString(mac, id)
		io.WriteString(mac, ".")
		io.WriteString(mac, ts)
		io.WriteString(mac, ".")
		mac.Write(body)
		// Compare the base64 text, not decoded bytes: decoding is lenient
		// about the unused bits of the last character, the text is not.
		base64.StdEncoding.Encode(want, mac.Sum(nil))
		for _, g := range given {
			if hmac.Equal(g, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: no %s entry matches", ErrBadSignature, sigName)
}

// standardNames returns the names of a request's Standard Webhooks
// headers: webhook-id, webhook-timestamp and webhook-signature, or Svix's
// svix-id, svix-timestamp and svix-signature when it has none of the
// former. Verify and Parse read the same set whole, so that the id a
// receiver deduplicates on is the one that was signed.
func standardNames(h http.Header) (id, ts, sig string) {
	if header(h, hdrWebhookID) == "" && header(h, hdrWebhookTimestamp) == "" && header(h, hdrWebhookSignature) == "" &&
		(header(h, hdrSvixID) != "" || header(h, hdrSvixTimestamp) != "" || header(h, hdrSvixSignature) != "") {
		return hdrSvixID, hdrSvixTimestamp, hdrSvixSignature
	}
	return hdrWebhookID, hdrWebhookTimestamp, hdrWebhookSignature
}

// verifyLean checks lean-signature: "sha512=" and the hex of
// HMAC-SHA512(secret, body). Lean sends lowercase hex; any case is
// accepted, since both spell the same MAC. Several signatures (repeated
// header lines, or a comma- or space-separated list, as a sender signing
// with old and new secret during a rotation may send) are each tried.
func (v *Verifier) verifyLean(h http.Header, body []byte, keys [][]byte) error {
	lines := headerValues(h, hdrLeanSignature)
	if len(lines) == 0 {
		return fmt.Errorf("%w: %s", ErrMissingHeader, hdrLeanSignature)
	}
	var given [][]byte
	for _, s := range splitList(lines) {
		if len(s) < 7 || !strings.EqualFold(s[:7], "sha512=") {
			continue
		}
		if mac, err := hex.DecodeString(s[7:]); err == nil && len(mac) == sha512.Size {
			given = append(given, mac)
		}
	}
	if len(given) == 0 {
		return fmt.Errorf("%w: no sha512=<hex> value in %s", ErrBadSignature, hdrLeanSignature)
	}
	ok := false
	for _, key := range keys {
		want := sum(sha512.New, key, body)
		for _, g := range given {
			if hmac.Equal(g, want) {
				ok = true
			}
		}
	}
	if !ok {
		return fmt.Errorf("%w: %s does not match", ErrBadSignature, hdrLeanSignature)
	}
	if v.LeanMaxAge > 0 {
		return v.checkLeanAge(body)
	}
	return nil
}

// checkLeanAge applies LeanMaxAge to the timestamp of a verified body.
func (v *Verifier) checkLeanAge(body []byte) error {
	var env struct {
		Timestamp string `json:"timestamp"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: lean body: %v", ErrMalformed, err)
	}
	if env.Timestamp == "" {
		return fmt.Errorf("%w: lean body has no timestamp to check", ErrMalformed)
	}
	t, err := parseRFC3339(env.Timestamp)
	if err != nil {
		return err
	}
	now := v.now()
	if now.Sub(t) > v.LeanMaxAge {
		return fmt.Errorf("%w: lean timestamp %s is more than %s old", ErrTimestamp, env.Timestamp, v.LeanMaxAge)
	}
	tol := v.Tolerance
	if tol == 0 {
		tol = DefaultTolerance
	}
	if tol > 0 && t.Sub(now) > tol {
		return fmt.Errorf("%w: lean timestamp %s is more than %s in the future", ErrTimestamp, env.Timestamp, tol)
	}
	return nil
}

// verifyWeavr checks Weavr's headers: signature-v2 is base64
// HMAC-SHA256(key, call-ref + body + published-timestamp) and the legacy
// signature is base64 HMAC-SHA256(key, published-timestamp). Both are
// checked when both are present, and must match under the same secret;
// signature alone is accepted only with AllowLegacy. call-ref is optional
// and then signs as the empty string.
//
// signature-v2 has no separators, so a byte could move between call-ref
// and body without changing the MAC; the body would then no longer be the
// JSON object Parse requires, which is one reason to verify through
// VerifyRequest or Handler, which parse after verifying.
func (v *Verifier) verifyWeavr(h http.Header, body []byte, keys [][]byte) error {
	ts := header(h, hdrPublishedTimestamp)
	if ts == "" {
		return fmt.Errorf("%w: %s", ErrMissingHeader, hdrPublishedTimestamp)
	}
	v2 := splitList(headerValues(h, hdrSignatureV2))
	v1 := splitList(headerValues(h, hdrSignature))
	if len(v2) == 0 {
		if !v.AllowLegacy {
			return fmt.Errorf("%w: %s", ErrMissingHeader, hdrSignatureV2)
		}
		if len(v1) == 0 {
			return fmt.Errorf("%w: %s or %s", ErrMissingHeader, hdrSignatureV2, hdrSignature)
		}
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not epoch milliseconds", ErrMalformed, hdrPublishedTimestamp, ts)
	}
	if err := v.checkTime(hdrPublishedTimestamp, time.UnixMilli(ms)); err != nil {
		return err
	}
	callRef := header(h, hdrCallRef)
	want := make([]byte, base64.StdEncoding.EncodedLen(sha256.Size))
	for _, key := range keys {
		if len(v2) > 0 {
			mac := hmac.New(sha256.New, key)
			io.WriteString(mac, callRef)
			mac.Write(body)
			io.WriteString(mac, ts)
			base64.StdEncoding.Encode(want, mac.Sum(nil))
			if !anyEqual(v2, want) {
				continue
			}
		}
		if len(v1) > 0 {
			base64.StdEncoding.Encode(want, sum(sha256.New, key, []byte(ts)))
			if !anyEqual(v1, want) {
				continue
			}
		}
		return nil
	}
	if len(v2) > 0 && len(v1) > 0 {
		return fmt.Errorf("%w: %s and %s do not both match one secret", ErrBadSignature, hdrSignatureV2, hdrSignature)
	}
	if len(v2) > 0 {
		return fmt.Errorf("%w: %s does not match", ErrBadSignature, hdrSignatureV2)
	}
	return fmt.Errorf("%w: %s does not match", ErrBadSignature, hdrSignature)
}

// sum returns HMAC(key, msg).
func sum(h func() hash.Hash, key, msg []byte) []byte {
	mac := hmac.New(h, key)
	mac.Write(msg)
	return mac.Sum(nil)
}

// anyEqual reports in constant time per candidate whether one of the
// given strings equals want.
func anyEqual(given []string, want []byte) bool {
	ok := false
	for _, g := range given {
		if hmac.Equal([]byte(g), want) {
			ok = true
		}
	}
	return ok
}

// splitList splits header lines into their comma- or space-separated
// items. Neither hex nor standard base64 uses those characters.
func splitList(lines []string) []string {
	var out []string
	for _, line := range lines {
		out = append(out, strings.FieldsFunc(line, func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t'
		})...)
	}
	return out
}

// header returns the first value of a header. Besides the canonical key
// that net/http uses, it finds keys stored in any other case, as happens
// when a header map is built by hand (serverless events, tests).
func header(h http.Header, name string) string {
	if v := headerValues(h, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerValues returns every non-empty value of a header; see header.
// Values are not trimmed: net/http already trims what it parses, and the
// MAC must cover a hand-built value exactly as given, as the Standard
// Webhooks libraries sign it.
func headerValues(h http.Header, name string) []string {
	vs := h[http.CanonicalHeaderKey(name)]
	if vs == nil {
		for k, v := range h {
			if strings.EqualFold(k, name) {
				vs = v
				break
			}
		}
	}
	var out []string
	for _, s := range vs {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
