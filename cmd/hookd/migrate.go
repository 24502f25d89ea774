package main

import (
	"context"
	"flag"
	"fmt"
	"os"
)

// runMigrate applies the migrations to the database and exits.
func runMigrate(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	c.storeFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := c.openStore(ctx) // opening applies the migrations
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr, "hookd: migrations applied to", c.DB)
	return st.Close()
}
