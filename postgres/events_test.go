package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/profile"
	"github.com/jackc/pgx/v5"
)

// statements is a pgx tracer that keeps the statements a store runs, with
// their arguments.
type statements struct {
	mu  sync.Mutex
	ran []pgx.TraceQueryStartData
}

func (s *statements) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ran = append(s.ran, data)
	return ctx
}

func (s *statements) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// last returns the last statement run that contains each of parts.
func (s *statements) last(t *testing.T, parts ...string) pgx.TraceQueryStartData {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
next:
	for i := len(s.ran) - 1; i >= 0; i-- {
		for _, p := range parts {
			if !strings.Contains(s.ran[i].SQL, p) {
				continue next
			}
		}
		return s.ran[i]
	}
	t.Fatalf("no statement run contains %q", parts)
	return pgx.TraceQueryStartData{}
}

// TestEventsListPlan: the events list's statement (sqlstore/reads.go,
// Store.Events, as the API's control layer runs it on PostgreSQL) walks
// the tenant's events backward on the feed's index events_tenant_xid_seq
// from its head or from the cursor's place and stops after a page: no
// Sort, no table read whole, and no index of its own (migration 021 drops
// events_tenant_seq). The statements are the ones the store ran, recorded
// with their arguments by a tracer on its sessions: the first page and a
// page after a cursor in the middle, each without a type filter, with one
// type (one event in four) and with a prefix. 30,000 events of two
// tenants (24,000 and 6,000, interleaved) in 75 group commits, analyzed;
// each statement is prepared in a session set as hookd's are
// (enable_seqscan off, jit off) and explained with the custom and the
// generic plan. In the same transaction the index is then dropped and each
// plan must turn into a Sort: the rows are enough for the planner to tell
// the walk from a sort of the tenant's events.
func TestEventsListPlan(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	u, schema := freshSchema(t)
	tr := &statements{}
	st, err := postgres.OpenTraced(ctx, u, testKey(t), tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Now().Truncate(time.Millisecond)
	for _, id := range []string{"acme", "other"} {
		if err := st.CreateTenant(ctx, &hookd.Tenant{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	types := []string{"payment.created", "payment.failed", "refund.created", "invoice.paid"}
	const events, perCommit = 30000, 400
	for start := 0; start < events; start += perCommit {
		b := &hookd.Batch{}
		for i := start; i < start+perCommit; i++ {
			tenant := "acme"
			if i%5 == 4 {
				tenant = "other"
			}
			ev := &hookd.Event{ID: fmt.Sprint("evt_", i), TenantID: tenant, Type: types[i/5%len(types)], Payload: []byte(`{}`), CreatedAt: now}
			b.Publishes = append(b.Publishes, &hookd.Publish{Event: ev})
		}
		if err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `ANALYZE `+schema+`.events`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_tenant_seq'`, schema).Scan(&n); err != nil || n != 0 {
		t.Errorf("events_tenant_seq: %d indexes of that name, %v; want none (migration 021)", n, err)
	}

	// The statements, as the control layer has the store run them.
	svc := &control.Service{Store: st, Profiles: profile.New(nil)}
	const middle = "evt_15000"
	type listed struct {
		name string
		stmt pgx.TraceQueryStartData
	}
	var lists []listed
	for _, c := range []struct {
		name string
		q    hookd.EventQuery
	}{
		{"first page", hookd.EventQuery{}},
		{"after a cursor", hookd.EventQuery{Page: hookd.Page{After: middle}}},
		{"one type, first page", hookd.EventQuery{Type: "payment.created"}},
		{"one type, after a cursor", hookd.EventQuery{Type: "payment.created", Page: hookd.Page{After: middle}}},
		{"a prefix, first page", hookd.EventQuery{Type: "payment.*"}},
		{"a prefix, after a cursor", hookd.EventQuery{Type: "payment.*", Page: hookd.Page{After: middle}}},
	} {
		evs, err := svc.Events(ctx, "acme", c.q)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 100 {
			t.Fatalf("%s: %d events, want a page of 100", c.name, len(evs))
		}
		lists = append(lists, listed{c.name, tr.last(t, "FROM events WHERE tenant_id", "ORDER BY")})
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
	for i, l := range lists {
		if _, err := tx.Exec(ctx, fmt.Sprintf(`PREPARE list%d AS %s`, i, l.stmt.SQL)); err != nil {
			t.Fatalf("%s: prepare %s: %v", l.name, l.stmt.SQL, err)
		}
	}
	// explain returns the plan of list i with the arguments the store
	// gave it (as literals, of the parameters' types; the driver's
	// options among them left out).
	explain := func(i int, mode string) string {
		t.Helper()
		var args []string
		for _, a := range lists[i].stmt.Args {
			switch a.(type) {
			case pgx.QueryResultFormatsByOID, pgx.QueryResultFormats, pgx.QueryExecMode: // options of the driver
				continue
			}
			args = append(args, `'`+strings.ReplaceAll(fmt.Sprint(a), `'`, `''`)+`'`)
		}
		return explainExecute(t, tx, mode, fmt.Sprintf(`list%d (%s)`, i, strings.Join(args, ", ")))
	}
	modes := []string{"force_custom_plan", "force_generic_plan"}
	for i, l := range lists {
		for _, mode := range modes {
			p := explain(i, mode)
			if !strings.Contains(p, "Index Scan Backward using events_tenant_xid_seq") || strings.Contains(p, "Sort") || strings.Contains(p, "Seq Scan") {
				t.Errorf("%s, %s: the list does not walk events_tenant_xid_seq backward, or sorts, or scans a table whole:\n%s\n%s",
					l.name, mode, l.stmt.SQL, p)
			}
		}
	}
	if _, err := tx.Exec(ctx, `DROP INDEX events_tenant_xid_seq`); err != nil {
		t.Fatal(err)
	}
	for i, l := range lists {
		for _, mode := range modes {
			if p := explain(i, mode); !strings.Contains(p, "Sort") {
				t.Errorf("%s, %s: without events_tenant_xid_seq the plan does not sort; the rows are too few to tell the plans apart:\n%s", l.name, mode, p)
			}
		}
	}
}

// TestEventsListPaged: the events list, paged one event at a time through
// the API's control layer, returns every event of the tenant once, newest
// first in the feed's order (the order of the transactions that stored
// them, publish order within one), including events of transactions that
// commit while it is being paged, when their places are below the cursor.
// Two transactions are held open on connections of their own, as
// TestFeedWaitsForTransactions holds them: the first takes its
// transaction id, the second stores B, the first stores C and C2, and the
// store commits D past both; only the second commits. A list paged from
// its head then reads D and B and, after B, A; the first commits, and the
// same list goes on after B with C2 and C (committed late, below B) and A.
// A batch E, F, G (one transaction) published after comes first. Read by
// seq (before migration 021) the list went D, C2, C, B, A, and the list
// paged across the commit read D, B, A: C and C2 have seqs between B's and
// D's. (A page shows what is visible: an event of a transaction whose id
// falls between places already read is not on a later page, as by seq.)
func TestEventsListPaged(t *testing.T) {
	ctx := t.Context()
	u, schema := freshSchema(t)
	st := open(t, u, testKey(t))
	now := time.Now().Truncate(time.Millisecond)
	for _, id := range []string{"acme", "other"} {
		if err := st.CreateTenant(ctx, &hookd.Tenant{ID: id, Name: id, CreatedAt: now, UpdatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(tenant string, ids ...string) {
		t.Helper()
		b := &hookd.Batch{}
		for _, id := range ids {
			b.Publishes = append(b.Publishes, &hookd.Publish{Event: &hookd.Event{ID: id, TenantID: tenant, Type: "payment.created",
				Payload: []byte(`{}`), CreatedAt: now}})
		}
		if err := st.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	svc := &control.Service{Store: st, Profiles: profile.New(nil)}
	// page reads the page of one event after the cursor ("" for the
	// first), the empty string when there is none.
	page := func(after string) string {
		t.Helper()
		evs, err := svc.Events(ctx, "acme", hookd.EventQuery{Page: hookd.Page{After: after, Limit: 1}})
		if err != nil {
			t.Fatal(err)
		}
		switch len(evs) {
		case 0:
			return ""
		case 1:
			return evs[0].ID
		}
		t.Fatalf("a page of one after %q: %d events", after, len(evs))
		return ""
	}
	// pages reads pages of one event after the cursor until one is empty.
	pages := func(after string) []string {
		t.Helper()
		var got []string
		for id := page(after); id != ""; id = page(after) {
			got = append(got, id)
			after = id
		}
		return got
	}

	publish("acme", "evt_a")
	publish("other", "evt_x")
	first, second := rawTx(t, schema), rawTx(t, schema)
	var firstXid, secondXid uint64
	if err := first.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&firstXid); err != nil {
		t.Fatal(err)
	}
	rawEvent(t, second, "evt_b", "", now)
	rawEvent(t, first, "evt_c", "", now)
	rawEvent(t, first, "evt_c2", "", now)
	if err := second.QueryRow(ctx, `SELECT pg_current_xact_id()::text::bigint`).Scan(&secondXid); err != nil {
		t.Fatal(err)
	}
	if firstXid >= secondXid {
		t.Fatalf("the first transaction's id %d is not below the second's %d", firstXid, secondXid)
	}
	publish("acme", "evt_d")
	if err := second.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Paged while the first is in flight: what is visible, D then B.
	got := []string{page("")}
	got = append(got, page(got[0]))
	if !slices.Equal(got, []string{"evt_d", "evt_b"}) {
		t.Fatalf("while C and C2 are in flight, the list's first two pages: %v, want evt_d evt_b", got)
	}
	if id := page("evt_b"); id != "evt_a" {
		t.Errorf("while C and C2 are in flight, the page after evt_b: %q, want evt_a", id)
	}
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// The same list goes on after B: C2 and C committed late, below its
	// cursor, and are listed.
	got = append(got, pages("evt_b")...)
	if want := []string{"evt_d", "evt_b", "evt_c2", "evt_c", "evt_a"}; !slices.Equal(got, want) {
		t.Errorf("the list paged across the first's commit: %v, want %v", got, want)
	}

	publish("acme", "evt_e", "evt_f", "evt_g")
	want := []string{"evt_g", "evt_f", "evt_e", "evt_d", "evt_b", "evt_c2", "evt_c", "evt_a"}
	if got := pages(""); !slices.Equal(got, want) {
		t.Errorf("the list paged one event at a time: %v, want %v", got, want)
	}
	// The feed's order, backwards: the whole list in one page agrees.
	evs, err := svc.Events(ctx, "acme", hookd.EventQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, e := range evs {
		all = append(all, e.ID)
	}
	if !slices.Equal(all, want) {
		t.Errorf("the list in one page: %v, want %v", all, want)
	}
}

// rawTx opens a transaction in the schema on a connection of its own,
// rolled back at the end of the test unless committed.
func rawTx(t *testing.T, schema string) pgx.Tx {
	t.Helper()
	ctx := t.Context()
	conn := admin(t)
	if _, err := conn.Exec(ctx, `SET search_path TO `+schema); err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	return tx
}

// rawEvent inserts tenant acme's event id in tx as the store's publishes
// do (the columns' defaults give the rest: its seq, its transaction's id),
// with a pending delivery to endpoint when it is not empty.
func rawEvent(t *testing.T, tx pgx.Tx, id, endpoint string, now time.Time) {
	t.Helper()
	ctx := t.Context()
	_, err := tx.Exec(ctx, `INSERT INTO events (tenant_id, id, type, payload, created_at) VALUES ('acme', $1, 'payment.created', '{}', $2)`,
		id, now.UnixMilli())
	if err == nil && endpoint != "" {
		_, err = tx.Exec(ctx, `INSERT INTO deliveries (id, tenant_id, event_id, endpoint_id, event_type, next_attempt_at, owner,
			created_at, updated_at, state, attempts, last_status, last_error) VALUES ($1, 'acme', $2, $3, 'payment.created', $4, 'node-1',
			$4, $4, 'pending', 0, 0, '')`, "dlv_"+id, id, endpoint, now.UnixMilli())
	}
	if err != nil {
		t.Fatal(err)
	}
}
