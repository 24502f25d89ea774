// Package sqlite opens hookd's embedded store: one SQLite file in WAL mode
// with synchronous=FULL, so a commit is on disk before it is acknowledged.
//
// Two drivers can open the file, with the same pragmas and the same
// behaviour: github.com/mattn/go-sqlite3 (CGo, the C library through cgo,
// the default when cgo is built in) and modernc.org/sqlite (PureGo, SQLite
// translated to Go: no C compiler needed, the only one in a CGO_ENABLED=0
// build). The C library does the same work with about half the CPU.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strings"
	"syscall"

	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlstore"
	modernc "modernc.org/sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// The drivers, by the name a sqlite: DSN's driver option gives them.
const (
	CGo    = "cgo"    // github.com/mattn/go-sqlite3: SQLite's C library through cgo
	PureGo = "purego" // modernc.org/sqlite: SQLite translated to Go
)

// Default is the driver Open uses: CGo when this build has cgo, else PureGo.
const Default = defaultDriver

// drivers are the drivers this build holds (cgo.go adds CGo).
var drivers = map[string]driver.Driver{PureGo: &modernc.Driver{}}

// options are a driver's own DSN options, added to every connection's.
var options = map[string]string{}

// pragmas are set on every connection, in this order, whatever the driver:
// WAL before synchronous, since a driver may lower synchronous on the switch
// to WAL (mattn's build defaults WAL connections to NORMAL).
var pragmas = []string{
	"journal_mode = WAL",
	"synchronous = FULL", // a commit is fsync'd before it is acknowledged
	"busy_timeout = 10000",
	"foreign_keys = off",
	"temp_store = memory",
}

func init() { sqlstore.SetSQLiteCode(resultCode) }

// resultCode reads SQLite's result code from either driver's error.
func resultCode(err error) (int, bool) {
	var e interface{ Code() int } // modernc.org/sqlite's *Error
	if errors.As(err, &e) {
		return e.Code(), true
	}
	return cgoResultCode(err)
}

// Store is hookd's SQLite store.
type Store struct {
	*sqlstore.Store
	lock   *os.File
	driver string
}

// ParseDSN splits what follows "sqlite:" in --db (PATH or
// PATH?driver=cgo|purego) into the file's path and the driver.
func ParseDSN(dsn string) (path, drv string, err error) {
	path, query, _ := strings.Cut(dsn, "?")
	if path == "" {
		return "", "", errors.New("sqlite: needs a file path, e.g. sqlite:hookd.db")
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("sqlite:%s: %w", dsn, err)
	}
	drv = Default
	for k, v := range q {
		if k != "driver" || len(v) != 1 {
			return "", "", fmt.Errorf("sqlite:%s: unknown option %q (the only option is driver=%s)", dsn, k, strings.Join(Drivers(), "|"))
		}
		drv = v[0]
	}
	if err := checkDriver(drv); err != nil {
		return "", "", fmt.Errorf("sqlite:%s: %w", dsn, err)
	}
	return path, drv, nil
}

// Drivers lists the drivers this build holds.
func Drivers() []string {
	var names []string
	for n := range drivers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func checkDriver(name string) error {
	if _, ok := drivers[name]; ok {
		return nil
	}
	if name == CGo {
		return errors.New("driver=cgo: this hookd was built without cgo (CGO_ENABLED=0); use driver=purego")
	}
	return fmt.Errorf("driver=%q: want one of %s", name, strings.Join(Drivers(), ", "))
}

// Open opens (creating if needed) the database file at path with the
// Default driver and applies the migrations. Only one process may open a
// file at a time: it holds a lock on path+".lock", because a single node
// owns all the file's work.
func Open(ctx context.Context, path string, key *seal.Key) (*Store, error) {
	return OpenDriver(ctx, Default, path, key)
}

// OpenDriver is Open with the named driver (CGo or PureGo).
func OpenDriver(ctx context.Context, drv, path string, key *seal.Key) (*Store, error) {
	if err := checkDriver(drv); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("sqlite: %s is in use by another hookd process", path)
	}
	st, err := open(ctx, drv, path, key)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return &Store{Store: st, lock: lock, driver: drv}, nil
}

func open(ctx context.Context, name, path string, key *seal.Key) (*sqlstore.Store, error) {
	dsn := func(opts ...string) string {
		opts = slices.DeleteFunc(append(opts, options[name]), func(o string) bool { return o == "" })
		if len(opts) == 0 {
			return "file:" + path
		}
		return "file:" + path + "?" + strings.Join(opts, "&")
	}
	drv := drivers[name]
	// Statements of many rows save the pure-Go driver more per row than
	// the VALUES lists they read cost; for the C library, whose calls are
	// cheap, one prepared statement per row costs less at the engine's
	// commit sizes (BenchmarkLifecycle: 12 publishes and their results).
	rows := 1
	if name == PureGo {
		rows = 64
	}
	// One writer connection: SQLite has one writer anyway, and the engine
	// batches writes into few transactions (group commit). Both drivers
	// read _txlock from the DSN: the writer's transactions take the write
	// lock when they begin, so they never fail to upgrade a read lock.
	// Page caches are per connection and count in the process's memory:
	// the writer's holds the pages every commit touches; the readers'
	// serve the API's reads, and the OS caches the file anyway.
	w := sql.OpenDB(connector{drv, dsn("_txlock=immediate"), 8000})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r := sql.OpenDB(connector{drv, dsn(), 2000})
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	sub, _ := fs.Sub(migrations, "migrations")
	d := sqlstore.Dialect{Name: "sqlite", Migrations: sub, Exclusive: true, Prepare: true, RowsPerStatement: rows, NoTimeIndexes: true, LocalStatements: true,
		FirstAttemptInline: true, SeqFromMax: true, EventSeq: true,
		// A transaction that need not wait for the disk commits with
		// synchronous=NORMAL: its frames are written to the log but not
		// fsync'd. The next commit with FULL fsyncs the log, and with it
		// every frame written before.
		AsyncCommit: "PRAGMA synchronous = NORMAL", SyncCommit: "PRAGMA synchronous = FULL"}
	// The C library's rows run on the driver connection directly, each
	// bound and stepped in one cgo call (sqlstore's direct.go).
	d.Direct, d.ExecAsQuery = name == CGo, name == CGo
	st, err := sqlstore.New(ctx, w, r, d, key)
	if err == nil {
		err = dropAutoincrement(ctx, w)
	}
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return st, nil
}

// dropAutoincrement takes AUTOINCREMENT off the events and attempts
// tables, once: its counter (a row of sqlite_sequence) was read and
// written by every insert, and its page was one of the ~28 each group
// commit wrote to the log. A table's rows are stored the same with or
// without it, so only the tables' definitions change, in place (SQLite's
// documented procedure for schema changes that leave the file's content
// as it is: writable_schema, then a new schema version so every
// connection reads them again); no row is rewritten, whatever the file's
// size. Without it a new row's key is one more than the largest: an
// event's seq is then never given twice because the store keeps the row
// of the largest (sqlstore.Dialect.SeqFromMax); the counter's value, if
// larger (its newest events were purged), is kept by such a placeholder
// row here. An attempt's key only orders its delivery's attempts, which
// a reused number cannot disturb (it is larger than any left).
func dropAutoincrement(ctx context.Context, w *sql.DB) error {
	var def string
	if err := w.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'events'`).Scan(&def); err != nil {
		return fmt.Errorf("events' definition: %w", err)
	}
	if !strings.Contains(def, "AUTOINCREMENT") {
		return nil
	}
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int64
	if err := tx.QueryRowContext(ctx, `PRAGMA schema_version`).Scan(&version); err != nil {
		return err
	}
	for _, q := range []string{
		`INSERT INTO events (seq, tenant_id, id, type, payload, created_at)
			SELECT s.seq, '', 'seq_' || s.seq, '', x'', 0 FROM sqlite_sequence s
			WHERE s.name = 'events' AND s.seq > COALESCE((SELECT MAX(seq) FROM events), 0)`,
		`DELETE FROM sqlite_sequence WHERE name IN ('events', 'attempts')`,
		`PRAGMA writable_schema = ON`,
		`UPDATE sqlite_schema SET sql = replace(sql, 'INTEGER PRIMARY KEY AUTOINCREMENT', 'INTEGER PRIMARY KEY')
			WHERE type = 'table' AND name IN ('events', 'attempts')`,
		fmt.Sprintf(`PRAGMA schema_version = %d`, version+1),
		`PRAGMA writable_schema = OFF`,
	} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("dropping AUTOINCREMENT: %s: %w", strings.Fields(q)[0], err)
		}
	}
	return tx.Commit()
}

// connector opens connections with a driver and sets the pragmas on each
// before database/sql hands it out: one way for both drivers, whose DSN
// syntaxes for pragmas differ.
type connector struct {
	driver   driver.Driver
	dsn      string
	cacheKiB int // the page cache's size
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	ex, ok := conn.(driver.ExecerContext)
	if !ok {
		conn.Close()
		return nil, errors.New("sqlite: the driver cannot execute a statement on a connection")
	}
	for _, p := range append(slices.Clip(pragmas), fmt.Sprintf("cache_size = -%d", c.cacheKiB)) {
		if _, err := ex.ExecContext(ctx, "PRAGMA "+p, nil); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlite: PRAGMA %s: %w", p, err)
		}
	}
	return conn, nil
}

func (c connector) Driver() driver.Driver { return c.driver }

// Driver names the driver the store was opened with.
func (s *Store) Driver() string { return s.driver }

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
