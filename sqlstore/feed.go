package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Feed implements hookd.Store: the endpoint's deliveries joined with
// their events, in the order of the events' places. On PostgreSQL the
// plan walks the tenant's events from the place by events_tenant_xid_seq
// (tenant_id, xid, seq; migration 020: the row comparison below is its
// condition after the tenant), looks each one's delivery for the endpoint
// up by deliveries_event and stops when the page is full, so a page's
// cost does not grow with the endpoint's deliveries (postgres
// TestFeedPlan). Without that index a page joined all of them and sorted
// them; the planner still does for an endpoint of a few thousand, where
// it costs that below the walk.
//
// Where events keep the id of the transaction that stored them
// (Dialect.FeedXid: PostgreSQL), a place is (xid, seq), and the page ends
// before the oldest transaction that was in flight when the statement
// began: the xmin of its snapshot (READ COMMITTED takes one for each
// statement, and pg_current_snapshot returns it; read once, in a
// subquery, rather than for each row). Every transaction below
// it has ended, so the events whose xid is below it are all there will
// ever be, and an event still to become visible has an xid at or above
// it, after every place this read returns. The horizon has to be of ids,
// not seqs: two transactions can take seqs 5 and 6 and their ids in the
// other order. On SQLite, one writer takes seqs in the order it commits:
// a place is the seq (xid 0), and every event is there.
func (s *Store) Feed(ctx context.Context, tenantID, endpointID string, after hookd.FeedPlace, since time.Time, limit int) ([]*hookd.FeedEntry, error) {
	order, from := `e.seq`, `e.seq > ?`
	args := []any{tenantID, endpointID}
	if s.d.FeedXid {
		order, from = `e.xid, e.seq`, `(e.xid, e.seq) > (?, ?) AND e.xid < (SELECT pg_snapshot_xmin(pg_current_snapshot()))`
		args = append(args, after.Xid)
	}
	join := `deliveries d JOIN events e ON ` + s.ofEvent("d", "e")
	if s.d.EventSeq {
		// SQLite: the deliveries looked up by their event's seq, each
		// event's in turn, never by the tenant or the endpoint (a plan
		// that reads all of the endpoint's deliveries and sorts them).
		join = `events e JOIN deliveries d INDEXED BY deliveries_event_seq ON ` + s.ofEvent("d", "e")
	}
	q := `SELECT ` + s.feedXid("e.xid") + `, ` + prefixed("e.", eventCols) + `, ` + prefixed("d.", deliveryCols) + `
		FROM ` + join + `
		WHERE d.tenant_id = ? AND d.endpoint_id = ? AND ` + from + ` AND e.created_at >= ?
		ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(q), append(args, after.Seq, ms(since), limit)...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.FeedEntry
	for rows.Next() {
		var xid uint64
		var ev eventScan
		var dv deliveryScan
		if err := rows.Scan(append(append([]any{&xid}, ev.dest()...), dv.dest()...)...); err != nil {
			return nil, unavailable(err)
		}
		e := ev.event()
		out = append(out, &hookd.FeedEntry{Event: e, Delivery: dv.delivery(), Place: hookd.FeedPlace{Xid: xid, Seq: e.Seq}})
	}
	return out, unavailable(rows.Err())
}

// feedXid is the Xid of a FeedPlace in the feed's statements: col where
// events keep their transaction's id (Dialect.FeedXid), 0 elsewhere.
func (s *Store) feedXid(col string) string {
	if s.d.FeedXid {
		return col
	}
	return `0`
}

// FeedPlace implements hookd.Store: one lookup of events_id.
func (s *Store) FeedPlace(ctx context.Context, tenantID, eventID string) (hookd.FeedPlace, error) {
	var p hookd.FeedPlace
	err := s.r.QueryRowContext(ctx, s.q(`SELECT `+s.feedXid("xid")+`, seq FROM events WHERE tenant_id = ? AND id = ?`),
		tenantID, eventID).Scan(&p.Xid, &p.Seq)
	return p, notFound(err)
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
	err := s.r.QueryRowContext(ctx, s.q(`SELECT cursor_text, `+s.feedXid("xid")+`, seq, updated_at FROM feed_positions
		WHERE tenant_id = ? AND endpoint_id = ? AND consumer = ?`), tenantID, endpointID, consumer).Scan(&p.Cursor, &p.Place.Xid, &p.Place.Seq, &at)
	if err != nil {
		return nil, notFound(err)
	}
	p.UpdatedAt = fromMS(at)
	return &p, nil
}

// SaveFeedPosition implements hookd.Store. Where events keep their
// transaction's id, so does a position (feed_positions.xid, migration 019).
func (s *Store) SaveFeedPosition(ctx context.Context, tenantID, endpointID string, p *hookd.FeedPosition) error {
	cols, vals, set := ``, ``, ``
	args := []any{tenantID, endpointID, p.Consumer, p.Cursor, p.Place.Seq, ms(p.UpdatedAt)}
	if s.d.FeedXid {
		cols, vals, set = `, xid`, `, ?`, `, xid = excluded.xid`
		args = append(args, p.Place.Xid)
	}
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO feed_positions (tenant_id, endpoint_id, consumer, cursor_text, seq, updated_at`+cols+`)
		VALUES (?, ?, ?, ?, ?, ?`+vals+`) ON CONFLICT (endpoint_id, consumer) DO UPDATE SET cursor_text = excluded.cursor_text,
		seq = excluded.seq, updated_at = excluded.updated_at`+set), args...)
	return unavailable(err)
}
