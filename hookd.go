// Package hookd is the vocabulary of the hookd webhook delivery service: the
// domain types (tenants, endpoints, events, deliveries, attempts), the wire
// format abstraction (Profile), the storage contract (Store) and the error
// codes shared by every adapter. It imports nothing else of the project.
package hookd

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tenant is one customer of the operator. Nothing crosses tenants.
type Tenant struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// TenantUpdate holds the fields a PATCH may change; nil means unchanged.
type TenantUpdate struct {
	Name     *string          `json:"name"`
	Metadata *json.RawMessage `json:"metadata"`
}

// Ordering modes of an endpoint.
const (
	OrderingNone = "none"
	OrderingKey  = "key"
)

// Endpoint is a tenant's URL with the event types it wants, the wire format
// (profile) it expects, its secrets and its delivery options.
type Endpoint struct {
	ID          string            `json:"id"`
	TenantID    string            `json:"tenant_id"`
	URL         string            `json:"url"`
	Profile     string            `json:"profile"`
	EventTypes  []string          `json:"event_types"`
	Description string            `json:"description"`
	RateLimit   int               `json:"rate_limit_per_s,omitempty"`
	Ordering    string            `json:"ordering"`
	Headers     map[string]string `json:"headers,omitempty"`
	TimeoutMS   int               `json:"timeout_ms,omitempty"`
	// RetrySchedule, when set, replaces the profile's delays between tries.
	RetrySchedule []Duration `json:"retry_schedule,omitempty"`
	// Signature is the Standard Webhooks scheme of a standard or
	// linkmoney endpoint: SignatureV1 (HMAC) or SignatureV1a (ed25519).
	// Chosen at creation.
	Signature string `json:"signature"`
	// PublicKey, on a v1a endpoint, is the whpk_ public key of its newest
	// signing key (SigningPublicKey): not secret, shown on every read.
	PublicKey      string `json:"public_key,omitempty"`
	Disabled       bool   `json:"disabled"`
	DisabledReason string `json:"disabled_reason,omitempty"`
	// FailingSince is when the current run of failures began; nil when the
	// last attempt succeeded.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// IfUpdatedAt, when set, makes Store.SaveEndpoint a compare-and-swap:
	// it writes only if the stored endpoint's UpdatedAt is still this (the
	// one it was read with), and answers ErrChanged otherwise, so that two
	// changes made at once (a PATCH and a rotation, say) never lose one.
	IfUpdatedAt time.Time `json:"-"`

	// Secrets sign deliveries, newest first: the current one, then older
	// ones still inside their rotation grace period. A secret signs from
	// its ActiveFrom until its ExpiresAt; see SigningSecrets and Rotate.
	// Never serialised.
	Secrets []Secret `json:"-"`
}

// Secret is one signing key of an endpoint. It signs from ActiveFrom
// until ExpiresAt; a zero bound is open.
type Secret struct {
	Value      string    `json:"value"`
	ActiveFrom time.Time `json:"active_from,omitzero"` // zero: since it was made
	ExpiresAt  time.Time `json:"expires_at,omitzero"`  // zero: does not expire
}

// activeAt reports whether the secret signs at now.
func (s *Secret) activeAt(now time.Time) bool {
	return !now.Before(s.ActiveFrom) && (s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt))
}

// ActiveSecrets returns the secret values active at now, newest first.
func (e *Endpoint) ActiveSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.Secrets))
	for i := range e.Secrets {
		if e.Secrets[i].activeAt(now) {
			out = append(out, e.Secrets[i].Value)
		}
	}
	return out
}

// SigningSecrets returns the secret values that sign a request made at
// now. A profile that carries one signature per secret (multi: Standard
// Webhooks' list) signs with every active secret, newest first. Any other
// sends one value, which a receiver compares with the one secret it holds,
// so it signs with one secret: the oldest active one, the secret receivers
// have had longest. Rotate never lets two such secrets overlap; this rule
// covers secrets rotated under a multi profile and then moved to a single
// one by a profile change: the old secret signs alone to the end of its
// grace period, then the new one.
func (e *Endpoint) SigningSecrets(now time.Time, multi bool) []string {
	if multi {
		return e.ActiveSecrets(now)
	}
	for i := len(e.Secrets) - 1; i >= 0; i-- {
		if e.Secrets[i].activeAt(now) {
			return []string{e.Secrets[i].Value}
		}
	}
	return nil
}

// Rotation bounds: the default and the longest grace period.
const (
	DefaultRotationGrace = 24 * time.Hour
	MaxRotationGrace     = 30 * 24 * time.Hour
)

// Rotation asks for a new secret (the body of rotate-secret).
type Rotation struct {
	// Secret is the new secret; empty: one made by the profile.
	Secret string `json:"secret"`
	// GraceSeconds is how long the older secrets keep signing: 0 to 30
	// days, default 24 h.
	GraceSeconds *int64 `json:"grace_seconds"`
	// ActivateAt, for a profile that sends one signature value, is when
	// the new secret takes over from the old one, instead of the end of
	// the grace period; a time already past means now.
	ActivateAt *time.Time `json:"activate_at"`
}

// Rotated is the outcome of a rotation (the answer of rotate-secret).
type Rotated struct {
	// Secret is the new secret; empty for a v1a signing key, which is
	// never shown: PublicKey is.
	Secret    string `json:"secret,omitempty"`
	PublicKey string `json:"public_key,omitempty"`
	// ActiveFrom is when the new secret starts signing.
	ActiveFrom time.Time `json:"active_from"`
	// PreviousExpiresAt is when the older secrets stop signing.
	PreviousExpiresAt time.Time `json:"previous_expires_at"`
}

// Rotate makes r.Secret (or a new secret of p) the endpoint's newest
// secret at now, with the hand-over p's receivers can follow:
//
//   - a profile with one signature per secret (p.MultiSignature) signs with
//     the new secret at once, beside the older ones until the grace period
//     ends, so a receiver holding either verifies;
//   - any other sends one value per signature header, so the secrets take
//     turns: the old one keeps signing alone until the switch time
//     (ActivateAt, by default the end of the grace period), then the new
//     one signs alone. The consumer deploys the new secret on its receiver
//     before the switch, or moves the switch: rotating again to the secret
//     that has not taken over yet moves its switch time, earlier or later.
//
// It changes only e.Secrets; the caller stores the endpoint.
func (e *Endpoint) Rotate(p Profile, r Rotation, now time.Time) (Rotated, error) {
	multi := p.MultiSignature()
	grace := DefaultRotationGrace
	if r.GraceSeconds != nil {
		if *r.GraceSeconds < 0 || *r.GraceSeconds > int64(MaxRotationGrace/time.Second) {
			return Rotated{}, FieldErrorf(EINVALID, "grace_seconds", "range", "grace_seconds must be from 0 to %d (30 days)", int64(MaxRotationGrace/time.Second))
		}
		grace = time.Duration(*r.GraceSeconds) * time.Second
	}
	end := now.Add(grace) // when the older secrets stop signing
	if r.ActivateAt != nil {
		switch {
		case multi:
			return Rotated{}, FieldErrorf(EINVALID, "activate_at", "profile", "activate_at: profile %q signs with the old and the new secret side by side during the grace period; activate_at is for profiles that send one signature value (lean, weavr)", p.Name())
		case r.GraceSeconds != nil:
			return Rotated{}, FieldErrorf(EINVALID, "activate_at", "exclusive", "give grace_seconds or activate_at, not both: activate_at is the end of the grace period")
		case r.ActivateAt.After(now.Add(MaxRotationGrace)):
			return Rotated{}, FieldErrorf(EINVALID, "activate_at", "range", "activate_at must be at most 30 days ahead")
		}
		end = now
		if r.ActivateAt.After(now) {
			end = r.ActivateAt.UTC()
		}
	}
	start := now // when the new secret starts signing
	if !multi {
		start = end
	}
	secret, err := SignatureSecret(p, e.Signature, r.Secret)
	if err != nil {
		return Rotated{}, err
	}

	// A secret waiting for its switch that is rotated to again keeps its
	// place in the chain: the secrets that were to hand over to it hand
	// over at the new time, earlier or later.
	var handover time.Time
	for i := range e.Secrets {
		switch s := &e.Secrets[i]; {
		case s.Value != secret:
		case s.activeAt(now):
			return Rotated{}, FieldErrorf(EINVALID, "secret", "unique", "secret: the endpoint already signs with this secret; rotate to a new one")
		case s.ActiveFrom.After(now):
			handover = s.ActiveFrom
		}
	}
	next := []Secret{{Value: secret}}
	if start.After(now) {
		next[0].ActiveFrom = start
	}
	for _, old := range e.Secrets {
		if old.Value == secret {
			continue
		}
		switch {
		case !handover.IsZero() && old.ExpiresAt.Equal(handover):
			old.ExpiresAt = end
		case old.ExpiresAt.IsZero() || old.ExpiresAt.After(end):
			old.ExpiresAt = end
		}
		// Drop what no longer signs, and what never would.
		if !old.ExpiresAt.After(now) || !old.ActiveFrom.Before(old.ExpiresAt) {
			continue
		}
		next = append(next, old)
	}
	if start.After(now) && !slices.ContainsFunc(next[1:], func(s Secret) bool { return s.activeAt(now) }) {
		// Nothing older signs until the switch: the new secret must.
		next[0].ActiveFrom, start = time.Time{}, now
	}
	e.Secrets = next
	e.PublicKey = e.SigningPublicKey()
	out := Rotated{Secret: secret, PublicKey: e.PublicKey, ActiveFrom: start, PreviousExpiresAt: end}
	if IsSigningKey(secret) {
		out.Secret = ""
	}
	return out, nil
}

// Wants reports whether the endpoint subscribes to an event type: a
// pattern of its EventTypes (an exact name, a trailing wildcard
// ("payment.*") or "*") selects the type's name or its wire name, so
// "payment.created" and "payment.*" select "lean:payment.created", and
// "lean:payment.created" selects only that provider's.
func (e *Endpoint) Wants(eventType string) bool {
	wire := WireType(eventType)
	for _, p := range e.EventTypes {
		if MatchType(p, eventType) || wire != eventType && MatchType(p, wire) {
			return true
		}
	}
	return false
}

// Operational event types: hookd's own events about a tenant's endpoints,
// published into the tenant like any other. The wildcard "*" does not
// select them (a receiver of a provider's events should not meet them);
// an endpoint names them ("hookd.endpoint.disabled") or their prefix
// ("hookd.*") to receive them.
const (
	OperationalPrefix = "hookd."
	EndpointDisabled  = "hookd.endpoint.disabled"
	// OperationalProvider is the catalog's provider of the operational
	// types: hookd, not a wire format (no profile, no qualifier).
	OperationalProvider = "hookd"
)

// OperationalTypes lists the operational event types hookd emits. The
// catalog holds each one's schema and example (provider "hookd"), so that
// GET /v1/event-types lists them; tenants subscribe to them but may not
// publish them (NotOperational).
var OperationalTypes = []string{EndpointDisabled}

// EndpointDisabledPayload is the payload of EndpointDisabled, as hookd
// publishes it (the catalog's schema of the type describes these fields).
type EndpointDisabledPayload struct {
	EndpointID string    `json:"endpoint_id"`
	URL        string    `json:"url"`
	Reason     string    `json:"reason"`
	DisabledAt time.Time `json:"disabled_at"`
	// FailingSince is when the run of failures began, if one was
	// recorded.
	FailingSince *time.Time `json:"failing_since,omitempty"`
}

// MatchType reports whether pattern selects eventType.
func MatchType(pattern, eventType string) bool {
	switch {
	case pattern == "*":
		return !strings.HasPrefix(eventType, OperationalPrefix)
	case len(pattern) > 1 && pattern[len(pattern)-1] == '*':
		prefix := pattern[:len(pattern)-1]
		return len(eventType) >= len(prefix) && eventType[:len(prefix)] == prefix
	default:
		return pattern == eventType
	}
}

// ManualDisableReason is the reason of an endpoint disabled by hand when
// none is given.
const ManualDisableReason = "disabled by hand"

// Disable pauses the endpoint: its deliveries wait, parked, until it is
// enabled. A reason replaces the one recorded; "" keeps it (or, on an
// enabled endpoint, records ManualDisableReason).
func (e *Endpoint) Disable(reason string) {
	switch {
	case reason != "":
		e.DisabledReason = reason
	case !e.Disabled || e.DisabledReason == "":
		e.DisabledReason = ManualDisableReason
	}
	e.Disabled = true
}

// Enable resumes the endpoint, with a fresh record of health.
func (e *Endpoint) Enable() {
	e.Disabled, e.DisabledReason, e.FailingSince = false, "", nil
}

// EndpointUpdate holds the fields a PATCH may change; nil means unchanged.
type EndpointUpdate struct {
	URL           *string            `json:"url"`
	Profile       *string            `json:"profile"`
	EventTypes    *[]string          `json:"event_types"`
	Description   *string            `json:"description"`
	RateLimit     *int               `json:"rate_limit_per_s"`
	Ordering      *string            `json:"ordering"`
	Headers       *map[string]string `json:"headers"`
	TimeoutMS     *int               `json:"timeout_ms"`
	RetrySchedule *[]Duration        `json:"retry_schedule"`
	// Signature is set at creation only (a PATCH may repeat the value).
	Signature *string `json:"signature"`
	// Disabled pauses (true) or resumes (false) the endpoint, as the
	// disable and enable routes do; DisabledReason goes with true.
	Disabled       *bool   `json:"disabled"`
	DisabledReason *string `json:"disabled_reason"`
}

// Apply copies the set fields of u onto e.
func (u *EndpointUpdate) Apply(e *Endpoint) {
	if u.URL != nil {
		e.URL = *u.URL
	}
	if u.Profile != nil {
		e.Profile = *u.Profile
	}
	if u.EventTypes != nil {
		e.EventTypes = *u.EventTypes
	}
	if u.Description != nil {
		e.Description = *u.Description
	}
	if u.RateLimit != nil {
		e.RateLimit = *u.RateLimit
	}
	if u.Ordering != nil {
		e.Ordering = *u.Ordering
	}
	if u.Headers != nil {
		e.Headers = *u.Headers
	}
	if u.TimeoutMS != nil {
		e.TimeoutMS = *u.TimeoutMS
	}
	if u.RetrySchedule != nil {
		e.RetrySchedule = *u.RetrySchedule
	}
	if u.Signature != nil {
		e.Signature = *u.Signature
	}
	switch {
	case u.Disabled != nil && !*u.Disabled:
		e.Enable()
	case u.Disabled != nil || (u.DisabledReason != nil && e.Disabled):
		reason := ""
		if u.DisabledReason != nil {
			reason = *u.DisabledReason
		}
		e.Disable(reason)
	}
}

// Event is one published event. Payload is kept byte for byte as published.
type Event struct {
	ID             string          `json:"id"`
	TenantID       string          `json:"tenant_id"`
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	OrderingKey    string          `json:"ordering_key,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	// Test marks an event published by an endpoint's test route. The API
	// shows it; the wire formats, which are fixed, do not.
	Test      bool      `json:"test"`
	CreatedAt time.Time `json:"created_at"`
	// Source names the source request an event received at an ingest URL
	// came from (set on the read of one event).
	Source *EventSource `json:"source,omitempty"`
	// Seq orders events of the store; used as the cursor of list pages.
	Seq int64 `json:"-"`
	// TraceContext is the W3C traceparent of the publish that stored the
	// event ("" when not traced), so the attempts of its deliveries, made
	// hours later or on another node, join the publish's trace.
	TraceContext string `json:"-"`
}

// Delivery states. A parked delivery is a pending one of a disabled
// endpoint: stores keep it pending (owned by Parked), and show it parked,
// without a due time, until the endpoint is enabled.
const (
	StatePending   = "pending"
	StateParked    = "parked"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateCanceled  = "canceled"
)

// Delivery is one event to one endpoint.
type Delivery struct {
	ID            string     `json:"id"`
	TenantID      string     `json:"tenant_id"`
	EventID       string     `json:"event_id"`
	EndpointID    string     `json:"endpoint_id"`
	EventType     string     `json:"event_type"`
	State         string     `json:"state"`
	Attempts      int        `json:"attempt_count"`
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	FirstSentAt   *time.Time `json:"first_sent_at,omitempty"`
	LastStatus    int        `json:"last_status,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	Seq           int64      `json:"-"`
	// Owner, on a new delivery, is the node that holds it in memory to send
	// it, Parked when its endpoint is disabled, or "" when it waits in the
	// store for whichever node claims it.
	Owner string `json:"-"`
	// OrderingKey is the event's ordering key when the endpoint delivers
	// in order per key ("" otherwise): such a delivery is claimed only
	// once no earlier delivery of its endpoint and key is pending.
	OrderingKey string `json:"-"`
}

// Error classes of an attempt.
const (
	ClassNone    = ""
	ClassTimeout = "timeout"
	ClassConnect = "connect"
	ClassTLS     = "tls"
	ClassBlocked = "blocked"
	ClassStatus  = "non-2xx"
)

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	// ID is opaque (see AttemptID): a global sequence would tell every
	// tenant how many attempts all the others made.
	ID         string    `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	Status     int       `json:"status,omitempty"`
	Response   string    `json:"response,omitempty"`
	// ResponseHeaders are the answer's headers (HeaderLines).
	ResponseHeaders HeaderLines `json:"response_headers,omitempty"`
	ErrorClass      string      `json:"error_class,omitempty"`
	Error           string      `json:"error,omitempty"`
	// Seq orders a delivery's attempts in the store; never shown.
	Seq int64 `json:"-"`
}

// AttemptID is the id the API shows for attempt n of a delivery: derived
// from what the caller knows already, so it reveals nothing else, and the
// same on every node and every read. k counts the earlier attempts of the
// delivery with the same number (0 for the first): two nodes may both have
// made attempt n when one was taken for dead while it sent.
func AttemptID(deliveryID string, n, k int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", deliveryID, n, k))
	return "att_" + hex.EncodeToString(sum[:12])
}

// ResponseExcerptLimit is how much of an endpoint's answer is recorded.
const ResponseExcerptLimit = 4 << 10

// Duration is a time.Duration that reads and writes JSON as seconds (a
// number) and also reads Go duration strings such as "90s" or "5m".
type Duration time.Duration

// MarshalJSON writes the duration as seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).Seconds())
}

// UnmarshalJSON reads seconds or a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var secs float64
	if err := json.Unmarshal(b, &secs); err == nil {
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "a duration is a number of seconds or a string such as \"90s\" or \"5m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return Errorf(EINVALID, "%q is not a duration: give a number of seconds or a string such as \"90s\" or \"5m\"", s)
	}
	*d = Duration(v)
	return nil
}

// Clock tells the time; injected so schedules are tested without sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }
