package delivery_test

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
// (storetest.PostgresSchema), dropped when the test ends.
func openPostgres(t *testing.T) hookd.Database {
	t.Helper()
	u := storetest.PostgresSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
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
