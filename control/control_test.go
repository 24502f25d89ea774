package control_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// fixed is a clock that stands still until moved.
type fixed struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixed) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// bundle is a control plane on a real SQLite file with the real engine.
type bundle struct {
	svc   *control.Service
	store hookd.Store
	cat   *catalog.Catalog
	clock *fixed
	eng   *delivery.Engine
}

// setup opens a SQLite store in a temporary directory, starts the engine
// and returns the service on them; the test's cleanup stops everything.
func setup(t testing.TB) *bundle {
	t.Helper()
	return setupOn(t, openSQLite(t))
}

// openSQLite opens a SQLite store in a temporary directory.
func openSQLite(t testing.TB) hookd.Database {
	t.Helper()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// setupOn is setup on the store given, which it closes when the test ends.
func setupOn(t testing.TB, st hookd.Database) *bundle {
	t.Helper()
	ctx := context.Background()
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	guard, err := egress.New("127.0.0.0/8,::1/128")
	if err != nil {
		t.Fatal(err)
	}
	profiles := profile.New(cat.Message)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := delivery.New(st, delivery.Config{Profiles: profiles.Get, Logger: log,
		PollInterval: 20 * time.Millisecond, Client: &http.Client{CheckRedirect: delivery.NoRedirect}})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Stop(ctx)
		st.Close()
	})
	// Near the engine's clock (the system's): the engine purges what
	// is older than its retention by its own clock.
	clock := &fixed{t: time.Now().UTC().Truncate(time.Second)}
	svc := &control.Service{Store: st, Engine: eng, Catalog: cat, Profiles: profiles, Guard: guard, Clock: clock, Log: log}
	return &bundle{svc: svc, store: st, cat: cat, clock: clock, eng: eng}
}

// code fails the test unless err has the code.
func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := hookd.ErrorCode(err); got != want {
		t.Fatalf("error %v: code %q, want %q", err, got, want)
	}
}

func mustCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
