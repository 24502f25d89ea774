package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// endpointRow is an endpoint in the column types of the endpoints table.
type endpointRow struct {
	id, tenantID, url, profile, eventTypes, description string
	rateLimit                                           int
	ordering                                            string
	headers                                             sql.NullString
	timeoutMS                                           int
	retrySchedule                                       sql.NullString
	secrets                                             []byte
	disabled                                            int
	disabledReason                                      string
	failingSince                                        sql.NullInt64
	createdAt, updatedAt                                int64
	signature                                           string
}

// column is one column of a table and the row field that holds it.
type column struct {
	name  string
	field any  // a pointer: the destination of a read, whose value a write sends
	fixed bool // written on insert only (the key, the creation time)
}

// columns names each column of the endpoints table once, in order: the
// insert writes them all, the update all but the fixed, the select reads
// them all.
func (r *endpointRow) columns() []column {
	return []column{
		{"id", &r.id, true},
		{"tenant_id", &r.tenantID, true},
		{"url", &r.url, false},
		{"profile", &r.profile, false},
		{"event_types", &r.eventTypes, false},
		{"description", &r.description, false},
		{"rate_limit", &r.rateLimit, false},
		{"ordering", &r.ordering, false},
		{"headers", &r.headers, false},
		{"timeout_ms", &r.timeoutMS, false},
		{"retry_schedule", &r.retrySchedule, false},
		{"secrets", &r.secrets, false},
		{"disabled", &r.disabled, false},
		{"disabled_reason", &r.disabledReason, false},
		{"failing_since", &r.failingSince, false},
		{"created_at", &r.createdAt, true},
		{"updated_at", &r.updatedAt, false},
		{"signature", &r.signature, false},
	}
}

// The endpoint statements, built from the column list.
var endpointCols, insertEndpointSQL, updateEndpointSQL = func() (cols, ins, upd string) {
	var names, sets []string
	for _, c := range new(endpointRow).columns() {
		names = append(names, c.name)
		if !c.fixed {
			sets = append(sets, c.name+" = ?")
		}
	}
	cols = strings.Join(names, ", ")
	ins = `INSERT INTO endpoints (seq, ` + cols + `) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM endpoints)` +
		strings.Repeat(", ?", len(names)) + `) ON CONFLICT DO NOTHING`
	upd = `UPDATE endpoints SET ` + strings.Join(sets, ", ") + ` WHERE tenant_id = ? AND id = ?`
	return cols, ins, upd
}()

// values returns the values of the row's columns, in order; with fixed
// false, of the columns an update writes.
func (r *endpointRow) values(fixed bool) []any {
	var out []any
	for _, c := range r.columns() {
		if fixed || !c.fixed {
			out = append(out, reflect.ValueOf(c.field).Elem().Interface())
		}
	}
	return out
}

// endpointRow returns e as a row, with the secrets sealed under the data key.
func (s *Store) endpointRow(e *hookd.Endpoint) (*endpointRow, error) {
	types, err := json.Marshal(e.EventTypes)
	if err != nil {
		return nil, err
	}
	r := &endpointRow{id: e.ID, tenantID: e.TenantID, url: e.URL, profile: e.Profile, eventTypes: string(types),
		description: e.Description, rateLimit: e.RateLimit, ordering: e.Ordering, timeoutMS: e.TimeoutMS,
		disabled: boolInt(e.Disabled), disabledReason: e.DisabledReason, createdAt: ms(e.CreatedAt), updatedAt: ms(e.UpdatedAt),
		signature: e.Signature}
	if r.signature == "" {
		r.signature = hookd.SignatureV1
	}
	if len(e.Headers) > 0 {
		b, err := json.Marshal(e.Headers)
		if err != nil {
			return nil, err
		}
		r.headers = sql.NullString{String: string(b), Valid: true}
	}
	if len(e.RetrySchedule) > 0 {
		b, err := json.Marshal(e.RetrySchedule)
		if err != nil {
			return nil, err
		}
		r.retrySchedule = sql.NullString{String: string(b), Valid: true}
	}
	if e.FailingSince != nil {
		r.failingSince = sql.NullInt64{Int64: ms(*e.FailingSince), Valid: true}
	}
	plain, err := json.Marshal(e.Secrets)
	if err != nil {
		return nil, err
	}
	if r.secrets, err = s.key.Seal(plain); err != nil {
		return nil, err
	}
	return r, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// scanEndpoint reads a row of endpointCols, opening the secrets.
func (s *Store) scanEndpoint(row interface{ Scan(...any) error }) (*hookd.Endpoint, error) {
	var r endpointRow
	cols := r.columns()
	dest := make([]any, len(cols))
	for i, c := range cols {
		dest[i] = c.field
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e := hookd.Endpoint{ID: r.id, TenantID: r.tenantID, URL: r.url, Profile: r.profile, Description: r.description,
		RateLimit: r.rateLimit, Ordering: r.ordering, TimeoutMS: r.timeoutMS, Disabled: r.disabled != 0,
		DisabledReason: r.disabledReason, FailingSince: ptrMS(r.failingSince), CreatedAt: fromMS(r.createdAt),
		UpdatedAt: fromMS(r.updatedAt), Signature: r.signature}
	if err := json.Unmarshal([]byte(r.eventTypes), &e.EventTypes); err != nil {
		return nil, err
	}
	if r.headers.Valid {
		if err := json.Unmarshal([]byte(r.headers.String), &e.Headers); err != nil {
			return nil, err
		}
	}
	if r.retrySchedule.Valid {
		if err := json.Unmarshal([]byte(r.retrySchedule.String), &e.RetrySchedule); err != nil {
			return nil, err
		}
	}
	plain, err := s.key.Open(r.secrets)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(plain, &e.Secrets); err != nil {
		return nil, err
	}
	e.PublicKey = e.SigningPublicKey()
	return &e, nil
}

// bumpEndpoints moves the endpoints version so every node reloads. A
// change whose concurrent publishes must not leave deliveries behind
// (a delete, an enable) bumps first: on PostgreSQL the check of a commit
// of publishes holds the version's row FOR SHARE until it commits
// (Dialect.ShareLock, migration 024), so the change either commits before
// the check, which then refuses the batch as stale, or waits for the
// publish and then sees its deliveries.
func (s *Store) bumpEndpoints(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES ('endpoints_version', '1')
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)`))
	return unavailable(err)
}

// EndpointsVersion implements hookd.Queue.
func (s *Store) EndpointsVersion(ctx context.Context) (int64, error) {
	v, err := s.Setting(ctx, "endpoints_version")
	if err == hookd.ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// CreateEndpoint implements hookd.Store.
func (s *Store) CreateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	row, err := s.endpointRow(e)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), e.TenantID).Scan(&n); err != nil {
			return unavailable(err)
		}
		if n == 0 {
			return hookd.ErrNotFound
		}
		res, err := tx.ExecContext(ctx, s.q(insertEndpointSQL), row.values(true)...)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.Errorf(hookd.ECONFLICT, "endpoint %q exists", e.ID)
		}
		return s.bumpEndpoints(ctx, tx)
	})
}

// Endpoint implements hookd.Store.
func (s *Store) Endpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := s.scanEndpoint(s.r.QueryRowContext(ctx, s.q(`SELECT `+endpointCols+` FROM endpoints WHERE tenant_id = ? AND id = ?`), tenantID, id))
	return e, notFound(err)
}

// Endpoints implements hookd.Store: oldest first, after the cursor.
func (s *Store) Endpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, error) {
	q := `SELECT ` + endpointCols + ` FROM endpoints WHERE tenant_id = ?`
	args := []any{tenantID}
	if p.After != "" {
		// As for tenants: concurrent creates can share a seq, the id
		// breaks the tie.
		at, err := s.cursor(ctx, "endpoint", `SELECT seq FROM endpoints WHERE tenant_id = ? AND id = ?`, tenantID, p.After)
		if err != nil {
			return nil, err
		}
		q += ` AND (seq > ? OR (seq = ? AND id > ?))`
		args = append(args, at, at, p.After)
	}
	q += ` ORDER BY seq, id LIMIT ?`
	return s.queryEndpoints(ctx, q, append(args, limit(p))...)
}

// AllEndpoints implements hookd.Queue.
func (s *Store) AllEndpoints(ctx context.Context) ([]*hookd.Endpoint, error) {
	return s.queryEndpoints(ctx, `SELECT `+endpointCols+` FROM endpoints ORDER BY seq`)
}

func (s *Store) queryEndpoints(ctx context.Context, q string, args ...any) ([]*hookd.Endpoint, error) {
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Endpoint
	for rows.Next() {
		e, err := s.scanEndpoint(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, e)
	}
	return out, unavailable(rows.Err())
}

// SaveEndpoint implements hookd.Store. Enabling a disabled endpoint releases
// the deliveries parked while it was disabled, and its rate limit's
// reserved request slots; disabling parks them.
func (s *Store) SaveEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	row, err := s.endpointRow(e)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.bumpEndpoints(ctx, tx); err != nil {
			return err
		}
		var was int
		err := tx.QueryRowContext(ctx, s.q(`SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?`), e.TenantID, e.ID).Scan(&was)
		if err != nil {
			return notFound(err)
		}
		// With IfUpdatedAt, only the row as it was read: the condition is
		// the update's own, which PostgreSQL evaluates again on the row a
		// concurrent change left.
		var cas int64
		if !e.IfUpdatedAt.IsZero() {
			cas = ms(e.IfUpdatedAt)
		}
		res, err := tx.ExecContext(ctx, s.q(updateEndpointSQL+` AND (CAST(? AS BIGINT) = 0 OR updated_at = ?)`), append(row.values(false), e.TenantID, e.ID, cas, cas)...)
		if err != nil {
			return unavailable(err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return unavailable(err)
		} else if n == 0 {
			return hookd.ErrChanged
		}
		if err := s.park(ctx, tx, e.ID, was != 0, e.Disabled, e.UpdatedAt); err != nil {
			return err
		}
		if was != 0 && !e.Disabled {
			// Nothing was sent while it was disabled: the request slots
			// reserved for the deliveries that then stopped waiting are
			// given back, so its rate limit counts from now.
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM endpoint_slots WHERE endpoint_id = ?`), e.ID); err != nil {
				return unavailable(err)
			}
		}
		return nil
	})
}

// park moves an endpoint's unowned pending deliveries aside when it becomes
// disabled, and back (due now) when it is enabled again, so that the claim
// query never wades through work it may not send. It moves them parkChunk
// at a time in the order of their ids, all in the caller's transaction:
// one statement over a backlog of 100,000 would make SQLite keep the
// original of every page it touches in memory (its statement journal)
// until the statement ends. Each update says again which deliveries it
// moves, so one that another node claimed meanwhile stays claimed.
func (s *Store) park(ctx context.Context, tx *sql.Tx, endpointID string, was, now bool, at time.Time) error {
	var set, which string
	var setArgs, whichArgs []any
	switch {
	case !was && now:
		set, setArgs = `owner = ?`, []any{hookd.Parked}
		which = `owner IS NULL`
	case was && !now:
		set, setArgs = `owner = NULL, next_attempt_at = ?`, []any{ms(at)}
		which, whichArgs = `owner = ?`, []any{hookd.Parked}
	default:
		return nil
	}
	which = `endpoint_id = ? AND id > ? AND state = 'pending' AND ` + which
	last := s.q(`SELECT MAX(id) FROM (SELECT id FROM deliveries WHERE ` + which + ` ORDER BY id LIMIT ?) AS c`)
	update := s.q(`UPDATE deliveries SET ` + set + ` WHERE ` + which + ` AND id <= ?`)
	for from := ""; ; {
		var to sql.NullString
		if err := tx.QueryRowContext(ctx, last, append(append([]any{endpointID, from}, whichArgs...), parkChunk)...).Scan(&to); err != nil {
			return unavailable(err)
		}
		if !to.Valid {
			return nil
		}
		args := append(append(append(setArgs[:len(setArgs):len(setArgs)], endpointID, from), whichArgs...), to.String)
		if _, err := tx.ExecContext(ctx, update, args...); err != nil {
			return unavailable(err)
		}
		from = to.String
	}
}

// parkChunk is how many deliveries one statement of park moves.
const parkChunk = 2000

// DeleteEndpoint implements hookd.Store.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string, now time.Time) (canceled int, err error) {
	err = s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.bumpEndpoints(ctx, tx); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM endpoints WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.ErrNotFound
		}
		res, err = tx.ExecContext(ctx, s.q(`UPDATE deliveries SET state = 'canceled', owner = NULL, updated_at = ?
			WHERE endpoint_id = ? AND state = 'pending'`), ms(now), id)
		if err != nil {
			return unavailable(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return unavailable(err)
		}
		canceled = int(n)
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM feed_positions WHERE endpoint_id = ?`), id); err != nil {
			return unavailable(err)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return canceled, nil
}

func (s *Store) applyHealth(ctx context.Context, tx *sql.Tx, hs []*hookd.EndpointHealth) error {
	for _, h := range hs {
		if h.Disable {
			q := `UPDATE endpoints SET disabled = 1, disabled_reason = ?, failing_since = ?, updated_at = ?
				WHERE id = ? AND disabled = 0`
			args := []any{h.DisabledReason, nullMS(h.FailingSince), ms(h.At), h.EndpointID}
			if h.IfStillFailing {
				q += ` AND failing_since IS NOT NULL AND failing_since <= ?`
				args = append(args, nullMS(h.FailingSince))
			}
			res, err := tx.ExecContext(ctx, s.q(q), args...)
			if err != nil {
				return unavailable(err)
			}
			n, _ := res.RowsAffected()
			h.Disabled = n > 0 // set on every try: the last, committed, one holds
			if n > 0 {
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
