package profile

import (
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// Lean is Lean Technologies' format: body
// {"payload","type","message","timestamp","event_id"}, in this order (the
// order of most of the seed's examples and of Lean's Events API), and the
// header lean-signature: sha512=<lowercase hex HMAC-SHA512(secret, body)>.
//
// Lean sends one signature, and receivers written to its docs compare the
// header's whole value with the one they compute: a second value, on a
// repeated line that Node.js and Python frameworks join with ", ", fails
// them. So lean signs with one secret at a time, also during a rotation
// (see hookd.Endpoint.Rotate).
type Lean struct {
	// Messages returns Lean's sentence for a wire type ("An entity object
	// has been created."). Nil, or an empty sentence, gives the generic
	// "A <type> event occurred.": Lean's envelope always has a message.
	Messages func(wireType string) string
}

// Name implements hookd.Profile.
func (Lean) Name() string { return "lean" }

// Provider implements hookd.Profile.
func (Lean) Provider() string { return "lean" }

// Headers implements hookd.Profile.
func (Lean) Headers() []string { return []string{"Lean-Signature"} }

// Body implements hookd.Profile. The timestamp is the event's creation time
// with exactly six fraction digits, as in every sample of the seed; Lean
// stamps the first send, but the body must be the same on every attempt.
func (p Lean) Body(ev *hookd.Event) ([]byte, error) {
	typ := hookd.WireType(ev.Type)
	var msg string
	if p.Messages != nil {
		msg = p.Messages(typ)
	}
	if msg == "" {
		// Custom types only: one small allocation per body is fine.
		msg = "A " + typ + " event occurred."
	}
	b := make([]byte, 0, len(ev.Payload)+len(typ)+len(msg)+len(ev.ID)+96)
	b = append(b, `{"payload":`...)
	b = append(b, ev.Payload...)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, `,"timestamp":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","event_id":`...)
	b = appendJSONString(b, ev.ID)
	return append(b, '}'), nil
}

// leanPrefix starts every lean-signature value.
const leanPrefix = "sha512="

// Sign implements hookd.Profile: one lean-signature value, with the first
// secret. The key is the secret's bytes as given; Lean does not decode it.
func (Lean) Sign(h http.Header, _ *hookd.Message, body []byte, secrets []string) {
	if len(secrets) == 0 {
		delete(h, "Lean-Signature")
		return
	}
	var buf [len(leanPrefix) + 2*sha512.Size]byte
	var sum [sha512.Size]byte
	mac, pool := macs.get(leanMAC, secrets[0])
	mac.Write(body)
	b := append(buf[:0], leanPrefix...)
	b = hex.AppendEncode(b, mac.Sum(sum[:0]))
	macs.put(mac, pool)
	h["Lean-Signature"] = []string{string(b)}
}

// MultiSignature implements hookd.Profile: lean-signature holds one value.
func (Lean) MultiSignature() bool { return false }

// Policy implements hookd.Profile: 10 s, retries 1, 2, 5, 10, 60 and 180
// minutes after the first send. No jitter: Lean documents these exact
// times, and receivers may rely on them (e.g. to expect the last retry).
// A try that went out late (a Retry-After moved it past later points) is
// followed no sooner than the schedule's gap to the next point (1, 3, 5,
// 50 or 120 min), so that the rest do not go out back to back.
func (Lean) Policy() hookd.Policy { return leanPolicy }

var leanPolicy = hookd.Policy{
	Timeout: 10 * time.Second,
	Schedule: []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 60 * time.Minute, 180 * time.Minute},
	FromFirst: true,
}

// NewSecret implements hookd.Profile: 32 random bytes in lowercase hex.
func (Lean) NewSecret() (string, error) {
	b, err := randomBytes(32)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// CheckSecret implements hookd.Profile: Lean's webhookSecret is an opaque
// string, used as given.
func (Lean) CheckSecret(s string) error { return checkASCIISecret("lean", s) }

// checkASCIISecret accepts 8 to 256 printable ASCII characters (space
// included), the opaque keys of Lean and Weavr: their bytes are the HMAC
// key, so anything a user can type and paste into a header or a form works,
// and control or non-ASCII characters, which would differ between
// encodings on the two sides, are refused. Neither provider sets a length,
// and a customer may reuse the secret their provider account has (say
// "my-lean-secret"), so the minimum only refuses what cannot be meant as
// a key; hookd makes 64 (lean) or 44 (weavr) characters.
func checkASCIISecret(profile, s string) error {
	if len(s) < minASCIISecret || len(s) > maxASCIISecret {
		return asciiSecretError(profile)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return asciiSecretError(profile)
		}
	}
	return nil
}

// The bounds of a Lean or Weavr secret, in characters.
const (
	minASCIISecret = 8
	maxASCIISecret = 256
)

func asciiSecretError(profile string) error {
	return hookd.Errorf(hookd.EINVALID, "a %s secret is %d to %d printable ASCII characters", profile, minASCIISecret, maxASCIISecret)
}
