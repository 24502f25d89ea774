package hookd

import (
	"context"
	"time"
)

// Store is the durable state the control plane uses: tenants, tokens,
// endpoints and event types, the reads of events, deliveries and attempts,
// a manual retry or recovery, and settings. The engine uses Queue; the
// SQLite and PostgreSQL adapters implement both (Database) and pass one
// conformance suite.
type Store interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	Tenant(ctx context.Context, id string) (*Tenant, error)
	Tenants(ctx context.Context, p Page) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, id string, u *TenantUpdate, now time.Time) (*Tenant, error)
	DeleteTenant(ctx context.Context, id string) error

	// CreateToken stores a token under the hash of its secret value. A
	// tenant token's tenant must exist (ErrNotFound otherwise).
	CreateToken(ctx context.Context, t *Token, hash string) error
	// TokenByHash returns the token stored under a hash, expired or not:
	// the caller decides at its own clock. It is on every authenticated
	// request's path: one indexed lookup.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// CachedToken is TokenByHash for a publish: it may answer from the
	// node's memory what another node has revoked since. It then returns
	// recheck true, and the publish must carry the hash (Publish.Token),
	// so that its commit stores it only if the token is still there.
	CachedToken(ctx context.Context, hash string) (t *Token, recheck bool, err error)
	// Tokens lists the tokens of a kind (of one tenant for tenant tokens),
	// oldest first, after the cursor.
	Tokens(ctx context.Context, kind, tenantID string, p Page) ([]*Token, error)
	// DeleteToken revokes a token of that kind (and tenant): ErrNotFound
	// when there is no such token.
	DeleteToken(ctx context.Context, kind, tenantID, id string) error
	// TouchTokens records when tokens were last used: each token's time
	// only moves forward. Unknown ids are ignored.
	TouchTokens(ctx context.Context, used map[string]time.Time) error

	CreateEndpoint(ctx context.Context, e *Endpoint) error
	Endpoint(ctx context.Context, tenantID, id string) (*Endpoint, error)
	Endpoints(ctx context.Context, tenantID string, p Page) ([]*Endpoint, error)
	// SaveEndpoint writes every field of an existing endpoint (secrets,
	// disabled state included) and bumps its UpdatedAt.
	SaveEndpoint(ctx context.Context, e *Endpoint) error
	// DeleteEndpoint removes an endpoint and cancels its pending deliveries
	// (parked ones among them); it returns how many it canceled.
	DeleteEndpoint(ctx context.Context, tenantID, id string, now time.Time) (canceled int, err error)

	// CreateEventType stores an operator's custom event type.
	CreateEventType(ctx context.Context, t *EventType) error
	// EventTypes returns the custom event types.
	EventTypes(ctx context.Context) ([]*EventType, error)

	Event(ctx context.Context, tenantID, id string) (*Event, error)
	Events(ctx context.Context, tenantID string, f EventFilter) ([]*Event, error)

	Delivery(ctx context.Context, tenantID, id string) (*Delivery, error)
	Deliveries(ctx context.Context, tenantID string, f DeliveryFilter) ([]*Delivery, error)
	Attempts(ctx context.Context, deliveryID string) ([]*Attempt, error)
	// Requeue makes a delivery pending and due at now (manual retry).
	Requeue(ctx context.Context, tenantID, id string, now time.Time) (*Delivery, error)
	// Recover requeues an endpoint's failed deliveries created in [since, until).
	Recover(ctx context.Context, tenantID, endpointID string, since, until, now time.Time) (int, error)

	// EndpointStats computes an endpoint's figures over a valid query's
	// window (see Stats) from the attempts made in it: one range of the
	// attempts' time index, aggregated in the database. An empty tenantID
	// and endpointID count every endpoint of every tenant.
	EndpointStats(ctx context.Context, tenantID, endpointID string, q StatsQuery) (*Stats, error)

	// CreatePortalGrant stores a portal link or session under the hash of
	// its token (a tenant's must exist: ErrNotFound otherwise).
	CreatePortalGrant(ctx context.Context, g *PortalGrant, hash string) error
	// PortalGrant returns the grant stored under a hash, expired or not:
	// one primary-key lookup.
	PortalGrant(ctx context.Context, hash string) (*PortalGrant, error)
	// DeletePortalGrant deletes one grant (a sign-out); unknown is no error.
	DeletePortalGrant(ctx context.Context, hash string) error
	// DeletePortalGrants deletes every link and session of a tenant and
	// counts those that were still in force at now.
	DeletePortalGrants(ctx context.Context, tenantID string, now time.Time) (int, error)

	// Backlog counts the pending work in the store at now, for metrics.
	Backlog(ctx context.Context, now time.Time) (*Backlog, error)

	// Feed returns up to limit events with a delivery to the endpoint,
	// with that delivery, in the feed's order (FeedPlace) after the place
	// after, leaving out events created before since. An event that
	// becomes visible later has a place after every place returned, so a
	// reader that goes on after the last one misses none: on PostgreSQL
	// the read stops before the oldest transaction still in flight.
	Feed(ctx context.Context, tenantID, endpointID string, after FeedPlace, since time.Time, limit int) ([]*FeedEntry, error)
	// FeedPlace returns the place in the feed of an event of the tenant
	// (ErrNotFound: no such event).
	FeedPlace(ctx context.Context, tenantID, eventID string) (FeedPlace, error)
	// FeedPosition returns a named consumer's acknowledged cursor of an
	// endpoint's feed (ErrNotFound: none yet); SaveFeedPosition sets it.
	// Deleting the endpoint deletes its consumers' positions.
	FeedPosition(ctx context.Context, tenantID, endpointID, consumer string) (*FeedPosition, error)
	SaveFeedPosition(ctx context.Context, tenantID, endpointID string, p *FeedPosition) error

	// Setting reads and PutSetting writes a small named value (e.g. the
	// admin token's hash). Setting returns ErrNotFound when unset.
	Setting(ctx context.Context, name string) (string, error)
	PutSetting(ctx context.Context, name, value string) error

	// SourceStore keeps the tenants' inbound sources and their error logs.
	SourceStore
	// SourceRequestStore reads the requests sources accepted.
	SourceRequestStore

	Ping(ctx context.Context) error
}

// Queue is the durable state the delivery engine uses: it commits batches
// of publishes and results, claims due work, rescues the work of dead
// nodes, paces rate-limited endpoints and purges old records.
type Queue interface {
	// Apply commits a batch of writes in one transaction (one fsync). It
	// fills in the outcome of each Publish.
	Apply(ctx context.Context, b *Batch) error

	// Claim takes up to limit due, unowned, pending deliveries of enabled
	// endpoints for node and returns them with their events, oldest due first.
	// Endpoints in skip are left alone (their queues are full).
	Claim(ctx context.Context, node string, now time.Time, limit int, skip []string) ([]*Job, error)
	// Rescue releases pending deliveries owned by nodes whose heartbeat is
	// older than deadline (on an exclusive store the engine passes a
	// deadline to come: every node but self).
	Rescue(ctx context.Context, self string, deadline time.Time) (int, error)
	// Heartbeat records that node is alive.
	Heartbeat(ctx context.Context, node string, now time.Time) error
	// Nodes counts the nodes whose last heartbeat is at since or later.
	Nodes(ctx context.Context, since time.Time) (int, error)
	// ReserveSlots reserves n consecutive request slots, interval apart, of
	// a rate-limited endpoint, shared by every node, and returns the first:
	// the later of now and the end of the slots reserved before.
	ReserveSlots(ctx context.Context, endpointID string, n int, interval time.Duration, now time.Time) (time.Time, error)
	// NextDue returns when the earliest unowned pending delivery is due.
	NextDue(ctx context.Context) (time.Time, bool, error)
	// Purge deletes attempts, finished deliveries, events and sources'
	// requests older than before.
	Purge(ctx context.Context, before time.Time) (int, error)

	// AllEndpoints returns every endpoint, with secrets, for the engine's cache.
	AllEndpoints(ctx context.Context) ([]*Endpoint, error)
	// EndpointsVersion is a number that changes whenever any endpoint is
	// created, changed or deleted; nodes reload their cache when it moves.
	EndpointsVersion(ctx context.Context) (int64, error)

	// Exclusive reports whether one process owns the whole store (SQLite:
	// the file is locked): its engine takes back at start whatever an
	// earlier process held, and needs no endpoint version checks, no
	// rescue of other nodes and no shared rate-limit slots. A store that
	// nodes share (PostgreSQL) returns false.
	Exclusive() bool
}

// Database is a store and a queue over one database: what an adapter
// opens and the conformance suite checks. Its owner closes it, after the
// engine has stopped.
type Database interface {
	Store
	Queue
	Close() error
}

// Page selects one page of a list: items after the cursor, at most Limit.
type Page struct {
	After string
	Limit int
}

// PageMax is the most items a page of a list shows. A store gives up to
// PageMax+1 items, so that its caller can ask for one more than it shows
// to know whether more follow.
const PageMax = 1000

// PageDefault is how many items a page shows when its limit is not given.
const PageDefault = 100

// EventFilter selects events.
type EventFilter struct {
	// Type, when set, selects the events of exactly this type name.
	Type string
	// Types and Prefixes, when either is set, select the events whose
	// type is one of Types or begins with one of Prefixes.
	Types    []string
	Prefixes []string
	// NotPrefix, when set, leaves out the events whose type begins with it.
	NotPrefix string
	// IdempotencyKey, when set, selects the event published under it.
	IdempotencyKey string
	// DeliveryState, when set, selects the events with at least one
	// delivery in this stored state (pending covers parked).
	DeliveryState string
	Page
}

// DeliveryFilter selects deliveries.
type DeliveryFilter struct {
	EndpointID string
	EventID    string
	State      string
	// EventType, when set, selects the deliveries of exactly this type.
	// (DeliveryService reads it as the events list's ?type=, and hands
	// the store the Types, Prefixes and NotPrefix it stands for.)
	EventType string
	// Types, Prefixes and NotPrefix select by the event's type as
	// EventFilter's do.
	Types     []string
	Prefixes  []string
	NotPrefix string
	// Since and Until, when set, select the deliveries created in
	// [Since, Until).
	Since, Until time.Time
	Page
}

// Batch is a set of writes committed in one transaction.
type Batch struct {
	Publishes []*Publish
	Results   []*Result
	HandBacks []HandBack
	Health    []*EndpointHealth

	// When CheckVersion is set and the batch publishes a new event, Apply
	// compares the store's EndpointsVersion, read within the transaction,
	// with EndpointsVersion, the version the publishes' deliveries were
	// computed from; if the endpoints have changed since (on another
	// node), it stores nothing and returns ErrStale, and the caller
	// computes them again.
	CheckVersion     bool
	EndpointsVersion int64
}

// ErrStale is returned by Apply for a batch whose deliveries were computed
// from an endpoints version that is no longer the store's.
var ErrStale = &Error{Code: ECONFLICT, Message: "endpoints changed; compute the deliveries again"}

// ErrUnknownToken answers a request whose token is not stored: never
// made, or revoked (for a publish, possibly between its authentication from
// a node's memory and its commit: Publish.Revoked).
var ErrUnknownToken = &Error{Code: EUNAUTHORIZED, Message: "unknown token"}

// Publish is one event with its deliveries. If an event with the same id or
// idempotency key exists for the tenant, Apply stores nothing and sets
// Existing and Deliveries to what the first publish created.
type Publish struct {
	Event      *Event
	Deliveries []*Delivery
	// Request, when set, is the webhook a source received that the event
	// is made from: stored with the event, in the same transaction. When
	// the event exists already (Existing), no request is stored; if the
	// same source received it (a replay), the first one's Duplicates
	// counts one more.
	Request *SourceRequest
	// Token, when set, names the credential the publish was made with,
	// taken from a node's memory: the hash of an API token
	// (Store.CachedToken) or the key of the source whose ingest URL the
	// request came to (Store.CachedSource). Apply stores the publish only
	// if the token is still stored, or the source still stored as it was
	// read, when it commits, and sets Revoked otherwise: a token revoked,
	// or a source changed or deleted, on any node is refused by the next
	// commit on every node.
	Token string

	Existing *Event // out: the event first published with that id or key
	Revoked  bool   // out: Token was revoked, or the source changed, before the commit; nothing of the publish was stored
}

// Result is the outcome of one attempt: the attempt's record, which names
// the delivery, and the delivery's new state. A result for a delivery that
// is no longer pending (finished or canceled meanwhile), or that another
// node now owns (Node), records the attempt and changes nothing else.
type Result struct {
	Attempt       *Attempt
	TenantID      string
	State         string    // new state of the delivery
	NextAttemptAt time.Time // when State is pending
	FirstSentAt   time.Time // set on the first attempt
	Owner         string    // who owns it after the attempt ("" releases it)
	// Node is the node that made the attempt. A delivery another node has
	// claimed since (this one stalled past the node TTL and its work was
	// rescued) is left to that node: the attempt is recorded, the
	// delivery is not changed. "" checks no owner.
	Node string
	// At is when the attempt ended, the delivery's UpdatedAt; zero means
	// the attempt's start.
	At time.Time
}

// HandBack gives a pending delivery back to the store without a try: its
// endpoint is disabled (Owner Parked), the node is shutting down, or the
// node cannot take it now. A delivery no longer pending is left alone; one
// parked on an endpoint the store knows as enabled is made claimable, and
// one released on an endpoint the store knows as disabled is parked.
type HandBack struct {
	DeliveryID    string
	At            time.Time // when, the delivery's UpdatedAt
	NextAttemptAt time.Time // when it is due again
	Owner         string    // "" for any node to claim, or Parked
	// Node is the node handing it back. A delivery another node has
	// claimed since (this one stalled and its work was rescued) stays
	// that node's, as with Result.Node. "" checks no owner.
	Node string
}

// EndpointHealth is a change of an endpoint's health: it started or stopped
// failing, or is disabled.
type EndpointHealth struct {
	EndpointID     string
	FailingSince   *time.Time // nil: healthy again
	Disable        bool
	DisabledReason string
	At             time.Time
	// IfStillFailing makes a Disable conditional: the endpoint is disabled
	// only if the store has it failing since FailingSince or earlier. The
	// engine's periodic check sets it, as its view of an endpoint may be
	// older than the store's (another node saw a success since).
	IfStillFailing bool
	// Disabled is set by Apply for a Disable: whether this change
	// disabled the endpoint (not when it was disabled already, or, with
	// IfStillFailing, no longer failing since then).
	Disabled bool
}

// Backlog is the pending work of the whole store, for metrics.
type Backlog struct {
	// Due and Scheduled count the pending deliveries no node holds, due
	// at now or later (retries waiting for their time).
	Due, Scheduled int64
	// Parked counts the pending deliveries of disabled endpoints.
	Parked int64
	// OldestDue is when the longest-waiting of the Due deliveries became
	// due; zero when none is due.
	OldestDue time.Time
	// EndpointsEnabled and EndpointsDisabled count the endpoints.
	EndpointsEnabled, EndpointsDisabled int64
}

// Job is a delivery claimed for sending, with what the sender needs.
type Job struct {
	Delivery *Delivery
	Event    *Event
}

// Parked is the owner of the pending deliveries of a disabled endpoint:
// they wait, claimed by nobody, until the endpoint is enabled again.
const Parked = "parked"
