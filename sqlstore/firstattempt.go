package sqlstore

import (
	"context"
	"database/sql"

	"github.com/hookd/hookd"
)

// A delivery's first attempt in its own row (Dialect.FirstAttemptInline,
// both stores; PostgreSQL's one statement follows the same rule in
// resultsSQL, onestatement.go). On SQLite every group commit writes to the log each page it touched, and
// the attempts table took four B-trees per commit (its rows, its
// AUTOINCREMENT counter, the (delivery_id) and (endpoint_id, at) indexes)
// for a record that most deliveries make once. The update that records a
// first attempt's result now also writes the attempt into the delivery's
// attempt1_ columns: a page the update writes anyway. The attempts table
// keeps every later attempt, a first attempt whose delivery is no longer
// pending or has one recorded (two nodes may both have made it) or whose
// answer is long (inlineTextMax), and the attempts recorded before
// migration 017. The reads put both together:
// Attempts lists the inline one first, the stats and the purge read it
// through the deliveries_attempt1 partial index, which holds only the
// deliveries that have one.

// firstAttemptsSQL records the first attempt of n pending deliveries
// with its result, each row (state, attempts, next_attempt_at, owner,
// first_sent_at, last_status, last_error, updated_at, the attempt's at,
// duration_ms, status, response, error_class, error, outcome and
// response_headers, id, node). A delivery that is not pending, has a recorded attempt (attempts
// > 0: in its row, or in the attempts table from before migration 017), or
// is another node's now (stillOwned), is left as it is, so the attempt in the row is always the delivery's
// first recorded; one row reports which by the count of rows changed,
// more by the ids returned.
func firstAttemptsSQL(n int) string {
	if n == 1 {
		return firstAttemptSQL
	}
	return `UPDATE deliveries SET state = v.column1, attempts = v.column2, next_attempt_at = v.column3, owner = v.column4,
		first_sent_at = COALESCE(deliveries.first_sent_at, v.column5), last_status = v.column6, last_error = v.column7,
		updated_at = v.column8, attempt1_at = v.column9, attempt1_duration_ms = v.column10, attempt1_status = v.column11,
		attempt1_response = v.column12, attempt1_error_class = v.column13, attempt1_error = v.column14, attempt1_outcome = v.column15,
		attempt1_response_headers = v.column16
		FROM (VALUES ` + rowsSQL(n, "TEXT", "INTEGER", "BIGINT", "TEXT", "BIGINT", "INTEGER", "TEXT", "BIGINT",
		"BIGINT", "BIGINT", "INTEGER", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT") + `) AS v
		WHERE deliveries.id = v.column17 AND deliveries.state = 'pending' AND deliveries.attempts = 0
		AND ` + stillOwned("deliveries.owner", "v.column18") + `
		RETURNING deliveries.id`
}

// firstAttemptSQL is firstAttemptsSQL(1), built once: the text is the
// prepared statement's key, looked up for every row.
var firstAttemptSQL = `UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, owner = ?,
	first_sent_at = COALESCE(first_sent_at, ?), last_status = ?, last_error = ?, updated_at = ?,
	attempt1_at = ?, attempt1_duration_ms = ?, attempt1_status = ?, attempt1_response = ?,
	attempt1_error_class = ?, attempt1_error = ?, attempt1_outcome = ?, attempt1_response_headers = ?
	WHERE id = ? AND state = 'pending' AND attempts = 0 AND ` + stillOwned("owner", "?")

// inlineTextMax bounds the response excerpt, its headers and the error text (up to
// hookd.ResponseExcerptLimit) of a first attempt kept in its delivery's
// row: a WITHOUT ROWID table keeps only ~1 KB of a row on its page, the
// rest spills to overflow pages, and the deliveries' rows are read by
// every claim and list. A first attempt with more goes to attempts.
const inlineTextMax = 512

// inlineCandidates returns the results that may be kept in their
// deliveries' rows, in their order: a delivery's first result in the
// batch, if it is its first attempt and its answer and error are short
// (its later results, updating the same row, come after). The store keeps
// one there only if the delivery is pending and has no attempt recorded.
func inlineCandidates(rs []*hookd.Result) []*hookd.Result {
	var first []*hookd.Result
	var seen map[string]bool
	if len(rs) > 1 {
		seen = make(map[string]bool, len(rs))
	}
	for _, r := range rs {
		a := r.Attempt
		id := a.DeliveryID
		if a.N == 1 && !seen[id] && len(a.Response)+len(a.Error)+len(a.ResponseHeaders) <= inlineTextMax {
			first = append(first, r)
		}
		if seen != nil {
			seen[id] = true
		}
	}
	return first
}

// applyFirstAttempts records the results of first attempts in their
// deliveries' rows where it can, and returns the results left for the
// attempts table, in their order: the later attempts, and the first ones
// whose delivery was not pending or held one already.
func (s *Store) applyFirstAttempts(ctx context.Context, tx *sql.Tx, rs []*hookd.Result) ([]*hookd.Result, error) {
	first := inlineCandidates(rs)
	if len(first) == 0 {
		return rs, nil
	}
	inline := make(map[*hookd.Result]bool, len(first))
	for start := 0; start < len(first); {
		part := first[start : start+s.chunk(len(first)-start)]
		start += len(part)
		args := make([]any, 0, 16*len(part))
		for _, r := range part {
			a := r.Attempt
			args = resultArgs(args, r)
			args = append(args, ms(a.At), a.DurationMS, a.Status, a.Response, a.ErrorClass, a.Error, outcome(r.State),
				string(a.ResponseHeaders), a.DeliveryID, r.Node)
		}
		if len(part) == 1 {
			args = append(args, part[0].Node) // stillOwned's second placeholder
			n, err := s.execCount(ctx, tx, firstAttemptSQL, args...)
			if err != nil {
				return nil, unavailable(err)
			}
			inline[part[0]] = n == 1
			continue
		}
		byID := make(map[string]*hookd.Result, len(part))
		for _, r := range part {
			byID[r.Attempt.DeliveryID] = r
		}
		rows, err := s.query(ctx, tx, firstAttemptsSQL(len(part)), args...)
		if err != nil {
			return nil, unavailable(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, unavailable(err)
			}
			inline[byID[id]] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, unavailable(err)
		}
	}
	rest := make([]*hookd.Result, 0, len(rs))
	for _, r := range rs {
		if !inline[r] {
			rest = append(rest, r)
		}
	}
	return rest, nil
}

// attemptsOfSQL lists a delivery's attempts in their order: with
// FirstAttemptInline, the one in the delivery's row first (seq 0).
func (s *Store) attemptsOfSQL() string {
	q := `SELECT id, delivery_id, n, at, duration_ms, status, response, response_headers, error_class, error
		FROM attempts WHERE delivery_id = ?`
	if !s.d.FirstAttemptInline {
		return q + ` ORDER BY id`
	}
	return `SELECT 0, id, 1, attempt1_at, attempt1_duration_ms, attempt1_status, attempt1_response,
		COALESCE(attempt1_response_headers, ''), attempt1_error_class, attempt1_error
		FROM deliveries WHERE id = ? AND attempt1_at IS NOT NULL UNION ALL ` + q + ` ORDER BY 1`
}

// firstAttemptEndpoints is a recursive WITH clause's table that lists
// the endpoints of the deliveries that hold a first attempt, one seek of
// the deliveries_attempt1 index each (as attemptEndpointsSQL's of the
// attempts).
const firstAttemptEndpoints = `dep(id) AS (SELECT MIN(endpoint_id) FROM deliveries WHERE attempt1_at IS NOT NULL
	UNION ALL SELECT (SELECT MIN(endpoint_id) FROM deliveries WHERE attempt1_at IS NOT NULL AND endpoint_id > dep.id)
	FROM dep WHERE dep.id IS NOT NULL) `

// purgeFirstAttemptsSQL clears up to 1,000 first attempts older than the
// cut from their deliveries' rows (the finished ones are deleted next; a
// pending one stays without it).
const purgeFirstAttemptsSQL = `UPDATE deliveries SET attempt1_at = NULL, attempt1_duration_ms = NULL, attempt1_status = NULL,
	attempt1_response = NULL, attempt1_response_headers = NULL, attempt1_error_class = NULL, attempt1_error = NULL,
	attempt1_outcome = NULL
	WHERE id IN (WITH RECURSIVE ` + firstAttemptEndpoints + `
	SELECT d.id FROM dep JOIN deliveries d ON d.endpoint_id = dep.id AND d.attempt1_at < ? LIMIT 1000)`
