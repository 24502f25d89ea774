package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/storetest"
)

// TestStore runs the conformance suite on a real SQLite file per subtest.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hookd.Database {
		dir := t.TempDir()
		key, err := seal.LoadOrCreate(filepath.Join(dir, "hookd.db.key"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(t.Context(), filepath.Join(dir, "hookd.db"), key)
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
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	key, err := seal.LoadOrCreate(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	st, err := sqlite.Open(ctx, path, key)
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
	st, err = sqlite.Open(ctx, path, other)
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
	if err := st.CreateTenant(t.Context(), &hookd.Tenant{ID: "acme", Name: "Acme", CreatedAt: time.Now(), UpdatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Back to the schema before the tokens migration, with two old tokens.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX tokens_id`, `DROP INDEX tokens_list`,
		`ALTER TABLE tokens DROP COLUMN id`, `ALTER TABLE tokens DROP COLUMN kind`, `ALTER TABLE tokens DROP COLUMN name`,
		`ALTER TABLE tokens DROP COLUMN expires_at`, `ALTER TABLE tokens DROP COLUMN last_used_at`,
		`DELETE FROM schema_migrations WHERE name LIKE '%tokens.sql'`,
		`INSERT INTO tokens (hash, tenant_id, created_at) VALUES ('old-1', 'acme', 1000), ('old-2', 'acme', 2000)`,
	} {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	st, err = sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
