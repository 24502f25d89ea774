// Package hookd is the vocabulary of the hookd webhook delivery service: the
// domain types (tenants, endpoints, events, deliveries, attempts), the wire
// format abstraction (Profile), the storage contract (Store) and the error
// codes shared by every adapter. It imports nothing else of the project.
package hookd

import (
	"encoding/json"
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
	RetrySchedule  []Duration `json:"retry_schedule,omitempty"`
	Disabled       bool       `json:"disabled"`
	DisabledReason string     `json:"disabled_reason,omitempty"`
	// FailingSince is when the current run of failures began; nil when the
	// last attempt succeeded.
	FailingSince *time.Time `json:"failing_since,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`

	// Secrets sign deliveries: the first is the current one, the others are
	// old ones still inside their rotation grace period. Never serialised.
	Secrets []Secret `json:"-"`
}

// Secret is one signing key of an endpoint.
type Secret struct {
	Value     string    `json:"value"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: does not expire
}

// ActiveSecrets returns the secret values that still sign at now, current first.
func (e *Endpoint) ActiveSecrets(now time.Time) []string {
	out := make([]string, 0, len(e.Secrets))
	for _, s := range e.Secrets {
		if s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt) {
			out = append(out, s.Value)
		}
	}
	return out
}

// Wants reports whether the endpoint subscribes to an event type: an exact
// name, a trailing wildcard ("payment.*") or "*".
func (e *Endpoint) Wants(eventType string) bool {
	for _, p := range e.EventTypes {
		if MatchType(p, eventType) {
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
)

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
}

// Event is one published event. Payload is kept byte for byte as published.
type Event struct {
	ID             string          `json:"id"`
	TenantID       string          `json:"tenant_id"`
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	OrderingKey    string          `json:"ordering_key,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	// Seq orders events of the store; used as the cursor of list pages.
	Seq int64 `json:"-"`
}

// Delivery states.
const (
	StatePending   = "pending"
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
	ID         int64     `json:"id"`
	DeliveryID string    `json:"delivery_id"`
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	DurationMS int64     `json:"duration_ms"`
	Status     int       `json:"status,omitempty"`
	Response   string    `json:"response,omitempty"`
	ErrorClass string    `json:"error_class,omitempty"`
	Error      string    `json:"error,omitempty"`
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
