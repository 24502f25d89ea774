package sqlstore

import "strings"

// Reads by time where events and attempts have no index on their times
// (Dialect.NoTimeIndexes, SQLite). An index costs every group commit the
// pages it touches, written to the log, fsync'd and checkpointed, and the
// created_at and at indexes served only the purge and the whole store's
// stats.

// purgeEventsBySeqSQL deletes up to 1,000 events older than the cut whose
// deliveries are gone. Events are appended in the order of their
// creation, so the old ones are those before the first that is not old:
// the scan by seq stops there, having read only rows older than the cut.
// An event created a moment before one that committed ahead of it (the
// commit orders them, the clock their creation) waits for the next purge.
// newest is a condition added to the rows' (Dialect.SeqFromMax leaves the
// newest event to purgeNewestEventSQL); ofEvent is the condition that a
// delivery d is of the event e (Store.ofEvent).
func purgeEventsBySeqSQL(newest, ofEvent string) string {
	return `DELETE FROM events WHERE seq IN (SELECT seq FROM events e
	WHERE seq < COALESCE((SELECT seq FROM events WHERE created_at >= ? ORDER BY seq LIMIT 1), 9223372036854775807)` + newest + `
	AND created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE ` + ofEvent + `)
	ORDER BY seq LIMIT 1000)`
}

// attemptEndpointsSQL is a WITH clause that lists the endpoints the
// attempts name, one seek of the (endpoint_id, at) index each: SQLite
// does not skip through an index by its first column on its own.
const attemptEndpointsSQL = `WITH RECURSIVE ep(id) AS (SELECT MIN(endpoint_id) FROM attempts
	UNION ALL SELECT (SELECT MIN(endpoint_id) FROM attempts WHERE endpoint_id > ep.id) FROM ep WHERE ep.id IS NOT NULL) `

// purgeAttemptsByEndpointSQL deletes up to 1,000 attempts older than the
// cut: a range of the (endpoint_id, at) index for each endpoint, and the
// attempts that name none (their delivery was gone when they were
// recorded).
const purgeAttemptsByEndpointSQL = `DELETE FROM attempts WHERE id IN (` + attemptEndpointsSQL + `
	SELECT a.id FROM ep JOIN attempts a ON a.endpoint_id = ep.id AND a.at < ?
	UNION ALL SELECT id FROM attempts WHERE endpoint_id IS NULL AND at < ?
	LIMIT 1000)`

// statsSelect is the stats' select list over rows of (at, duration_ms,
// outcome).
const statsSelect = `SELECT (at - ?) / ?, duration_ms, COUNT(*),
	SUM(CASE WHEN outcome = 'succeeded' THEN 1 ELSE 0 END),
	SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END)`

// wholeStoreStatsSQL is EndpointStats' query for the whole store: the
// window's range of each endpoint's attempts, which the index covers; with
// inline, also of each endpoint's first attempts in the deliveries' rows
// (see firstattempt.go).
func wholeStoreStatsSQL(inline bool) string {
	with, first := attemptEndpointsSQL, ""
	if inline {
		with = strings.TrimSuffix(attemptEndpointsSQL, " ") + ", " + firstAttemptEndpoints
		first = ` UNION ALL SELECT d.attempt1_at, d.attempt1_duration_ms, d.attempt1_outcome FROM dep
			JOIN deliveries d ON d.endpoint_id = dep.id AND d.attempt1_at >= ? AND d.attempt1_at < ?`
	}
	return with + statsSelect + `
	FROM (SELECT a.at, a.duration_ms, a.outcome FROM ep JOIN attempts a ON a.endpoint_id = ep.id AND a.at >= ? AND a.at < ?
		UNION ALL SELECT at, duration_ms, outcome FROM attempts WHERE endpoint_id IS NULL AND at >= ? AND at < ?` + first + `) AS w`
}

// endpointStatsInlineSQL is EndpointStats' query for one endpoint with
// FirstAttemptInline: its attempts and the first attempts in its
// deliveries' rows, each one range of an index that covers it.
const endpointStatsInlineSQL = statsSelect + `
	FROM (SELECT at, duration_ms, outcome FROM attempts WHERE at >= ? AND at < ? AND endpoint_id = ? AND tenant_id = ?
		UNION ALL SELECT attempt1_at, attempt1_duration_ms, attempt1_outcome FROM deliveries
		WHERE attempt1_at >= ? AND attempt1_at < ? AND endpoint_id = ? AND tenant_id = ?) AS w`
