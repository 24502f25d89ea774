package profile

import (
	"crypto/sha256"
	"net/http"
	"strconv"
	"time"

	"github.com/hookd/hookd"
)

// Weavr is Weavr's payment-run format: body {"type","payload"} and the
// headers
//
//	call-ref:            the delivery id, the same on every retry
//	published-timestamp: epoch milliseconds of the attempt
//	signature:           base64 HMAC-SHA256(key, published-timestamp)
//	signature-v2:        base64 HMAC-SHA256(key, call-ref + body + published-timestamp)
//
// where the key is the secret's bytes as given (Weavr's API key) and the
// base64 is standard and padded.
//
// Each signature header holds one value, as Weavr sends it, and receivers
// written to Weavr's docs compare it whole: a second value, on a repeated
// line that Node.js and Python frameworks join with ", ", fails them. So
// weavr signs with one secret at a time, also during a rotation (see
// hookd.Endpoint.Rotate).
type Weavr struct{}

// Name implements hookd.Profile.
func (Weavr) Name() string { return "weavr" }

// Provider implements hookd.Profile.
func (Weavr) Provider() string { return "weavr" }

// Headers implements hookd.Profile.
func (Weavr) Headers() []string {
	return []string{"Call-Ref", "Published-Timestamp", "Signature", "Signature-V2"}
}

// Body implements hookd.Profile.
func (Weavr) Body(ev *hookd.Event) ([]byte, error) {
	typ := hookd.WireType(ev.Type)
	b := make([]byte, 0, len(ev.Payload)+len(typ)+32)
	b = append(b, `{"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"payload":`...)
	b = append(b, ev.Payload...)
	return append(b, '}'), nil
}

// weavrSigLen is the length of a padded base64 HMAC-SHA256: 44 characters.
const weavrSigLen = (sha256.Size + 2) / 3 * 4

// Sign implements hookd.Profile, with the first secret. The delivery id is
// the call-ref because Weavr's receivers use it for idempotency: it must
// not change on a retry.
func (Weavr) Sign(h http.Header, m *hookd.Message, body []byte, secrets []string) {
	// The timestamp, the call-ref (as bytes to hash) and both signatures
	// go into one buffer turned into one string, sliced below: one
	// allocation instead of four on the hot path.
	buf := make([]byte, 0, 20+len(m.DeliveryID)+2*weavrSigLen)
	buf = strconv.AppendInt(buf, m.At.UnixMilli(), 10)
	tsLen := len(buf)
	buf = append(buf, m.DeliveryID...)
	sigStart := len(buf)
	ts, callRef := buf[:tsLen], buf[tsLen:sigStart]
	if len(secrets) > 0 {
		var sum [sha256.Size]byte
		mac, pool := macs.get(weavrMAC, secrets[0])
		mac.Write(ts)
		buf = b64.AppendEncode(buf, mac.Sum(sum[:0]))
		mac.Reset()
		mac.Write(callRef)
		mac.Write(body)
		mac.Write(ts)
		buf = b64.AppendEncode(buf, mac.Sum(sum[:0]))
		macs.put(mac, pool)
	}
	all := string(buf)

	// Likewise one backing array for every header value. The full slice
	// expressions cap each value list so that an h.Add by someone else
	// reallocates instead of writing into the next header's values.
	vals := []string{m.DeliveryID, all[:tsLen], "", ""}
	h["Call-Ref"] = vals[0:1:1]
	h["Published-Timestamp"] = vals[1:2:2]
	if len(secrets) == 0 {
		delete(h, "Signature")
		delete(h, "Signature-V2")
		return
	}
	vals[2] = all[sigStart : sigStart+weavrSigLen]
	vals[3] = all[sigStart+weavrSigLen:]
	h["Signature"] = vals[2:3:3]
	h["Signature-V2"] = vals[3:4:4]
}

// MultiSignature implements hookd.Profile: signature and signature-v2 hold
// one value each.
func (Weavr) MultiSignature() bool { return false }

// Policy implements hookd.Profile: 10 s; retries only on 408, 409, 425 and
// 5xx (and when no answer came), 10 s, 60 s, 6 min, 36 min and 3.6 h after
// the previous try, each lengthened by up to 10 %. Weavr's own times are an
// exponential series rather than promises, so a little jitter costs
// receivers nothing and keeps the retries of a burst of failures from
// arriving all at once; it only lengthens, so no retry comes before
// Weavr's time.
func (Weavr) Policy() hookd.Policy { return weavrPolicy }

var weavrPolicy = hookd.Policy{
	Timeout: 10 * time.Second,
	Schedule: []time.Duration{10 * time.Second, 60 * time.Second, 6 * time.Minute,
		36 * time.Minute, 216 * time.Minute},
	Jitter:    0.1,
	Retryable: weavrRetryable,
}

// weavrRetryable is Weavr's rule: a timeout, a conflict, "too early" or a
// server error may pass later; any other 4xx (429 included) will not.
func weavrRetryable(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly:
		return true
	}
	return status >= 500 && status <= 599
}

// NewSecret implements hookd.Profile: 32 random bytes in standard base64,
// 44 printable characters. The HMAC key is that string itself, not the
// decoded bytes, as with any API key a user brings.
func (Weavr) NewSecret() (string, error) {
	b, err := randomBytes(32)
	if err != nil {
		return "", err
	}
	return b64.EncodeToString(b), nil
}

// CheckSecret implements hookd.Profile: Weavr's API key is an opaque string.
func (Weavr) CheckSecret(s string) error { return checkASCIISecret("weavr", s) }
