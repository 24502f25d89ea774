// Package control is hookd's control plane: the workflows of tenants,
// endpoints, events, event types and deliveries between the transports
// (httpapi, and any other face) and the store and delivery engine. It
// implements the service interfaces of package hookd; the rules of each
// value are the root types' own (Validate), the workflows are here: check,
// store, then tell the engine.
package control

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/profile"
)

// Catalog is the event-type catalog publishes are validated against.
type Catalog interface {
	Types() []*hookd.EventType
	Lookup(name string) (*hookd.EventType, bool)
	// HasWire reports whether any type goes on the wire as this name.
	HasWire(wire string) bool
	Resolve(name, prefer string) (*hookd.EventType, error)
	Validate(t *hookd.EventType, payload []byte) error
	// ValidateWarn is Validate that also returns warnings (accepted values
	// outside a field's known values).
	ValidateWarn(t *hookd.EventType, payload []byte) ([]hookd.Detail, error)
	Add(t *hookd.EventType) error
	// Check reports the error Add would return, and adds nothing.
	Check(t *hookd.EventType) error
	// AddStored adds the stored custom types it lacks, past any it
	// cannot add; it reports whether it added any and the first error.
	AddStored(ts []*hookd.EventType) (added bool, err error)
}

// Engine is what the control plane asks of the delivery engine
// (delivery.Engine).
type Engine interface {
	// Changed reloads the endpoints after a committed change and tells
	// the other nodes.
	Changed(ctx context.Context) error
	// Kick wakes the engine to claim work made due (retry, recover).
	Kick()
	// Publish stores events with their deliveries and hands them to the
	// senders; only, when set, sends them to that endpoint alone.
	Publish(ctx context.Context, events []*hookd.Event, only string) ([]*hookd.Publish, error)
	// Ingest publishes an event a source received together with the
	// request it came as, both in one commit.
	Ingest(ctx context.Context, ev *hookd.Event, r *hookd.SourceRequest) (*hookd.Publish, error)
}

// Service implements hookd's control-plane services on a store and an
// engine. Set the fields, then use it; it is safe for concurrent use.
type Service struct {
	Store    hookd.Store
	Engine   Engine
	Catalog  Catalog // nil: no validation, every type accepted
	Profiles profile.Registry
	Guard    *egress.Guard
	Clock    hookd.Clock // nil: the system clock
	Log      *slog.Logger
	// AllowUnknownTypes accepts publishes and subscriptions of types not
	// in the catalog.
	AllowUnknownTypes bool
	// PublishRate limits publishes per tenant per second (0: no limit).
	PublishRate int
	// Retention is how long events are kept (0: for ever); the feed
	// leaves out what is older, which the engine is about to purge.
	Retention time.Duration
	// Ingests counts the requests to sources' ingest URLs (nil: none).
	Ingests IngestCounter
	// Cancels counts the deliveries it cancels (nil: none).
	Cancels CancelCounter

	typesSynced atomic.Int64 // when custom types were last read from the store, Unix ns
	limitMu     sync.Mutex
	limits      map[string]*rateWindow // tenant -> its publishes this second
	usage       usage                  // when tokens were last used, written behind
}

var (
	_ hookd.TenantService    = (*Service)(nil)
	_ hookd.EventTypeService = (*Service)(nil)
)

func (s *Service) now() hookd.Clock {
	if s.Clock == nil {
		return hookd.SystemClock{}
	}
	return s.Clock
}

// stamp is the time a change is stored at: now, in UTC, cut to the
// millisecond the stores keep, so that the answer to a create or an update
// gives the same times as every later read.
func (s *Service) stamp() time.Time {
	return s.now().Now().UTC().Truncate(time.Millisecond)
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// changed tells the engine that endpoints changed, once the change is
// committed. A committed change is answered as committed whatever happens
// next: were a failed reload answered as an error, the client would retry
// a change already made (and create a second endpoint). The failure is
// logged; the engine's refresh loop sees the store's new endpoints version
// and catches up.
func (s *Service) changed(ctx context.Context, tenant string) {
	if err := s.Engine.Changed(ctx); err != nil {
		s.log().Warn("endpoint cache reload failed after a committed change; the refresh loop will catch up",
			"tenant", tenant, "err", err)
	}
}
