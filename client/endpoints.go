package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// EndpointCreate is the body of CreateEndpoint. Only URL is required.
type EndpointCreate struct {
	URL string `json:"url"`
	// Profile is the wire format: standard (default), lean, weavr or
	// linkmoney.
	Profile string `json:"profile,omitempty"`
	// EventTypes are exact names, prefixes ending at a dot and "*"
	// ("payment.*"), or "*"; none means ["*"].
	EventTypes  []string `json:"event_types,omitempty"`
	Description string   `json:"description,omitempty"`
	// Secret is the signing secret in the profile's format; "" lets the
	// server make one.
	Secret        string            `json:"secret,omitempty"`
	RateLimit     int               `json:"rate_limit_per_s,omitempty"`
	Ordering      string            `json:"ordering,omitempty"` // "none" (default) or "key"
	Headers       map[string]string `json:"headers,omitempty"`
	TimeoutMS     int               `json:"timeout_ms,omitempty"` // 0: the profile's default
	RetrySchedule []hookd.Duration  `json:"retry_schedule,omitempty"`
	// Signature, for standard and linkmoney, is "v1" (HMAC, the default)
	// or "v1a" (ed25519: hookd makes the key pair and shows only the
	// public key, PublicKey).
	Signature string `json:"signature,omitempty"`
}

// CreatedEndpoint is a new endpoint with its signing secret, which the API
// shows only here and on rotation (never for v1a: see PublicKey).
type CreatedEndpoint struct {
	hookd.Endpoint
	Secret string `json:"secret"`
}

// CreateEndpoint registers an endpoint of a tenant.
func (c *Client) CreateEndpoint(ctx context.Context, tenant string, in EndpointCreate) (*CreatedEndpoint, error) {
	var e CreatedEndpoint
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "endpoints"), in: in, out: &e}); err != nil {
		return nil, err
	}
	return &e, nil
}

// GetEndpoint reads an endpoint.
func (c *Client) GetEndpoint(ctx context.Context, tenant, id string) (*hookd.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodGet, tenant, id, "", nil)
}

// UpdateEndpoint changes the fields of u that are not nil.
func (c *Client) UpdateEndpoint(ctx context.Context, tenant, id string, u hookd.EndpointUpdate) (*hookd.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodPatch, tenant, id, "", withoutNulls(u))
}

// DeleteEndpoint deletes an endpoint; its pending deliveries are canceled.
func (c *Client) DeleteEndpoint(ctx context.Context, tenant, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("tenants", tenant, "endpoints", id)})
}

// ListEndpoints ranges over a tenant's endpoints, oldest first.
func (c *Client) ListEndpoints(ctx context.Context, tenant string, o ListOptions) iter.Seq2[*hookd.Endpoint, error] {
	return all[*hookd.Endpoint](ctx, c, path("tenants", tenant, "endpoints"), o.values())
}

// ListEndpointsPage fetches one page of a tenant's endpoints.
func (c *Client) ListEndpointsPage(ctx context.Context, tenant string, o ListOptions) (*Page[*hookd.Endpoint], error) {
	return getPage[*hookd.Endpoint](ctx, c, path("tenants", tenant, "endpoints"), o.values())
}

// RotateSecret gives the endpoint a new secret (r.Secret, or one the
// server makes); the older ones keep signing for the grace period. See
// hookd.Rotation for how the profiles hand over.
func (c *Client) RotateSecret(ctx context.Context, tenant, id string, r hookd.Rotation) (*hookd.Rotated, error) {
	in := struct {
		Secret       string     `json:"secret,omitempty"`
		GraceSeconds *int64     `json:"grace_seconds,omitempty"`
		ActivateAt   *time.Time `json:"activate_at,omitempty"`
	}{r.Secret, r.GraceSeconds, r.ActivateAt}
	var out hookd.Rotated
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "endpoints", id, "rotate-secret"), in: in, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// EnableEndpoint resumes a disabled endpoint; its parked deliveries are
// sent.
func (c *Client) EnableEndpoint(ctx context.Context, tenant, id string) (*hookd.Endpoint, error) {
	return c.endpointCall(ctx, http.MethodPost, tenant, id, "enable", nil)
}

// DisableEndpoint pauses an endpoint by hand; its deliveries wait, parked,
// until it is enabled. reason ("" for none) is recorded.
func (c *Client) DisableEndpoint(ctx context.Context, tenant, id, reason string) (*hookd.Endpoint, error) {
	var in any
	if reason != "" {
		in = map[string]string{"reason": reason}
	}
	return c.endpointCall(ctx, http.MethodPost, tenant, id, "disable", in)
}

func (c *Client) endpointCall(ctx context.Context, method, tenant, id, verb string, in any) (*hookd.Endpoint, error) {
	p := path("tenants", tenant, "endpoints", id)
	if verb != "" {
		p += "/" + verb
	}
	var e hookd.Endpoint
	if err := c.do(ctx, request{method: method, path: p, in: in, out: &e}); err != nil {
		return nil, err
	}
	return &e, nil
}

// RecoverEndpoint requeues the endpoint's failed deliveries created from
// since until until (a zero until: now), and returns how many it requeued.
func (c *Client) RecoverEndpoint(ctx context.Context, tenant, id string, since, until time.Time) (int, error) {
	in := struct {
		Since time.Time  `json:"since"`
		Until *time.Time `json:"until,omitempty"`
	}{Since: since}
	if !until.IsZero() {
		in.Until = &until
	}
	var out struct {
		Requeued int `json:"requeued"`
	}
	err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "endpoints", id, "recover"), in: in, out: &out})
	return out.Requeued, err
}

// TestEndpoint sends the catalog example of an event type to this endpoint
// only ("": the first type it wants that has an example).
func (c *Client) TestEndpoint(ctx context.Context, tenant, id, eventType string) (*PublishResult, error) {
	var in any
	if eventType != "" {
		in = map[string]string{"type": eventType}
	}
	var out PublishResult
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "endpoints", id, "test"), in: in, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// EventTypeCreate is the body of CreateEventType.
type EventTypeCreate struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`  // JSON Schema of the payload; none: any object
	Example     json.RawMessage `json:"example,omitempty"` // an example payload
}

// CreateEventType registers a custom event type (admin token).
func (c *Client) CreateEventType(ctx context.Context, in EventTypeCreate) (*hookd.EventType, error) {
	var t hookd.EventType
	if err := c.do(ctx, request{method: http.MethodPost, path: path("event-types"), in: in, out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// GetEventType reads an event type with its schema and example; name may
// be qualified ("lean:payment.created").
func (c *Client) GetEventType(ctx context.Context, name string) (*hookd.EventType, error) {
	var t hookd.EventType
	if err := c.do(ctx, request{method: http.MethodGet, path: path("event-types", name), out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListEventTypes ranges over the catalog and the custom types.
func (c *Client) ListEventTypes(ctx context.Context) iter.Seq2[*hookd.EventType, error] {
	return all[*hookd.EventType](ctx, c, path("event-types"), nil)
}
