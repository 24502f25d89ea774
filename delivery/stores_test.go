package delivery_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/bench"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/seal"
)

// stores are the databases the engine's storage-dependent behaviour is
// tested on: a SQLite file (one node, exclusive) and a PostgreSQL schema
// (shared: version checks, rate-limit slots in the database).
var stores = []struct {
	name string
	open func(t *testing.T) hookd.Database
}{
	{"sqlite", func(t *testing.T) hookd.Database { return openStore(t) }},
	{"postgres", openPostgres},
}

// onEachStore runs f once per store, in parallel subtests.
func onEachStore(t *testing.T, f func(t *testing.T, open func(*testing.T) hookd.Database)) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			f(t, s.open)
		})
	}
}

// openPostgres opens a store in a fresh schema of the test database
// (TEST_DATABASE_URL, else the local one), dropped when the test ends.
// Without a reachable database the test is skipped, except in CI
// (CI=true), where that must fail the run.
func openPostgres(t *testing.T) hookd.Database {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, drop, err := bench.Schema(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is not reachable (set TEST_DATABASE_URL): %v", err)
		}
		t.Skipf("PostgreSQL is not reachable, skipping (set TEST_DATABASE_URL): %v", err)
	}
	t.Cleanup(drop)
	key, err := seal.LoadOrCreate(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, u, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
