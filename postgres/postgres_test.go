package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/storetest"
	"github.com/jackc/pgx/v5"
)

// baseURL is the test database. Each test works in a schema of its own.
func baseURL() string { return storetest.PostgresURL() }

// admin connects to the test database. When it cannot, the test is skipped,
// except in CI (CI=true), where a missing database must fail the run
// instead of passing it silently.
func admin(t testing.TB) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is not reachable (set TEST_DATABASE_URL): %v", err)
		}
		t.Skipf("PostgreSQL is not reachable, skipping (set TEST_DATABASE_URL): %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// freshSchema creates an empty schema, dropped when the test ends, and
// returns the URL of a connection that works in it and its name. The
// schema's name is also the connections' application_name, so a test can
// find them in pg_stat_activity.
func freshSchema(t testing.TB) (string, string) {
	t.Helper()
	conn := admin(t)
	b := make([]byte, 6)
	rand.Read(b)
	schema := "hookd_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(baseURL())
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

func testKey(t testing.TB) *seal.Key {
	raw := make([]byte, seal.KeySize)
	rand.Read(raw)
	key, err := seal.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// acmeStore opens a store on a fresh schema with the tenant "acme" in it,
// the start of several tests: the schema's URL and name, the store's
// sealing key (to open it again), and the time its rows are stamped with.
func acmeStore(t *testing.T) (u, schema string, key *seal.Key, st *postgres.Store, now time.Time) {
	t.Helper()
	u, schema = freshSchema(t)
	key = testKey(t)
	now = time.Now().Truncate(time.Millisecond)
	st = open(t, u, key)
	if err := st.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return u, schema, key, st, now
}

// acmeEndpoint stores acme's endpoint ep_1, subscribed to everything.
func acmeEndpoint(t *testing.T, st *postgres.Store, now time.Time) *hookd.Endpoint {
	t.Helper()
	e := &hookd.Endpoint{ID: "ep_1", TenantID: "acme", URL: "http://127.0.0.1:1/a", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t testing.TB, u string, key *seal.Key) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), u, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return st
}

// TestStore runs the conformance suite, each subtest in a fresh schema.
func TestStore(t *testing.T) {
	admin(t)
	storetest.Run(t, func(t *testing.T) hookd.Database {
		u, _ := freshSchema(t)
		return open(t, u, testKey(t))
	})
}

// TestConcurrentMigrations starts several nodes on one empty schema at
// once: the migration lock lets each of them open it, and the schema is
// migrated exactly once.
func TestConcurrentMigrations(t *testing.T) {
	u, schema := freshSchema(t)
	key := testKey(t)
	const nodes = 6
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, nodes)
	errs := make([]error, nodes)
	for i := range nodes {
		wg.Go(func() { stores[i], errs[i] = postgres.Open(t.Context(), u, key) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
			continue
		}
		if err := stores[i].Migrate(t.Context()); err != nil {
			t.Errorf("node %d: Migrate again: %v", i, err)
		}
		stores[i].Close()
	}
	var n int
	if err := admin(t).QueryRow(t.Context(), `SELECT COUNT(*) FROM `+schema+`.schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(os.DirFS("migrations"), "*.sql")
	if n != len(files) {
		t.Errorf("schema_migrations has %d rows, want one per migration (%d)", n, len(files))
	}
}

// TestSharedStore: two nodes on one database see each other's work, and a
// node's secrets are readable by another with the same data key; the store
// declares itself shared (not exclusive).
func TestSharedStore(t *testing.T) {
	u, _ := freshSchema(t)
	key := testKey(t)
	a, b := open(t, u, key), open(t, u, key)
	if a.Exclusive() {
		t.Error("Exclusive() = true: a PostgreSQL store is shared by nodes")
	}
	ctx := t.Context()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := a.CreateTenant(ctx, &hookd.Tenant{ID: "ten_a", Name: "A", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep_1", TenantID: "ten_a", URL: "https://127.0.0.1:9", Profile: "standard",
		EventTypes: []string{"*"}, Ordering: hookd.OrderingNone, Secrets: []hookd.Secret{{Value: "whsec_abc"}},
		CreatedAt: now, UpdatedAt: now}
	if err := a.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	got, err := b.Endpoint(ctx, "ten_a", "ep_1")
	if err != nil {
		t.Fatal(err)
	}
	if s := got.ActiveSecrets(now); len(s) != 1 || s[0] != "whsec_abc" {
		t.Errorf("secrets read by another node: %q", s)
	}
}

// sourceElsewhere opens two stores on one fresh schema, as two nodes, and
// creates through b a Lean source of tenant ten_a (secret "old", token hash
// "th-1") created at now.
func sourceElsewhere(t *testing.T) (a, b *postgres.Store, src *hookd.Source, now time.Time) {
	t.Helper()
	u, _ := freshSchema(t)
	key := testKey(t)
	a, b = open(t, u, key), open(t, u, key)
	ctx := t.Context()
	now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := a.CreateTenant(ctx, &hookd.Tenant{ID: "ten_a", Name: "A", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	src = &hookd.Source{ID: "srcid_1", TenantID: "ten_a", Name: "lean", Profile: hookd.SourceLean,
		Secrets: []hookd.Secret{{Value: "old"}}, TokenHash: "th-1", CreatedAt: now, UpdatedAt: now}
	if err := b.CreateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	return a, b, src, now
}

// TestSourceChangedElsewhere: a node that found a source by its token (and
// keeps it unsealed in memory) finds it as another node changed it since:
// new secrets, a rotated token, deleted.
func TestSourceChangedElsewhere(t *testing.T) {
	a, b, src, now := sourceElsewhere(t)
	ctx := t.Context()
	lookup := func(hash string) (*hookd.Source, error) {
		t.Helper()
		got, err := a.SourceByToken(ctx, hash, now)
		if err != nil && !errors.Is(err, hookd.ErrNotFound) {
			t.Fatal(err)
		}
		return got, err
	}
	for range 2 {
		if got, err := lookup("th-1"); err != nil || got.Secrets[0].Value != "old" {
			t.Fatalf("before any change: %+v %v", got, err)
		}
	}
	src.Secrets = []hookd.Secret{{Value: "new"}}
	if err := b.SaveSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("th-1"); err != nil || got.Secrets[0].Value != "new" {
		t.Errorf("secrets changed on another node: %+v %v", got, err)
	}
	src.PrevTokenHash, src.PrevTokenUntil, src.TokenHash = "th-1", now.Add(-time.Minute), "th-2"
	if err := b.SaveSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("th-1"); err == nil {
		t.Errorf("a token rotated away on another node (its grace over) still finds %+v", got)
	}
	if got, err := lookup("th-2"); err != nil || got.ID != "srcid_1" {
		t.Errorf("the new token: %+v %v", got, err)
	}
	if err := b.DeleteSource(ctx, "ten_a", "srcid_1"); err != nil {
		t.Fatal(err)
	}
	if got, err := lookup("th-2"); err == nil {
		t.Errorf("a source deleted on another node still found: %+v", got)
	}
}

// TestIngestSourceChangedElsewhere: an ingest takes its source from the
// node's memory (CachedSource), with its key; a publish that carries the
// key is stored while the source is as it was read, and refused (Revoked,
// nothing of it stored, not its request either) once another node has
// changed the source's secrets, rotated its token or deleted it, on both
// ways of committing: one statement, and a transaction (a hand-back in the
// batch). After a refusal the node reads the source again.
func TestIngestSourceChangedElsewhere(t *testing.T) {
	a, b, src, now := sourceElsewhere(t)
	ctx := t.Context()
	// cached looks the token up on a twice: read from the database (no
	// key), then from memory (a key), the same source both times.
	cached := func(hash, secret string) string {
		t.Helper()
		var keys []string
		for range 2 {
			got, recheck, err := a.CachedSource(ctx, hash, now)
			if err != nil || got.ID != src.ID || got.Secrets[0].Value != secret {
				t.Fatalf("CachedSource(%s) = %+v, %v: want %s with secret %s", hash, got, err, src.ID, secret)
			}
			keys = append(keys, recheck)
		}
		if keys[0] != "" || keys[1] == "" {
			t.Fatalf("CachedSource(%s) keys %q: want none when read, one from memory", hash, keys)
		}
		return keys[1]
	}
	n := 0
	ingest := func(recheck string, handBack bool) (revoked, stored bool) {
		t.Helper()
		n++
		ev := &hookd.Event{TenantID: "ten_a", ID: fmt.Sprint("evt_", n), Type: "payment.created", Payload: json.RawMessage(`{}`), CreatedAt: now}
		p := &hookd.Publish{Event: ev, Token: recheck, Request: &hookd.SourceRequest{ID: fmt.Sprint("sreq_", n), SourceID: src.ID,
			ReceivedAt: now, Header: http.Header{}, Body: []byte(`{}`), Verdict: hookd.VerdictAccepted}}
		bt := &hookd.Batch{Publishes: []*hookd.Publish{p}}
		if handBack {
			bt.HandBacks = []hookd.HandBack{{DeliveryID: "dlv_nope", At: now, NextAttemptAt: now}}
		}
		if err := a.Apply(ctx, bt); err != nil {
			t.Fatal(err)
		}
		_, err := a.Event(ctx, "ten_a", ev.ID)
		if err != nil && !errors.Is(err, hookd.ErrNotFound) {
			t.Fatal(err)
		}
		_, rerr := a.SourceRequest(ctx, "ten_a", p.Request.ID)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("event %s stored %v, its request %v", ev.ID, err == nil, rerr == nil)
		}
		return p.Revoked, err == nil
	}
	check := func(what, recheck string, want bool) {
		t.Helper()
		for _, handBack := range []bool{false, true} {
			if revoked, stored := ingest(recheck, handBack); revoked == want || stored != want {
				t.Errorf("%s (hand-back %v): Revoked %v, stored %v; want stored %v", what, handBack, revoked, stored, want)
			}
		}
	}

	k1 := cached("th-1", "old")
	check("the source as read", k1, true)
	src.Secrets = []hookd.Secret{{Value: "new"}}
	if err := b.SaveSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	check("new secrets on another node", k1, false)
	k2 := cached("th-1", "new") // read again after the refusal
	if k2 == k1 {
		t.Fatalf("the key did not change with the secrets: %q", k2)
	}
	src.PrevTokenHash, src.PrevTokenUntil, src.TokenHash = "th-1", now.Add(time.Hour), "th-2"
	if err := b.SaveSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	check("the token rotated on another node", k2, false)
	if got, recheck, err := a.CachedSource(ctx, "th-1", now); err != nil || got.ID != src.ID || recheck != "" {
		t.Errorf("the previous token in its grace: %+v %q %v: want the source, read, no key", got, recheck, err)
	}
	k3 := cached("th-2", "new")
	check("the new token", k3, true)
	if err := b.DeleteSource(ctx, "ten_a", src.ID); err != nil {
		t.Fatal(err)
	}
	check("the source deleted on another node", k3, false)
	if _, _, err := a.CachedSource(ctx, "th-2", now); !errors.Is(err, hookd.ErrNotFound) {
		t.Errorf("after the refusal, the deleted source's token: %v, want not found", err)
	}
}

// recv waits for a wake-up on ch.
func recv(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the listen channel was closed", what)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no wake-up within 10s", what)
	}
}

// drain takes a wake-up that may already be waiting.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// TestListenNotify: a Notify on one node wakes a Listen on another, also
// after a burst of notifications, and the channel closes with its context.
func TestListenNotify(t *testing.T) {
	u, _ := freshSchema(t)
	key := testKey(t)
	a, b := open(t, u, key), open(t, u, key)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := a.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Notify(ctx); err != nil {
		t.Fatal(err)
	}
	recv(t, ch, "Notify from another node")
	for range 20 {
		if err := b.Notify(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recv(t, ch, "after 20 notifications")

	cancel()
	select {
	case _, ok := <-ch:
		for ok {
			_, ok = <-ch
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the listen channel was not closed when its context ended")
	}
}

// TestListenReconnects kills the listening connection: the listener
// reconnects, says so with a wake-up (announcements in between are lost),
// and receives notifications again.
func TestListenReconnects(t *testing.T) {
	u, schema := freshSchema(t)
	st := open(t, u, testKey(t))
	ctx := t.Context()
	ch, err := st.Listen(ctx)
	if err != nil {
		t.Fatal(err)
	}
	adm := admin(t)
	kill := func() {
		t.Helper()
		var n int
		err := adm.QueryRow(ctx, `SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1 AND query = 'LISTEN `+postgres.Channel+`'`, schema).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("found no listening connection")
		}
	}
	for range 2 {
		kill()
		recv(t, ch, "reconnect")
		drain(ch)
		if err := st.Notify(ctx); err != nil {
			t.Fatal(err)
		}
		recv(t, ch, "Notify after reconnect")
	}
}

// TestCloseStopsListeners: closing the store ends its listeners.
func TestCloseStopsListeners(t *testing.T) {
	u, _ := freshSchema(t)
	st, err := postgres.Open(t.Context(), u, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.Listen(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for range ch { // returns once the channel is closed
	}
}

// TestErrorKinds: a database error is 503-worthy (EUNAVAILABLE) only when
// it clears by itself (a lock not granted in time, an expired deadline, a
// closed pool); a wrong data key or a SQL error fails the same way on every
// retry and is EINTERNAL.
func TestErrorKinds(t *testing.T) {
	u, schema := freshSchema(t)
	key := testKey(t)
	st := open(t, u, key)
	ctx := t.Context()
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "T", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: "http://127.0.0.1/x", Profile: "standard",
		EventTypes: []string{"*"}, Ordering: hookd.OrderingNone, Secrets: []hookd.Secret{{Value: "whsec_abc"}},
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	want := func(what string, err error, code string) {
		t.Helper()
		if hookd.ErrorCode(err) != code {
			t.Errorf("%s: %s (%v), want %s", what, hookd.ErrorCode(err), err, code)
		}
	}

	// Another node with a wrong data key: 500.
	_, err := open(t, u, testKey(t)).Endpoint(ctx, "t", "ep")
	want("read with a wrong data key", err, hookd.EINTERNAL)

	// A lock held past the node's lock_timeout: 503.
	pu, _ := url.Parse(u)
	q := pu.Query()
	q.Set("lock_timeout", "200ms")
	pu.RawQuery = q.Encode()
	impatient := open(t, pu.String(), key)
	conn := admin(t)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+schema+`.endpoints IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	_, err = impatient.Endpoint(ctx, "t", "ep")
	want("read of a locked table", err, hookd.EUNAVAILABLE)
	tx.Rollback(ctx)

	// The deadline has passed: 503.
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err = st.Endpoint(expired, "t", "ep")
	want("read after the deadline", err, hookd.EUNAVAILABLE)

	// A SQL error: 500.
	if _, err := conn.Exec(ctx, `DROP TABLE `+schema+`.endpoints`); err != nil {
		t.Fatal(err)
	}
	_, err = st.Endpoint(ctx, "t", "ep")
	want("read of a missing table", err, hookd.EINTERNAL)
}

// TestTokensMigration upgrades a database whose tokens predate ids, kinds,
// names and expiry: the migration gives each existing token an id, keeps
// it a tenant token that does not expire, and the token still resolves.
func TestTokensMigration(t *testing.T) {
	conn := admin(t)
	u, schema := freshSchema(t)
	key := testKey(t)
	st, err := postgres.Open(t.Context(), u, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Back to the schema before the tokens migration, with two old tokens.
	for _, q := range []string{
		`DROP INDEX ` + schema + `.tokens_id`, `DROP INDEX ` + schema + `.tokens_list`,
		`ALTER TABLE ` + schema + `.tokens DROP COLUMN id, DROP COLUMN kind, DROP COLUMN name, DROP COLUMN expires_at, DROP COLUMN last_used_at`,
		`DELETE FROM ` + schema + `.schema_migrations WHERE name LIKE '%\_tokens.sql'`,
		`INSERT INTO ` + schema + `.tokens (hash, tenant_id, created_at) VALUES ('old-1', 'acme', 1000), ('old-2', 'acme', 2000)`,
	} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st = open(t, u, key)
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

// TestHotTablesNotScanned: on a fresh schema, where the planner finds the
// tables nearly empty, the group commits of publishes and results find
// their deliveries by index, not by scanning the table (a cached plan of
// the empty table would scan it at every commit while it grows). The
// scans of the migrations (each index built or rebuilt reads the table)
// are counted before and left out.
func TestHotTablesNotScanned(t *testing.T) {
	u, schema := freshSchema(t)
	key := testKey(t)
	ctx, conn := t.Context(), admin(t)
	scans := func() (seq, idx int64) {
		err := conn.QueryRow(ctx, `SELECT COALESCE(seq_scan, 0), COALESCE(idx_scan, 0) FROM pg_stat_user_tables
			WHERE schemaname = $1 AND relname = 'deliveries'`, schema).Scan(&seq, &idx)
		if err != nil {
			t.Fatal(err)
		}
		return seq, idx
	}
	st, err := postgres.Open(ctx, u, key)
	if err != nil {
		t.Fatal(err)
	}
	st.Close() // the migrations' sessions report their scans as they end
	var seq0 int64
	for prev, deadline := int64(-1), time.Now().Add(20*time.Second); ; prev = seq0 {
		time.Sleep(300 * time.Millisecond)
		if seq0, _ = scans(); seq0 > 0 && seq0 == prev {
			break // reported, and no more to come
		}
		if time.Now().After(deadline) {
			t.Fatalf("the migrations' scans of deliveries were never reported (%d)", seq0)
		}
	}
	if st, err = postgres.Open(ctx, u, key); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "ten_a", Name: "A", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep_1", TenantID: "ten_a", URL: "https://127.0.0.1:9", Profile: "standard",
		EventTypes: []string{"*"}, Ordering: hookd.OrderingNone, Secrets: []hookd.Secret{{Value: "whsec_abc"}},
		CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	const commits = 40
	for i := range commits {
		ev := &hookd.Event{ID: fmt.Sprint("evt_", i), TenantID: "ten_a", Type: "payment.created", Payload: []byte(`{}`), CreatedAt: now}
		d := &hookd.Delivery{ID: fmt.Sprint("dlv_", i), TenantID: "ten_a", EventID: ev.ID, EndpointID: ep.ID, EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node-1"}
		if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
			t.Fatal(err)
		}
		res := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: now, Status: 200}, TenantID: "ten_a",
			State: hookd.StateSucceeded, FirstSentAt: now, At: now}
		if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{res}}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close() // its sessions report their statistics as they end
	var seq, idx int64
	for deadline := time.Now().Add(20 * time.Second); ; {
		seq, idx = scans()
		// Each result's commit reads its delivery by index at least once.
		if idx >= commits || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if idx < commits || seq-seq0 >= commits/4 {
		t.Errorf("deliveries after %d commits of results: %d sequential scans, %d index scans", commits, seq-seq0, idx)
	}
}

// TestNoTimeIndexes: migration 016 drops the indexes on the events' and
// attempts' times, which every group commit would insert into; the purge
// and the whole store's stats (the conformance suite's Purge and
// EndpointStats) find their rows without them.
func TestNoTimeIndexes(t *testing.T) {
	u, schema := freshSchema(t)
	open(t, u, testKey(t))
	var n int
	err := admin(t).QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_indexes WHERE schemaname = $1
		AND indexname IN ('events_created', 'attempts_at')`, schema).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d indexes on the events' or attempts' times, want none", n)
	}
}

// TestFirstAttemptInlineMigration upgrades a database whose first attempts
// are rows of attempts (before migration 017): they stay there, a later
// attempt goes after them, a new delivery's first attempt goes into its row
// (by the one-statement commit) and its second to attempts, and Attempts
// and the stats count each once.
func TestFirstAttemptInlineMigration(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	u, schema, key, st, now := acmeStore(t)
	e := acmeEndpoint(t, st, now)
	publish := func(st *postgres.Store, i int) *hookd.Delivery {
		ev := &hookd.Event{ID: fmt.Sprint("evt_", i), TenantID: "acme", Type: "t.x", Payload: []byte(`{}`), CreatedAt: now}
		d := &hookd.Delivery{ID: fmt.Sprintf("dlv_%02d", i), TenantID: "acme", EventID: ev.ID, EndpointID: e.ID, EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node-1"}
		if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
			t.Fatal(err)
		}
		return d
	}
	result := func(st *postgres.Store, d *hookd.Delivery, n int, state string) {
		at := now.Add(time.Duration(n) * time.Second)
		r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: n, At: at, DurationMS: int64(10 * n), Status: 500},
			TenantID: "acme", State: state, FirstSentAt: at, At: at, Owner: "node-1"}
		if state == hookd.StatePending {
			r.NextAttemptAt = at.Add(time.Minute)
		} else {
			r.Attempt.Status = 200
		}
		if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{r}}); err != nil {
			t.Fatal(err)
		}
	}
	dOld := publish(st, 0)
	st.Close()
	// Back to the schema before migration 017, the delivery's first
	// attempt a row of attempts.
	for _, q := range []string{
		`DROP INDEX ` + schema + `.deliveries_attempt1`,
		`ALTER TABLE ` + schema + `.deliveries DROP COLUMN attempt1_at, DROP COLUMN attempt1_duration_ms, DROP COLUMN attempt1_status,
			DROP COLUMN attempt1_response, DROP COLUMN attempt1_error_class, DROP COLUMN attempt1_error, DROP COLUMN attempt1_outcome`,
		`DELETE FROM ` + schema + `.schema_migrations WHERE version = 17`,
		fmt.Sprintf(`INSERT INTO %s.attempts (delivery_id, n, at, duration_ms, status, response, error_class, error, tenant_id, endpoint_id, outcome)
			VALUES ('dlv_00', 1, %d, 10, 500, '', '', '', 'acme', 'ep_1', '')`, schema, now.Add(time.Second).UnixMilli()),
		fmt.Sprintf(`UPDATE %s.deliveries SET attempts = 1, first_sent_at = %d WHERE id = 'dlv_00'`, schema, now.Add(time.Second).UnixMilli()),
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	st = open(t, u, key)
	result(st, dOld, 2, hookd.StateSucceeded)
	dNew := publish(st, 1)
	result(st, dNew, 1, hookd.StatePending)
	result(st, dNew, 2, hookd.StateSucceeded)

	var inline, rows int
	if err := conn.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM `+schema+`.deliveries WHERE attempt1_at IS NOT NULL),
		(SELECT COUNT(*) FROM `+schema+`.attempts)`).Scan(&inline, &rows); err != nil || inline != 1 || rows != 3 {
		t.Fatalf("first attempts in their deliveries' rows: %d, rows of attempts: %d, %v; want 1 and 3", inline, rows, err)
	}
	for _, d := range []*hookd.Delivery{dOld, dNew} {
		as, err := st.Attempts(ctx, d.ID)
		if err != nil || len(as) != 2 {
			t.Fatalf("Attempts(%s) = %d, %v; want 2", d.ID, len(as), err)
		}
		for i, a := range as {
			if a.N != i+1 || a.DurationMS != int64(10*(i+1)) || a.ID != hookd.AttemptID(d.ID, a.N, 0) || (i > 0 && a.Seq <= as[i-1].Seq) {
				t.Errorf("Attempts(%s)[%d] = %+v, want attempt %d after the one before", d.ID, i, *a, i+1)
			}
		}
	}
	for _, ep := range []string{"", e.ID} {
		tenant := ""
		if ep != "" {
			tenant = "acme"
		}
		stats, err := st.EndpointStats(ctx, tenant, ep, hookd.StatsQuery{Since: now.Add(-time.Hour), Until: now.Add(time.Hour), Interval: time.Hour})
		if err != nil || stats.Totals.Attempts != 4 || stats.Totals.Succeeded != 2 {
			t.Fatalf("EndpointStats(%q) = %+v, %v; want 4 attempts, 2 succeeded", ep, stats, err)
		}
	}
}

// TestTenantAttemptsByIndex: deleting a tenant finds its attempts through
// attempts_delivery (migration 018), not by reading the whole of attempts:
// with sequential scans made as costly as the planner allows, the
// statement's plan (sqlstore/tenants.go, DeleteTenant) uses the index.
func TestTenantAttemptsByIndex(t *testing.T) {
	ctx, conn := t.Context(), admin(t)
	u, schema := freshSchema(t)
	open(t, u, testKey(t))
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{`SET LOCAL search_path TO ` + schema, `SET LOCAL enable_seqscan = off`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(ctx, `EXPLAIN DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = 'acme')`)
	if err != nil {
		t.Fatal(err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, line)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); strings.Contains(p, "Seq Scan on attempts") || !strings.Contains(p, "attempts_delivery") {
		t.Errorf("deleting a tenant's attempts does not use attempts_delivery:\n%s", p)
	}
}
