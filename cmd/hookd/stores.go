package main

import (
	"context"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/postgres"
	"github.com/hookd/hookd/seal"
)

// writers is the number of concurrent group-commit writers: SQLite has one
// writer; PostgreSQL takes HOOKD_WRITERS, one by default.
func writers(st hookd.Queue, configured int) int {
	if st.Exclusive() {
		return 1
	}
	if configured > 0 {
		return configured
	}
	// One: a group commit on PostgreSQL is one statement, and a second
	// writer only halves the batches, each commit costing the server
	// ~0.3 ms of CPU whatever its size (docs/performance.md, "PostgreSQL: the first changes").
	return 1
}

// openPostgres opens the shared store of a scale-out installation. Every
// node must use the same data key, so it cannot be generated here.
func openPostgres(ctx context.Context, c *Config) (hookd.Database, error) {
	key, err := seal.ParseKey(c.DataKey)
	if err != nil {
		return nil, err
	}
	return postgres.Open(ctx, c.DB, key)
}

// never is the engine's value of a setting whose 0 means never
// (--retention: keep for ever; --disable-after: never for failure alone;
// HOOKD_PUBLISH_WAIT: no wait): the engine takes 0 for its default, and a
// negative duration for never.
func never(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// newCatalog loads the built-in catalog and the operator's custom types.
func newCatalog(ctx context.Context, st hookd.Store) (*catalog.Catalog, error) {
	cat, err := catalog.New()
	if err != nil {
		return nil, err
	}
	custom, err := st.EventTypes(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := cat.AddStored(custom); err != nil {
		return nil, err
	}
	return cat, nil
}

func setCatalog(api *httpapi.Server, c *catalog.Catalog) { api.Catalog = c }

func catalogMessages(c *catalog.Catalog) func(string) string { return c.Message }
