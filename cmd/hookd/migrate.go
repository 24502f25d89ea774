package main

import (
	"context"
	"fmt"
	"os"
)

// runMigrate applies the migrations to the database and exits.
func runMigrate(ctx context.Context, args []string) error {
	var c Config
	fs := newFlagSet("migrate", args)
	c.storeFlags(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	st, err := c.openStore(ctx) // opening applies the migrations
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "hookd: migrations applied to", c.DB)
	return st.Close()
}
