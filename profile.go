package hookd

import (
	"net/http"
	"time"
)

// Profile is a wire format: how an event becomes the body of a request, how
// the request is signed and what the sender's delivery policy is. The
// profiles are standard (Standard Webhooks v1), lean, weavr and linkmoney.
type Profile interface {
	// Name is the profile's name as endpoints select it.
	Name() string
	// Provider is the catalog provider whose event types the profile
	// carries ("lean"), or "" for a profile that carries any type. An
	// endpoint test picks its example among the provider's types, and a
	// type two providers share resolves to the provider's.
	Provider() string
	// Headers names, in canonical form, the headers Sign sets: an
	// endpoint's custom headers may not set them (nor FramingHeaders).
	Headers() []string
	// Body builds the request body of an event. It depends on the event
	// only, so it is built once per event and profile and is the same on
	// every attempt; the body sent is exactly these bytes.
	Body(ev *Event) ([]byte, error)
	// Sign sets the identity and signature headers of one attempt, signing
	// with every secret given (newest first); a profile that is not
	// MultiSignature signs with the first alone. The secrets are those of
	// Endpoint.SigningSecrets.
	Sign(h http.Header, m *Message, body []byte, secrets []string)
	// MultiSignature reports whether a request carries one signature per
	// secret (Standard Webhooks' space-separated list), so that old and
	// new secret can sign side by side during a rotation. Otherwise each
	// signature header holds one value, as the provider sends it, and
	// receivers written to its docs compare that one value: the secrets
	// then take turns (see Endpoint.Rotate).
	MultiSignature() bool
	// Policy is the profile's default delivery policy.
	Policy() Policy
	// NewSecret makes a fresh secret in the profile's format.
	NewSecret() (string, error)
	// CheckSecret validates a secret given by a user.
	CheckSecret(secret string) error
}

// Message identifies one attempt of a delivery to its profile.
type Message struct {
	Event      *Event
	DeliveryID string    // unique per delivery, the same on every retry
	Attempt    int       // 1 for the first try
	At         time.Time // when this attempt is made
}

// Policy is how a delivery is tried: how long to wait for an answer, which
// answers succeed, which failures are retried and when.
type Policy struct {
	Timeout time.Duration
	// Schedule holds the delays of the retries after the first try. With
	// FromFirst they count from the first try, otherwise from the
	// previous one. With FromFirst a retry also comes no sooner after the
	// previous try was sent than the gap between their points in the
	// schedule: a try that came late (moved by a Retry-After, say) moves
	// the ones after it rather than have them go out back to back.
	Schedule  []time.Duration
	FromFirst bool
	// Jitter lengthens each delay by up to this fraction (0.2: a delay d
	// comes between d and 1.2 d). It never shortens one, so no try comes
	// before its point in the schedule, whatever the schedule.
	Jitter float64
	// Retryable says whether an answered status that is not a success is
	// retried; nil retries every failure. No answer is always retried.
	Retryable func(status int) bool
	// RetryAfterMax bounds the wait an endpoint may ask for with
	// Retry-After (0: DefaultRetryAfterMax).
	RetryAfterMax time.Duration
}

// DefaultRetryAfterMax is the longest Retry-After honoured by default.
const DefaultRetryAfterMax = time.Hour

// Success reports whether an HTTP status counts as delivered: any 2xx.
func Success(status int) bool { return status >= 200 && status < 300 }

// Retry decides what follows a failed try: ok is false when the delivery
// has failed for good, otherwise the next try is due d after now. tries is
// the number of tries made so far, status the answer's status (0: no
// answer came), retryAfter the wait the endpoint asked for with
// Retry-After (0: none), first when the first try was sent, sent when the
// try just made was sent (now is when it ended) and rnd a random number in
// [0,1) for jitter.
//
// Retry-After only lengthens a wait: the next try waits the larger of the
// schedule's delay and Retry-After (bounded by RetryAfterMax). It neither
// spends a try nor makes a final status retryable, so the tries of a
// delivery always span at least the whole schedule, and a status the
// profile's rule makes final (Weavr: 429) stays final.
func (p *Policy) Retry(tries, status int, retryAfter time.Duration, first, sent, now time.Time, rnd float64) (d time.Duration, ok bool) {
	if status != 0 && p.Retryable != nil && !p.Retryable(status) {
		return 0, false
	}
	d, ok = p.NextDelay(tries, first, sent, now, rnd)
	if !ok {
		return 0, false
	}
	limit := p.RetryAfterMax
	if limit <= 0 {
		limit = DefaultRetryAfterMax
	}
	return max(d, min(retryAfter, limit)), true
}

// NextDelay returns how long after now the next try of a delivery is due,
// given the number of tries made so far, when the first and the last of
// them were sent and a random number in [0,1) for jitter; ok is false when
// no try is left.
//
// With FromFirst the next try is due at its point in the schedule, first +
// Schedule[tries-1], but no sooner after the last try was sent than the
// gap between that point and the last try's: when a long Retry-After (or
// anything else) made the last try late, past later points, the tries
// after it keep the schedule's spacing instead of going out back to back.
// A try sent at its point leaves the next at its own point.
func (p *Policy) NextDelay(tries int, first, sent, now time.Time, rnd float64) (d time.Duration, ok bool) {
	if tries < 1 || tries > len(p.Schedule) {
		return 0, false
	}
	d = p.Schedule[tries-1]
	if p.FromFirst {
		gap := d
		if tries > 1 {
			gap -= p.Schedule[tries-2]
		}
		next := first.Add(d)
		if spaced := sent.Add(gap); spaced.After(next) {
			next = spaced
		}
		d = next.Sub(now)
	}
	if d < 0 {
		d = 0
	}
	if p.Jitter > 0 && rnd > 0 {
		d += time.Duration(float64(d) * p.Jitter * min(rnd, 1))
	}
	return d, true
}

// ProfileSecret returns given after checking that it fits p, or a new
// secret of p when given is empty.
func ProfileSecret(p Profile, given string) (string, error) {
	if given == "" {
		return p.NewSecret()
	}
	if err := p.CheckSecret(given); err != nil {
		return "", FieldErrorf(EINVALID, "secret", "secret", "secret: %s", ErrorMessage(err))
	}
	return given, nil
}
