package hookd

import (
	"context"
	"time"
)

// The services are the control plane's operations, whatever face asks for
// them: the JSON API, the Go client, the CLI, a portal. Each validates its
// input with the domain's rules (Tenant.Validate, Endpoint.Validate, ...),
// then writes the store and tells the delivery engine. Package control
// implements them on a Store; package client implements them over HTTP.

// TenantService manages tenants.
type TenantService interface {
	// CreateTenant stores a new tenant. An empty t.ID gets a generated
	// one; CreatedAt and UpdatedAt are set.
	CreateTenant(ctx context.Context, t *Tenant) error
	Tenant(ctx context.Context, id string) (*Tenant, error)
	Tenants(ctx context.Context, p Page) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, id string, u *TenantUpdate) (*Tenant, error)
	// DeleteTenant removes a tenant with all its data.
	DeleteTenant(ctx context.Context, id string) error
}

// EventTypeService knows the event types: the catalog's built-in ones and
// the operator's custom ones.
type EventTypeService interface {
	EventTypes(ctx context.Context) ([]*EventType, error)
	// EventType finds a type by its name, or by a name publish would
	// resolve to it ("lean:entity.created", "entity.created").
	EventType(ctx context.Context, name string) (*EventType, error)
	// CreateEventType registers a custom type. t.Schema empty means any
	// JSON object; Custom and CreatedAt are set.
	CreateEventType(ctx context.Context, t *EventType) error
}

// EndpointService manages a tenant's endpoints.
type EndpointService interface {
	// CreateEndpoint makes an endpoint of the tenant with the fields u
	// sets, signing with secret (empty: a new one of its profile). The
	// endpoint returned holds the secret, its only one, in Secrets.
	CreateEndpoint(ctx context.Context, tenantID string, u *EndpointUpdate, secret string) (*Endpoint, error)
	Endpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	Endpoints(ctx context.Context, tenantID string, p Page) ([]*Endpoint, error)
	UpdateEndpoint(ctx context.Context, tenantID, id string, u *EndpointUpdate) (*Endpoint, error)
	// DeleteEndpoint removes an endpoint and cancels its pending deliveries.
	DeleteEndpoint(ctx context.Context, tenantID, id string) error
	// RotateSecret gives the endpoint a new secret (see Endpoint.Rotate).
	RotateSecret(ctx context.Context, tenantID, id string, r Rotation) (*Rotated, error)
	// EnableEndpoint resumes the endpoint; DisableEndpoint pauses it,
	// with a reason ("" keeps the one recorded, see Endpoint.Disable).
	EnableEndpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*Endpoint, error)
	// RecoverEndpoint sends again the endpoint's failed deliveries made in
	// a window, and says how many.
	RecoverEndpoint(ctx context.Context, tenantID, id string, w Recovery) (int, error)
	// TestEndpoint sends the endpoint alone an example event of a type
	// ("": one it subscribes to) and returns what was published.
	TestEndpoint(ctx context.Context, tenantID, id, eventType string) (*PublishResult, error)
}

// Recovery is the window of a recover: the failed deliveries created from
// Since (required) until Until (nil: now).
type Recovery struct {
	Since *time.Time `json:"since"`
	Until *time.Time `json:"until"`
}

// EventService publishes and reads a tenant's events.
type EventService interface {
	// Publish checks each event (its type resolved in the catalog, its
	// payload against the type's schema) and publishes the valid ones in
	// one commit. Each event gets a result, in order; an event refused
	// alone has Err set. An error is returned when nothing could be
	// published (storage, rate limit). On each event the caller sets
	// Type, Payload and, if it wants, ID, OrderingKey and IdempotencyKey.
	Publish(ctx context.Context, tenantID string, events []*Event) ([]*PublishResult, error)
	// Event returns an event with its deliveries.
	Event(ctx context.Context, tenantID, id string) (*Event, []*Delivery, error)
	// Events returns one page of events, newest first, of those q selects.
	Events(ctx context.Context, tenantID string, q EventQuery) ([]*Event, error)
}

// EventQuery selects a page of a tenant's events.
type EventQuery struct {
	// Type, when set, is an event-type pattern: it selects the events an
	// endpoint subscribed to it receives.
	Type string
	// Delivery, when set ("pending", "succeeded" or "failed"), selects the
	// events with at least one delivery in that state; pending includes
	// deliveries parked at a disabled endpoint.
	Delivery string
	// IdempotencyKey, when set, selects the event published under it.
	IdempotencyKey string
	Page
}

// DeliveryService reads and retries a tenant's deliveries.
type DeliveryService interface {
	// Delivery returns a delivery with its attempts.
	Delivery(ctx context.Context, tenantID, id string) (*Delivery, []*Attempt, error)
	// Deliveries returns one page of the deliveries f selects, newest
	// first; f.EventType is a type or pattern as the events list's ?type=
	// takes it (payment.created selects lean:payment.created too).
	Deliveries(ctx context.Context, tenantID string, f DeliveryFilter) ([]*Delivery, error)
	// RetryDelivery makes a delivery pending and due now.
	RetryDelivery(ctx context.Context, tenantID, id string) (*Delivery, error)
}

// PublishResult is the outcome of one published event.
type PublishResult struct {
	ID         string        `json:"id"`
	Deliveries []DeliveryRef `json:"deliveries"`
	// Duplicate is true when the id or idempotency key was published
	// before: nothing new was created and this is the first result.
	Duplicate bool `json:"duplicate,omitempty"`
	// Warnings name values of the payload outside their field's known
	// values: accepted, but receivers may not expect them.
	Warnings []Detail `json:"warnings,omitempty"`
	// Err, in a batch, is why this event was refused; the others were
	// published.
	Err error `json:"-"`
}

// DeliveryRef names one delivery a publish made.
type DeliveryRef struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
}

type ctxKey int

const tenantKey ctxKey = 0

// NewContextWithTenant returns ctx carrying the tenant its caller is
// authenticated as (by one of its tokens), which proves the tenant
// exists: the services then need not read it to answer 404.
func NewContextWithTenant(ctx context.Context, tenantID string) context.Context {
	return context.WithValue(ctx, tenantKey, tenantID)
}

// TenantFromContext returns the tenant ctx's caller is authenticated as,
// or "" (the admin, or no one).
func TenantFromContext(ctx context.Context) string {
	id, _ := ctx.Value(tenantKey).(string)
	return id
}

const tokenCheckKey ctxKey = 1

// NewContextWithTokenCheck returns ctx carrying the hash of the token a
// publish was authenticated with from a node's memory (Store.CachedToken),
// or the key of the source an ingest was verified with from there
// (Store.CachedSource): the engine has the publish's commit check it again
// (Publish.Token).
func NewContextWithTokenCheck(ctx context.Context, hash string) context.Context {
	return context.WithValue(ctx, tokenCheckKey, hash)
}

// TokenCheckFromContext returns the hash of the token (or the source key)
// ctx's publish must have checked in its commit, or "" (checked already).
func TokenCheckFromContext(ctx context.Context) string {
	h, _ := ctx.Value(tokenCheckKey).(string)
	return h
}

// TokenService manages API tokens, tenant tokens (kind TokenTenant, of one
// tenant) and admin tokens (TokenAdmin, tenantID ""), and authenticates
// requests by them.
type TokenService interface {
	// CreateToken makes a token and returns its record and the token
	// itself, shown this once (only its hash is kept). A tenant token's
	// tenant must exist.
	CreateToken(ctx context.Context, kind, tenantID string, in *TokenCreate) (*Token, string, error)
	// Tokens lists the tokens of a kind (and tenant), oldest first.
	Tokens(ctx context.Context, kind, tenantID string, p Page) ([]*Token, error)
	// RevokeToken deletes a token: it is refused from the next request on,
	// on every node.
	RevokeToken(ctx context.Context, kind, tenantID, id string) error
	// Authenticate returns the stored token a request presents, if it is
	// in force (EUNAUTHORIZED otherwise), and notes when it was used. It
	// reads the store every time: no node trusts a revoked token.
	Authenticate(ctx context.Context, token string) (*Token, error)
	// AuthenticateHash is Authenticate for a token known by its hash
	// (HashToken): the admin token an operator's portal session was
	// opened with.
	AuthenticateHash(ctx context.Context, tokenHash string) (*Token, error)
	// AuthenticatePublish is Authenticate for a publish: the token may be
	// answered from the node's memory, without a round trip to a shared
	// store. The context it returns then names the token for the publish's
	// commit to check again (NewContextWithTokenCheck), so a token revoked
	// on any node is still refused at once: the publish answers 401 and
	// nothing of it is stored. It takes the token's hash (HashToken),
	// which the caller has made already to compare with the admin's.
	AuthenticatePublish(ctx context.Context, tokenHash string) (*Token, context.Context, error)
}
