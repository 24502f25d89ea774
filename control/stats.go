package control

import (
	"context"

	"github.com/hookd/hookd"
)

var _ hookd.StatsService = (*Service)(nil)

// EndpointStats fills the query's defaults at the service's clock, checks
// it, and answers the figures of one endpoint of the tenant.
func (s *Service) EndpointStats(ctx context.Context, tenantID, id string, q hookd.StatsQuery) (*hookd.Stats, error) {
	q.Defaults(s.now().Now())
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.Store.Endpoint(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.EndpointStats(ctx, tenantID, id, q)
}
