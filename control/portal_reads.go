package control

import (
	"context"

	"github.com/hookd/hookd"
)

// EventByIdempotencyKey returns the tenant's event published under an
// idempotency key, with its deliveries.
func (s *Service) EventByIdempotencyKey(ctx context.Context, tenantID, key string) (*hookd.Event, []*hookd.Delivery, error) {
	evs, err := s.Store.Events(ctx, tenantID, hookd.EventFilter{IdempotencyKey: key, Page: hookd.Page{Limit: 1}})
	if err != nil {
		return nil, nil, err
	}
	if len(evs) == 0 {
		return nil, nil, hookd.ErrNotFound
	}
	return s.Event(ctx, tenantID, evs[0].ID)
}

// SystemStats answers the figures of every endpoint of every tenant over
// the query's window, for the operator.
func (s *Service) SystemStats(ctx context.Context, q hookd.StatsQuery) (*hookd.Stats, error) {
	q.Defaults(s.now().Now())
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return s.Store.EndpointStats(ctx, "", "", q)
}

// Backlog counts the store's pending work now.
func (s *Service) Backlog(ctx context.Context) (*hookd.Backlog, error) {
	return s.Store.Backlog(ctx, s.now().Now())
}
