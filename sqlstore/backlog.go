package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/hookd/hookd"
)

// Backlog implements hookd.Store: one pass over the due index for the
// unowned work, one over the parked index, and the endpoints table, which
// is small. The parked value is written into the query, not bound, so
// the database can match the partial index's predicate.
func (s *Store) Backlog(ctx context.Context, now time.Time) (*hookd.Backlog, error) {
	var b hookd.Backlog
	var oldest sql.NullInt64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT COALESCE(SUM(CASE WHEN next_attempt_at <= ? THEN 1 ELSE 0 END), 0),
		COUNT(*), MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND owner IS NULL`), ms(now)).
		Scan(&b.Due, &b.Scheduled, &oldest)
	if err != nil {
		return nil, unavailable(err)
	}
	b.Scheduled -= b.Due
	if oldest.Valid && b.Due > 0 {
		b.OldestDue = fromMS(oldest.Int64)
	}
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE owner = '`+hookd.Parked+`'
		AND state NOT IN ('succeeded', 'failed', 'canceled')`).Scan(&b.Parked)
	if err != nil {
		return nil, unavailable(err)
	}
	err = s.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(CASE WHEN disabled = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN disabled = 0 THEN 0 ELSE 1 END), 0) FROM endpoints`).Scan(&b.EndpointsEnabled, &b.EndpointsDisabled)
	if err != nil {
		return nil, unavailable(err)
	}
	return &b, nil
}
