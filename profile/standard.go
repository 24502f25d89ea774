package profile

import (
	"crypto/ed25519"
	"crypto/sha256"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Standard is Standard Webhooks v1: body {"type","timestamp","data"},
// headers webhook-id, webhook-timestamp and webhook-signature, where each
// secret adds "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>", or, for a
// v1a signing key (whsk_), "v1a,<base64 ed25519 signature of
// id.timestamp.body>".
type Standard struct{}

// Name implements hookd.Profile.
func (Standard) Name() string { return "standard" }

// Provider implements hookd.Profile: Standard Webhooks carries any type.
func (Standard) Provider() string { return "" }

// standardHeaders are the headers of Standard Webhooks.
var standardHeaders = []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"}

// Headers implements hookd.Profile.
func (Standard) Headers() []string { return slices.Clone(standardHeaders) }

// Body implements hookd.Profile.
func (Standard) Body(ev *hookd.Event) ([]byte, error) {
	b := make([]byte, 0, len(ev.Payload)+len(ev.Type)+64)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, hookd.WireType(ev.Type))
	b = append(b, `,"timestamp":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","data":`...)
	b = append(b, ev.Payload...)
	return append(b, '}'), nil
}

// Sign implements hookd.Profile.
func (Standard) Sign(h http.Header, m *hookd.Message, body []byte, secrets []string) {
	signStandard(h, m.Event.ID, m.At, body, secrets)
}

// MultiSignature implements hookd.Profile: webhook-signature is a
// space-separated list, one "v1," entry per secret.
func (Standard) MultiSignature() bool { return true }

// signStandard sets the Standard Webhooks headers; linkmoney uses it too.
// It runs once per attempt: the signed content's head (id.timestamp.) and
// the signature list go into one buffer, made one string that the
// timestamp and the list are sliced from, and the three header values
// share one backing array.
func signStandard(h http.Header, id string, at time.Time, body []byte, secrets []string) {
	buf := make([]byte, 0, len(id)+22+len(secrets)*93)
	buf = append(append(buf, id...), '.')
	tsStart := len(buf)
	buf = strconv.AppendInt(buf, at.Unix(), 10)
	tsEnd := len(buf)
	buf = append(buf, '.')
	prefix := buf[:len(buf):len(buf)] // appends below never write into it
	sigStart := len(buf)
	var signed []byte // id.timestamp.body, made only for a v1a key
	for _, s := range secrets {
		if hookd.IsSigningKey(s) {
			priv, err := hookd.ParseSigningKey(s)
			if err != nil {
				continue // stored secrets were checked on the way in
			}
			if signed == nil {
				signed = append(append(make([]byte, 0, len(prefix)+len(body)), prefix...), body...)
			}
			buf = appendEntry(buf, sigStart, "v1a,", ed25519.Sign(priv, signed))
			continue
		}
		mac, pool := macs.get(standardMAC, s)
		if mac == nil {
			continue // stored secrets were checked on the way in
		}
		mac.Write(prefix)
		mac.Write(body)
		var sum [sha256.Size]byte
		buf = appendEntry(buf, sigStart, "v1,", mac.Sum(sum[:0]))
		macs.put(mac, pool)
	}
	all := string(buf)
	// Full slice expressions: an h.Add by someone else reallocates
	// rather than write into the next header's value.
	vals := []string{id, all[tsStart:tsEnd], all[sigStart:]}
	h["Webhook-Id"] = vals[0:1:1]
	h["Webhook-Timestamp"] = vals[1:2:2]
	h["Webhook-Signature"] = vals[2:3:3]
}

// appendEntry appends one entry to the space-separated list of
// webhook-signature that starts at start in b: the version, a comma, the
// base64 signature.
func appendEntry(b []byte, start int, version string, sig []byte) []byte {
	if len(b) > start {
		b = append(b, ' ')
	}
	return b64.AppendEncode(append(b, version...), sig)
}

// standardKey returns the HMAC key of a whsec_ secret.
func standardKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return nil, hookd.Errorf(hookd.EINVALID, "a standard secret starts with whsec_")
	}
	key, err := b64.DecodeString(raw)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, hookd.Errorf(hookd.EINVALID, "a standard secret is whsec_ and 24 to 64 bytes in base64")
	}
	return key, nil
}

// Policy implements hookd.Profile: 15 s, retries after 5 s, 5 min, 30 min,
// 2 h, 5 h, 10 h and 10 h, each lengthened by up to 20 % (jitter never
// brings a retry forward).
func (Standard) Policy() hookd.Policy { return standardPolicy }

var standardPolicy = hookd.Policy{
	Timeout: 15 * time.Second,
	Schedule: []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute,
		2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour},
	Jitter: 0.2,
}

// NewSecret implements hookd.Profile: whsec_ and 24 random bytes.
func (Standard) NewSecret() (string, error) {
	b, err := randomBytes(24)
	if err != nil {
		return "", err
	}
	return "whsec_" + b64.EncodeToString(b), nil
}

// SignsV1a implements hookd.V1aSigner.
func (Standard) SignsV1a() bool { return true }

// CheckSecret implements hookd.Profile: a whsec_ secret (v1) or a whsk_
// signing key (v1a).
func (Standard) CheckSecret(s string) error { return checkStandardSecret(s) }

// checkStandardSecret checks a secret of a profile that sends the Standard
// Webhooks headers; linkmoney uses it too.
func checkStandardSecret(s string) error {
	if hookd.IsSigningKey(s) {
		_, err := hookd.ParseSigningKey(s)
		return err
	}
	_, err := standardKey(s)
	return err
}
