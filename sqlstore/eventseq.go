package sqlstore

import "sync"

// A delivery's event, where deliveries keep their event's seq
// (Dialect.EventSeq: SQLite, migration 018) and where they are found by
// the event's id (PostgreSQL).

// ofEvent is the condition that the row aliased d, of deliveries or of
// source_requests, is of the event aliased e. With EventSeq it names the
// tenants too, though the seq alone decides: so that the planner may walk
// a tenant's events by events_tenant_seq (the feed;
// TestDeliveriesFoundByEventSeq), and so that a source's request no
// longer matches the newest event's row once it is a placeholder (seq.go:
// it keeps its seq, not its tenant), and goes with its event.
func (s *Store) ofEvent(d, e string) string {
	if s.d.EventSeq {
		return d + ".event_seq = " + e + ".seq AND " + d + ".tenant_id = " + e + ".tenant_id"
	}
	return d + ".event_id = " + e + ".id AND " + d + ".tenant_id = " + e + ".tenant_id"
}

// byEvent is the condition, and its arguments, that a row of deliveries
// or of source_requests (its table not aliased) is of the event eventID of
// tenantID. With EventSeq the event's seq says it all: a condition on the
// row's tenant as well may lead SQLite's planner to read the tenant's
// deliveries by deliveries_tenant instead of the event's by its seq.
func (s *Store) byEvent(tenantID, eventID string) (string, []any) {
	if s.d.EventSeq {
		return `event_seq = (SELECT seq FROM events WHERE tenant_id = ? AND id = ?)`, []any{tenantID, eventID}
	}
	return `tenant_id = ? AND event_id = ?`, []any{tenantID, eventID}
}

// batchSQL returns the text of a batch statement of n rows, built once
// (the text is also the key its prepared statement is found by).
func batchSQL(kind string, n int, eventSeq bool, build func() string) string {
	k := batchKey{kind, n, eventSeq}
	if q, ok := batchTexts.Load(k); ok {
		return q.(string)
	}
	q, _ := batchTexts.LoadOrStore(k, build())
	return q.(string)
}

type batchKey struct {
	kind     string
	n        int
	eventSeq bool
}

var batchTexts sync.Map // batchKey → string

// eventSeqOf is the value of a new delivery's event_seq in its insert: its
// event's, looked up by the tenant and the event's id (the insert's second
// and third values, named as SQLite names the columns of a VALUES list,
// or as numbered parameters for a single row). The event was inserted
// before, in the same transaction or an earlier one.
func eventSeqOf(tenant, event string) string {
	return `(SELECT e.seq FROM events e WHERE e.tenant_id = ` + tenant + ` AND e.id = ` + event + `)`
}
