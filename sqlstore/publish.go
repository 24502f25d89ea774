package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
)

// Apply implements hookd.Queue: publishes, attempt results, hand-backs and
// endpoint health changes in one transaction.
func (s *Store) Apply(ctx context.Context, b *hookd.Batch) error {
	if done, err := s.applyOne(ctx, b); done {
		return err
	}
	// Attempt results are acknowledged to nobody: if one is lost in a
	// crash, the delivery is sent again, which at-least-once allows. So
	// they need not wait for the disk.
	return s.txMode(ctx, len(b.Publishes) == 0, func(tx *sql.Tx) error {
		ctx := s.stmtContext(ctx)
		for _, p := range b.Publishes {
			p.Existing = nil
		}
		if err := s.applyPublishes(ctx, tx, b); err != nil {
			return err
		}
		if err := s.applyRequests(ctx, tx, b.Publishes); err != nil {
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
// it costs no round trip), with lock (Dialect.ShareLock) after the read.
func insertEventsSQL(n int, version bool, lock string) string {
	q := `INSERT INTO events (tenant_id, id, type, payload, ordering_key, idempotency_key, created_at, trace_context)
		VALUES ` + rowsSQL(n, "", "", "", "", "", "", "", "") + ` ON CONFLICT DO NOTHING RETURNING tenant_id, id`
	if version {
		q += `, (SELECT value FROM settings WHERE name = 'endpoints_version'` + lock + `)`
	}
	return q
}

// insertDeliveriesSQL inserts n new deliveries; one is a plain INSERT, as
// cheap as a statement gets (SQLite sends rows one at a time, prepared).
// With eventSeq each also gets its event's seq (Dialect.EventSeq), from
// the same values.
func insertDeliveriesSQL(n int, eventSeq bool) string {
	if n == 1 {
		if eventSeq {
			return insertDeliverySeqSQL
		}
		return insertDeliverySQL
	}
	return batchSQL("deliveries", n, eventSeq, func() string {
		cols, more := insertDeliveriesCols, ""
		if eventSeq {
			cols, more = insertDeliveriesCols+`, event_seq`, `, `+eventSeqOf("v.column2", "v.column3")
		}
		return cols + `) SELECT v.*, 'pending', 0, NULL, 0, ''` + more + ` FROM (VALUES ` + rowsSQL(n, "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
			"BIGINT", "TEXT", "BIGINT", "BIGINT", "TEXT") + `) AS v`
	})
}

const insertDeliveriesCols = `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type,
		next_attempt_at, owner, created_at, updated_at, ordering_key, state, attempts, first_sent_at, last_status, last_error`

// insertDeliverySQL inserts one delivery, a constant: the text is the
// prepared statement's key, looked up for every row.
const insertDeliverySQL = insertDeliveriesCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, 0, '')`

// insertDeliverySeqSQL is insertDeliverySQL with the event's seq
// (Dialect.EventSeq), looked up by the tenant and the event's id, its
// second and third values (see eventSeqOf).
var insertDeliverySeqSQL = insertDeliveriesCols + `, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, NULL, 0, '', ` +
	eventSeqOf("?2", "?3") + `)`

// applyPublishes stores the events and their deliveries with multi-row
// statements (a round trip per row would dominate on PostgreSQL). With
// b.CheckVersion, a batch that inserts any event while the store's
// endpoints version is not b.EndpointsVersion is refused with ErrStale (a
// batch of repeats only inserts nothing, whatever the version).
func (s *Store) applyPublishes(ctx context.Context, tx *sql.Tx, b *hookd.Batch) error {
	ps, err := s.refuseRevoked(ctx, tx, b.Publishes)
	if err != nil || len(ps) == 0 {
		return err
	}
	fresh, dupOf := splitRepeats(ps)

	inserted := map[[2]string]bool{}
	for start := 0; start < len(fresh); {
		part := fresh[start : start+s.chunk(len(fresh)-start)]
		start += len(part)
		if len(part) == 1 && !b.CheckVersion {
			// Whether one event was new is the count of rows its
			// insert changed, cheaper to read than a returned row.
			ev := part[0].Event
			n, err := s.execCount(ctx, tx, insertEventSQL, eventArgs(nil, ev)...)
			if err != nil {
				return unavailable(err)
			}
			inserted[[2]string{ev.TenantID, ev.ID}] = n == 1
			continue
		}
		args := make([]any, 0, 8*len(part))
		for _, p := range part {
			args = eventArgs(args, p.Event)
		}
		rows, err := s.query(ctx, tx, insertEventsSQL(len(part), b.CheckVersion, s.d.ShareLock), args...)
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

	for start := 0; start < len(ds); {
		part := ds[start : start+s.chunk(len(ds)-start)]
		start += len(part)
		args := make([]any, 0, 10*len(part))
		for _, d := range part {
			args = append(args, d.ID, d.TenantID, d.EventID, d.EndpointID, d.EventType,
				ms(*d.NextAttemptAt), nullStr(d.Owner), ms(d.CreatedAt), ms(d.UpdatedAt), nullStr(d.OrderingKey))
		}
		if err := s.exec(ctx, tx, insertDeliveriesSQL(len(part), s.d.EventSeq), args...); err != nil {
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

// splitRepeats parts a batch's publishes into the first of each id or
// idempotency key and the repeats within the batch, which answer with the
// first publish that carries their id or key (dupOf is nil when there are
// none).
func splitRepeats(ps []*hookd.Publish) (fresh []*hookd.Publish, dupOf map[*hookd.Publish]*hookd.Publish) {
	if len(ps) == 1 {
		// A slice of its own: callers delete from fresh in place.
		return []*hookd.Publish{ps[0]}, nil
	}
	// Keyed by what names the event (its id, or its idempotency key: the
	// first field tells which) within its tenant.
	type name struct {
		key       bool
		tenant, v string
	}
	first := make(map[name]*hookd.Publish, 2*len(ps))
	for _, p := range ps {
		id := name{false, p.Event.TenantID, p.Event.ID}
		key := name{true, p.Event.TenantID, p.Event.IdempotencyKey}
		prev := first[id]
		if prev == nil && key.v != "" {
			prev = first[key]
		}
		if prev != nil {
			if dupOf == nil {
				dupOf = map[*hookd.Publish]*hookd.Publish{}
			}
			dupOf[p] = prev
			continue
		}
		first[id] = p
		if key.v != "" {
			first[key] = p
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
	cond, args := s.byEvent(tenantID, eventID)
	return s.queryDeliveries(ctx, q, `SELECT `+deliveryCols+` FROM deliveries WHERE `+cond+` ORDER BY id`, args...)
}

// querier is a transaction or a pool.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}
