// Package receiver verifies and parses webhooks sent in hookd's four wire
// formats (profiles): standard (Standard Webhooks v1), lean, weavr and
// linkmoney; and, as profile hmac with an [HMACScheme], those of any sender
// that signs an HMAC of the body (GitHub, Stripe, Shopify, ...). It is what
// the receiving side of a webhook imports: it depends on nothing outside
// the standard library and this module (internal/jsonscan).
//
// The usual entry point is a [Handler], which verifies each request,
// answers duplicates without running user code again and dispatches by
// event type:
//
//	v := &receiver.Verifier{Profile: receiver.Standard, Secrets: []string{secret}}
//	h := receiver.NewHandler(v)
//	h.On(receiver.LeanPaymentUpdated, func(ctx context.Context, w *receiver.Webhook) error {
//		p, err := w.DecodeAs(receiver.Lean)
//		...
//	})
//	http.Handle("/webhooks", h)
//
// Lower down, [Verifier.Verify] checks a signature over headers and a raw
// body, [Parse] reads the envelope of a body without verifying it, and
// [Webhook.Decode] turns a payload into the typed struct of its event type.
//
// What each profile signs:
//
//	standard, linkmoney  webhook-id, webhook-timestamp (unix s), webhook-signature (or Svix's svix-id,
//	                     svix-timestamp, svix-signature when none of those is sent)
//	                     "v1,<base64 HMAC-SHA256(key, id.timestamp.body)>"; secret "whsec_<base64 key>"
//	lean                 lean-signature "sha512=<hex HMAC-SHA512(secret, body)>"; no signed time
//	weavr                call-ref, published-timestamp (unix ms), signature-v2
//	                     <base64 HMAC-SHA256(key, call-ref+body+published-timestamp)>,
//	                     legacy signature <base64 HMAC-SHA256(key, published-timestamp)>
//	hmac                 the HMACScheme's header, prefix and encoding of ALGORITHM(key, signed content)
//
// Verification must run over the body exactly as received: re-encoding JSON
// changes bytes and breaks every signature.
package receiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Profile names a wire format.
type Profile string

// The wire formats. Lean, Weavr and LinkMoney also name the providers
// whose payloads [Webhook.DecodeAs] knows.
const (
	Standard  Profile = "standard"  // Standard Webhooks v1: {"type","timestamp","data"}
	Lean      Profile = "lean"      // Lean Technologies: {"payload","type","message","timestamp","event_id"}
	Weavr     Profile = "weavr"     // Weavr: {"type","payload"}
	LinkMoney Profile = "linkmoney" // Link Money: {"id","creationTime","eventType","metadata"}
)

// Errors returned by this package, always wrapped with context: test for
// them with errors.Is. [Handler] maps them to HTTP status codes.
var (
	// ErrMissingHeader: a header the profile requires is absent or empty.
	ErrMissingHeader = errors.New("receiver: missing header")
	// ErrBadSignature: no signature matches any of the secrets.
	ErrBadSignature = errors.New("receiver: bad signature")
	// ErrTimestamp: the signed timestamp is outside the tolerance (too old
	// or too far in the future).
	ErrTimestamp = errors.New("receiver: timestamp outside tolerance")
	// ErrMalformed: a header or the body does not have the profile's shape.
	ErrMalformed = errors.New("receiver: malformed webhook")
	// ErrTooLarge: the body is over the size limit.
	ErrTooLarge = errors.New("receiver: body too large")
	// ErrConfig: the Verifier itself is unusable (no secret, a secret that
	// does not decode, an unknown profile). The request may be fine.
	ErrConfig = errors.New("receiver: bad configuration")
)

// Webhook is one parsed webhook, the same shape for every profile.
type Webhook struct {
	Profile Profile
	// ID identifies the event for deduplication; it is the same on every
	// retry. standard and linkmoney: the webhook-id (or svix-id) header
	// (linkmoney falls back to the body's id); lean: event_id; weavr: the
	// call-ref header, which may be empty.
	ID string
	// Type is the event type as on the wire ("payment.created",
	// "linkedAccountWatch").
	Type string
	// Timestamp is the profile's own time, in UTC; zero when absent.
	// standard: webhook-timestamp (else the body's timestamp); lean: the
	// body's timestamp, the time of the first attempt; linkmoney:
	// creationTime; weavr: published-timestamp, the time of this attempt.
	Timestamp time.Time
	// Payload is the provider's payload. standard: data; lean and weavr:
	// payload; linkmoney: metadata.
	Payload json.RawMessage
	// Raw is the body as received. It aliases the slice given to Parse.
	Raw []byte
}

// Parse reads the envelope of a webhook without verifying it; use
// [Verifier.VerifyRequest] or [Verifier.Verify] first for anything that
// came from the network. The body must be a JSON object with a non-empty
// type; unknown fields are ignored.
func Parse(p Profile, h http.Header, body []byte) (*Webhook, error) {
	w := &Webhook{Profile: p, Raw: body}
	switch p {
	case Standard:
		var env struct {
			Type      string          `json:"type"`
			Timestamp string          `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		if err := unmarshalEnvelope(p, body, &env, str("type", &env.Type), str("timestamp", &env.Timestamp),
			raw("data", &env.Data)); err != nil {
			return nil, err
		}
		w.Type, w.Payload = env.Type, env.Data
		idName, tsName, _ := standardNames(h)
		w.ID = header(h, idName)
		var err error
		if ts := header(h, tsName); ts != "" {
			w.Timestamp, err = parseUnixSeconds(tsName, ts)
		} else if env.Timestamp != "" {
			w.Timestamp, err = parseRFC3339(env.Timestamp)
		}
		if err != nil {
			return nil, err
		}
	case LinkMoney:
		// Metadata stays raw here: it is the payload, which Decode checks,
		// so that a metadata object of an unexpected shape still parses.
		var env struct {
			ID           string          `json:"id"`
			CreationTime string          `json:"creationTime"`
			EventType    string          `json:"eventType"`
			Metadata     json.RawMessage `json:"metadata"`
		}
		if err := unmarshalEnvelope(p, body, &env, str("id", &env.ID), str("creationTime", &env.CreationTime),
			str("eventType", &env.EventType), raw("metadata", &env.Metadata)); err != nil {
			return nil, err
		}
		w.Type, w.Payload = env.EventType, env.Metadata
		idName, tsName, _ := standardNames(h)
		w.ID = header(h, idName)
		if w.ID == "" {
			w.ID = env.ID
		}
		var err error
		if env.CreationTime != "" {
			w.Timestamp, err = parseLinkMoneyTime(env.CreationTime)
		} else if ts := header(h, tsName); ts != "" {
			w.Timestamp, err = parseUnixSeconds(tsName, ts)
		}
		if err != nil {
			return nil, err
		}
	case Lean:
		var env LeanEnvelope
		if err := unmarshalEnvelope(p, body, &env, str("type", &env.Type), str("message", &env.Message),
			raw("payload", &env.Payload), str("timestamp", &env.Timestamp), str("event_id", &env.EventID)); err != nil {
			return nil, err
		}
		w.Type, w.Payload, w.ID = env.Type, env.Payload, env.EventID
		if env.Timestamp != "" {
			var err error
			if w.Timestamp, err = parseRFC3339(env.Timestamp); err != nil {
				return nil, err
			}
		}
	case Weavr:
		var env struct {
			Type    string          `json:"type"`
			Payload json.RawMessage `json:"payload"`
		}
		if err := unmarshalEnvelope(p, body, &env, str("type", &env.Type), raw("payload", &env.Payload)); err != nil {
			return nil, err
		}
		w.Type, w.Payload = env.Type, env.Payload
		w.ID = header(h, hdrCallRef)
		if ts := header(h, hdrPublishedTimestamp); ts != "" {
			ms, err := strconv.ParseInt(ts, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: %s %q is not epoch milliseconds", ErrMalformed, hdrPublishedTimestamp, ts)
			}
			w.Timestamp = time.UnixMilli(ms).UTC()
		}
	default:
		return nil, fmt.Errorf("%w: unknown profile %q", ErrConfig, p)
	}
	if w.Type == "" {
		return nil, fmt.Errorf("%w: %s body has no event type", ErrMalformed, p)
	}
	return w, nil
}

// unmarshalEnvelope decodes a body into an envelope struct and reports
// any failure as ErrMalformed. fields name the struct's fields for
// fastEnvelope, which reads the common shape of a body in one pass; what
// it cannot tell is left to json.Unmarshal.
func unmarshalEnvelope(p Profile, body []byte, v any, fields ...envelopeField) error {
	if len(body) == 0 {
		return fmt.Errorf("%w: empty %s body", ErrMalformed, p)
	}
	if fastEnvelope(body, fields) {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %s body: %v", ErrMalformed, p, err)
	}
	// A body of null decodes into the zero struct without error; the
	// missing type catches it.
	return nil
}

// parseUnixSeconds parses a webhook-timestamp (or svix-timestamp) header.
func parseUnixSeconds(name, s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q is not unix seconds", ErrMalformed, name, s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// parseRFC3339 parses Lean's and the standard body's timestamps, which
// carry 6 to 9 fraction digits; RFC3339Nano accepts any number.
func parseRFC3339(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q is not RFC 3339", ErrMalformed, s)
	}
	return t.UTC(), nil
}

// parseLinkMoneyTime parses creationTime, a local date-time without zone
// ("2023-12-08T17:30:42.505"), taken as UTC. Go accepts a fraction of any
// length after the seconds even though the layout has none; a value that
// does carry a zone is accepted too, since it is unambiguous.
func parseLinkMoneyTime(s string) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, time.UTC); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%w: creationTime %q is not a date-time", ErrMalformed, s)
}

// Decode returns the payload decoded into the typed struct of the
// webhook's event type, as a pointer (*LeanPayment, *WeavrLinkedAccount,
// *LinkMoneyMetadata, ...), or the raw payload as a json.RawMessage for a
// type it does not know.
//
// For the lean, weavr and linkmoney profiles the provider is the profile.
// The standard profile carries any provider's events: Decode picks the
// provider whose catalog holds the type, and returns the raw payload when
// none or several do ("payment.created" is both Lean's and Link Money's);
// use [Webhook.DecodeAs] to name the provider.
func (w *Webhook) Decode() (any, error) {
	provider := w.Profile
	if provider == Standard {
		provider = providerOf(w.Type)
	}
	return w.DecodeAs(provider)
}

// DecodeAs is Decode with the provider named: Lean, Weavr or LinkMoney.
// Any other value returns the raw payload.
func (w *Webhook) DecodeAs(provider Profile) (any, error) {
	v := newPayload(provider, w.Type)
	if v == nil {
		return w.Payload, nil
	}
	if len(w.Payload) == 0 {
		return nil, fmt.Errorf("%w: %s %s webhook has no payload", ErrMalformed, provider, w.Type)
	}
	if err := json.Unmarshal(w.Payload, v); err != nil {
		return nil, fmt.Errorf("%w: %s %s payload: %v", ErrMalformed, provider, w.Type, err)
	}
	return v, nil
}

// newPayload returns a pointer to a fresh payload struct of a provider's
// event type, or nil for a type it does not know.
func newPayload(provider Profile, typ string) any {
	if f, ok := payloads(provider)[typ]; ok {
		return f()
	}
	return nil
}

// payloads is the table of a provider's event types (nil: none).
func payloads(provider Profile) map[string]func() any {
	switch provider {
	case Lean:
		return leanPayloads
	case Weavr:
		return weavrPayloads
	case LinkMoney:
		return linkMoneyPayloads
	}
	return nil
}

// Types lists, sorted, the event types of a provider (Lean, Weavr or
// LinkMoney) that Decode turns into typed structs, as the body's type
// field names them; nil for any other profile.
func Types(provider Profile) []string {
	m := payloads(provider)
	if m == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(m))
}

// providerOf names the only provider whose catalog has typ, or "" when
// none or several do.
func providerOf(typ string) Profile {
	var found Profile
	for _, p := range [...]Profile{Lean, Weavr, LinkMoney} {
		if newPayload(p, typ) != nil {
			if found != "" {
				return ""
			}
			found = p
		}
	}
	return found
}
