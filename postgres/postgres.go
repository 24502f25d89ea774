// Package postgres opens hookd's scale-out store: a PostgreSQL database that
// any number of hookd nodes share. The SQL is sqlstore's, written once for
// both dialects; this package holds the PostgreSQL schema, the connection
// pool, the migration lock that lets nodes start together, and LISTEN/NOTIFY
// so a node that commits work can wake the idle ones at once instead of
// leaving it to their next poll.
package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Channel is the LISTEN/NOTIFY channel on which nodes announce new work.
// Channels are database-wide: hookd installations in other schemas of the
// same database wake each other too, which costs them one needless poll.
const Channel = "hookd_work"

// maxConns sizes the pool. PostgreSQL commits faster with several writers
// at once (ENGINE.md: 16 writers reach ~1.6x one writer's rows/s), so the
// pool leaves room for parallel group-commit writers next to claims, API
// reads and housekeeping.
const maxConns = 16

// migrationLock is the first key of the advisory lock held while migrating
// ("hook" in ASCII); the second is the schema's hash, so installations in
// different schemas of one database do not wait for each other.
const migrationLock int32 = 0x686f6f6b

// Store is hookd's PostgreSQL store.
type Store struct {
	*sqlstore.Store
	db      *sql.DB
	commits *sql.DB         // the group commit's statement, on sessions that keep its generic plan
	cfg     *pgx.ConnConfig // for the dedicated LISTEN connections

	// life ends when the store is closed; it stops the listeners.
	life      context.Context
	stop      context.CancelFunc
	listeners sync.WaitGroup
}

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN, as pgx reads them) and applies the migrations. Several nodes may
// open the same database at once: migrations run under an advisory lock.
func Open(ctx context.Context, url string, key *seal.Key) (*Store, error) {
	return openTraced(ctx, url, key, nil)
}

// openTraced is Open with tracer on every session of the store (nil: none;
// tests record the statements the store runs, OpenTraced).
func openTraced(ctx context.Context, url string, key *seal.Key, tracer pgx.QueryTracer) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.Tracer = tracer
	// hookd's statements on its growing tables are served by indexes. On
	// a fresh database the planner finds those tables nearly empty and
	// prefers to scan them whole, and a prepared statement keeps that
	// generic plan until the table is next analyzed (autovacuum: a minute
	// or more), while the table grows by thousands of rows: the group
	// commit's update of the deliveries scanned the whole table at every
	// commit. So hookd's sessions run with enable_seqscan off (a statement
	// with no index to use, on a small table, still scans), and with jit
	// off: a disabled scan is costed so high that it would pass
	// jit_above_cost and compile the statement (~250 ms of CPU) at every
	// run, where hookd's short statements never gain from JIT. A URL that
	// sets either keeps its own value.
	for name, value := range map[string]string{"enable_seqscan": "off", "jit": "off"} {
		if _, set := cfg.RuntimeParams[name]; !set {
			cfg.RuntimeParams[name] = value
		}
	}
	// One pool for reads and writes: unlike SQLite, PostgreSQL takes many
	// writers at once.
	db := stdlib.OpenDB(*cfg.Copy())
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// The group commit's one statement (sqlstore/onestatement.go) runs on
	// sessions of its own, set to plan it once. PostgreSQL plans a
	// prepared statement anew for its first five runs, then keeps its
	// generic plan only if that costs less than the custom plans did; for
	// arrays of a few rows (a node of several, or any node at low load)
	// the custom plans always look cheaper, and a statement of five
	// data-modifying WITH clauses was planned again at every commit:
	// ~0.25 ms of the server's CPU, a third of a small commit's. Its
	// generic plan is the same index lookups whatever the rows. Other
	// statements keep the default: some name a value that a partial
	// index's predicate must see (owner = 'parked').
	ccfg := cfg.Copy()
	if _, set := ccfg.RuntimeParams["plan_cache_mode"]; !set {
		ccfg.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	commits := stdlib.OpenDB(*ccfg)
	commits.SetMaxOpenConns(maxConns)
	commits.SetMaxIdleConns(maxConns)
	commits.SetConnMaxIdleTime(5 * time.Minute)
	life, stop := context.WithCancel(context.Background())
	s := &Store{db: db, commits: commits, cfg: cfg, life: life, stop: stop}
	sub, _ := fs.Sub(migrations, "migrations")
	d := sqlstore.Dialect{Name: "postgres", Numbered: true, Lock: " FOR UPDATE SKIP LOCKED", ShareLock: " FOR SHARE", Migrations: sub, Retryable: retryable, RowsPerStatement: 400, OneStatement: true, NoTimeIndexes: true, FirstAttemptInline: true, FeedXid: true, StartsWith: true,
		AsyncCommit: "SET LOCAL synchronous_commit TO OFF"}
	err = s.withMigrationLock(ctx, func() error {
		var err error
		s.Store, err = sqlstore.New(ctx, db, db, d, key)
		return err
	})
	if err != nil {
		stop()
		db.Close()
		commits.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.UseForCommits(commits)
	return s, nil
}

// retryable reports the transient conflicts of concurrent transactions,
// after which the whole transaction may simply run again. A unique
// violation is not one: it would fail the same way again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	}
	return false
}

// Migrate applies the migrations that have not run yet, under the
// migration lock (the embedded sqlstore.Store's Migrate takes no lock).
func (s *Store) Migrate(ctx context.Context) error {
	return s.withMigrationLock(ctx, func() error { return s.Store.Migrate(ctx) })
}

// withMigrationLock runs fn while holding a session advisory lock on a
// dedicated connection, so that nodes starting together migrate one after
// the other: CREATE TABLE IF NOT EXISTS and the check of schema_migrations
// are not safe against each other without it. fn may use any connection of
// the pool; the lock excludes other nodes, not other connections' work.
func (s *Store) withMigrationLock(ctx context.Context, fn func() error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	const schema = `hashtext(COALESCE(current_schema(), ''))`
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, `+schema+`)`, migrationLock); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx has ended: a session lock outlives the
		// statement and would go back to the pool with the connection.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if _, uerr := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1, `+schema+`)`, migrationLock); uerr != nil {
			// Drop the connection rather than pool it with the lock held;
			// closing the session releases the lock.
			conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("migration unlock: %w", uerr))
		}
	}()
	return fn()
}

// Notify tells every listening node (this one included) that there is new
// work to claim.
func (s *Store) Notify(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `NOTIFY `+Channel); err != nil {
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "storage unavailable", Err: err}
	}
	return nil
}

// Listen subscribes to Notify on a dedicated connection. The returned
// channel receives a value when work was announced; announcements that
// arrive while one is unread are merged into it, so a slow reader sees one
// wake-up, not a backlog. If the connection breaks, Listen reconnects with
// backoff and then sends a wake-up, since announcements made meanwhile are
// lost. The channel is closed when ctx ends or the store is closed. Only
// the first connection's failure is returned as an error.
func (s *Store) Listen(ctx context.Context) (<-chan struct{}, error) {
	ctx, cancel := context.WithCancel(ctx)
	stopWithStore := context.AfterFunc(s.life, cancel)
	conn, err := s.listenConn(ctx)
	if err != nil {
		stopWithStore()
		cancel()
		return nil, &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "cannot listen for work", Err: err}
	}
	ch := make(chan struct{}, 1)
	s.listeners.Add(1)
	go func() {
		defer s.listeners.Done()
		defer stopWithStore()
		defer cancel()
		s.listen(ctx, conn, ch)
	}()
	return ch, nil
}

func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, s.cfg.Copy())
	if err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, `LISTEN `+Channel); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

// listen waits for notifications on conn and passes them on to ch until ctx
// ends, replacing conn when it breaks.
func (s *Store) listen(ctx context.Context, conn *pgx.Conn, ch chan struct{}) {
	defer close(ch)
	var backoff time.Duration
	for {
		if conn == nil {
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			var err error
			if conn, err = s.listenConn(ctx); err != nil {
				conn = nil
				continue
			}
			backoff = 0
			wake(ch) // what was announced while disconnected is lost
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
			conn = nil
			if ctx.Err() != nil {
				return
			}
			continue
		}
		wake(ch)
	}
}

// wake signals ch without blocking: a signal already waiting covers this
// one too.
func wake(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// Close stops the listeners and closes the pool.
func (s *Store) Close() error {
	s.stop()
	s.listeners.Wait()
	return errors.Join(s.Store.Close(), s.commits.Close())
}
