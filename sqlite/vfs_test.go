//go:build cgo && linux

package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// writeCalls reads how many write system calls (write, pwrite and the
// like) the process has made, from /proc/self/io.
func writeCalls(t *testing.T) int64 {
	t.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "syscw: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no syscw in /proc/self/io")
	return 0
}

// wrappedLog opens a store with the C driver, writes enough through its
// writer connection that the log (WAL) is checkpointed and begins again
// from its start, and returns the store and its writer's one connection:
// from there on, commits write over the log's earlier frames, the case the
// "hookd" VFS writes in runs.
func wrappedLog(t *testing.T) (*sqlite.Store, *sql.Conn, string) {
	t.Helper()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "hookd.db.key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	st, err := sqlite.OpenDriver(t.Context(), sqlite.CGo, path, key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	w, err := st.Writer().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	for _, q := range []string{
		`PRAGMA wal_autocheckpoint = 0`, // checkpoints only when this test asks
		`CREATE TABLE scratch (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, body BLOB NOT NULL)`,
		`CREATE INDEX scratch_n ON scratch (n)`,
	} {
		if _, err := w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	insertRows(t, w, 0, 400)
	var busy, logged, moved int
	if err := w.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &moved); err != nil {
		t.Fatal(err)
	}
	if busy != 0 || logged != moved || logged < 400 {
		t.Fatalf("checkpoint: busy %d, %d frames in the log, %d moved; want all of at least 400 moved", busy, logged, moved)
	}
	return st, w, path
}

// insertRows inserts rows [from, to) of ~3 KB each in one transaction.
func insertRows(t *testing.T, w *sql.Conn, from, to int) {
	t.Helper()
	ctx := t.Context()
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	body := []byte(strings.Repeat("x", 3000))
	for i := from; i < to; i++ {
		body[0] = byte(i)
		if _, err := tx.ExecContext(ctx, `INSERT INTO scratch (id, n, body) VALUES (?, ?, ?)`, i, i%7, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// TestLogWrittenInRuns: a commit of ~60 pages over an earlier part of the
// log makes a handful of write calls (runs of up to 128 KiB), where the
// unix VFS makes two per page (the frame's header, then the page).
func TestLogWrittenInRuns(t *testing.T) {
	_, w, _ := wrappedLog(t)
	before := writeCalls(t)
	insertRows(t, w, 1000, 1060) // 60 rows of ~3 KB: 60 table pages and the index's
	calls := writeCalls(t) - before
	// 60+ frames of 4,120 bytes: two runs of 128 KiB, to be generous 10
	// calls; two per frame would be at least 120.
	if calls > 10 {
		t.Fatalf("a 60-page commit made %d write calls; want at most 10 (the log written in runs)", calls)
	}
	integrityOK(t, w)
}

// integrityOK runs SQLite's integrity check on a connection.
func integrityOK(t *testing.T, c interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) {
	t.Helper()
	var ok string
	if err := c.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check = %q, %v", ok, err)
	}
}

// TestReadersSeeUnsyncedCommits: a commit made without an fsync (the
// writer's synchronous=NORMAL, as for attempt results alone) is read
// whole at once by another connection, which reads the log's frames from
// the file: the runs the commit held back are written before any other
// connection can learn of its frames.
func TestReadersSeeUnsyncedCommits(t *testing.T) {
	st, w, _ := wrappedLog(t)
	ctx := t.Context()
	if _, err := w.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		t.Fatal(err)
	}
	r, err := st.Reader().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := 400
	for round := range 40 {
		from := 10000 + round*20
		insertRows(t, w, from, from+20)
		want += 20
		var n, bytes int
		if err := r.QueryRowContext(ctx, `SELECT count(*), sum(length(body)) FROM scratch`).Scan(&n, &bytes); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if n != want || bytes != want*3000 {
			t.Fatalf("round %d: the reader sees %d rows of %d bytes; want %d of %d", round, n, bytes, want, want*3000)
		}
		var last []byte
		if err := r.QueryRowContext(ctx, `SELECT substr(body, 1, 1) FROM scratch WHERE id = ?`, from+19).Scan(&last); err != nil {
			t.Fatalf("round %d: the last row: %v", round, err)
		}
		if len(last) != 1 || last[0] != byte(from+19) {
			t.Fatalf("round %d: the last row begins with %v; want %d", round, last, byte(from+19))
		}
	}
	integrityOK(t, w)
	integrityOK(t, r)
}

// TestUnsyncedCommitsSurviveClose: commits made without an fsync and
// checkpoints into the database file (written in runs too) leave a file
// that opens with every row, once the store is closed.
func TestUnsyncedCommitsSurviveClose(t *testing.T) {
	st, w, path := wrappedLog(t)
	ctx := context.Background()
	if _, err := w.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		t.Fatal(err)
	}
	for round := range 10 {
		insertRows(t, w, 20000+round*50, 20000+round*50+50)
		if _, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM scratch`).Scan(&n); err != nil || n != 900 {
		t.Fatalf("after reopening: %d rows, %v; want 900", n, err)
	}
	integrityOK(t, db)
}

// TestKilledMidCommit: a process that commits rows through the VFS, the
// log wrapped (so its frames are held back in runs), is killed with
// SIGKILL at moments spread over its run, again and again on the same
// file; each time the file opens whole, with at least every row whose
// commit (fsync'd, synchronous=FULL) returned before the kill.
func TestKilledMidCommit(t *testing.T) {
	if os.Getenv("HOOKD_VFS_CHILD") != "" {
		vfsChild(t, os.Getenv("HOOKD_VFS_CHILD"))
		return
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	committed := 0
	for round := range 6 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledMidCommit$", "-test.v")
		cmd.Env = append(os.Environ(), "HOOKD_VFS_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The child prints "committed N" after each commit returns; it is
		// killed after a number of them that differs by round, in the
		// middle of whatever it is doing then.
		sc := bufio.NewScanner(out)
		last, seen := committed, 0
		for sc.Scan() {
			n, ok := strings.CutPrefix(sc.Text(), "committed ")
			if !ok {
				continue
			}
			v, err := strconv.Atoi(n)
			if err != nil {
				t.Fatal(err)
			}
			last, seen = v, seen+1
			if seen == 40+round*37 {
				cmd.Process.Kill()
				break
			}
		}
		cmd.Wait()
		if seen == 0 {
			t.Fatalf("round %d: the child committed nothing", round)
		}
		committed = last
		db, err := sql.Open("sqlite3", "file:"+path+"?vfs=hookd")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM scratch`).Scan(&n); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		integrityOK(t, db)
		db.Close()
		if n < committed {
			t.Fatalf("round %d: %d rows after the kill; %d were committed before it", round, n, committed)
		}
		committed = n
	}
}

// vfsChild is TestKilledMidCommit's child: it opens the file (creating
// the table and wrapping the log the first time), then commits rows of
// ~3 KB in transactions of 1 to 40, alternating synchronous FULL and
// NORMAL as the store's writer does, and after each FULL commit prints how
// many rows the table holds, until it is killed.
func vfsChild(t *testing.T, path string) {
	key, err := seal.LoadOrCreate(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.OpenDriver(t.Context(), sqlite.CGo, path, key)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	w, err := st.Writer().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, body BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := w.QueryRowContext(ctx, `SELECT count(*) FROM scratch`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		insertRows(t, w, 0, 400) // wrap the log: later commits write over it
		if _, err := w.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			t.Fatal(err)
		}
		n = 400
	}
	for i := 0; ; i++ {
		sync := "FULL"
		if i%2 == 1 {
			sync = "NORMAL"
		}
		if _, err := w.ExecContext(ctx, `PRAGMA synchronous = `+sync); err != nil {
			t.Fatal(err)
		}
		k := 1 + (i*7)%40
		insertRows(t, w, 1_000_000+n, 1_000_000+n+k)
		n += k
		if sync == "FULL" {
			fmt.Printf("committed %d\n", n)
		}
	}
}

// TestVFSWithoutLocks: a file opened through the VFS without locking
// (nolock=1: the unix VFS's methods without shared memory) is passed
// through as what it is: SQLite answers the switch to the log (WAL) as it
// does on the unix VFS (no shared memory: the log only in exclusive
// locking mode), and rows written either way read back.
func TestVFSWithoutLocks(t *testing.T) {
	ctx := t.Context()
	mode := func(vfs string, exclusive bool) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "nolock.db")
		db, err := sql.Open("sqlite3", "file:"+path+"?nolock=1"+vfs)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.SetMaxOpenConns(1)
		if exclusive {
			if _, err := db.ExecContext(ctx, `PRAGMA locking_mode = EXCLUSIVE`); err != nil {
				t.Fatal(err)
			}
		}
		var m string
		if err := db.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&m); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)`, `INSERT INTO t (v) VALUES ('a'), ('b')`} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM t`).Scan(&n); err != nil || n != 2 {
			t.Fatalf("count = %d, %v; want 2", n, err)
		}
		integrityOK(t, db)
		return m
	}
	for _, exclusive := range []bool{false, true} {
		if unix, hookd := mode("", exclusive), mode("&vfs=hookd", exclusive); unix != hookd {
			t.Errorf("exclusive %v: journal_mode = WAL answers %q through the VFS, %q through unix", exclusive, hookd, unix)
		}
	}
}
