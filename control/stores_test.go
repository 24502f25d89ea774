package control_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/storetest"
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
		f(t, setupOn(t, openPostgres(t, storetest.PostgresSchema(t), testKey(t))))
	})
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
