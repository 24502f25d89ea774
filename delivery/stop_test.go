package delivery_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// TestReloadRacingStop: a reload that hands queued deliveries back (their
// endpoint was deleted) while Stop closes the writer must not send to the
// closed writer (a panic) nor race with its closing (run with -race); a
// reload after Stop answers ErrStopped.
func TestReloadRacingStop(t *testing.T) {
	t.Parallel()
	// The race detector sees an unordered send and close only when the
	// send is still in its short history: several rounds make that sure.
	for i := range 20 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			h := newHoldingReceiver(t)
			b := setupWith(t, 200, func(e *hookd.Endpoint) { e.URL = h.URL },
				func(c *delivery.Config) { c.MaxInFlight = 1 })
			for k := range 4 {
				b.publish(t, fmt.Sprintf("e%d", k))
			}
			h.wait(t, "e0") // e0 is held in flight; e1-e3 are queued
			if _, err := b.store.DeleteEndpoint(context.Background(), "t", "ep", b.clock.Now()); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); b.engine.Reload(context.Background()) }()
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				b.engine.Stop(ctx)
			}()
			wg.Wait()
			if err := b.engine.Reload(context.Background()); err != delivery.ErrStopped {
				t.Fatalf("Reload after Stop: %v, want ErrStopped", err)
			}
		})
	}
}

// logBuffer is a slog destination the test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestUnknownProfileFails: a delivery whose endpoint has a profile this
// node does not know (a store written by a newer version, or by hand) is
// not left owned and forgotten: it fails, with an attempt that says why,
// and the log says so.
func TestUnknownProfileFails(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	b := setupWith(t, 200, func(e *hookd.Endpoint) { e.Profile = "nosuch" },
		func(c *delivery.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	d := b.publish(t, "e1")
	got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
	if got.State != hookd.StateFailed || got.Attempts != 1 || !strings.Contains(got.LastError, `unknown profile "nosuch"`) {
		t.Fatalf("delivery %s after %d attempts, last error %q; want failed after 1, naming the profile", got.State, got.Attempts, got.LastError)
	}
	as, err := b.store.Attempts(context.Background(), d.ID)
	if err != nil || len(as) != 1 || !strings.Contains(as[0].Error, `unknown profile "nosuch"`) {
		t.Fatalf("attempts %+v, %v", as, err)
	}
	if !strings.Contains(logs.String(), "unknown profile") || !strings.Contains(logs.String(), d.ID) {
		t.Fatalf("log does not name the delivery and its profile:\n%s", logs.String())
	}
	select {
	case <-b.hits:
		t.Fatal("a request was sent")
	default:
	}
}

// TestStopBoundedByContext: when the store cannot take the last results
// (another connection holds the SQLite file's write lock, so every commit
// waits for its 10 s busy timeout), Stop returns once its context ends and
// says so. Nothing is lost: the deliveries stay pending in the store, and
// the next start sends them.
func TestStopBoundedByContext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "h.db")
	st, err := sqlite.Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	h := newHoldingReceiver(t)
	now := time.Now()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	secret, _ := profile.Standard{}.NewSecret()
	if err := st.CreateEndpoint(ctx, &hookd.Endpoint{ID: "ep", TenantID: "t", URL: h.URL, Profile: "standard", EventTypes: []string{"*"},
		Ordering: "none", Secrets: []hookd.Secret{{Value: secret}}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	cfg := delivery.Config{Profiles: profile.New(nil).Get, PollInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&logBuffer{}, nil))}
	e := delivery.New(st, cfg)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		ev := &hookd.Event{ID: fmt.Sprintf("e%d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now}
		if _, err := e.Publish(ctx, []*hookd.Event{ev}, ""); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		h.wait(t, "held attempt")
	}

	// Another connection takes the write lock: the store is unavailable.
	// Through the store's own SQLite library: two SQLite libraries in one
	// process (the C one and the one translated to Go) do not see each
	// other's locks.
	drv, dsn := "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)"
	if st.Driver() == sqlite.CGo {
		drv, dsn = "sqlite3", "file:"+path+"?_busy_timeout=5000"
	}
	db, err := sql.Open(drv, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	locked := true
	unlock := func() {
		if locked {
			conn.ExecContext(ctx, "ROLLBACK")
			conn.Close()
			locked = false
		}
	}
	defer unlock()

	// The held attempts are cut off and handed back at the deadline; the
	// store cannot take that: Stop returns anyway.
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		stopped <- e.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		if err == nil {
			t.Error("Stop reported a complete flush to a locked store")
		}
	case <-time.After(5 * time.Second): // the store's busy timeout is 10 s
		t.Fatal("Stop did not return within 5 s of a 300 ms deadline")
	}

	// Nothing lost: the next start sends every delivery.
	unlock()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path, key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h.releaseAll() // answer everything from now on
	e = delivery.New(st, cfg)
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Stop(ctx)
	}()
	seen := map[string]bool{}
	for len(seen) < n {
		seen[h.wait(t, "after the restart")] = true
	}
}
