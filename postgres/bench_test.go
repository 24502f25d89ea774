package postgres_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/postgres"
)

// benchStore opens a store in a fresh schema with a tenant and an endpoint.
func benchStore(b *testing.B) (*postgres.Store, *hookd.Endpoint) {
	u, _ := freshSchema(b)
	return benchStoreOn(b, open(b, u, testKey(b)))
}

// benchStoreOn gives st the bench's tenant and endpoint.
func benchStoreOn(b *testing.B, st *postgres.Store) (*postgres.Store, *hookd.Endpoint) {
	now := time.Now()
	if err := st.CreateTenant(b.Context(), &hookd.Tenant{ID: "ten_b", Name: "b", CreatedAt: now, UpdatedAt: now}); err != nil {
		b.Fatal(err)
	}
	e := &hookd.Endpoint{ID: "ep_b", TenantID: "ten_b", URL: "http://127.0.0.1:1/b", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(b.Context(), e); err != nil {
		b.Fatal(err)
	}
	return st, e
}

// publishes returns a group commit's worth of new 1 KB events with one
// delivery each (held by a node, as the fast path hands them over),
// numbered from seq, checked against the store's endpoints version as a
// node of a cluster checks them.
func publishes(b *testing.B, st *postgres.Store, e *hookd.Endpoint, seq, n int) *hookd.Batch {
	v, err := st.EndpointsVersion(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	payload := json.RawMessage(`{"note":"` + strings.Repeat("x", 1000) + `"}`)
	now := time.Now()
	batch := &hookd.Batch{CheckVersion: true, EndpointsVersion: v}
	for i := seq; i < seq+n; i++ {
		ev := &hookd.Event{ID: fmt.Sprintf("evt_%09d", i), TenantID: e.TenantID, Type: "bench.event", Payload: payload, CreatedAt: now}
		d := &hookd.Delivery{ID: fmt.Sprintf("dlv_%09d", i), TenantID: e.TenantID, EventID: ev.ID, EndpointID: e.ID, EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node_b"}
		batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
	}
	return batch
}

// results returns the successful first attempts of the deliveries of
// publishes(seq, n).
func results(seq, n int) *hookd.Batch {
	now := time.Now()
	batch := &hookd.Batch{}
	for i := seq; i < seq+n; i++ {
		batch.Results = append(batch.Results, &hookd.Result{TenantID: "ten_b", State: hookd.StateSucceeded, FirstSentAt: now, At: now,
			Attempt: &hookd.Attempt{DeliveryID: fmt.Sprintf("dlv_%09d", i), N: 1, At: now, DurationMS: 1, Status: 200, Response: "ok"}})
	}
	return batch
}

// The group commits the writer makes under the external bench's load (32
// publishers, one event per request): publishes of 16 events with a
// delivery each, acknowledged once fsync'd, and the results of 16 attempts.
const benchRows = 16

// BenchmarkGroupCommit measures one group commit of 16 publishes: the
// writer's critical path, a publisher's wait.
func BenchmarkGroupCommit(b *testing.B) {
	st, e := benchStore(b)
	seq := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		batch := publishes(b, st, e, seq, benchRows)
		seq += benchRows
		b.StartTimer()
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResults measures one commit of 16 attempt results (attempt rows
// and delivery updates, not waiting for the disk).
func BenchmarkResults(b *testing.B) {
	st, e := benchStore(b)
	seq := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if err := st.Apply(b.Context(), publishes(b, st, e, seq, benchRows)); err != nil {
			b.Fatal(err)
		}
		batch := results(seq, benchRows)
		seq += benchRows
		b.StartTimer()
		if err := st.Apply(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerCPU reports the PostgreSQL server's CPU per group commit
// of publishes (1 KB, one delivery each; fsync'd), for 1, 6 and 18
// publishes a commit: the /proc times of the store's own sessions, found in
// pg_stat_activity by the application_name freshSchema gives them (so other
// work on the server does not count). Linux only; use -benchtime 600x or
// more, the clock ticks are 10 ms.
func BenchmarkServerCPU(b *testing.B) {
	for _, rows := range []int{1, 6, 18} {
		b.Run(fmt.Sprint(rows), func(b *testing.B) {
			u, schema := freshSchema(b)
			st := open(b, u, testKey(b))
			_, e := benchStoreOn(b, st)
			seq := 0
			batch := func() *hookd.Batch {
				bt := publishes(b, st, e, seq, rows)
				seq += rows
				return bt
			}
			if err := st.Apply(b.Context(), batch()); err != nil { // the sessions exist
				b.Fatal(err)
			}
			start := serverTicks(b, schema)
			for b.Loop() {
				b.StopTimer()
				bt := batch()
				b.StartTimer()
				if err := st.Apply(b.Context(), bt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(serverTicks(b, schema)-start)*1e4/float64(b.N), "server-µs/commit")
		})
	}
}

// serverTicks sums the CPU clock ticks of the server processes serving the
// sessions named application_name.
func serverTicks(b *testing.B, name string) int64 {
	rows, err := admin(b).Query(b.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, name)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var sum int64
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			b.Skipf("the server's /proc is not readable here: %v", err)
		}
		s := string(stat)
		f := strings.Fields(s[strings.LastIndex(s, ")")+2:]) // fields from the 3rd on
		user, _ := strconv.ParseInt(f[11], 10, 64)
		sys, _ := strconv.ParseInt(f[12], 10, 64)
		sum += user + sys
	}
	return sum
}

// BenchmarkServerCPUMixed reports the PostgreSQL server's CPU per delivery
// in the group commits a node makes under the external bench's load: each
// commit holds n new publishes (1 KB, one delivery each, fsync'd) and the
// successful first attempts of the previous commit's n deliveries, for n =
// 4 (a node of three on the bench's machine) and 15 (one node). The
// statement is run a few times first with batches of other sizes, as a
// node's first commits are. Linux only; use -benchtime 1000x or more.
func BenchmarkServerCPUMixed(b *testing.B) {
	for _, rows := range []int{4, 15} {
		b.Run(fmt.Sprint(rows), func(b *testing.B) {
			u, schema := freshSchema(b)
			st := open(b, u, testKey(b))
			_, e := benchStoreOn(b, st)
			seq, prev := 0, 0
			batch := func(n int) *hookd.Batch {
				bt := publishes(b, st, e, seq, n)
				bt.Results = results(prev, seq-prev).Results
				prev, seq = seq, seq+n
				return bt
			}
			for _, n := range []int{1, 2, 1, 3, 1, 2, 1, 1, rows, rows} { // warm-up, as a node starts
				if err := st.Apply(b.Context(), batch(n)); err != nil {
					b.Fatal(err)
				}
			}
			start, n := serverTicks(b, schema), 0
			for b.Loop() {
				b.StopTimer()
				bt := batch(rows)
				n += rows
				b.StartTimer()
				if err := st.Apply(b.Context(), bt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(serverTicks(b, schema)-start)*1e4/float64(n), "server-µs/delivery")
		})
	}
}
