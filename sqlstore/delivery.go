package sqlstore

import (
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Apply implements hookd.Queue: publishes, attempt results, hand-backs and
// endpoint health changes in one transaction.
func (s *Store) Apply(ctx context.Context, b *hookd.Batch) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if len(b.Publishes) == 0 && s.d.AsyncCommit != "" {
			// Attempt results are acknowledged to nobody: if one is
			// lost in a crash, the delivery is sent again, which
			// at-least-once allows. So they need not wait for the disk.
			if _, err := tx.ExecContext(ctx, s.d.AsyncCommit); err != nil {
				return unavailable(err)
			}
		}
		for _, p := range b.Publishes {
			p.Existing = nil
		}
		if err := s.applyPublishes(ctx, tx, b); err != nil {
			return err
		}
		// Hand-backs go before results, so that of a hand-back and an
		// attempt of one delivery in a batch, the attempt's word holds.
		if err := s.applyHandBacks(ctx, tx, b.HandBacks); err != nil {
			return err
		}
		if err := s.applyResults(ctx, tx, b.Results); err != nil {
			return err
		}
		return s.applyHealth(ctx, tx, b.Health)
	})
}

// rowsSQL returns n rows of placeholders for a multi-row VALUES list. With
// types, each placeholder is cast, so PostgreSQL knows the column types of
// a VALUES list that is not an INSERT's.
func rowsSQL(n int, types ...string) string {
	var one strings.Builder
	one.WriteByte('(')
	for i, t := range types {
		if i > 0 {
			one.WriteString(", ")
		}
		if t == "" {
			one.WriteByte('?')
		} else {
			one.WriteString("CAST(? AS " + t + ")")
		}
	}
	one.WriteByte(')')
	row := one.String()
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// The batch statements, for n rows each.

// eventArgs appends an event's values in the column order of the events
// inserts.
func eventArgs(args []any, ev *hookd.Event) []any {
	return append(args, ev.TenantID, ev.ID, ev.Type, []byte(ev.Payload),
		nullStr(ev.OrderingKey), nullStr(ev.IdempotencyKey), ms(ev.CreatedAt), nullStr(ev.TraceContext))
}

// insertEventSQL inserts one event, or nothing if its id or key was used.
var insertEventSQL = `INSERT INTO events (tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`

// insertEventsSQL returns the statement that inserts n events and returns
// the keys of those that were new; with version, each returned row also
// carries the endpoints version, read in the same statement (so checking
// it costs no round trip).
func insertEventsSQL(n int, version bool) string {
	q := `INSERT INTO events (tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context)
		VALUES ` + rowsSQL(n, "", "", "", "", "", "", "", "") + ` ON CONFLICT DO NOTHING RETURNING tenant_id, id`
	if version {
		q += `, (SELECT value FROM settings WHERE name = 'endpoints_version')`
	}
	return q
}

// insertDeliveriesSQL inserts n new deliveries; one is a plain INSERT, as
// cheap as a statement gets (SQLite sends rows one at a time, prepared).
func insertDeliveriesSQL(n int) string {
	cols := `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type,
		next_attempt_at, owner, created_at, updated_at, ordering_key, state, attempts, first_sent_at, last_status, last_error)`
	if n == 1 {
		return cols + ` VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, 0, '')`
	}
	return cols + ` SELECT v.*, 'pending', 0, NULL, 0, '' FROM (VALUES ` + rowsSQL(n, "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
		"BIGINT", "TEXT", "BIGINT", "BIGINT", "TEXT") + `) AS v`
}

func insertAttemptsSQL(n int) string {
	return `INSERT INTO attempts (delivery_id, n, at, duration_ms, status, response, error_class, error)
		VALUES ` + rowsSQL(n, "", "", "", "", "", "", "", "")
}

// updateDeliveriesSQL records the last result of n deliveries, each row
// (state, attempts, next_attempt_at, owner, first_sent_at, last_status,
// last_error, updated_at, id); one is a plain UPDATE by id.
func updateDeliveriesSQL(n int) string {
	if n == 1 {
		return `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, owner = ?,
			first_sent_at = COALESCE(first_sent_at, ?), last_status = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND state = 'pending'`
	}
	return `UPDATE deliveries SET state = v.column1, attempts = v.column2,
		next_attempt_at = v.column3, owner = v.column4, first_sent_at = COALESCE(deliveries.first_sent_at, v.column5),
		last_status = v.column6, last_error = v.column7, updated_at = v.column8
		FROM (VALUES ` + rowsSQL(n, "TEXT", "INTEGER", "BIGINT", "TEXT", "BIGINT", "INTEGER", "TEXT", "BIGINT", "TEXT") + `) AS v
		WHERE deliveries.id = v.column9 AND deliveries.state = 'pending'`
}

// applyPublishes stores the events and their deliveries with multi-row
// statements (a round trip per row would dominate on PostgreSQL). With
// b.CheckVersion, a batch that inserts any event while the store's
// endpoints version is not b.EndpointsVersion is refused with ErrStale (a
// batch of repeats only inserts nothing, whatever the version).
func (s *Store) applyPublishes(ctx context.Context, tx *sql.Tx, b *hookd.Batch) error {
	ps := b.Publishes
	if len(ps) == 0 {
		return nil
	}
	fresh, dupOf := splitRepeats(ps)

	chunk := s.d.RowsPerStatement
	inserted := map[[2]string]bool{}
	if chunk == 1 && !b.CheckVersion {
		// One row per statement (SQLite): whether an event was new is
		// the count of rows its insert changed, cheaper to read than
		// a returned row.
		for _, p := range fresh {
			ev := p.Event
			n, err := s.execCount(ctx, tx, insertEventSQL, eventArgs(nil, ev)...)
			if err != nil {
				return unavailable(err)
			}
			inserted[[2]string{ev.TenantID, ev.ID}] = n == 1
		}
	} else {
		for start := 0; start < len(fresh); start += chunk {
			part := fresh[start:min(start+chunk, len(fresh))]
			args := make([]any, 0, 8*len(part))
			for _, p := range part {
				args = eventArgs(args, p.Event)
			}
			rows, err := s.query(ctx, tx, insertEventsSQL(len(part), b.CheckVersion), args...)
			if err != nil {
				return unavailable(err)
			}
			for rows.Next() {
				var k [2]string
				dest := []any{&k[0], &k[1]}
				var version sql.NullString
				if b.CheckVersion {
					dest = append(dest, &version)
				}
				if err := rows.Scan(dest...); err != nil {
					rows.Close()
					return unavailable(err)
				}
				if b.CheckVersion {
					if v, _ := strconv.ParseInt(version.String, 10, 64); v != b.EndpointsVersion {
						rows.Close()
						return hookd.ErrStale
					}
				}
				inserted[k] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return unavailable(err)
			}
		}
	}

	ds, err := s.answerRepeats(ctx, tx, fresh, dupOf, inserted)
	if err != nil {
		return err
	}
	for _, p := range fresh {
		// Test events are rare: marked by a statement of their own, so
		// the inserts of every other event stay as they are.
		if ev := p.Event; ev.Test && p.Existing == nil {
			if err := s.exec(ctx, tx, `UPDATE events SET is_test = 1 WHERE tenant_id = ? AND id = ?`, ev.TenantID, ev.ID); err != nil {
				return unavailable(err)
			}
		}
	}

	for start := 0; start < len(ds); start += chunk {
		part := ds[start:min(start+chunk, len(ds))]
		args := make([]any, 0, 10*len(part))
		for _, d := range part {
			args = append(args, d.ID, d.TenantID, d.EventID, d.EndpointID, d.EventType,
				ms(*d.NextAttemptAt), nullStr(d.Owner), ms(d.CreatedAt), ms(d.UpdatedAt), nullStr(d.OrderingKey))
		}
		if err := s.exec(ctx, tx, insertDeliveriesSQL(len(part)), args...); err != nil {
			return unavailable(err)
		}
	}
	var parked []string
	for _, d := range ds {
		if d.Owner == hookd.Parked {
			parked = append(parked, d.ID)
		}
	}
	return s.settleParked(ctx, tx, parked)
}

// settleParked makes the given pending deliveries parked if their endpoint
// is disabled and unowned if it is not, as the store knows it in this
// transaction. A node decides from its endpoint cache, which can be a
// moment behind an enable or a disable: without this, a delivery parked
// just after its endpoint was enabled would wait for nothing, and one
// handed back just after a disable would show pending.
func (s *Store) settleParked(ctx context.Context, tx *sql.Tx, ids []string) error {
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := []any{hookd.Parked}
		for _, id := range part {
			args = append(args, id)
		}
		args = append(args, hookd.Parked)
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = CASE WHEN EXISTS (SELECT 1 FROM endpoints e
			WHERE e.id = deliveries.endpoint_id AND e.disabled = 1) THEN ? ELSE NULL END
			WHERE id IN (?`+strings.Repeat(`, ?`, len(part)-1)+`) AND state = 'pending' AND (owner IS NULL OR owner = ?)`), args...); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

// splitRepeats parts a batch's publishes into the first of each id or
// idempotency key and the repeats within the batch, which answer with the
// first publish that carries their id or key.
func splitRepeats(ps []*hookd.Publish) (fresh []*hookd.Publish, dupOf map[*hookd.Publish]*hookd.Publish) {
	first := map[string]*hookd.Publish{}
	dupOf = map[*hookd.Publish]*hookd.Publish{}
	for _, p := range ps {
		keys := []string{"i\x00" + p.Event.TenantID + "\x00" + p.Event.ID}
		if p.Event.IdempotencyKey != "" {
			keys = append(keys, "k\x00"+p.Event.TenantID+"\x00"+p.Event.IdempotencyKey)
		}
		var prev *hookd.Publish
		for _, k := range keys {
			if q := first[k]; q != nil && prev == nil {
				prev = q
			}
		}
		if prev != nil {
			dupOf[p] = prev
			continue
		}
		for _, k := range keys {
			first[k] = p
		}
		fresh = append(fresh, p)
	}
	return fresh, dupOf
}

// answerRepeats gives the publishes whose event was not inserted (its id
// or key was used before, or earlier in the batch) the first publish's
// event and deliveries; it returns the deliveries of the inserted events.
func (s *Store) answerRepeats(ctx context.Context, q querier, fresh []*hookd.Publish, dupOf map[*hookd.Publish]*hookd.Publish,
	inserted map[[2]string]bool) ([]*hookd.Delivery, error) {
	var ds []*hookd.Delivery
	for _, p := range fresh {
		if inserted[[2]string{p.Event.TenantID, p.Event.ID}] {
			ds = append(ds, p.Deliveries...)
			continue
		}
		// The id or the idempotency key was used before: answer with
		// what the first publish created, store nothing.
		existing, err := s.existingEvent(ctx, q, p.Event)
		if err != nil {
			return nil, err
		}
		p.Existing = existing
		if p.Deliveries, err = s.deliveriesOf(ctx, q, existing.TenantID, existing.ID); err != nil {
			return nil, err
		}
	}
	for p, prev := range dupOf {
		p.Existing, p.Deliveries = prev.Existing, prev.Deliveries
		if p.Existing == nil {
			p.Existing = prev.Event
		}
	}
	return ds, nil
}

func (s *Store) existingEvent(ctx context.Context, tx querier, ev *hookd.Event) (*hookd.Event, error) {
	if ev.IdempotencyKey != "" {
		e, err := scanEvent(tx.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM events WHERE tenant_id = ? AND idempotency_key = ?`),
			ev.TenantID, ev.IdempotencyKey))
		if err == nil {
			return e, nil
		}
		if err != sql.ErrNoRows {
			return nil, unavailable(err)
		}
	}
	e, err := scanEvent(tx.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM events WHERE tenant_id = ? AND id = ?`), ev.TenantID, ev.ID))
	return e, notFound(err)
}

func (s *Store) deliveriesOf(ctx context.Context, q querier, tenantID, eventID string) ([]*hookd.Delivery, error) {
	return s.queryDeliveries(ctx, q, `SELECT `+deliveryCols+` FROM deliveries WHERE event_id = ? AND tenant_id = ? ORDER BY id`, eventID, tenantID)
}

// querier is a transaction or a pool.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// applyHandBacks gives deliveries back unsent. Every hand-back leaves its
// delivery with the store or parked, so each is settled against the
// endpoint's state as the store knows it (a node may not know yet that
// the endpoint was disabled or enabled).
func (s *Store) applyHandBacks(ctx context.Context, tx *sql.Tx, hs []hookd.HandBack) error {
	settle := make([]string, 0, len(hs))
	for _, h := range hs {
		next := h.NextAttemptAt
		if next.IsZero() {
			next = time.UnixMilli(0)
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = ?, next_attempt_at = ?, updated_at = ?
			WHERE id = ? AND state = 'pending'`), nullStr(h.Owner), ms(next), ms(h.At), h.DeliveryID); err != nil {
			return unavailable(err)
		}
		settle = append(settle, h.DeliveryID)
	}
	return s.settleParked(ctx, tx, settle)
}

// applyResults records attempts and updates their deliveries, each with
// multi-row statements.
func (s *Store) applyResults(ctx context.Context, tx *sql.Tx, rs []*hookd.Result) error {
	// Deliveries left pending in the store, or parked, by a node that may
	// not know yet that their endpoint was disabled or enabled.
	var settle []string
	for _, r := range rs {
		if r.State == hookd.StatePending && (r.Owner == "" || r.Owner == hookd.Parked) {
			settle = append(settle, r.Attempt.DeliveryID)
		}
	}
	chunk := s.d.RowsPerStatement
	for start := 0; start < len(rs); start += chunk {
		part := rs[start:min(start+chunk, len(rs))]
		args := make([]any, 0, 8*len(part))
		for _, r := range part {
			a := r.Attempt
			args = append(args, a.DeliveryID, a.N, ms(a.At), a.DurationMS, a.Status, a.Response, a.ErrorClass, a.Error)
		}
		if err := s.exec(ctx, tx, insertAttemptsSQL(len(part)), args...); err != nil {
			return unavailable(err)
		}
		// One update row per delivery, its last result: an UPDATE that
		// meets a row twice applies one of them, and which is not defined.
		last := map[string]int{}
		for i, r := range part {
			last[r.Attempt.DeliveryID] = i
		}
		args = args[:0]
		rows := 0
		for i, r := range part {
			a := r.Attempt
			id, at := a.DeliveryID, r.At
			if last[id] != i {
				continue
			}
			rows++
			if at.IsZero() {
				at = a.At
			}
			errText := a.Error
			if errText == "" {
				errText = a.ErrorClass
			}
			next := r.NextAttemptAt
			if next.IsZero() {
				next = time.UnixMilli(0)
			}
			args = append(args, r.State, a.N, ms(next), nullStr(r.Owner), nullMS(&r.FirstSentAt), a.Status, errText, ms(at), id)
		}
		if err := s.exec(ctx, tx, updateDeliveriesSQL(rows), args...); err != nil {
			return unavailable(err)
		}
	}
	return s.settleParked(ctx, tx, settle)
}

func (s *Store) applyHealth(ctx context.Context, tx *sql.Tx, hs []*hookd.EndpointHealth) error {
	for _, h := range hs {
		if h.Disable {
			res, err := tx.ExecContext(ctx, s.q(`UPDATE endpoints SET disabled = 1, disabled_reason = ?, failing_since = ?, updated_at = ?
				WHERE id = ? AND disabled = 0`), h.DisabledReason, nullMS(h.FailingSince), ms(h.At), h.EndpointID)
			if err != nil {
				return unavailable(err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				if err := s.park(ctx, tx, h.EndpointID, false, true, h.At); err != nil {
					return err
				}
				if err := s.bumpEndpoints(ctx, tx); err != nil {
					return err
				}
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE endpoints SET failing_since = ? WHERE id = ?`), nullMS(h.FailingSince), h.EndpointID); err != nil {
			return unavailable(err)
		}
	}
	return nil
}

const eventCols = `seq, tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context, is_test`

func scanEvent(row interface{ Scan(...any) error }) (*hookd.Event, error) {
	var e hookd.Event
	var ok, ik, tc sql.NullString
	var payload []byte
	var c, test int64
	if err := row.Scan(&e.Seq, &e.TenantID, &e.ID, &e.Type, &payload, &ok, &ik, &c, &tc, &test); err != nil {
		return nil, err
	}
	e.Test = test != 0
	e.Payload = payload
	e.OrderingKey, e.IdempotencyKey, e.TraceContext = ok.String, ik.String, tc.String
	e.CreatedAt = fromMS(c)
	return &e, nil
}

// Event implements hookd.Store.
func (s *Store) Event(ctx context.Context, tenantID, id string) (*hookd.Event, error) {
	e, err := scanEvent(s.r.QueryRowContext(ctx, s.q(`SELECT `+eventCols+` FROM events WHERE tenant_id = ? AND id = ?`), tenantID, id))
	return e, notFound(err)
}

// Events implements hookd.Store: newest first; After is the id of the last
// event of the previous page.
func (s *Store) Events(ctx context.Context, tenantID string, f hookd.EventFilter) ([]*hookd.Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE tenant_id = ?`
	args := []any{tenantID}
	if f.Type != "" {
		q += ` AND type = ?`
		args = append(args, f.Type)
	}
	// Prefixes are compared with substr, not LIKE or a range: LIKE's case
	// rules and a range's collation differ between the dialects. The
	// scan is the (tenant_id, seq) index's either way.
	var alts []string
	for _, t := range f.Types {
		alts = append(alts, `type = ?`)
		args = append(args, t)
	}
	for _, p := range f.Prefixes {
		alts = append(alts, `substr(type, 1, `+strconv.Itoa(len(p))+`) = ?`)
		args = append(args, p)
	}
	if len(alts) > 0 {
		q += ` AND (` + strings.Join(alts, ` OR `) + `)`
	}
	if f.NotPrefix != "" {
		q += ` AND substr(type, 1, ` + strconv.Itoa(len(f.NotPrefix)) + `) <> ?`
		args = append(args, f.NotPrefix)
	}
	if f.After != "" {
		var seq int64
		err := s.r.QueryRowContext(ctx, s.q(`SELECT seq FROM events WHERE tenant_id = ? AND id = ?`), tenantID, f.After).Scan(&seq)
		if err != nil {
			if err == sql.ErrNoRows {
				return nil, hookd.Errorf(hookd.EINVALID, "after: no event %q", f.After)
			}
			return nil, unavailable(err)
		}
		q += ` AND seq < ?`
		args = append(args, seq)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
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

func scanDelivery(row interface{ Scan(...any) error }) (*hookd.Delivery, error) {
	var d hookd.Delivery
	var next, c, u int64
	var first sql.NullInt64
	var key, owner sql.NullString
	if err := row.Scan(&d.ID, &d.TenantID, &d.EventID, &d.EndpointID, &d.EventType, &d.State, &d.Attempts,
		&next, &first, &d.LastStatus, &d.LastError, &c, &u, &key, &owner); err != nil {
		return nil, err
	}
	d.OrderingKey, d.Owner = key.String, owner.String
	if d.State == hookd.StatePending && d.Owner == hookd.Parked {
		// Stored pending, shown parked: it waits for its endpoint to be
		// enabled, not for a time.
		d.State = hookd.StateParked
	}
	if d.State == hookd.StatePending {
		t := fromMS(next)
		d.NextAttemptAt = &t
	}
	d.FirstSentAt = ptrMS(first)
	d.CreatedAt, d.UpdatedAt = fromMS(c), fromMS(u)
	return &d, nil
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

// Delivery implements hookd.Store.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, s.q(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ? AND tenant_id = ?`), id, tenantID))
	return d, notFound(err)
}

// Deliveries implements hookd.Store: newest first.
func (s *Store) Deliveries(ctx context.Context, tenantID string, f hookd.DeliveryFilter) ([]*hookd.Delivery, error) {
	q := `SELECT ` + deliveryCols + ` FROM deliveries WHERE tenant_id = ?`
	args := []any{tenantID}
	if f.EndpointID != "" {
		q += ` AND endpoint_id = ?`
		args = append(args, f.EndpointID)
	}
	if f.EventID != "" {
		q += ` AND event_id = ?`
		args = append(args, f.EventID)
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
	if f.After != "" {
		q += ` AND id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	return s.queryDeliveries(ctx, s.r, q, append(args, limit(f.Page))...)
}

// Attempts implements hookd.Store.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]*hookd.Attempt, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT id, delivery_id, n, at, duration_ms, status, response, error_class, error
		FROM attempts WHERE delivery_id = ? ORDER BY id`), deliveryID)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Attempt
	seen := map[int]int{} // attempt number -> attempts with it so far
	for rows.Next() {
		var a hookd.Attempt
		var at int64
		if err := rows.Scan(&a.Seq, &a.DeliveryID, &a.N, &at, &a.DurationMS, &a.Status, &a.Response, &a.ErrorClass, &a.Error); err != nil {
			return nil, unavailable(err)
		}
		a.At = fromMS(at)
		a.ID = hookd.AttemptID(a.DeliveryID, a.N, seen[a.N])
		seen[a.N]++
		out = append(out, &a)
	}
	return out, unavailable(rows.Err())
}

// Requeue implements hookd.Store. A pending delivery held by a node is left
// to it; a finished one becomes pending again, due now.
func (s *Store) Requeue(ctx context.Context, tenantID, id string, now time.Time) (*hookd.Delivery, error) {
	var out *hookd.Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var owner sql.NullString
		var state string
		var disabled sql.NullInt64
		err := tx.QueryRowContext(ctx, s.q(`SELECT d.state, d.owner, e.disabled FROM deliveries d
			LEFT JOIN endpoints e ON e.id = d.endpoint_id WHERE d.id = ? AND d.tenant_id = ?`), id, tenantID).Scan(&state, &owner, &disabled)
		if err != nil {
			return notFound(err)
		}
		if !disabled.Valid {
			// Its endpoint was deleted: pending again, it would be
			// claimed by nodes that have no endpoint to send it to.
			return hookd.Errorf(hookd.ECONFLICT, "delivery %q: its endpoint was deleted", id)
		}
		if state != hookd.StatePending || !owner.Valid {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET state = 'pending', next_attempt_at = ?, updated_at = ?,
				owner = (SELECT CASE WHEN e.disabled = 1 THEN ? ELSE NULL END FROM endpoints e WHERE e.id = deliveries.endpoint_id)
				WHERE id = ? AND (state <> 'pending' OR owner IS NULL)`), ms(now), ms(now), hookd.Parked, id); err != nil {
				return unavailable(err)
			}
		}
		out, err = scanDelivery(tx.QueryRowContext(ctx, s.q(`SELECT `+deliveryCols+` FROM deliveries WHERE id = ?`), id))
		return unavailable(err)
	})
	return out, err
}

// Recover implements hookd.Store.
func (s *Store) Recover(ctx context.Context, tenantID, endpointID string, since, until, now time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var disabled int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?`), tenantID, endpointID).Scan(&disabled); err != nil {
			return notFound(err)
		}
		var owner any
		if disabled != 0 {
			owner = hookd.Parked
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET state = 'pending', next_attempt_at = ?, owner = ?, updated_at = ?
			WHERE endpoint_id = ? AND tenant_id = ? AND state = 'failed' AND created_at >= ? AND created_at < ?`),
			ms(now), owner, ms(now), endpointID, tenantID, ms(since), ms(until))
		if err != nil {
			return unavailable(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}

// Claim implements hookd.Store.
func (s *Store) Claim(ctx context.Context, node string, now time.Time, max int, skip []string) ([]*hookd.Job, error) {
	var jobs []*hookd.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// An ordered delivery is claimable only at the head of its
		// endpoint and key: no delivery of the same endpoint and key
		// from an earlier event is pending (waiting, parked, or in
		// flight on some node).
		inner := `SELECT d.id FROM deliveries d WHERE d.state = 'pending' AND d.owner IS NULL AND d.next_attempt_at <= ?
			AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p
				JOIN events pe ON pe.tenant_id = p.tenant_id AND pe.id = p.event_id
				JOIN events de ON de.tenant_id = d.tenant_id AND de.id = d.event_id
				WHERE p.endpoint_id = d.endpoint_id AND p.ordering_key = d.ordering_key AND p.state = 'pending'
				AND p.id <> d.id AND pe.seq < de.seq))`
		args := []any{node, ms(now), ms(now)}
		if len(skip) > 0 {
			inner += ` AND d.endpoint_id NOT IN (?` + strings.Repeat(`, ?`, len(skip)-1) + `)`
			for _, id := range skip {
				args = append(args, id)
			}
		}
		inner += ` ORDER BY d.next_attempt_at LIMIT ?` + s.d.Lock
		args = append(args, max)
		ds, err := s.queryDeliveries(ctx, tx, `UPDATE deliveries SET owner = ?, updated_at = ? WHERE id IN (`+inner+`)
			RETURNING `+deliveryCols, args...)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		// One query for the events of the whole batch (a round trip per
		// event would dominate on PostgreSQL).
		ids := make([]any, len(ds))
		for i, d := range ds {
			ids[i] = d.ID
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT d.id, e.seq, e.tenant_id, e.id, e.type, e.payload, e.ordering_key,
			e.idempotency_key, e.created_at, e.trace_context FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
			WHERE d.id IN (?`+strings.Repeat(`, ?`, len(ids)-1)+`)`), ids...)
		if err != nil {
			return unavailable(err)
		}
		defer rows.Close()
		byDelivery := make(map[string]*hookd.Event, len(ds))
		shared := map[[2]string]*hookd.Event{} // one Event per tenant and id
		for rows.Next() {
			var did string
			var e hookd.Event
			var ok, ik, tc sql.NullString
			var payload []byte
			var c int64
			if err := rows.Scan(&did, &e.Seq, &e.TenantID, &e.ID, &e.Type, &payload, &ok, &ik, &c, &tc); err != nil {
				return unavailable(err)
			}
			key := [2]string{e.TenantID, e.ID}
			if prev := shared[key]; prev != nil {
				byDelivery[did] = prev
				continue
			}
			e.Payload = payload
			e.OrderingKey, e.IdempotencyKey, e.TraceContext = ok.String, ik.String, tc.String
			e.CreatedAt = fromMS(c)
			shared[key] = &e
			byDelivery[did] = &e
		}
		if err := rows.Err(); err != nil {
			return unavailable(err)
		}
		for _, d := range ds {
			if ev := byDelivery[d.ID]; ev != nil {
				jobs = append(jobs, &hookd.Job{Delivery: d, Event: ev})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no particular order; oldest due first is
	// the contract.
	slices.SortStableFunc(jobs, func(a, b *hookd.Job) int {
		if c := a.Delivery.NextAttemptAt.Compare(*b.Delivery.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.Delivery.ID, b.Delivery.ID)
	})
	return jobs, nil
}

// Rescue implements hookd.Store.
func (s *Store) Rescue(ctx context.Context, self string, deadline time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = NULL WHERE state = 'pending' AND owner IS NOT NULL
			AND owner <> ? AND owner <> ? AND owner NOT IN (SELECT id FROM nodes WHERE heartbeat_at >= ?)`),
			self, hookd.Parked, ms(deadline))
		if err != nil {
			return unavailable(err)
		}
		n, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM nodes WHERE heartbeat_at < ? AND id <> ?`), ms(deadline), self)
		return unavailable(err)
	})
	return int(n), err
}

// Heartbeat implements hookd.Store.
func (s *Store) Heartbeat(ctx context.Context, node string, now time.Time) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO nodes (id, heartbeat_at) VALUES (?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`), node, ms(now))
	return unavailable(err)
}

// NextDue implements hookd.Store.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM deliveries WHERE state = 'pending' AND owner IS NULL`).Scan(&v)
	if err != nil {
		return time.Time{}, false, unavailable(err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

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

// Purge implements hookd.Store. It deletes in small transactions so the
// writer is never held for long.
func (s *Store) Purge(ctx context.Context, before time.Time) (int, error) {
	total := 0
	cut := ms(before)
	steps := []string{
		`DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE at < ? LIMIT 1000)`,
		`DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE created_at < ? AND state <> 'pending' LIMIT 1000)`,
		`DELETE FROM events WHERE seq IN (SELECT seq FROM events e WHERE created_at < ?
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.tenant_id = e.tenant_id) LIMIT 1000)`,
	}
	for _, q := range steps {
		for {
			res, err := s.w.ExecContext(ctx, s.q(q), cut)
			if err != nil {
				return total, unavailable(err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
			if n < 1000 {
				break
			}
		}
	}
	return total, nil
}

// ReserveSlots implements hookd.Store.
func (s *Store) ReserveSlots(ctx context.Context, endpointID string, n int, interval time.Duration, now time.Time) (time.Time, error) {
	span := int64(n) * interval.Microseconds()
	at := now.UnixMicro()
	var next int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return unavailable(tx.QueryRowContext(ctx, s.q(`INSERT INTO endpoint_slots (endpoint_id, next_slot) VALUES (?, ?)
			ON CONFLICT (endpoint_id) DO UPDATE SET next_slot =
				CASE WHEN endpoint_slots.next_slot > ? THEN endpoint_slots.next_slot ELSE ? END + ?
			RETURNING next_slot`), endpointID, at+span, at, at, span).Scan(&next))
	})
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMicro(next - span).UTC(), nil
}
