// Package sqlite opens hookd's embedded store: one SQLite file in WAL mode
// with synchronous=FULL, so a commit is on disk before it is acknowledged.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"syscall"

	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlstore"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver: no cgo, one static binary
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is hookd's SQLite store.
type Store struct {
	*sqlstore.Store
	lock *os.File
}

// Open opens (creating if needed) the database file at path and applies the
// migrations. Only one process may open a file at a time: it holds a lock
// on path+".lock", because a single node owns all the file's work.
func Open(ctx context.Context, path string, key *seal.Key) (*Store, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("sqlite: %s is in use by another hookd process", path)
	}
	st, err := open(ctx, path, key)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Store{Store: st, lock: lock}, nil
}

func open(ctx context.Context, path string, key *seal.Key) (*sqlstore.Store, error) {
	dsn := func(extra string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(off)",
			"cache_size(-32000)", "temp_store(memory)"} {
			q.Add("_pragma", p)
		}
		if extra != "" {
			q.Add("_txlock", extra)
		}
		return "file:" + path + "?" + q.Encode()
	}
	// One writer connection: SQLite has one writer anyway, and the engine
	// batches writes into few transactions (group commit).
	w, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", dsn(""))
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	sub, _ := fs.Sub(migrations, "migrations")
	d := sqlstore.Dialect{Name: "sqlite", Migrations: sub, Exclusive: true,
		// A transaction that need not wait for the disk commits with
		// synchronous=NORMAL: its frames are written to the log but not
		// fsync'd. The next commit with FULL fsyncs the log, and with it
		// every frame written before.
		AsyncCommit: "PRAGMA synchronous = NORMAL", SyncCommit: "PRAGMA synchronous = FULL"}
	st, err := sqlstore.New(ctx, w, r, d, key)
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return st, nil
}

// Close closes the database and releases the file lock.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.lock.Close()
	return err
}

// SetMaxSize caps the database file at about bytes (0: no cap). When the cap
// is reached, writes fail as on a full disk: publishes are answered 503 and
// nothing is acknowledged that is not stored. Raising the cap recovers.
func (s *Store) SetMaxSize(ctx context.Context, bytes int64) error {
	pages := int64(1 << 31) // SQLite's own ceiling
	if bytes > 0 {
		var pageSize int64
		if err := s.Writer().QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
			return err
		}
		pages = max(bytes/pageSize, 1)
	}
	_, err := s.Writer().ExecContext(ctx, fmt.Sprintf("PRAGMA max_page_count = %d", pages))
	return err
}
