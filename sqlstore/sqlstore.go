// Package sqlstore implements hookd.Store and hookd.Queue over database/sql for both SQL
// dialects hookd speaks. The sqlite and postgres packages open the database,
// hold each dialect's migrations and pass a Dialect; the logic is written
// once here so both stores behave the same.
//
// The files follow the conformance suite's (storetest): publish.go and
// results.go are what Apply writes (publishes; attempt results, hand-backs,
// manual retries), queue.go the engine's claims, rescues, pacing and purge,
// reads.go the event, delivery and attempt reads, backlog.go the metrics'
// counts, and endpoints.go, tenants.go and tokens.go their resources.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
)

// Dialect is what differs between SQL databases.
type Dialect struct {
	Name string
	// Numbered placeholders ($1) instead of "?".
	Numbered bool
	// Lock is appended to the claim's inner SELECT ("FOR UPDATE SKIP LOCKED").
	Lock string
	// ShareLock is appended to the read of the endpoints version that a
	// commit of publishes checks (" FOR SHARE"), where nodes share the
	// store: the version is then read as committed now and kept so until
	// the commit (see bumpEndpoints); and to the read of the endpoint of
	// a manual retry or a recover, which a delete then waits for.
	ShareLock string
	// Migrations holds NNN_name.sql files applied in order.
	Migrations fs.FS
	// RowsPerStatement is the most rows one INSERT or UPDATE of a batch
	// carries: many where a statement costs a round trip (PostgreSQL);
	// where statements are prepared (Prepare), as many as their parse is
	// worth keeping for.
	RowsPerStatement int
	// Prepare says batch statements are prepared once, when the store
	// opens, and kept (SQLite, where parsing a statement costs more than
	// running it; pgx keeps its own cache by text). Their row counts are
	// then powers of two, so that few are kept: a batch of 13 rows runs
	// statements of 8, 4 and 1.
	Prepare bool
	// AsyncCommit, when set, is run first in a transaction that holds no
	// publish, so it commits without waiting for the disk.
	AsyncCommit string
	// SyncCommit, when set, says AsyncCommit changes the connection, not
	// only the transaction (SQLite's PRAGMA synchronous): AsyncCommit is
	// then run before the transaction begins, on a connection held for
	// it, and SyncCommit after it ends, so no other write on that
	// connection commits without waiting for the disk.
	SyncCommit string
	// OneStatement says a group commit of publishes and attempt results
	// may be one statement of data-modifying WITH clauses over arrays
	// (PostgreSQL, with migration 013's hookd_endpoints_version): one
	// round trip instead of a transaction's five. See onestatement.go.
	OneStatement bool
	// NoTimeIndexes says events and attempts have no index on their
	// times (SQLite, where every index is pages written by every group
	// commit, and only the purge and the whole store's stats read them by
	// time): old events are found by their seq, in whose order they are
	// appended, and attempts one endpoint at a time on the (endpoint_id,
	// at) index. See timeless.go.
	NoTimeIndexes bool
	// FirstAttemptInline says a delivery's first attempt is kept in the
	// delivery's row (its attempt1_ columns), written by the update that
	// records its result, and the attempts table holds the others
	// (migration 017 of both stores: on SQLite the attempts row, its
	// AUTOINCREMENT and its two indexes were a fifth of the pages a group
	// commit writes; on PostgreSQL a heap tuple and three index entries
	// per delivery, in the one statement's update). See firstattempt.go.
	FirstAttemptInline bool
	// SeqFromMax says the events table gives a new event one more than
	// the largest seq it holds (SQLite: no AUTOINCREMENT, whose counter
	// was a page of every group commit): the row of the largest is
	// never deleted but made a placeholder, so no seq is given twice.
	// See seq.go.
	SeqFromMax bool
	// EventSeq says a delivery keeps its event's seq (event_seq) and is
	// found by it, where the index that finds an event's deliveries is on
	// the seq, appended in the order of the commits, rather than on the
	// event's id, which publishers make in any order (SQLite, migration
	// 018: an index on random ids takes each new entry on a page of its
	// own, a page the group commit writes). See eventseq.go.
	EventSeq bool
	// FeedXid says events keep the id of the transaction that stored
	// them (PostgreSQL's xid8 column, migration 019) and the feed reads
	// them in the order of those ids, up to the oldest transaction still
	// in flight: transactions commit in another order than they take
	// their events' seqs. See feed.go.
	FeedXid bool
	// StartsWith says the dialect has starts_with(text, prefix), whose
	// share of rows the planner reads from the column's statistics
	// (PostgreSQL), where substr(text, 1, n) = prefix is guessed at 0.5%:
	// the events list tests its type prefixes with it. See reads.go.
	StartsWith bool
	// LocalStatements says statements run in this process and end on
	// their own (SQLite: a lock is waited for up to busy_timeout). The
	// engine's statements then get a context that is never done, and
	// the drivers run them on the calling goroutine: with a context that
	// can end, both SQLite drivers run every statement (and every row's
	// step) on a goroutine of their own, to interrupt it when the context
	// ends. Transactions still begin with the caller's context, which
	// rolls them back when it ends.
	LocalStatements bool
	// Exclusive says one process owns the database (SQLite: the file is
	// locked by the process that opened it); see hookd.Queue.Exclusive.
	Exclusive bool
	// Retryable reports whether an error is a transient conflict (busy,
	// serialization) worth retrying the transaction for.
	Retryable func(error) bool
	// Direct says the prepared batch statements of a write transaction
	// run on its driver connection, not through database/sql (SQLite,
	// where they run once per row); ExecAsQuery that those whose count of
	// changed rows is not read run as queries (mattn/go-sqlite3 binds and
	// steps a query in one cgo call). See direct.go.
	Direct, ExecAsQuery bool
}

// Store is a hookd.Database on a SQL database.
type Store struct {
	w, r *sql.DB // writer and reader pools; the same pool on PostgreSQL
	// commits is the pool a one-statement group commit runs on
	// (UseForCommits; w when not set).
	commits *sql.DB
	d       Dialect
	key     *seal.Key

	stmts map[string]*sql.Stmt // prepared batch statements, by text (Dialect.Prepare); read-only after New
	// bound holds the batch statements as bound to the last transaction
	// that ran one: binding one (Tx.StmtContext) costs allocations and
	// database/sql's bookkeeping, which was paid for every row.
	bound struct {
		sync.Mutex
		tx *sql.Tx
		m  map[string]*sql.Stmt
	}
	// tokenByHash is the lookup of every authenticated request, prepared
	// once on the reader pool.
	tokenByHash *sql.Stmt
	tokens      *tokenCache
	// sourceByToken is the lookup of every webhook sent to an ingest URL,
	// prepared likewise.
	sourceByToken *sql.Stmt
	sources       *sourceCache
	direct        direct // Dialect.Direct
	// oneSQL holds the one statement's texts as run (placeholders
	// numbered), by shape (oneStatement): built once rather than at every
	// group commit, where building one (~6 KB, twice) cost the writer
	// ~20 µs, an eighth of its CPU per commit.
	oneSQL [oneShapes]atomic.Pointer[string]
}

var _ hookd.Database = (*Store)(nil)

// Exclusive implements hookd.Queue: as the dialect declares.
func (s *Store) Exclusive() bool { return s.d.Exclusive }

// New returns a Store. w takes the writes and r the reads (they may be the
// same pool). Migrations are applied.
func New(ctx context.Context, w, r *sql.DB, d Dialect, key *seal.Key) (*Store, error) {
	if key == nil {
		return nil, errors.New("sqlstore: a data key is required")
	}
	if d.RowsPerStatement <= 0 {
		d.RowsPerStatement = 1
	}
	s := &Store{w: w, r: r, commits: w, d: d, key: key, stmts: map[string]*sql.Stmt{}, tokens: &tokenCache{},
		sources: &sourceCache{}}
	s.bound.m = map[string]*sql.Stmt{}
	if err := s.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// q rewrites "?" placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// Migrate applies the dialect's migrations that have not run yet.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(s.d.Migrations, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(s.d.Migrations, name)
		if err != nil {
			return err
		}
		err = s.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), v).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name) VALUES (?, ?)`), v, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// tx runs fn in a write transaction, retrying transient conflicts.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.txMode(ctx, false, fn)
}

// txMode is tx; with async, the transaction commits without waiting for
// the disk (as the dialect's AsyncCommit allows).
func (s *Store) txMode(ctx context.Context, async bool, fn func(*sql.Tx) error) error {
	return s.retry(ctx, func() error {
		switch {
		case async && s.d.SyncCommit != "":
			return s.txAsyncConn(ctx, fn)
		case async && s.d.AsyncCommit != "":
			return s.txOn(ctx, s.w, func(tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, s.d.AsyncCommit); err != nil {
					return err
				}
				return fn(tx)
			})
		case s.d.Direct:
			// On a connection held for it, whose driver connection
			// the batch statements run on (see direct.go).
			conn, err := s.w.Conn(ctx)
			if err != nil {
				return unavailable(err)
			}
			defer conn.Close()
			return s.txOn(ctx, conn, fn)
		default:
			return s.txOn(ctx, s.w, fn)
		}
	})
}

// stmtContext returns the context for the statements of a transaction
// begun with ctx: one that is never done where statements are local
// (Dialect.LocalStatements).
func (s *Store) stmtContext(ctx context.Context) context.Context {
	if s.d.LocalStatements {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// retry runs fn again after transient conflicts (busy, serialization,
// deadlock), as the dialect reports them.
func (s *Store) retry(ctx context.Context, fn func() error) error {
	for try := 0; ; try++ {
		err := fn()
		if err == nil || try >= 5 || s.d.Retryable == nil || !s.d.Retryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(try+1) * 5 * time.Millisecond):
		}
	}
}

// txOn runs fn in a transaction begun on db (a pool or a connection).
func (s *Store) txOn(ctx context.Context, db interface {
	BeginTx(context.Context, *sql.TxOptions) (*sql.Tx, error)
}, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(err)
	}
	if conn, ok := db.(*sql.Conn); ok && s.d.Direct {
		s.direct.begin(tx, conn)
		defer s.direct.end(tx)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return unavailable(err)
	}
	if err := tx.Commit(); err != nil {
		return unavailable(err)
	}
	return nil
}

// txAsyncConn runs fn in a transaction on a writer connection switched to
// AsyncCommit for it alone: the connection is held from the switch to the
// switch back (SyncCommit), so no other write commits in between. A
// connection that cannot be switched back is discarded, never reused.
func (s *Store) txAsyncConn(ctx context.Context, fn func(*sql.Tx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return unavailable(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(s.stmtContext(ctx), s.d.AsyncCommit); err != nil {
		discard(conn)
		return unavailable(err)
	}
	err = s.txOn(ctx, conn, fn)
	// The switch back runs even when ctx has ended. If it fails, the
	// transaction's outcome stands and the connection goes.
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), s.d.SyncCommit); err != nil {
		discard(conn)
	}
	return err
}

// discard closes conn's driver connection instead of returning it to its
// pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
}

// unavailable translates a database error at the store boundary. Only a
// failure that clears by itself is EUNAVAILABLE (503, worth retrying): the
// database cannot be reached or is busy, locked, full or failing to read
// or write, or the request ran out of time. Anything else (a SQL bug, a row
// that does not decode, a wrong data key) is EINTERNAL (500): retrying
// would fail the same way. An error that is already a *hookd.Error keeps
// its code.
func unavailable(err error) error {
	var he *hookd.Error
	if err == nil || errors.As(err, &he) {
		return err
	}
	if transient(err) {
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "storage unavailable", Err: err}
	}
	return &hookd.Error{Code: hookd.EINTERNAL, Message: "storage error", Err: err}
}

// transient reports whether a database error is one of unavailability.
// The drivers' error types are recognised by their methods, so this
// package depends on neither driver.
func transient(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.As(err, &ne),
		err.Error() == "sql: database is closed": // database/sql's own, unexported
		return true
	}
	var pg interface{ SQLState() string } // PostgreSQL (pgconn.PgError)
	if errors.As(err, &pg) {
		c := pg.SQLState()
		return strings.HasPrefix(c, "08") || // connection exception
			strings.HasPrefix(c, "53") || // insufficient resources (disk full, out of memory, too many connections)
			strings.HasPrefix(c, "57P0") || // admin or crash shutdown, cannot connect now
			c == "57014" || // query canceled (statement timeout)
			c == "40001" || c == "40P01" || // serialization failure, deadlock: run again
			c == "55P03" // lock not available
	}
	if code, ok := sqliteCode(err); ok {
		switch code & 0xff { // the primary result code
		case 5, 6, 7, 10, 13, 14, 15: // BUSY, LOCKED, NOMEM, IOERR, FULL, CANTOPEN, PROTOCOL
			return true
		}
	}
	var conn interface{ SafeToRetry() bool } // pgconn: failed before anything was sent
	return errors.As(err, &conn) && conn.SafeToRetry()
}

// sqliteCode reads SQLite's result code from a driver's error. Each SQLite
// driver exposes it its own way (a method, a field), so the sqlite package,
// which imports the drivers, sets it with SetSQLiteCode.
var sqliteCode = func(error) (int, bool) { return 0, false }

// SetSQLiteCode says how to read SQLite's result code from a driver's
// error. The sqlite package calls it once, when it is initialised.
func SetSQLiteCode(f func(error) (code int, ok bool)) { sqliteCode = f }

// ms converts a time to the stored Unix milliseconds.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func nullMS(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func ptrMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return hookd.ErrNotFound
	}
	return unavailable(err)
}

// cursor reads the place in its list of the row a page's ?after= names:
// the value the list is ordered by, which query selects. A cursor that
// names no row (never one, or deleted since) is refused, as the events'
// is: starting again from the first page would make a client that pages
// past a row it deleted go round for ever.
func (s *Store) cursor(ctx context.Context, what, query string, args ...any) (int64, error) {
	var at int64
	err := s.r.QueryRowContext(ctx, s.q(query), args...).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, hookd.FieldErrorf(hookd.EINVALID, "after", "exists", "after: no %s %q: give the id of the last item of the page before (its next)", what, args[len(args)-1])
	}
	return at, unavailable(err)
}

// limit is the most rows a list's query returns: p's limit, up to one
// more than a page shows (hookd.PageMax), hookd.PageDefault when it has none.
func limit(p hookd.Page) int {
	if p.Limit <= 0 {
		return hookd.PageDefault
	}
	return min(p.Limit, hookd.PageMax+1)
}

// prepare readies the statements of every authenticated request and every
// ingest (the source by its token), and the batch statements of every row
// count a batch may use where the dialect prepares them.
func (s *Store) prepare(ctx context.Context) error {
	var err error
	if s.tokenByHash, err = s.r.PrepareContext(ctx, s.q(tokenByHashSQL)); err != nil {
		return fmt.Errorf("sqlstore: prepare: %w", err)
	}
	if s.sourceByToken, err = s.r.PrepareContext(ctx, s.q(sourceByTokenSQL)); err != nil {
		return fmt.Errorf("sqlstore: prepare: %w", err)
	}
	if !s.d.Prepare {
		return nil
	}
	qs := []string{insertEventSQL}
	for n := 1; n <= s.d.RowsPerStatement; n *= 2 {
		qs = append(qs, insertDeliveriesSQL(n, s.d.EventSeq), insertAttemptsSQL(n), updateDeliveriesSQL(n), insertRequestsSQL(n, s.d.EventSeq))
		if s.d.FirstAttemptInline {
			qs = append(qs, firstAttemptsSQL(n))
		}
		if n > 1 {
			qs = append(qs, insertEventsSQL(n, false, ""))
		}
	}
	for _, q := range qs {
		st, err := s.w.PrepareContext(ctx, s.q(q))
		if err != nil {
			return fmt.Errorf("sqlstore: prepare: %w", err)
		}
		s.stmts[q] = st
	}
	return nil
}

// chunk returns how many of n rows the next batch statement carries: at
// most RowsPerStatement, and a power of two where statements are prepared.
func (s *Store) chunk(n int) int {
	n = min(n, s.d.RowsPerStatement)
	if !s.d.Prepare {
		return n
	}
	c := 1
	for c*2 <= n {
		c *= 2
	}
	return c
}

// stmt returns the batch statement query as it runs in tx, if it was
// prepared: bound to tx once, whatever the rows it runs for. (The
// statements bound to a transaction are closed when it ends; those kept
// here are dropped when the next transaction runs a batch statement.)
func (s *Store) stmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	st := s.stmts[query]
	if st == nil {
		return nil
	}
	s.bound.Lock()
	defer s.bound.Unlock()
	if s.bound.tx != tx {
		s.bound.tx = tx
		clear(s.bound.m)
	}
	if b := s.bound.m[query]; b != nil {
		return b
	}
	b := tx.StmtContext(ctx, st)
	s.bound.m[query] = b
	return b
}

// exec runs a batch statement in tx.
func (s *Store) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	_, err := s.run(ctx, tx, query, false, args)
	return err
}

// execCount is exec that returns how many rows the statement changed.
func (s *Store) execCount(ctx context.Context, tx *sql.Tx, query string, args ...any) (int64, error) {
	return s.run(ctx, tx, query, true, args)
}

// run runs a batch statement in tx; with count, it returns how many rows
// it changed.
func (s *Store) run(ctx context.Context, tx *sql.Tx, query string, count bool, args []any) (int64, error) {
	if s.d.Direct && s.stmts[query] != nil {
		if n, ok, err := s.direct.exec(ctx, tx, query, args, count, s.d.ExecAsQuery); ok {
			return n, err
		}
	}
	var res sql.Result
	var err error
	if st := s.stmt(ctx, tx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.ExecContext(ctx, s.q(query), args...)
	}
	if err != nil || !count {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs a batch statement that returns rows in tx.
func (s *Store) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.stmt(ctx, tx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, s.q(query), args...)
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return unavailable(s.w.PingContext(ctx)) }

// Close closes the pools.
func (s *Store) Close() error {
	if s.d.Direct {
		// The statements go before their connection; a connection
		// still held elsewhere is not waited for long.
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if conn, err := s.w.Conn(ctx); err == nil {
			s.direct.close(conn)
			conn.Close()
		}
		cancel()
	}
	for _, st := range s.stmts {
		st.Close()
	}
	err := s.w.Close()
	if s.r != s.w {
		if err2 := s.r.Close(); err == nil {
			err = err2
		}
	}
	return err
}

// Setting implements hookd.Store.
func (s *Store) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := s.r.QueryRowContext(ctx, s.q(`SELECT value FROM settings WHERE name = ?`), name).Scan(&v)
	return v, notFound(err)
}

// PutSetting implements hookd.Store.
func (s *Store) PutSetting(ctx context.Context, name, value string) error {
	_, err := s.w.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`), name, value)
	return unavailable(err)
}

// UseForCommits makes the group commits of one statement
// (Dialect.OneStatement) run on db instead of the writer pool: a pool whose
// sessions are set for that statement alone (PostgreSQL: its generic plan,
// see postgres.Open). Call it before the store is used; the caller closes
// db after the store.
func (s *Store) UseForCommits(db *sql.DB) { s.commits = db }

// Writer returns the pool that takes the writes (for adapter-specific
// settings such as SQLite's size cap).
func (s *Store) Writer() *sql.DB { return s.w }

// Reader returns the pool that takes the reads (the writer's on PostgreSQL).
func (s *Store) Reader() *sql.DB { return s.r }
