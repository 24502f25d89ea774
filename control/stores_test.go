package control_test

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

// onEachStore runs f once on a control plane over a SQLite file and once
// over a PostgreSQL schema, in parallel subtests.
func onEachStore(t *testing.T, f func(t *testing.T, b *bundle)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, setup(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, setupOn(t, openPostgres(t, postgresSchema(t), testKey(t))))
	})
}

// postgresSchema returns the URL of a fresh schema of the test database
// (TEST_DATABASE_URL, else the local one), dropped when the test ends.
// Without a reachable database the test is skipped, except in CI
// (CI=true), where that must fail the run.
func postgresSchema(t *testing.T) string {
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
	return u
}

// openPostgres opens a store (a node) on the schema at u with the data key
// given (the nodes of one database share it); setupOn closes it.
func openPostgres(t *testing.T, u string, key *seal.Key) hookd.Database {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := postgres.Open(ctx, u, key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// testKey is a fresh data key.
func testKey(t *testing.T) *seal.Key {
	t.Helper()
	k, err := seal.LoadOrCreate(filepath.Join(t.TempDir(), "key"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
