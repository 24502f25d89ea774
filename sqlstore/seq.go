package sqlstore

// Events' sequence numbers where the table hands out one more than the
// largest (Dialect.SeqFromMax: SQLite without AUTOINCREMENT, which wrote
// its counter's page in every group commit). A seq must never be given
// twice: list cursors and feed positions hold the seqs of events since
// deleted. So the row that holds the largest seq is never deleted: when
// the purge or a tenant's deletion reaches it, it becomes a placeholder
// (no tenant, no payload) that keeps the number until a newer event is
// stored, and the purge then deletes it as an old event.

// placeholderNewestSQL makes the newest event a placeholder; callers add
// the conditions under which it would be deleted.
const placeholderNewestSQL = `UPDATE events SET tenant_id = '', id = 'seq_' || seq, type = '', payload = x'',
	ordering_key = NULL, idempotency_key = NULL, trace_context = NULL, is_test = 0
	WHERE seq = (SELECT MAX(seq) FROM events) AND tenant_id <> ''`

// purgeNewestEventSQL is the purge's step for the newest event, which
// purgeEventsBySeqSQL leaves: placeholdered on the same conditions
// (ofEvent: that a delivery d is of the row of events).
func purgeNewestEventSQL(ofEvent string) string {
	return placeholderNewestSQL + ` AND created_at < ?
	AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE ` + ofEvent + `)`
}
