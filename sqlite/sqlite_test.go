package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/storetest"
)

// TestStore runs the conformance suite on a real SQLite file per subtest,
// with each driver this build holds.
func TestStore(t *testing.T) {
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) hookd.Database {
				dir := t.TempDir()
				key, err := seal.LoadOrCreate(filepath.Join(dir, "hookd.db.key"))
				if err != nil {
					t.Fatal(err)
				}
				st, err := sqlite.OpenDriver(t.Context(), drv, filepath.Join(dir, "hookd.db"), key)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if err := st.Close(); err != nil {
						t.Errorf("close: %v", err)
					}
				})
				return st
			})
		})
	}
}

// TestPragmas reads the pragmas back on the writer and on every reader
// connection, with each driver, on a new file and on one reopened (already
// in WAL mode): the settings the durability promise rests on take effect
// whatever the driver's own defaults. The page cache is the writer's own
// size (8 MB) and the readers' (2 MB each).
func TestPragmas(t *testing.T) {
	want := map[string]string{"journal_mode": "wal", "synchronous": "2", "busy_timeout": "10000", "foreign_keys": "0",
		"temp_store": "2"}
	cache := map[string]string{"writer": "-8000", "reader": "-2000"}
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) {
			dir := t.TempDir()
			key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "hookd.db")
			for _, round := range []string{"new file", "reopened"} {
				st, err := sqlite.OpenDriver(t.Context(), drv, path, key)
				if err != nil {
					t.Fatal(err)
				}
				if st.Driver() != drv {
					t.Errorf("Driver() = %q, want %q", st.Driver(), drv)
				}
				check := func(who string, conn *sql.Conn) {
					want["cache_size"] = cache[who]
					for name, v := range want {
						var got string
						if err := conn.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&got); err != nil {
							t.Fatalf("%s %s: PRAGMA %s: %v", round, who, name, err)
						}
						if got != v {
							t.Errorf("%s, %s connection: PRAGMA %s = %s, want %s", round, who, name, got, v)
						}
					}
				}
				w, err := st.Writer().Conn(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				check("writer", w)
				w.Close()
				// Hold every reader connection at once, so each is checked.
				var readers []*sql.Conn
				for range 4 {
					r, err := st.Reader().Conn(t.Context())
					if err != nil {
						t.Fatal(err)
					}
					check("reader", r)
					readers = append(readers, r)
				}
				for _, r := range readers {
					r.Close()
				}
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestWriterTakesTheWriteLock: the writer's transactions begin IMMEDIATE
// with each driver: once one has begun, and before it writes anything, a
// write from another connection waits for it instead of racing it.
func TestWriterTakesTheWriteLock(t *testing.T) {
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) {
			dir := t.TempDir()
			key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.OpenDriver(t.Context(), drv, filepath.Join(dir, "hookd.db"), key)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			tx, err := st.Writer().BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			// A reader connection may not write while the writer's
			// transaction holds the lock: it gives up at its deadline.
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			r, err := st.Reader().Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := r.ExecContext(ctx, "PRAGMA busy_timeout = 100"); err != nil {
				t.Fatal(err)
			}
			if _, err := r.ExecContext(ctx, "CREATE TABLE lock_probe (x INTEGER)"); err == nil {
				t.Fatal("another connection wrote while the writer's transaction was open: it did not begin IMMEDIATE")
			}
		})
	}
}

// TestParseDSN: the sqlite: DSN's path and driver option; bad options are
// refused with a clear error.
func TestParseDSN(t *testing.T) {
	for _, c := range []struct{ dsn, path, drv, err string }{
		{"hookd.db", "hookd.db", sqlite.Default, ""},
		{"/var/lib/hookd/hookd.db?driver=purego", "/var/lib/hookd/hookd.db", sqlite.PureGo, ""},
		{"", "", "", "needs a file path"},
		{"?driver=purego", "", "", "needs a file path"},
		{"x.db?driver=java", "", "", `driver="java"`},
		{"x.db?mode=ro", "", "", `unknown option "mode"`},
		{"x.db?driver=purego&driver=cgo", "", "", `unknown option "driver"`},
	} {
		path, drv, err := sqlite.ParseDSN(c.dsn)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseDSN(%q) = %v, want an error with %q", c.dsn, err, c.err)
			}
			continue
		}
		if err != nil || path != c.path || drv != c.drv {
			t.Errorf("ParseDSN(%q) = %q, %q, %v; want %q, %q", c.dsn, path, drv, err, c.path, c.drv)
		}
	}
}

// TestOneProcessPerFile: a second Open of the same file is refused while
// the first holds it, and allowed once it is closed; the store declares
// itself exclusive.
func TestOneProcessPerFile(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	st, err := sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Exclusive() {
		t.Error("Exclusive() = false: a SQLite file is owned by one process")
	}
	if st2, err := sqlite.Open(t.Context(), path, key); err == nil {
		st2.Close()
		t.Fatal("a second Open of a file in use succeeded")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	st.Close()
}

// TestErrorKinds: a database error is 503-worthy (EUNAVAILABLE) only when
// it clears by itself (a full disk, an expired deadline); a wrong data key
// fails the same way on every retry and is EINTERNAL.
func TestErrorKinds(t *testing.T) {
	t.Parallel()
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) { t.Parallel(); errorKinds(t, drv) })
	}
}

func errorKinds(t *testing.T, drv string) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	key, err := seal.LoadOrCreate(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st, err := sqlite.OpenDriver(ctx, drv, path, key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: "http://127.0.0.1/x", Profile: "standard", EventTypes: []string{"*"},
		Ordering: "none", Secrets: []hookd.Secret{{Value: "whsec_x"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}

	// The disk fills up: 503.
	var size int64
	if err := st.Writer().QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMaxSize(ctx, size); err != nil {
		t.Fatal(err)
	}
	big := json.RawMessage(`{"pad":"` + strings.Repeat("x", 64<<10) + `"}`)
	var full error
	for i := 0; full == nil && i < 50; i++ {
		full = st.CreateTenant(ctx, &hookd.Tenant{ID: fmt.Sprintf("big%d", i), Name: "x", Metadata: big, CreatedAt: now, UpdatedAt: now})
	}
	if code := hookd.ErrorCode(full); code != hookd.EUNAVAILABLE {
		t.Errorf("write to a full database: %s (%v), want %s", code, full, hookd.EUNAVAILABLE)
	}
	st.SetMaxSize(ctx, 0)

	// The deadline has passed: 503.
	expired, cancel := context.WithDeadline(ctx, now.Add(-time.Second))
	defer cancel()
	if _, err := st.Endpoint(expired, "t", "ep"); hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
		t.Errorf("read after the deadline: %s (%v), want %s", hookd.ErrorCode(err), err, hookd.EUNAVAILABLE)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The file opened with another data key: 500, and it says why.
	other, err := seal.LoadOrCreate(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.OpenDriver(ctx, drv, path, other)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Endpoint(ctx, "t", "ep")
	if hookd.ErrorCode(err) != hookd.EINTERNAL || !strings.Contains(err.Error(), "wrong data key") {
		t.Errorf("read with a wrong data key: %s (%v), want %s", hookd.ErrorCode(err), err, hookd.EINTERNAL)
	}
	if _, err := st.AllEndpoints(ctx); hookd.ErrorCode(err) != hookd.EINTERNAL {
		t.Errorf("list with a wrong data key: %s (%v), want %s", hookd.ErrorCode(err), err, hookd.EINTERNAL)
	}
	// A SQL error is not a fault of availability either.
	if _, err := st.Writer().ExecContext(ctx, "DROP TABLE endpoints"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Endpoint(ctx, "t", "ep"); hookd.ErrorCode(err) != hookd.EINTERNAL {
		t.Errorf("read of a missing table: %s (%v), want %s", hookd.ErrorCode(err), err, hookd.EINTERNAL)
	}
}

// TestTokensMigration upgrades a database whose tokens predate ids, kinds,
// names and expiry: the migration gives each existing token an id, keeps
// it a tenant token that does not expire, and the token still resolves.
func TestTokensMigration(t *testing.T) {
	f := newMigrationFile(t)
	// Back to the schema before the tokens migration, with two old tokens.
	st := f.downgrade(t,
		`DROP INDEX tokens_id`, `DROP INDEX tokens_list`,
		`ALTER TABLE tokens DROP COLUMN id`, `ALTER TABLE tokens DROP COLUMN kind`, `ALTER TABLE tokens DROP COLUMN name`,
		`ALTER TABLE tokens DROP COLUMN expires_at`, `ALTER TABLE tokens DROP COLUMN last_used_at`,
		`DELETE FROM schema_migrations WHERE name LIKE '%tokens.sql'`,
		`INSERT INTO tokens (hash, tenant_id, created_at) VALUES ('old-1', 'acme', 1000), ('old-2', 'acme', 2000)`,
	)
	ids := map[string]bool{}
	for _, hash := range []string{"old-1", "old-2"} {
		tok, err := st.TokenByHash(t.Context(), hash)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok.ID, "tok_") || tok.Kind != hookd.TokenTenant || tok.TenantID != "acme" || tok.ExpiresAt != nil || ids[tok.ID] {
			t.Errorf("migrated token %+v", tok)
		}
		ids[tok.ID] = true
	}
	ts, err := st.Tokens(t.Context(), hookd.TokenTenant, "acme", hookd.Page{})
	if err != nil || len(ts) != 2 {
		t.Fatalf("Tokens after the migration: %d, %v", len(ts), err)
	}
}

// TestNoTimeIndexesMigration upgrades a database made before migration
// 016, with events and attempts in it, old and recent: the indexes on
// their times go, and the purge and the whole store's stats find the same
// rows without them.
func TestNoTimeIndexesMigration(t *testing.T) {
	f := newMigrationFile(t)
	ctx, st, now, old, cut := t.Context(), f.st, f.now, f.old, f.cut
	// 30 old events and 20 recent ones, each delivered by one attempt.
	for i := range 50 {
		at := old
		if i >= 30 {
			at = now
		}
		d := f.publish(t, i, at)
		r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: at, DurationMS: 3, Status: 200}, TenantID: "acme",
			State: hookd.StateSucceeded, FirstSentAt: at, At: at}
		if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{r}}); err != nil {
			t.Fatal(err)
		}
	}
	// Back to the schema before migration 016.
	st = f.downgrade(t, `CREATE INDEX events_created ON events (created_at)`, `CREATE INDEX attempts_at ON attempts (at)`,
		`DELETE FROM schema_migrations WHERE version = 16`)
	var left int
	if err := st.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name IN ('events_created', 'attempts_at')`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("indexes on times after the migration: %d, %v", left, err)
	}
	stats, err := st.EndpointStats(ctx, "", "", hookd.StatsQuery{Since: old, Until: now.Add(time.Hour), Interval: 24 * time.Hour})
	if err != nil || stats.Totals.Attempts != 50 || stats.Totals.Succeeded != 50 || stats.Buckets[0].Attempts != 30 || stats.Buckets[2].Attempts != 20 {
		t.Fatalf("the whole store's stats after the migration: %+v, %v; want 30 attempts on the first day, 20 on the third", stats, err)
	}
	// 30 attempts, 30 deliveries and 30 events older than the cut.
	if n, err := st.Purge(ctx, cut); err != nil || n != 90 {
		t.Fatalf("Purge = %d, %v; want 90 rows", n, err)
	}
	for i, want := range map[int]error{0: hookd.ErrNotFound, 29: hookd.ErrNotFound, 30: nil, 49: nil} {
		if _, err := st.Event(ctx, "acme", fmt.Sprintf("evt_%02d", i)); hookd.ErrorCode(err) != hookd.ErrorCode(want) {
			t.Errorf("event %d after Purge: %v, want %v", i, err, want)
		}
	}
	if as, err := st.Attempts(ctx, "dlv_49"); err != nil || len(as) != 1 {
		t.Errorf("a recent delivery's attempts after Purge: %d, %v", len(as), err)
	}
}

// TestFirstAttemptInlineMigration upgrades a database made before
// migration 017, whose first attempts are rows of attempts: they stay
// there and read as before, a delivery that has one records its next
// attempts in the table too, a new delivery's first attempt goes into its
// row, and the stats and the purge count both kinds.
func TestFirstAttemptInlineMigration(t *testing.T) {
	f := newMigrationFile(t)
	ctx, st, now, old, cut := t.Context(), f.st, f.now, f.old, f.cut
	result := func(d *hookd.Delivery, n int, at time.Time, state string) {
		r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: n, At: at, DurationMS: int64(10 * n), Status: 500},
			TenantID: "acme", State: state, FirstSentAt: at, At: at}
		if state == hookd.StatePending {
			r.NextAttemptAt = at.Add(time.Minute)
		} else {
			r.Attempt.Status = 200
		}
		if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{r}}); err != nil {
			t.Fatal(err)
		}
	}
	// Before the migration: an old delivery finished by its one attempt,
	// and a recent one still pending after its first.
	dOld, dRecent := f.publish(t, 0, old), f.publish(t, 1, now)
	// Back to the schema before migration 017, with their first attempts
	// as rows of attempts.
	st = f.downgrade(t,
		`DROP INDEX deliveries_attempt1`,
		`ALTER TABLE deliveries DROP COLUMN attempt1_at`, `ALTER TABLE deliveries DROP COLUMN attempt1_duration_ms`,
		`ALTER TABLE deliveries DROP COLUMN attempt1_status`, `ALTER TABLE deliveries DROP COLUMN attempt1_response`,
		`ALTER TABLE deliveries DROP COLUMN attempt1_error_class`, `ALTER TABLE deliveries DROP COLUMN attempt1_error`,
		`ALTER TABLE deliveries DROP COLUMN attempt1_outcome`,
		`DELETE FROM schema_migrations WHERE version = 17`,
		fmt.Sprintf(`INSERT INTO attempts (delivery_id, n, at, duration_ms, status, response, error_class, error, tenant_id, endpoint_id, outcome)
			VALUES ('dlv_00', 1, %d, 10, 200, '', '', '', 'acme', 'ep_1', 'succeeded'), ('dlv_01', 1, %d, 10, 500, '', '', '', 'acme', 'ep_1', '')`,
			old.UnixMilli(), now.UnixMilli()),
		fmt.Sprintf(`UPDATE deliveries SET state = 'succeeded', attempts = 1, first_sent_at = %d WHERE id = 'dlv_00'`, old.UnixMilli()),
		fmt.Sprintf(`UPDATE deliveries SET attempts = 1, first_sent_at = %d WHERE id = 'dlv_01'`, now.UnixMilli()),
	)
	// The recent delivery's second attempt, then a new delivery's first
	// and second, and an old one's first.
	result(dRecent, 2, now.Add(time.Second), hookd.StateSucceeded)
	dNew := f.publish(t, 2, now)
	result(dNew, 1, now.Add(time.Second), hookd.StatePending)
	result(dNew, 2, now.Add(2*time.Second), hookd.StateSucceeded)
	dOldNew := f.publish(t, 3, old)
	result(dOldNew, 1, old, hookd.StateSucceeded)

	var inline int
	if err := st.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE attempt1_at IS NOT NULL`).Scan(&inline); err != nil || inline != 2 {
		t.Fatalf("first attempts in their deliveries' rows: %d, %v; want 2 (those recorded after the migration)", inline, err)
	}
	for _, c := range []struct {
		d    *hookd.Delivery
		want []int // the attempts' numbers, in order
	}{{dOld, []int{1}}, {dRecent, []int{1, 2}}, {dNew, []int{1, 2}}, {dOldNew, []int{1}}} {
		as, err := st.Attempts(ctx, c.d.ID)
		if err != nil || len(as) != len(c.want) {
			t.Fatalf("Attempts(%s) = %d, %v; want %d", c.d.ID, len(as), err, len(c.want))
		}
		for i, a := range as {
			if a.N != c.want[i] || a.ID != hookd.AttemptID(c.d.ID, a.N, 0) || (i > 0 && a.Seq <= as[i-1].Seq) {
				t.Errorf("Attempts(%s)[%d] = %+v, want attempt %d after the one before", c.d.ID, i, *a, c.want[i])
			}
		}
	}
	stats, err := st.EndpointStats(ctx, "", "", hookd.StatsQuery{Since: old, Until: now.Add(time.Hour), Interval: 24 * time.Hour})
	if err != nil || stats.Totals.Attempts != 6 || stats.Totals.Succeeded != 4 || stats.Buckets[0].Attempts != 2 || stats.Buckets[2].Attempts != 4 {
		t.Fatalf("the whole store's stats: %+v, %v; want 6 attempts, 4 that succeeded, 2 on the first day", stats, err)
	}
	// The two old attempts (one a row of attempts, one in its delivery's
	// row), the two old finished deliveries and their events (the
	// second's, appended after recent ones, as the newest: see
	// sqlstore's seq.go).
	if n, err := st.Purge(ctx, cut); err != nil || n != 6 {
		t.Fatalf("Purge = %d, %v; want 6 rows", n, err)
	}
	for _, id := range []string{dOld.ID, dOldNew.ID} {
		if as, err := st.Attempts(ctx, id); err != nil || len(as) != 0 {
			t.Errorf("an old delivery's attempts after Purge: %d, %v; want none", len(as), err)
		}
	}
	for _, id := range []string{dRecent.ID, dNew.ID} {
		if as, err := st.Attempts(ctx, id); err != nil || len(as) != 2 {
			t.Errorf("a recent delivery's attempts after Purge: %d, %v; want 2", len(as), err)
		}
	}
}

// TestDirectStatements: with the C library, a group commit's rows run on
// the driver connection directly (sqlstore's direct.go), and what they
// write reads back as written: the event, its deliveries, an attempt and
// the delivery's new state, and a second attempt (a row of attempts); the
// pure-Go driver's go through database/sql.
// Closed, the store leaves no log behind (its statements were finalized
// before their connection closed).
func TestDirectStatements(t *testing.T) {
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) {
			ctx := t.Context()
			dir := t.TempDir()
			path := filepath.Join(dir, "hookd.db")
			key, err := seal.LoadOrCreate(path + ".key")
			if err != nil {
				t.Fatal(err)
			}
			st, err := sqlite.OpenDriver(ctx, drv, path, key)
			if err != nil {
				t.Fatal(err)
			}
			now := time.UnixMilli(time.Now().UnixMilli()).UTC()
			ev := &hookd.Event{TenantID: "t1", ID: "ev1", Type: "order.created", Payload: []byte(`{"n":1}`), CreatedAt: now}
			var ds []*hookd.Delivery
			for i := range 2 {
				ds = append(ds, &hookd.Delivery{ID: fmt.Sprintf("dlv_%d", i), TenantID: "t1", EventID: "ev1", EndpointID: fmt.Sprintf("ep_%d", i),
					EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &now, Owner: "node-a", CreatedAt: now, UpdatedAt: now})
			}
			pub := &hookd.Publish{Event: ev, Deliveries: ds}
			if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{pub}}); err != nil {
				t.Fatal(err)
			}
			// The same event again inserts nothing (its count of rows
			// changed is read) and answers with the first.
			again := &hookd.Publish{Event: &hookd.Event{TenantID: "t1", ID: "ev1", Type: ev.Type, Payload: ev.Payload, CreatedAt: now}}
			if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{again}}); err != nil {
				t.Fatal(err)
			}
			if again.Existing == nil || len(again.Deliveries) != 2 {
				t.Fatalf("repeat: existing %v, %d deliveries; want the first event and its 2", again.Existing, len(again.Deliveries))
			}
			a := &hookd.Attempt{DeliveryID: "dlv_0", N: 1, At: now, DurationMS: 3, Status: 200, Response: "ok"}
			res := &hookd.Result{Attempt: a, TenantID: "t1", State: hookd.StateSucceeded, FirstSentAt: now, At: now}
			if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{res}}); err != nil {
				t.Fatal(err)
			}
			a2 := &hookd.Attempt{DeliveryID: "dlv_1", N: 2, At: now, DurationMS: 4, Status: 201, Response: "second"}
			res2 := &hookd.Result{Attempt: a2, TenantID: "t1", State: hookd.StateSucceeded, FirstSentAt: now, At: now}
			if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{res2}}); err != nil {
				t.Fatal(err)
			}
			direct := st.DirectStatements()
			// 1 event, 2 deliveries, the repeat's event, the first
			// attempt's update of its delivery (migration 017), the
			// second attempt's row and its delivery's update.
			if want := int64(7); drv == sqlite.CGo && direct != want {
				t.Errorf("%d statements ran directly, want %d", direct, want)
			} else if drv != sqlite.CGo && direct != 0 {
				t.Errorf("%d statements ran directly with %s, want 0", direct, drv)
			}
			if got, err := st.Event(ctx, "t1", "ev1"); err != nil || string(got.Payload) != `{"n":1}` {
				t.Fatalf("event: %v, %v", got, err)
			}
			d0, err := st.Delivery(ctx, "t1", "dlv_0")
			if err != nil || d0.State != hookd.StateSucceeded || d0.Attempts != 1 || d0.EndpointID != "ep_0" {
				t.Fatalf("delivery 0: %+v, %v; want succeeded after 1 attempt, endpoint ep_0", d0, err)
			}
			if d1, err := st.Delivery(ctx, "t1", "dlv_1"); err != nil || d1.State != hookd.StateSucceeded || d1.Attempts != 2 {
				t.Fatalf("delivery 1: %+v, %v; want succeeded after its second attempt", d1, err)
			}
			if as, err := st.Attempts(ctx, "dlv_1"); err != nil || len(as) != 1 || as[0].N != 2 || as[0].Status != 201 || as[0].Response != "second" {
				t.Fatalf("attempts of delivery 1: %+v, %v; want its second", as, err)
			}
			as, err := st.Attempts(ctx, "dlv_0")
			if err != nil || len(as) != 1 || as[0].Status != 200 || as[0].Response != "ok" || as[0].DurationMS != 3 {
				t.Fatalf("attempts: %+v, %v; want the one attempt", as, err)
			}
			if err := st.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after close, the log: %v; want it removed", err)
			}
		})
	}
}

// TestDropAutoincrement opens a file whose events and attempts tables were
// made with AUTOINCREMENT and whose newest event was deleted (the
// counter is above every seq left): the tables lose it in place, the
// counter's value stays taken, and the file is sound.
func TestDropAutoincrement(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	// The file as the migrations make it, before this change.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if _, err := db.ExecContext(ctx, string(body)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, v, filepath.Base(f)); err != nil {
			t.Fatal(i, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO tenants (id, seq, name, created_at, updated_at) VALUES ('acme', 1, 'Acme', 0, 0)`,
		`INSERT INTO events (tenant_id, id, type, payload, created_at) VALUES ('acme', 'evt_1', 'a.b', '{}', 0),
			('acme', 'evt_2', 'a.b', '{}', 0), ('acme', 'evt_3', 'a.b', '{}', 0)`,
		`DELETE FROM events WHERE id = 'evt_3'`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var def string
	if err := db.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = 'events'`).Scan(&def); err != nil || !strings.Contains(def, "AUTOINCREMENT") {
		t.Fatalf("the old events table: %q, %v", def, err)
	}
	db.Close()

	for range 2 { // the second open finds nothing to do
		st, err := sqlite.Open(ctx, path, key)
		if err != nil {
			t.Fatal(err)
		}
		var defs, counters int
		if err := st.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema
			WHERE name IN ('events', 'attempts') AND sql LIKE '%AUTOINCREMENT%'`).Scan(&defs); err != nil || defs != 0 {
			t.Fatalf("tables with AUTOINCREMENT after the open: %d, %v", defs, err)
		}
		if err := st.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_sequence WHERE name IN ('events', 'attempts')`).Scan(&counters); err != nil || counters != 0 {
			t.Fatalf("counters left: %d, %v", counters, err)
		}
		var check string
		if err := st.Reader().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("integrity_check: %q, %v", check, err)
		}
		st.Close()
	}
	st, err := sqlite.Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev := &hookd.Event{ID: "evt_4", TenantID: "acme", Type: "a.b", Payload: json.RawMessage(`{}`), CreatedAt: time.Now()}
	if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev}}}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Event(ctx, "acme", "evt_4")
	if err != nil || got.Seq != 4 {
		t.Fatalf("a new event after the change: seq %v, %v; want 4 (3 was given before)", got, err)
	}
	evs, err := st.Events(ctx, "acme", hookd.EventFilter{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("the tenant's events: %d, %v; want evt_4, evt_2, evt_1", len(evs), err)
	}
}

// migrationFile is a store in a file of its own, with the tenant acme and
// its endpoint ep_1, for the tests that take the file back to an older
// schema and open it again.
type migrationFile struct {
	path          string
	key           *seal.Key
	st            *sqlite.Store
	ep            *hookd.Endpoint
	now, old, cut time.Time // old is two days before now, cut one
}

func newMigrationFile(t *testing.T) *migrationFile {
	t.Helper()
	dir := t.TempDir()
	f := &migrationFile{path: filepath.Join(dir, "hookd.db")}
	var err error
	if f.key, err = seal.LoadOrCreate(filepath.Join(dir, "key")); err != nil {
		t.Fatal(err)
	}
	if f.st, err = sqlite.Open(t.Context(), f.path, f.key); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.st.Close() })
	f.now = time.Now().Truncate(time.Millisecond)
	f.old, f.cut = f.now.Add(-48*time.Hour), f.now.Add(-24*time.Hour)
	if err := f.st.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme", CreatedAt: f.now, UpdatedAt: f.now}); err != nil {
		t.Fatal(err)
	}
	f.ep = &hookd.Endpoint{ID: "ep_1", TenantID: "acme", URL: "http://127.0.0.1:1/", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}},
		CreatedAt: f.now, UpdatedAt: f.now}
	if err := f.st.CreateEndpoint(t.Context(), f.ep); err != nil {
		t.Fatal(err)
	}
	return f
}

// publish stores event evt_<i> with its one delivery dlv_<i>, pending, both
// made at.
func (f *migrationFile) publish(t *testing.T, i int, at time.Time) *hookd.Delivery {
	t.Helper()
	ev := &hookd.Event{ID: fmt.Sprintf("evt_%02d", i), TenantID: "acme", Type: "a.b", Payload: json.RawMessage(`{}`), CreatedAt: at}
	d := &hookd.Delivery{ID: fmt.Sprintf("dlv_%02d", i), TenantID: "acme", EventID: ev.ID, EndpointID: f.ep.ID, EventType: ev.Type,
		State: hookd.StatePending, NextAttemptAt: &at, CreatedAt: at, UpdatedAt: at}
	if err := f.st.Apply(t.Context(), &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
		t.Fatal(err)
	}
	return d
}

// downgrade closes the store, runs the statements on the file (taking it
// back to an older schema), and opens it again: the migrations since run.
func (f *migrationFile) downgrade(t *testing.T, stmts ...string) *sqlite.Store {
	t.Helper()
	f.st.Close()
	db, err := sql.Open("sqlite", f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	if f.st, err = sqlite.Open(t.Context(), f.path, f.key); err != nil {
		t.Fatal(err)
	}
	return f.st
}

// TestDeliveryEventSeqMigration upgrades a database made before migration
// 018, whose deliveries are found by their event's id: each gets its
// event's seq, the index on event ids goes, and the deliveries of an
// event, the events with a delivery in a state and the purge find the
// same rows through the seq, for deliveries stored before the migration
// and after it.
func TestDeliveryEventSeqMigration(t *testing.T) {
	f := newMigrationFile(t)
	ctx, now, old, cut := t.Context(), f.now, f.old, f.cut
	for i := range 4 {
		at := now
		if i < 2 {
			at = old
		}
		f.publish(t, i, at)
	}
	// Back to the schema before migration 018.
	st := f.downgrade(t, `DROP INDEX deliveries_event_seq`, `ALTER TABLE deliveries DROP COLUMN event_seq`,
		`CREATE INDEX deliveries_event ON deliveries (event_id)`, `DELETE FROM schema_migrations WHERE version = 18`)
	f.publish(t, 4, now)
	wantEventSeqs(t, st, "deliveries", "deliveries_event")
	for i := range 5 {
		ds, err := st.Deliveries(ctx, "acme", hookd.DeliveryFilter{EventID: fmt.Sprintf("evt_%02d", i)})
		if err != nil || len(ds) != 1 || ds[0].ID != fmt.Sprintf("dlv_%02d", i) {
			t.Fatalf("deliveries of evt_%02d: %v, %v", i, ds, err)
		}
	}
	// The two old deliveries end; the events with a succeeded delivery
	// are theirs.
	for _, id := range []string{"dlv_00", "dlv_01"} {
		r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: id, N: 1, At: old, DurationMS: 3, Status: 200}, TenantID: "acme",
			State: hookd.StateSucceeded, FirstSentAt: old, At: old}
		if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{r}}); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := st.Events(ctx, "acme", hookd.EventFilter{DeliveryState: hookd.StateSucceeded})
	if err != nil || len(evs) != 2 {
		t.Fatalf("events with a succeeded delivery: %d, %v; want 2", len(evs), err)
	}
	// Their attempts, deliveries and events go; the pending ones stay.
	if n, err := st.Purge(ctx, cut); err != nil || n != 6 {
		t.Fatalf("Purge = %d, %v; want 6 rows", n, err)
	}
	for i, want := range map[int]error{0: hookd.ErrNotFound, 1: hookd.ErrNotFound, 2: nil, 4: nil} {
		if _, err := st.Event(ctx, "acme", fmt.Sprintf("evt_%02d", i)); hookd.ErrorCode(err) != hookd.ErrorCode(want) {
			t.Errorf("event %d after Purge: %v, want %v", i, err, want)
		}
	}
}

// TestDeliveriesFoundByEventSeq: the deliveries of an event, inserted one
// and several to a statement, keep its seq, and are found through the
// index on it, whatever order the events' ids are in.
func TestDeliveriesFoundByEventSeq(t *testing.T) {
	f := newMigrationFile(t)
	ctx, now := t.Context(), f.now
	// A batch of three events with ids out of order, then one alone.
	batch := &hookd.Batch{}
	for _, id := range []string{"evt_c", "evt_a", "evt_b", "evt_d"} {
		ev := &hookd.Event{ID: id, TenantID: "acme", Type: "a.b", Payload: json.RawMessage(`{}`), CreatedAt: now}
		d := &hookd.Delivery{ID: "dlv_" + id, TenantID: "acme", EventID: id, EndpointID: f.ep.ID, EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
		batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
		if id == "evt_b" {
			if err := f.st.Apply(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = &hookd.Batch{}
		}
	}
	if err := f.st.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	rows, err := f.st.Reader().QueryContext(ctx, `SELECT d.event_id, d.event_seq, e.seq FROM deliveries d
		JOIN events e ON e.tenant_id = d.tenant_id AND e.id = d.event_id ORDER BY e.seq`)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for rows.Next() {
		var id string
		var got sql.NullInt64
		var want int64
		if err := rows.Scan(&id, &got, &want); err != nil {
			t.Fatal(err)
		}
		if got.Int64 != want {
			t.Errorf("delivery of %s: event_seq %v, want %d", id, got, want)
		}
		order = append(order, id)
	}
	rows.Close()
	if strings.Join(order, ",") != "evt_c,evt_a,evt_b,evt_d" {
		t.Errorf("events in the order of their seqs: %v", order)
	}
	// A publish of the same id again answers with the first one's delivery.
	again := &hookd.Publish{Event: &hookd.Event{ID: "evt_a", TenantID: "acme", Type: "a.b", Payload: json.RawMessage(`{}`), CreatedAt: now}}
	if err := f.st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{again}}); err != nil {
		t.Fatal(err)
	}
	if again.Existing == nil || len(again.Deliveries) != 1 || again.Deliveries[0].ID != "dlv_evt_a" {
		t.Fatalf("a repeated publish answered %+v, %v", again.Existing, again.Deliveries)
	}
	// The plans, as sqlstore writes the queries: an event's deliveries
	// are a look-up of the seq's index, and a page of the feed walks the
	// tenant's events from its place and looks up each one's deliveries,
	// rather than reading all of the endpoint's and sorting them.
	plan := func(q string) string {
		t.Helper()
		rows, err := f.st.Reader().QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var b strings.Builder
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			b.WriteString(detail + "\n")
		}
		return b.String()
	}
	if p := plan(`SELECT id FROM deliveries WHERE event_seq = (SELECT seq FROM events WHERE tenant_id = 'acme' AND id = 'evt_a')
		ORDER BY id`); !strings.Contains(p, "deliveries_event_seq (event_seq=?)") {
		t.Errorf("an event's deliveries are not looked up by deliveries_event_seq:\n%s", p)
	}
	if p := plan(`SELECT id FROM deliveries INDEXED BY deliveries_event_seq WHERE tenant_id = 'acme'
		AND event_seq = (SELECT seq FROM events WHERE tenant_id = 'acme' AND id = 'evt_a') ORDER BY id DESC LIMIT 50`); !strings.Contains(p, "deliveries_event_seq (event_seq=?)") {
		t.Errorf("the list of an event's deliveries does not look them up by deliveries_event_seq:\n%s", p)
	}
	p := plan(`SELECT e.seq FROM events e JOIN deliveries d INDEXED BY deliveries_event_seq ON d.event_seq = e.seq AND d.tenant_id = e.tenant_id
		WHERE d.tenant_id = 'acme' AND d.endpoint_id = 'ep_1' AND e.seq > 1 AND e.created_at >= 0 ORDER BY e.seq LIMIT 100`)
	if !strings.Contains(p, "events_tenant_seq (tenant_id=? AND seq>?)") || !strings.Contains(p, "deliveries_event_seq (event_seq=?)") ||
		strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("a page of the feed does not walk the events by seq:\n%s", p)
	}
}

// TestSourceRequestEventSeqMigration upgrades a database made before
// migration 019, whose sources' requests are found by their event's id:
// each gets its event's seq, the unique index on event ids goes, and an
// event's request, a repeat's count and the purge find the same rows
// through the seq, for requests stored before the migration and after.
func TestSourceRequestEventSeqMigration(t *testing.T) {
	f := newMigrationFile(t)
	ctx, now, old, cut := t.Context(), f.now, f.old, f.cut
	// publish stores the events received as requests, in one batch.
	publish := func(at time.Time, is ...int) []*hookd.Publish {
		t.Helper()
		var ps []*hookd.Publish
		for _, i := range is {
			ev := &hookd.Event{ID: fmt.Sprintf("evt_%02d", i), TenantID: "acme", Type: "a.b", Payload: json.RawMessage(`{}`), CreatedAt: at}
			ps = append(ps, &hookd.Publish{Event: ev, Request: &hookd.SourceRequest{ID: fmt.Sprintf("sreq_%02d", i), SourceID: "src_1",
				ReceivedAt: at, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`), Verdict: "verified"}})
		}
		if err := f.st.Apply(ctx, &hookd.Batch{Publishes: ps}); err != nil {
			t.Fatal(err)
		}
		return ps
	}
	// Two old requests in one batch and a recent one alone.
	publish(old, 0, 1)
	publish(now, 2)
	// Back to the schema before migration 019.
	st := f.downgrade(t, `DROP INDEX source_requests_event_seq`, `ALTER TABLE source_requests DROP COLUMN event_seq`,
		`CREATE UNIQUE INDEX source_requests_by_event ON source_requests (tenant_id, event_id)`, `DELETE FROM schema_migrations WHERE version = 19`)
	// After it, two in one batch (a statement of two rows) and one alone.
	publish(now, 3, 4)
	publish(now, 5)
	wantEventSeqs(t, st, "source_requests", "source_requests_by_event")
	for i := range 6 {
		r, err := st.EventSourceRequest(ctx, "acme", fmt.Sprintf("evt_%02d", i))
		if err != nil || r.ID != fmt.Sprintf("sreq_%02d", i) {
			t.Fatalf("the request of evt_%02d: %+v, %v", i, r, err)
		}
	}
	// The same event received again, before and after the migration's
	// requests: counted on the first request.
	for _, i := range []int{1, 3} {
		if p := publish(now, i)[0]; p.Existing == nil {
			t.Fatalf("evt_%02d again: not a repeat", i)
		}
		r, err := st.EventSourceRequest(ctx, "acme", fmt.Sprintf("evt_%02d", i))
		if err != nil || r.Duplicates != 1 || r.ID != fmt.Sprintf("sreq_%02d", i) {
			t.Fatalf("the request of evt_%02d after a repeat: %+v, %v; want 1 duplicate", i, r, err)
		}
	}
	// The old events and their requests go (they have no deliveries).
	if _, err := st.Purge(ctx, cut); err != nil {
		t.Fatal(err)
	}
	for i, gone := range map[int]bool{0: true, 1: true, 2: false, 3: false, 4: false, 5: false} {
		_, err := st.EventSourceRequest(ctx, "acme", fmt.Sprintf("evt_%02d", i))
		if got := hookd.ErrorCode(err) == hookd.ENOTFOUND; got != gone {
			t.Errorf("the request of evt_%02d after Purge: %v, want gone %v", i, err, gone)
		}
	}
	var left int
	if err := st.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM source_requests`).Scan(&left); err != nil || left != 4 {
		t.Errorf("requests after Purge: %d, %v; want 4", left, err)
	}
}

// wantEventSeqs checks, after migration 018 or 019, that every row of
// table (deliveries or source_requests) has its event's seq, and that the
// index on event ids, oldIndex, is gone.
func wantEventSeqs(t *testing.T, st *sqlite.Store, table, oldIndex string) {
	t.Helper()
	var wrong, indexes int
	if err := st.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM `+table+` r
		WHERE r.event_seq IS NOT (SELECT e.seq FROM events e WHERE e.tenant_id = r.tenant_id AND e.id = r.event_id)`).Scan(&wrong); err != nil || wrong != 0 {
		t.Fatalf("rows of %s without their event's seq after the migration: %d, %v", table, wrong, err)
	}
	if err := st.Reader().QueryRowContext(t.Context(), `SELECT COUNT(*) FROM sqlite_master WHERE name = ?`, oldIndex).Scan(&indexes); err != nil || indexes != 0 {
		t.Fatalf("the index on event ids %s after the migration: %d, %v", oldIndex, indexes, err)
	}
}
