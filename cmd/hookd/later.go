package main

import (
	"context"
	"errors"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/httpapi"
)

func writers(c *Config) int { return 1 }

func openPostgres(ctx context.Context, c *Config) (hookd.Store, error) {
	return nil, errors.New("PostgreSQL support is not in this build")
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
	for _, t := range custom {
		if err := cat.Add(t); err != nil {
			return nil, err
		}
	}
	return cat, nil
}

func setCatalog(api *httpapi.Server, c *catalog.Catalog) { api.Catalog = c }

func catalogMessages(c *catalog.Catalog) func(string) string { return c.Message }
