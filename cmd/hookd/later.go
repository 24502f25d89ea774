package main

import (
	"context"
	"errors"

	"github.com/hookd/hookd"
)

func writers(c *Config) int { return 1 }

func openPostgres(ctx context.Context, c *Config) (hookd.Store, error) {
	return nil, errors.New("PostgreSQL support is not in this build")
}

func setCatalog(api any, c *nilCatalog) {}

func newCatalog(ctx context.Context, st hookd.Store) (*nilCatalog, error) { return nil, nil }

type nilCatalog struct{}

func catalogMessages(c *nilCatalog) func(string) string { return nil }
