package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/profile"
	"github.com/jackc/pgx/v5"
)

// TestFeedWaitsForTransactions: a consumer pulling an endpoint's feed at
// its head, page by page, acknowledging each, while transactions that
// store events for the endpoint are still in flight, sees every event
// exactly once. Two transactions are held open on connections of their
// own, as a node's group commit is while it runs: the first takes its
// transaction id, the second then stores event B (taking a seq), the
// first stores C (a later seq, an earlier id), and the store commits D
// past both. The feed returns nothing of B, C or D while the first is in
// flight, even once the second has committed; once it commits, the
// consumer's next pulls return C, B, D, in the order of the transactions
// that stored them. Read by seq, the consumer would step past B and C.
func TestFeedWaitsForTransactions(t *testing.T) {
	ctx := t.Context()
	_, schema, _, st, now := acmeStore(t)
	e := acmeEndpoint(t, st, now)
	publish := func(id string) { t.Helper(); publishOne(t, st, e, id, now) }
	svc := &control.Service{Store: st, Profiles: profile.New(nil)}
	var seen []string
	// pull reads the consumer's pages of one item from its position,
	// acknowledging each, until one is empty.
	pull := func() []string {
		t.Helper()
		var got []string
		for {
			page, err := svc.Feed(ctx, "acme", e.ID, hookd.FeedQuery{Consumer: "books", Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Data) == 0 {
				seen = append(seen, got...)
				return got
			}
			got = append(got, page.Data[0].EventID)
			if _, err := svc.AckFeed(ctx, "acme", e.ID, hookd.FeedAck{Consumer: "books", Cursor: page.Next}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// want checks what a pull returned. Transactions of other tests in
	// the same PostgreSQL server hold the feed's head back as well, so
	// a pull may return less than the events stored, never other ones
	// or in another order: pulls are repeated (for 30 seconds at most)
	// until they have returned them all.
	want := func(what string, ids ...string) {
		t.Helper()
		var got []string
		for deadline := time.Now().Add(30 * time.Second); ; {
			got = append(got, pull()...)
			if len(got) >= len(ids) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("%s: the consumer read %v, want %v", what, got, ids)
		}
	}

	publish("evt_a")
	want("a committed event", "evt_a")
	first, second := rawTx(t, schema), rawTx(t, schema)
	var firstXid, secondXid uint64
	if err := first.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&firstXid); err != nil {
		t.Fatal(err)
	}
	rawEvent(t, second, "evt_b", e.ID, now)
	rawEvent(t, first, "evt_c", e.ID, now)
	if err := second.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&secondXid); err != nil {
		t.Fatal(err)
	}
	publish("evt_d")
	if firstXid >= secondXid {
		t.Fatalf("the first transaction's id %d is not below the second's %d", firstXid, secondXid)
	}
	if got := pull(); len(got) != 0 {
		t.Errorf("while B and C are in flight, the consumer read %v; want nothing", got)
	}
	if err := second.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pull(); len(got) != 0 {
		t.Errorf("while C is in flight, the consumer read %v; want nothing", got)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	want("once both committed", "evt_c", "evt_b", "evt_d")

	// Every event exactly once, and the feed from the start agrees.
	slices.Sort(seen)
	if !slices.Equal(seen, []string{"evt_a", "evt_b", "evt_c", "evt_d"}) {
		t.Errorf("the consumer read %v in all, want each event once", seen)
	}
	page, err := svc.Feed(ctx, "acme", e.ID, hookd.FeedQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, it := range page.Data {
		all = append(all, it.EventID)
	}
	if want := "evt_a evt_c evt_b evt_d"; strings.Join(all, " ") != want {
		t.Errorf("the feed from the start: %v, want %s", all, want)
	}
}

// TestFeedPlan: the feed's statement (sqlstore/feed.go, Store.Feed, as
// run on PostgreSQL) walks the tenant's events in (xid, seq) order from
// the cursor by events_tenant_xid_seq (migration 020) and probes each
// one's delivery for the endpoint, stopping after a page: no Sort of the
// endpoint's deliveries, no table read whole. 8,000 events of eight
// endpoints, in 20 group commits, analyzed; the cursor at the head (100
// events of the endpoint before its last); a session set as hookd's are
// (enable_seqscan off, postgres.Open), with the planner's custom plan (the
// cursor's values known) and its generic plan (what a prepared statement
// may keep). In the same transaction the index is then dropped and the
// plan must change to a Sort of the endpoint's deliveries joined with
// their events, as it was before migration 020: so the rows are enough
// for the planner to tell the two apart.
func TestFeedPlan(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	_, schema, _, st, now := acmeStore(t)
	const endpoints, events, perCommit = 2, 30000, 400
	for i := range endpoints {
		e := &hookd.Endpoint{ID: fmt.Sprint("ep_", i), TenantID: "acme", URL: "http://127.0.0.1:1/a", Profile: "standard", EventTypes: []string{"*"},
			Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
		if err := st.CreateEndpoint(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for start := 0; start < events; start += perCommit {
		b := &hookd.Batch{}
		for i := start; i < start+perCommit; i++ {
			ev := &hookd.Event{ID: fmt.Sprint("evt_", i), TenantID: "acme", Type: "payment.created", Payload: []byte(`{}`), CreatedAt: now}
			d := &hookd.Delivery{ID: fmt.Sprint("dlv_", i), TenantID: "acme", EventID: ev.ID, EndpointID: fmt.Sprint("ep_", i%endpoints),
				EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node-1"}
			b.Publishes = append(b.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
		}
		if err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `ANALYZE `+schema+`.events, `+schema+`.deliveries`); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{`SET LOCAL search_path TO ` + schema, `SET LOCAL enable_seqscan = off`, `SET LOCAL jit = off`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// The head: the place of the endpoint's event 100 before its last.
	var xid uint64
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT e.xid::text::bigint, e.seq FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
		WHERE d.tenant_id = 'acme' AND d.endpoint_id = 'ep_1' ORDER BY e.xid DESC, e.seq DESC OFFSET 100 LIMIT 1`).Scan(&xid, &seq); err != nil {
		t.Fatal(err)
	}
	// The statement is prepared, as hookd's driver prepares it, and
	// explained with each plan the server may run for it: a custom plan
	// (made for the cursor's values, the first runs) and the generic plan
	// (which a prepared statement keeps when it costs no more).
	if _, err := tx.Exec(ctx, `PREPARE feed (text, text, xid8, bigint, bigint, int) AS
		SELECT e.xid, e.seq, e.tenant_id, e.id, e.type, e.payload, e.ordering_key, e.idempotency_key,
			e.created_at, e.trace_context, e.is_test, d.*
		FROM deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id
		WHERE d.tenant_id = $1 AND d.endpoint_id = $2 AND (e.xid, e.seq) > ($3, $4)
			AND e.xid < (SELECT pg_snapshot_xmin(pg_current_snapshot())) AND e.created_at >= $5
		ORDER BY e.xid, e.seq LIMIT $6`); err != nil {
		t.Fatal(err)
	}
	explain := func(mode string) string {
		t.Helper()
		return explainExecute(t, tx, mode, fmt.Sprintf(`feed ('acme', 'ep_1', '%d', %d, 0, 101)`, xid, seq))
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		p := explain(mode)
		if !strings.Contains(p, "Scan using events_tenant_xid_seq") || strings.Contains(p, "Sort") || strings.Contains(p, "Seq Scan") {
			t.Errorf("%s: the feed's plan at the head does not walk events_tenant_xid_seq, or sorts, or scans a table whole:\n%s", mode, p)
		}
	}
	if _, err := tx.Exec(ctx, `DROP INDEX events_tenant_xid_seq`); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"force_custom_plan", "force_generic_plan"} {
		if p := explain(mode); !strings.Contains(p, "Sort") {
			t.Errorf("%s: without events_tenant_xid_seq the plan does not sort; the rows are too few to tell the plans apart:\n%s", mode, p)
		}
	}
}

// TestFeedXidMigration upgrades a database whose events and feed
// positions predate migration 019: the events stored before get xid 0 and
// stay first, in publish order, a new one takes its transaction's id and
// comes after them, and a position acknowledged before (its seq alone)
// resumes where it was.
func TestFeedXidMigration(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	u, schema, key, st, now := acmeStore(t)
	e := acmeEndpoint(t, st, now)
	publish := func(st *postgres.Store, id string) { t.Helper(); publishOne(t, st, e, id, now) }
	publish(st, "evt_0")
	publish(st, "evt_1")
	st.Close()
	// Back to the schema before migration 019, with a position at evt_0.
	for _, q := range []string{
		`ALTER TABLE ` + schema + `.events DROP COLUMN xid`,
		`ALTER TABLE ` + schema + `.feed_positions DROP COLUMN xid`,
		`DELETE FROM ` + schema + `.schema_migrations WHERE version >= 19`,
		`INSERT INTO ` + schema + `.feed_positions (tenant_id, endpoint_id, consumer, cursor_text, seq, updated_at)
			SELECT 'acme', 'ep_1', 'books', id, seq, 0 FROM ` + schema + `.events WHERE id = 'evt_0'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st = open(t, u, key)
	publish(st, "evt_2")
	for id, old := range map[string]bool{"evt_0": true, "evt_1": true, "evt_2": false} {
		p, err := st.FeedPlace(ctx, "acme", id)
		if err != nil || (p.Xid == 0) != old {
			t.Errorf("FeedPlace(%s) = %+v, %v; want xid 0: %v", id, p, err, old)
		}
	}
	svc := &control.Service{Store: st, Profiles: profile.New(nil)}
	read := func(q hookd.FeedQuery) []string {
		t.Helper()
		// Repeated while transactions of other tests hold the head back.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			page, err := svc.Feed(ctx, "acme", e.ID, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, it := range page.Data {
				ids = append(ids, it.EventID)
			}
			if slices.Contains(ids, "evt_2") || time.Now().After(deadline) {
				return ids
			}
		}
	}
	if got := read(hookd.FeedQuery{}); !slices.Equal(got, []string{"evt_0", "evt_1", "evt_2"}) {
		t.Errorf("the feed from the start: %v, want evt_0 evt_1 evt_2", got)
	}
	if got := read(hookd.FeedQuery{Consumer: "books"}); !slices.Equal(got, []string{"evt_1", "evt_2"}) {
		t.Errorf("the feed from the position acknowledged before the migration: %v, want evt_1 evt_2", got)
	}
}

// TestFeedIndexMigration: migration 020 builds events_tenant_xid_seq in
// its transaction, or keeps the one an operator built beforehand with
// CREATE INDEX CONCURRENTLY under that name (not built again: the same
// relation), and replaces one that a concurrent build left invalid when
// it failed (here: its predicate divides by zero on the rows of events).
func TestFeedIndexMigration(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	u, schema, key, st, now := acmeStore(t)
	for i := range 3 {
		ev := &hookd.Event{ID: fmt.Sprint("evt_", i), TenantID: "acme", Type: "payment.created", Payload: []byte(`{}`), CreatedAt: now}
		if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev}}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	const index = `events_tenant_xid_seq`
	// index reports the index's relation, its definition and validity.
	type state struct {
		oid   uint32
		def   string
		valid bool
	}
	get := func() (s state) {
		t.Helper()
		err := conn.QueryRow(ctx, `SELECT i.indexrelid::oid, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i
			WHERE i.indexrelid = to_regclass($1)`, schema+`.`+index).Scan(&s.oid, &s.def, &s.valid)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	want := `CREATE INDEX ` + index + ` ON ` + schema + `.events USING btree (tenant_id, xid, seq)`
	if s := get(); s.def != want || !s.valid {
		t.Fatalf("after the migrations: %+v, want %s, valid", s, want)
	}
	exec := func(qs ...string) {
		t.Helper()
		for _, q := range qs {
			if _, err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	// migrate opens the store as a node at version 19 would upgrade.
	migrate := func() {
		t.Helper()
		open(t, u, key).Close()
		var n int
		if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM `+schema+`.schema_migrations WHERE version = 20`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("migration 020 recorded %d times, %v", n, err)
		}
	}
	back := `DELETE FROM ` + schema + `.schema_migrations WHERE version = 20`

	// Built beforehand, concurrently: kept as it is.
	exec(`DROP INDEX `+schema+`.`+index, back,
		`CREATE INDEX CONCURRENTLY `+index+` ON `+schema+`.events (tenant_id, xid, seq)`)
	before := get()
	migrate()
	if s := get(); s != before {
		t.Errorf("an index built beforehand: %+v after the migration, want it kept: %+v", s, before)
	}

	// A concurrent build that failed: invalid, replaced.
	exec(`DROP INDEX `+schema+`.`+index, back)
	if _, err := conn.Exec(ctx, `CREATE INDEX CONCURRENTLY `+index+` ON `+schema+`.events (tenant_id, xid, seq)
		WHERE 1 / (seq - seq) = 0`); err == nil {
		t.Fatal("the concurrent build that divides by zero succeeded")
	}
	if s := get(); s.valid {
		t.Fatalf("the failed build left %+v, want an invalid index", s)
	}
	migrate()
	if s := get(); s.def != want || !s.valid {
		t.Errorf("after a failed concurrent build and the migration: %+v, want %s, valid", s, want)
	}
}

// publishOne stores event id of acme (a payment.created) with its pending
// delivery to e, held by node-1, in a group commit of its own.
func publishOne(t *testing.T, st *postgres.Store, e *hookd.Endpoint, id string, now time.Time) {
	t.Helper()
	ev := &hookd.Event{ID: id, TenantID: "acme", Type: "payment.created", Payload: []byte(`{}`), CreatedAt: now}
	d := &hookd.Delivery{ID: "dlv_" + id, TenantID: "acme", EventID: id, EndpointID: e.ID, EventType: ev.Type,
		State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node-1"}
	if err := st.Apply(t.Context(), &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
		t.Fatal(err)
	}
}

// explainExecute returns the plan of EXECUTE call (a statement prepared in
// tx, with its arguments) under plan_cache_mode mode: force_custom_plan
// or force_generic_plan.
func explainExecute(t *testing.T, tx pgx.Tx, mode, call string) string {
	t.Helper()
	if _, err := tx.Exec(t.Context(), `SET LOCAL plan_cache_mode = `+mode); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(t.Context(), `EXPLAIN EXECUTE `+call)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
