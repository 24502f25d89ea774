package storetest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hookd/hookd/bench"
)

// PostgresURL is the test database: TEST_DATABASE_URL, else the local one
// (trust auth, database test).
func PostgresURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// PostgresSchema returns the URL of a fresh schema of the test database
// (bench.Schema), dropped when the test ends, so tests do not see each
// other's rows. Without a reachable database the test is skipped, except in
// CI (CI=true), where that must fail the run instead of passing it silently.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u, drop, err := bench.Schema(ctx, PostgresURL())
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is not reachable (set TEST_DATABASE_URL): %v", err)
		}
		t.Skipf("PostgreSQL is not reachable, skipping (set TEST_DATABASE_URL): %v", err)
	}
	t.Cleanup(drop)
	return u
}
