package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// direct runs the prepared batch statements of a group commit on the
// transaction's driver connection itself (Dialect.Direct): SQLite runs
// them one row at a time, three or four rows per delivery, and
// database/sql's machinery for each (the statement's connection looked
// up and locked, the arguments converted into a new slice, the result
// wrapped) cost more than the driver's own work. The transaction is still
// database/sql's, begun and committed as before, on a connection held
// for it (sql.Conn), whose driver connection Raw lends between the
// transaction's own calls.
//
// With Dialect.ExecAsQuery a statement whose count of changed rows is not
// wanted runs as a query, read to its end: mattn/go-sqlite3 binds a
// query's arguments and takes its first step in one cgo call, and an
// exec's in one call per argument and one for the step.
type direct struct {
	mu    sync.Mutex
	tx    *sql.Tx   // the transaction whose statements run here (nil: none)
	conn  *sql.Conn // the connection tx was begun on
	dc    any       // the driver connection stmts were prepared on
	stmts map[string]driver.Stmt
	args  []driver.NamedValue // reused for every row
	ran   atomic.Int64        // statements run here
}

// begin makes tx's prepared batch statements run on conn's driver
// connection until end.
func (d *direct) begin(tx *sql.Tx, conn *sql.Conn) {
	d.mu.Lock()
	d.tx, d.conn = tx, conn
	d.mu.Unlock()
}

func (d *direct) end(tx *sql.Tx) {
	d.mu.Lock()
	if d.tx == tx {
		d.tx, d.conn = nil, nil
	}
	d.mu.Unlock()
}

// exec runs query, a prepared batch statement, with args in tx if tx is
// the transaction begun with begin and every argument is one the driver
// takes as it is (ok false: run it the usual way). With count it returns
// how many rows the statement changed.
func (d *direct) exec(ctx context.Context, tx *sql.Tx, query string, args []any, count, asQuery bool) (n int64, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.tx == nil || d.tx != tx {
		return 0, false, nil
	}
	nv := d.args[:0]
	for i, a := range args {
		v, ok := driverValue(a)
		if !ok {
			return 0, false, nil
		}
		nv = append(nv, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	d.args = nv
	defer clear(nv) // hold no payload past the statement
	d.ran.Add(1)
	err = d.conn.Raw(func(dc any) error {
		st, err := d.prepared(ctx, dc, query)
		if err != nil {
			return err
		}
		if !count && asQuery {
			return runQuery(ctx, st, nv)
		}
		ex, ok := st.(driver.StmtExecContext)
		if !ok {
			return errors.New("sqlstore: the driver's statement cannot execute with a context")
		}
		res, err := ex.ExecContext(ctx, nv)
		if err != nil {
			return err
		}
		if count {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, true, err
}

// prepared returns query prepared on the driver connection dc; statements
// prepared on an earlier connection (one discarded since) are dropped
// (the driver finalizes them).
func (d *direct) prepared(ctx context.Context, dc any, query string) (driver.Stmt, error) {
	if dc != d.dc {
		d.dc, d.stmts = dc, map[string]driver.Stmt{}
	}
	if st := d.stmts[query]; st != nil {
		return st, nil
	}
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, errors.New("sqlstore: the driver's connection cannot prepare with a context")
	}
	st, err := pc.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	d.stmts[query] = st
	return st, nil
}

// runQuery runs st as a query and reads it to its end.
func runQuery(ctx context.Context, st driver.Stmt, nv []driver.NamedValue) error {
	qc, ok := st.(driver.StmtQueryContext)
	if !ok {
		return errors.New("sqlstore: the driver's statement cannot query with a context")
	}
	rows, err := qc.QueryContext(ctx, nv)
	if err != nil {
		return err
	}
	var dest []driver.Value
	if n := len(rows.Columns()); n > 0 {
		dest = make([]driver.Value, n)
	}
	for err == nil {
		err = rows.Next(dest)
	}
	if cerr := rows.Close(); err == io.EOF {
		err = cerr
	}
	return err
}

// DirectStatements returns how many batch statements ran on their
// transaction's driver connection directly (Dialect.Direct).
func (s *Store) DirectStatements() int64 { return s.direct.ran.Load() }

// close closes the statements, if conn's driver connection is theirs.
func (d *direct) close(conn *sql.Conn) {
	d.mu.Lock()
	defer d.mu.Unlock()
	conn.Raw(func(dc any) error {
		if dc == d.dc {
			for _, st := range d.stmts {
				st.Close()
			}
			d.dc, d.stmts = nil, nil
		}
		return nil
	})
}

// driverValue returns a as the driver takes it, as database/sql's default
// conversion would make it for the types the batch statements bind;
// false for any other type (the statement then goes through
// database/sql).
func driverValue(a any) (driver.Value, bool) {
	switch v := a.(type) {
	case nil, string, int64, []byte, bool, float64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	}
	return nil, false
}
