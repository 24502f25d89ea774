package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// insertAttemptsSQL inserts n attempts, each with its tenant, its
// delivery's endpoint (read by primary key in the same statement) and its
// outcome, for the stats: the state its result gives the delivery, if the
// result applies (attemptOutcome). Each row: delivery_id, n, at,
// duration_ms, status, response, response_headers, error_class, error,
// tenant_id, then the result's node twice, the outcome and the delivery's
// id (attemptOutcome's placeholders, in their order), then the delivery's
// id (the endpoint's).
func insertAttemptsSQL(n int) string {
	if n == 1 {
		return insertAttemptSQL
	}
	return buildInsertAttemptsSQL(n)
}

// insertAttemptSQL is the statement of one row: the C SQLite driver's for
// every row, built once rather than for each (the text is the prepared
// statement's key).
var insertAttemptSQL = buildInsertAttemptsSQL(1)

func buildInsertAttemptsSQL(n int) string {
	row := `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ` + attemptOutcome("?", "?", "?") + `, (SELECT endpoint_id FROM deliveries WHERE id = ?))`
	return `INSERT INTO attempts (delivery_id, n, at, duration_ms, status, response, response_headers, error_class, error, tenant_id,
		outcome, endpoint_id)
		VALUES ` + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// outcome is what an attempt's result made of its delivery, as the stats
// count it: succeeded or failed when it ended it, "" otherwise.
func outcome(state string) string {
	if state == hookd.StateSucceeded || state == hookd.StateFailed {
		return state
	}
	return ""
}

// updateDeliveriesSQL records the last result of n deliveries, each row
// (state, attempts, next_attempt_at, owner, first_sent_at, last_status,
// last_error, updated_at, id, node); one is a plain UPDATE by id.
func updateDeliveriesSQL(n int) string {
	if n == 1 {
		return `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, owner = ?,
			first_sent_at = COALESCE(first_sent_at, ?), last_status = ?, last_error = ?, updated_at = ?
			WHERE id = ? AND state = 'pending' AND ` + stillOwned("owner", "?")
	}
	return `UPDATE deliveries SET state = v.column1, attempts = v.column2,
		next_attempt_at = v.column3, owner = v.column4, first_sent_at = COALESCE(deliveries.first_sent_at, v.column5),
		last_status = v.column6, last_error = v.column7, updated_at = v.column8
		FROM (VALUES ` + rowsSQL(n, "TEXT", "INTEGER", "BIGINT", "TEXT", "BIGINT", "INTEGER", "TEXT", "BIGINT", "TEXT", "TEXT") + `) AS v
		WHERE deliveries.id = v.column9 AND deliveries.state = 'pending' AND ` + stillOwned("deliveries.owner", "v.column10")
}

// attemptOutcome is the outcome an attempt records for the stats: the
// state its result gives its delivery (outcome), read before the result is
// applied, and only if it applies: the delivery is still pending and no
// other node has claimed it (stillOwned). A late result of a node taken for
// dead, or one for a delivery that ended meanwhile, is recorded with none,
// so that a delivery is counted once. oc, node and id are placeholders or
// column names; a placeholder node is given twice.
func attemptOutcome(oc, node, id string) string {
	return `COALESCE((SELECT CASE WHEN d.state = 'pending' AND ` + stillOwned("d.owner", node) + ` THEN ` + oc +
		` ELSE '' END FROM deliveries d WHERE d.id = ` + id + `), '')`
}

// stillOwned is the condition under which a result's node (Result.Node,
// the value node) may update its delivery: no other node has claimed it
// since the attempt began. A node stalled longer than the node TTL (a
// stopped process, a long pause) has its deliveries rescued and claimed by
// another; its late result must not end a delivery another node is
// sending, which on an ordered endpoint would release the key's next
// event while that copy is in flight. Its attempt is recorded all the
// same. One placeholder: the value is given twice ("" checks nothing).
func stillOwned(owner, node string) string {
	if node == "?" {
		return `(` + owner + ` IS NULL OR ` + owner + ` = '` + hookd.Parked + `' OR ` + owner + ` = ? OR ? = '')`
	}
	return `(` + owner + ` IS NULL OR ` + owner + ` = '` + hookd.Parked + `' OR ` + owner + ` = ` + node + ` OR ` + node + ` = '')`
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
			WHERE id = ? AND state = 'pending' AND `+stillOwned("owner", "?")), nullStr(h.Owner), ms(next), ms(h.At), h.DeliveryID,
			h.Node, h.Node); err != nil {
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
	if s.d.FirstAttemptInline {
		var err error
		if rs, err = s.applyFirstAttempts(ctx, tx, rs); err != nil {
			return err
		}
	}
	for start := 0; start < len(rs); {
		part := rs[start : start+s.chunk(len(rs)-start)]
		start += len(part)
		args := make([]any, 0, 15*len(part))
		for _, r := range part {
			a := r.Attempt
			args = append(args, a.DeliveryID, a.N, ms(a.At), a.DurationMS, a.Status, a.Response, string(a.ResponseHeaders),
				a.ErrorClass, a.Error, r.TenantID, r.Node, r.Node, outcome(r.State), a.DeliveryID, a.DeliveryID)
		}
		if err := s.exec(ctx, tx, insertAttemptsSQL(len(part)), args...); err != nil {
			return unavailable(err)
		}
		// One update row per delivery, its last result: an UPDATE that
		// meets a row twice applies one of them, and which is not defined.
		var last map[string]int
		if len(part) > 1 {
			last = make(map[string]int, len(part))
			for i, r := range part {
				last[r.Attempt.DeliveryID] = i
			}
		}
		args = args[:0]
		rows := 0
		for i, r := range part {
			id := r.Attempt.DeliveryID
			if last != nil && last[id] != i {
				continue
			}
			rows++
			args = append(resultArgs(args, r), id, r.Node)
		}
		if rows == 1 {
			args = append(args, args[len(args)-1]) // stillOwned's second placeholder
		}
		if err := s.exec(ctx, tx, updateDeliveriesSQL(rows), args...); err != nil {
			return unavailable(err)
		}
	}
	return s.settleParked(ctx, tx, settle)
}

// resultArgs appends what a result makes of its delivery, in the column
// order of the updates of deliveries (updateDeliveriesSQL,
// firstAttemptsSQL): state, attempts, next_attempt_at, owner,
// first_sent_at, last_status, last_error, updated_at.
func resultArgs(args []any, r *hookd.Result) []any {
	a := r.Attempt
	at, errText, next := resultRow(r)
	return append(args, r.State, a.N, ms(next), nullStr(r.Owner), nullMS(&r.FirstSentAt), a.Status, errText, ms(at))
}

// resultRow is what a result writes into its delivery's row besides its
// state and numbers: when (the attempt's time unless the result says),
// the last error (its class when it has no text), and when it is due next
// (the epoch when never).
func resultRow(r *hookd.Result) (at time.Time, errText string, next time.Time) {
	a := r.Attempt
	at = r.At
	if at.IsZero() {
		at = a.At
	}
	errText = a.Error
	if errText == "" {
		errText = a.ErrorClass
	}
	next = r.NextAttemptAt
	if next.IsZero() {
		next = time.UnixMilli(0)
	}
	return at, errText, next
}

// Requeue implements hookd.Store. A pending delivery held by a node is left
// to it; a finished one becomes pending again, due now.
func (s *Store) Requeue(ctx context.Context, tenantID, id string, now time.Time) (*hookd.Delivery, error) {
	var out *hookd.Delivery
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var owner sql.NullString
		var state string
		var disabled sql.NullInt64
		// The endpoint is read with the dialect's share lock, so that a
		// delete on another node waits for this transaction and then
		// cancels the delivery, or has deleted it already (see Recover).
		err := tx.QueryRowContext(ctx, s.q(`SELECT d.state, d.owner, (SELECT e.disabled FROM endpoints e WHERE e.id = d.endpoint_id`+s.d.ShareLock+`)
			FROM deliveries d WHERE d.id = ? AND d.tenant_id = ?`), id, tenantID).Scan(&state, &owner, &disabled)
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
		// With the dialect's share lock: a delete of the endpoint on
		// another node waits for this transaction, and then cancels what
		// it made pending, or has deleted the endpoint already (not
		// found). Read as of the statement alone, a delete committed
		// before the update below left those deliveries pending to an
		// endpoint no node has.
		var disabled int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?`+s.d.ShareLock), tenantID, endpointID).Scan(&disabled); err != nil {
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
