package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// benchStore opens a store with the driver drv on a fresh file with a
// tenant and an endpoint.
func benchStore(b testing.TB, drv string) (*sqlite.Store, *hookd.Endpoint) {
	dir := b.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		b.Fatal(err)
	}
	st, err := sqlite.OpenDriver(b.Context(), drv, filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st, benchEndpoint(b, st, "ten_b", "ep_b")
}

// benchEndpoint creates a tenant and an endpoint of it with these ids.
func benchEndpoint(b testing.TB, st *sqlite.Store, tenantID, endpointID string) *hookd.Endpoint {
	now := time.Now()
	if err := st.CreateTenant(b.Context(), &hookd.Tenant{ID: tenantID, Name: "b", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	e := &hookd.Endpoint{ID: endpointID, TenantID: tenantID, URL: "http://127.0.0.1:1/b", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(b.Context(), e); err != nil {
		b.Fatal(err)
	}
	return e
}

// publishes returns a group commit's worth of new 1 KB events with one
// delivery each, numbered from seq.
func publishes(e *hookd.Endpoint, seq, n int, owner string) *hookd.Batch {
	payload := json.RawMessage(`{"note":"` + strings.Repeat("x", 1000) + `"}`)
	now := time.Now()
	batch := &hookd.Batch{}
	for i := seq; i < seq+n; i++ {
		ev := &hookd.Event{ID: fmt.Sprintf("evt_%09d", i), TenantID: e.TenantID, Type: "bench.event", Payload: payload, CreatedAt: now}
		d := &hookd.Delivery{ID: fmt.Sprintf("dlv_%09d", i), TenantID: e.TenantID, EventID: ev.ID, EndpointID: e.ID, EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: owner}
		batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
	}
	return batch
}

// perDriver runs bench once with each driver this build holds, as
// sub-benchmarks named after the driver (BenchmarkGroupCommit/cgo).
func perDriver(b *testing.B, bench func(b *testing.B, drv string)) {
	for _, drv := range sqlite.Drivers() {
		b.Run(drv, func(b *testing.B) { bench(b, drv) })
	}
}

// BenchmarkGroupCommit measures one group commit of 100 publishes (event
// and delivery rows, one fsync'd transaction): the writer's critical path.
func BenchmarkGroupCommit(b *testing.B) { perDriver(b, groupCommit) }

func groupCommit(b *testing.B, drv string) {
	st, e := benchStore(b, drv)
	const rows = 100
	seq := 0
	var cpu cpuClock
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := publishes(e, seq, rows, "node_b")
		seq += rows
		b.StartTimer()
		cpu.start()
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
	}
	cpu.report(b)
}

// BenchmarkClaim measures claiming 100 due deliveries (with their events)
// from a backlog, as the engine does for work not handed over in memory.
func BenchmarkClaim(b *testing.B) { perDriver(b, claim) }

func claim(b *testing.B, drv string) {
	st, e := benchStore(b, drv)
	const limit = 100
	seq := 0
	var cpu cpuClock
	b.ReportAllocs()
	for b.Loop() {
		cpu.start()
		jobs, err := st.Claim(b.Context(), "node_b", time.Now().Add(time.Minute), limit, nil)
		if err != nil {
			b.Fatal(err)
		}
		cpu.stop()
		if len(jobs) == 0 {
			b.StopTimer()
			for range 100 {
				if err := st.Apply(b.Context(), publishes(e, seq, 100, "")); err != nil {
					b.Fatal(err)
				}
				seq += 100
			}
			b.StartTimer()
		}
	}
	cpu.report(b)
}

// cpuClock adds up the process's CPU time (user and system, all threads)
// over the measured calls, reported as cpu-ns/op: on a busy machine the
// wall time of an operation says more about the neighbours than about it.
type cpuClock struct{ t0, total time.Duration }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) start() { c.t0 = cpuTime() }
func (c *cpuClock) stop()  { c.total += cpuTime() - c.t0 }

func (c *cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkResults measures one commit of 100 attempt results (an attempt
// row and a delivery update each, no publish): the writer's other half.
func BenchmarkResults(b *testing.B) { perDriver(b, results) }

func results(b *testing.B, drv string) {
	st, e := benchStore(b, drv)
	const rows = 100
	seq := 0
	var cpu cpuClock
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := publishes(e, seq, rows, "node_b")
		seq += rows
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		results := resultsOf(batch)
		b.StartTimer()
		cpu.start()
		if err := st.Apply(b.Context(), results); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
	}
	cpu.report(b)
}

// BenchmarkLifecycle measures 12 publishes committed together and then
// their 12 results: the size of the engine's commits with 32 publishers
// sending one event per request (~25 rows each).
func BenchmarkLifecycle(b *testing.B) { perDriver(b, lifecycle) }

func lifecycle(b *testing.B, drv string) {
	st, e := benchStore(b, drv)
	const rows = 12
	seq := 0
	var cpu cpuClock
	b.ReportAllocs()
	for b.Loop() {
		cpu.start()
		batch := publishes(e, seq, rows, "node_b")
		seq += rows
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		if err := st.Apply(b.Context(), resultsOf(batch)); err != nil {
			b.Fatal(err)
		}
		cpu.stop()
	}
	cpu.report(b)
}

// resultsOf returns a batch of the first attempt's success for each
// delivery of the publishes of batch.
func resultsOf(batch *hookd.Batch) *hookd.Batch {
	now := time.Now()
	results := &hookd.Batch{}
	for _, p := range batch.Publishes {
		d := p.Deliveries[0]
		results.Results = append(results.Results, &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: now,
			DurationMS: 2, Status: 200, Response: "ok"}, TenantID: d.TenantID, State: hookd.StateSucceeded, FirstSentAt: now, At: now})
	}
	return results
}

// BenchmarkCommitOne measures a group commit of one publish (an event and
// its delivery): the durable acknowledgement of a lone publish, as at a
// steady 100 events/s. Its p50 and p99 are reported beside the mean; the
// fsync of the WAL is most of it (compare BenchmarkFdatasync).
func BenchmarkCommitOne(b *testing.B) { perDriver(b, commitOne) }

func commitOne(b *testing.B, drv string) {
	st, e := benchStore(b, drv)
	var took []time.Duration
	seq := 0
	for b.Loop() {
		batch := publishes(e, seq, 1, "node_b")
		seq++
		start := time.Now()
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
}

// BenchmarkFdatasync measures the disk's floor under any durable commit:
// appending 4 KiB to a file beside the database and fdatasync'ing it.
func BenchmarkFdatasync(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "sync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := f.Write(page); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	if len(took) == 0 {
		return
	}
	at := func(p int) float64 { return float64(took[(len(took)-1)*p/100].Microseconds()) }
	b.ReportMetric(at(50), "p50-µs")
	b.ReportMetric(at(99), "p99-µs")
}

// goroutinesCreated reads how many goroutines the process has started.
func goroutinesCreated() uint64 {
	s := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestStatementsOnTheCallersGoroutine: a group commit of 12 publishes and
// one of their 12 results, with a context that can end (as the engine's
// has), start a few goroutines per transaction, not one per statement
// (both drivers start one for each statement run with a context that can
// end, to interrupt it when the context ends).
func TestStatementsOnTheCallersGoroutine(t *testing.T) {
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) {
			st, e := benchStore(t, drv)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			batch := publishes(e, 0, 12, "node_b")
			before := goroutinesCreated()
			if err := st.Apply(ctx, batch); err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(ctx, resultsOf(batch)); err != nil {
				t.Fatal(err)
			}
			// 48 statements; a transaction starts one or two.
			n := goroutinesCreated() - before
			t.Logf("%d goroutines started", n)
			if n > 12 {
				t.Errorf("two group commits of 12 deliveries started %d goroutines, want a few", n)
			}
		})
	}
}

// BenchmarkCommitFrames measures the log frames (pages) one group commit
// writes, as the engine's commits are with 32 single publishers: 12
// publishes and the results of the 12 before, with ids as the engine makes
// them (UUIDv7, and the tenant's and the endpoint's as the API does).
// Checkpoints are off while it runs, so the log's growth is
// the commits'; every frame is a page written, fsync'd and later
// checkpointed. Besides frames/op it reports the frames of each B-tree (a
// table or an index) per commit, read from the log's frame headers and
// the dbstat table of a copy of the file.
func BenchmarkCommitFrames(b *testing.B) { perDriver(b, commitFrames) }

// BenchmarkCommitFramesRandomIDs is BenchmarkCommitFrames with event ids
// and idempotency keys as many publishers make them: random UUIDs. Each
// index on them takes every new entry on a page of its own.
func BenchmarkCommitFramesRandomIDs(b *testing.B) {
	perDriver(b, func(b *testing.B, drv string) { commitFramesIDs(b, drv, true) })
}

func commitFrames(b *testing.B, drv string) { commitFramesIDs(b, drv, false) }

func commitFramesIDs(b *testing.B, drv string, random bool) {
	st, _ := benchStore(b, drv)
	e := benchEndpoint(b, st, "ten_"+uuid.NewString(), "ep_"+uuid.NewString())
	ctx := b.Context()
	if _, err := st.Writer().ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		b.Fatal(err)
	}
	var pageSize int64
	if err := st.Writer().QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		b.Fatal(err)
	}
	var seqno int
	var name, path string
	if err := st.Writer().QueryRowContext(ctx, "PRAGMA database_list").Scan(&seqno, &name, &path); err != nil {
		b.Fatal(err)
	}
	wal := path + "-wal"
	size := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	var prev *hookd.Batch
	commit := func() {
		batch := publishes(e, 0, 12, "node_b")
		for _, p := range batch.Publishes {
			p.Event.ID = "evt_" + uuid.Must(uuid.NewV7()).String()
			if random {
				p.Event.ID = uuid.NewString()
				p.Event.IdempotencyKey = uuid.NewString()
			}
			d := p.Deliveries[0]
			d.ID, d.EventID = "dlv_"+uuid.Must(uuid.NewV7()).String(), p.Event.ID
		}
		if prev != nil {
			batch.Results = resultsOf(prev).Results
		}
		if err := st.Apply(ctx, batch); err != nil {
			b.Fatal(err)
		}
		prev = batch
	}
	for range 20 { // past the first pages of every table and index
		commit()
	}
	start := size()
	var cpu cpuClock
	for b.Loop() {
		cpu.start()
		commit()
		cpu.stop()
	}
	b.ReportMetric(float64(size()-start)/float64(pageSize+24)/float64(b.N), "frames/op")
	cpu.report(b)
	for tree, n := range framesByTree(b, path, start) {
		b.ReportMetric(float64(n)/float64(b.N), tree+"-frames/op")
	}
}

// framesByTree counts the frames of the log of the database at path from
// offset on, by the B-tree their page belongs to: it reads each frame's
// page number from its header, and which B-tree holds each page from the
// dbstat table (modernc.org/sqlite has it) of a copy of the file and log.
func framesByTree(b *testing.B, path string, offset int64) map[string]int {
	log, err := os.ReadFile(path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for name, body := range map[string][]byte{"copy.db": data, "copy.db-wal": log} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "copy.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name, pageno FROM dbstat")
	if err != nil {
		b.Fatal(err)
	}
	tree := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			b.Fatal(err)
		}
		tree[page] = name
	}
	rows.Close()
	// The log: a 32-byte header, then frames of a 24-byte header (the
	// page number first, the header's salts at 8-16) and the page.
	pageSize := int64(binary.BigEndian.Uint32(log[8:12]))
	counts := map[string]int{}
	for off := offset; off+24+pageSize <= int64(len(log)); off += 24 + pageSize {
		if !bytes.Equal(log[off+8:off+16], log[16:24]) {
			break // a frame of an earlier generation of the log
		}
		page := binary.BigEndian.Uint32(log[off : off+4])
		name := tree[page]
		if name == "" {
			name = "free"
		}
		counts[name]++
	}
	return counts
}
