package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Feed implements hookd.Store. The join starts from the endpoint's
// deliveries (deliveries_endpoint) and looks each event up by its key;
// the page is sorted by the event's sequence, the publish order.
func (s *Store) Feed(ctx context.Context, tenantID, endpointID string, after int64, since time.Time, limit int) ([]*hookd.FeedEntry, error) {
	q := `SELECT ` + prefixed("e.", eventCols) + `, ` + prefixed("d.", deliveryCols) + `
		FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
		WHERE d.tenant_id = ? AND d.endpoint_id = ? AND e.seq > ? AND e.created_at >= ?
		ORDER BY e.seq LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(q), tenantID, endpointID, after, ms(since), limit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.FeedEntry
	for rows.Next() {
		var ev eventScan
		var dv deliveryScan
		if err := rows.Scan(append(ev.dest(), dv.dest()...)...); err != nil {
			return nil, unavailable(err)
		}
		out = append(out, &hookd.FeedEntry{Event: ev.event(), Delivery: dv.delivery()})
	}
	return out, unavailable(rows.Err())
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, cols string) string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, alias+strings.TrimSpace(c))
	}
	return strings.Join(out, ", ")
}

// FeedPosition implements hookd.Store.
func (s *Store) FeedPosition(ctx context.Context, tenantID, endpointID, consumer string) (*hookd.FeedPosition, error) {
	p := hookd.FeedPosition{Consumer: consumer}
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT cursor_text, seq, updated_at FROM feed_positions
		WHERE tenant_id = ? AND endpoint_id = ? AND consumer = ?`), tenantID, endpointID, consumer).Scan(&p.Cursor, &p.Seq, &at)
	if err != nil {
		return nil, notFound(err)
	}
	p.UpdatedAt = fromMS(at)
	return &p, nil
}

// SaveFeedPosition implements hookd.Store.
func (s *Store) SaveFeedPosition(ctx context.Context, tenantID, endpointID string, p *hookd.FeedPosition) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO feed_positions (tenant_id, endpoint_id, consumer, cursor_text, seq, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (endpoint_id, consumer) DO UPDATE SET cursor_text = excluded.cursor_text,
		seq = excluded.seq, updated_at = excluded.updated_at`), tenantID, endpointID, p.Consumer, p.Cursor, p.Seq, ms(p.UpdatedAt))
	return unavailable(err)
}
