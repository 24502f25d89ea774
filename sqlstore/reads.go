package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

const eventCols = `seq, tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context, is_test`

// eventScan holds the destinations of one row of eventCols, so a query
// that reads more columns can scan them in the same row.
type eventScan struct {
	e          hookd.Event
	ok, ik, tc sql.NullString
	payload    []byte
	c, test    int64
}

func (s *eventScan) dest() []any {
	return []any{&s.e.Seq, &s.e.TenantID, &s.e.ID, &s.e.Type, &s.payload, &s.ok, &s.ik, &s.c, &s.tc, &s.test}
}

func (s *eventScan) event() *hookd.Event {
	e := s.e
	e.Test = s.test != 0
	e.Payload = s.payload
	e.OrderingKey, e.IdempotencyKey, e.TraceContext = s.ok.String, s.ik.String, s.tc.String
	e.CreatedAt = fromMS(s.c)
	return &e
}

func scanEvent(row interface{ Scan(...any) error }) (*hookd.Event, error) {
	var s eventScan
	if err := row.Scan(s.dest()...); err != nil {
		return nil, err
	}
	return s.event(), nil
}

// Event implements hookd.Store.
func (s *Store) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM events WHERE tenant_id = ? AND id = ?`), tenantID, id))
	return e, notFound(err)
}

// Events implements hookd.Store: newest first; After is the id of the last
// event of the previous page. Newest first is the feed's order backwards
// (feed.go): where events keep their transaction's id (Dialect.FeedXid:
// PostgreSQL) by place, (xid, seq) descending, walked backward on the
// feed's index events_tenant_xid_seq (the row comparison with the
// cursor's place is its condition after the tenant; postgres
// TestEventsListPlan), so the list needs no index of its own (migration
// 021); on SQLite by seq, on events_tenant_seq. A page shows what is
// visible when it is read (no horizon as the feed's): an event whose
// transaction commits while the list is paged is on a later page if its
// place is below the cursor, and not if it is above, as by seq.
func (s *Store) Events(ctx context.Context, tenantID string, f hookd.EventFilter) ([]*hookd.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE tenant_id = ?`
	args := []any{tenantID}
	order, before := `seq DESC`, `seq < ?`
	if s.d.FeedXid {
		order, before = `xid DESC, seq DESC`, `(xid, seq) < (?, ?)`
	}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	if f.IdempotencyKey != "" {
		q += ` AND idempotency_key = ?`
		args = append(args, f.IdempotencyKey)
	}
	cond, a := s.typeMatch("type", f.Types, f.Prefixes, f.NotPrefix)
	q += cond
	args = append(args, a...)
	if f.DeliveryState != "" {
		q += ` AND EXISTS (SELECT 1 FROM deliveries d WHERE ` + s.ofEvent("d", "events") + ` AND d.state = ?)`
		args = append(args, f.DeliveryState)
	}
	if f.After != "" {
		p, err := s.FeedPlace(ctx, tenantID, f.After)
		if err != nil {
			if errors.Is(err, hookd.ErrNotFound) {
				return nil, hookd.FieldErrorf(hookd.EINVALID, "after", "exists", "after: no event %q", f.After)
			}
			return nil, err
		}
		q += ` AND ` + before
		if s.d.FeedXid {
			args = append(args, p.Xid)
		}
		args = append(args, p.Seq)
	}
	q += ` ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(q), append(args, limit(f.Page))...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, e)
	}
	return out, unavailable(rows.Err())
}

const deliveryCols = `id, tenant_id, event_id, endpoint_id, event_type, state, attempts, next_attempt_at,
	first_sent_at, last_status, last_error, created_at, updated_at, ordering_key, owner`

// deliveryScan holds the destinations of one row of deliveryCols.
type deliveryScan struct {
	d          hookd.Delivery
	next, c, u int64
	first      sql.NullInt64
	key, owner sql.NullString
}

func (s *deliveryScan) dest() []any {
	d := &s.d
	return []any{&d.ID, &d.TenantID, &d.EventID, &d.EndpointID, &d.EventType, &d.State, &d.Attempts,
		&s.next, &s.first, &d.LastStatus, &d.LastError, &s.c, &s.u, &s.key, &s.owner}
}

func (s *deliveryScan) delivery() *hookd.Delivery {
	d := s.d
	d.OrderingKey, d.Owner = s.key.String, s.owner.String
	if d.State == hookd.StatePending && d.Owner == hookd.Parked {
		// Stored pending, shown parked: it waits for its endpoint to be
		// enabled, not for a time.
		d.State = hookd.StateParked
	}
	if d.State == hookd.StatePending {
		t := fromMS(s.next)
		d.NextAttemptAt = &t
	}
	d.FirstSentAt = ptrMS(s.first)
	d.CreatedAt, d.UpdatedAt = fromMS(s.c), fromMS(s.u)
	return &d
}

func scanDelivery(row interface{ Scan(...any) error }) (*hookd.Delivery, error) {
	var s deliveryScan
	if err := row.Scan(s.dest()...); err != nil {
		return nil, err
	}
	return s.delivery(), nil
}

func (s *Store) queryDeliveries(ctx context.Context, q querier, query string, args ...any) ([]*hookd.Delivery, error) {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, d)
	}
	return out, unavailable(rows.Err())
}

// typeMatch is the condition (" AND ...", or "") and its arguments that
// select rows whose type column is one of types or begins with one of
// prefixes (when either is set), and does not begin with notPrefix (when
// set): EventFilter's and DeliveryFilter's Types, Prefixes and NotPrefix.
//
// Prefixes are compared with substr, not LIKE or a range: LIKE's case
// rules and a range's collation differ between the dialects; where the
// dialect has starts_with (Dialect.StartsWith), with it (type names are
// ASCII: the same test). The scan of the events list is its index either
// way (see Events), if the planner does not guess that few events match:
// it guesses 0.5% for substr(...) = ?, and reads the share of starts_with
// from the column's statistics. Where the list's order is seq, events_pkey
// gives it too and the guess did not matter; in (xid, seq) order it sorted
// the tenant's events.
func (s *Store) typeMatch(col string, types, prefixes []string, notPrefix string) (string, []any) {
	prefix := func(n int) string { return `substr(` + col + `, 1, ` + strconv.Itoa(n) + `) = ?` }
	if s.d.StartsWith {
		prefix = func(int) string { return `starts_with(` + col + `, ?)` }
	}
	var q string
	var args []any
	var alts []string
	for _, t := range types {
		alts = append(alts, col+` = ?`)
		args = append(args, t)
	}
	for _, p := range prefixes {
		alts = append(alts, prefix(len(p)))
		args = append(args, p)
	}
	if len(alts) > 0 {
		q += ` AND (` + strings.Join(alts, ` OR `) + `)`
	}
	if notPrefix != "" {
		q += ` AND substr(` + col + `, 1, ` + strconv.Itoa(len(notPrefix)) + `) <> ?`
		args = append(args, notPrefix)
	}
	return q, args
}

// Delivery implements hookd.Store.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, s.q(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ? AND tenant_id = ?`), id, tenantID))
	return d, notFound(err)
}

// Deliveries implements hookd.Store: newest first.
func (s *Store) Deliveries(ctx context.Context, tenantID string, f hookd.DeliveryFilter) ([]*hookd.Delivery, error) {
	from := `deliveries`
	if f.EventID != "" && s.d.EventSeq {
		// One event's few deliveries, by the seq's index: never the
		// tenant's, read in the order of their ids until the event's
		// come (SQLite's planner may weigh the two the same).
		from = `deliveries INDEXED BY deliveries_event_seq`
	}
	q := `SELECT ` + deliveryCols + ` FROM ` + from + ` WHERE tenant_id = ?`
	args := []any{tenantID}
	if f.EndpointID != "" {
		q += ` AND endpoint_id = ?`
		args = append(args, f.EndpointID)
	}
	if f.EventID != "" {
		cond, a := s.byEvent(tenantID, f.EventID)
		q += ` AND ` + cond
		args = append(args, a...)
	}
	switch f.State {
	case "":
	case hookd.StateParked:
		q += ` AND state = 'pending' AND owner = ?`
		args = append(args, hookd.Parked)
	case hookd.StatePending:
		q += ` AND state = 'pending' AND (owner IS NULL OR owner <> ?)`
		args = append(args, hookd.Parked)
	default:
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	if f.EventType != "" {
		q += ` AND event_type = ?`
		args = append(args, f.EventType)
	}
	cond, a := s.typeMatch("event_type", f.Types, f.Prefixes, f.NotPrefix)
	q += cond
	args = append(args, a...)
	// Ids grow with creation time, so the newest-first scan of the
	// (endpoint_id, id) or (tenant_id, id) index stops at the page's end.
	if !f.Since.IsZero() {
		q += ` AND created_at >= ?`
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND created_at < ?`
		args = append(args, ms(f.Until))
	}
	if f.After != "" {
		q += ` AND id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	return s.queryDeliveries(ctx, s.r, q, append(args, limit(f.Page))...)
}

// Attempts implements hookd.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]*hookd.Attempt, error) {
	args := []any{deliveryID}
	if s.d.FirstAttemptInline {
		args = append(args, deliveryID)
	}
	rows, err := s.r.QueryContext(ctx, s.q(s.attemptsOfSQL()), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Attempt
	seen := map[int]int{} // attempt number -> attempts with it so far
	for rows.Next() {
		var a hookd.Attempt
		var at int64
		if err := rows.Scan(&a.Seq, &a.DeliveryID, &a.N, &at, &a.DurationMS, &a.Status, &a.Response, &a.ResponseHeaders, &a.ErrorClass, &a.Error); err != nil {
			return nil, unavailable(err)
		}
		a.At = fromMS(at)
		a.ID = hookd.AttemptID(a.DeliveryID, a.N, seen[a.N])
		seen[a.N]++
		out = append(out, &a)
	}
	return out, unavailable(rows.Err())
}
