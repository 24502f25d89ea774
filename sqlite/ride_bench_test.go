package sqlite_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// BenchmarkResultsRide measures the store's CPU per delivery of events
// published to 10 endpoints, 7 publishes (70 deliveries) a round with the
// results of the last round's deliveries: "split" commits a quarter of the
// results with the publishes and the rest in 3 commits of their own (as
// the writer did on main), "ride" all of them with the publishes (results
// waiting for a publish's commit).
func BenchmarkResultsRide(b *testing.B) {
	for _, mode := range []string{"split", "ride"} {
		b.Run(mode, func(b *testing.B) {
			st, _ := benchStore(b, "cgo")
			ten := "ten_" + uuid.NewString()
			eps := []*hookd.Endpoint{benchEndpoint(b, st, ten, "ep_"+uuid.NewString())}
			for range 9 {
				e := *eps[0]
				e.ID = "ep_" + uuid.NewString()
				if err := st.CreateEndpoint(b.Context(), &e); err != nil {
					b.Fatal(err)
				}
				eps = append(eps, &e)
			}
			payload := json.RawMessage(`{"note":"` + strings.Repeat("x", 1000) + `"}`)
			pubs := func(n int) *hookd.Batch {
				now := time.Now()
				batch := &hookd.Batch{}
				for range n {
					ev := &hookd.Event{ID: "evt_" + uuid.Must(uuid.NewV7()).String(), TenantID: ten, Type: "bench.event", Payload: payload, CreatedAt: now}
					p := &hookd.Publish{Event: ev}
					for _, e := range eps {
						p.Deliveries = append(p.Deliveries, &hookd.Delivery{ID: "dlv_" + uuid.Must(uuid.NewV7()).String(), TenantID: ten,
							EventID: ev.ID, EndpointID: e.ID, EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &now,
							CreatedAt: now, UpdatedAt: now, Owner: "node_b"})
					}
					batch.Publishes = append(batch.Publishes, p)
				}
				return batch
			}
			var prev *hookd.Batch
			round := func() {
				batch := pubs(7)
				var rs []*hookd.Result
				if prev != nil {
					for _, p := range prev.Publishes {
						rs = append(rs, resultsOf(&hookd.Batch{Publishes: []*hookd.Publish{{Event: p.Event, Deliveries: p.Deliveries[:1]}}}).Results...)
						for _, d := range p.Deliveries[1:] {
							r := *rs[len(rs)-1]
							a := *r.Attempt
							a.DeliveryID = d.ID
							r.Attempt = &a
							rs = append(rs, &r)
						}
					}
				}
				commits := []*hookd.Batch{batch}
				if mode == "ride" {
					batch.Results = rs
				} else {
					k := len(rs) / 4
					batch.Results, rs = rs[:k], rs[k:]
					for i := range 3 {
						n := len(rs) / (3 - i)
						commits = append(commits, &hookd.Batch{Results: rs[:n]})
						rs = rs[n:]
					}
				}
				for _, c := range commits {
					if len(c.Publishes)+len(c.Results) == 0 {
						continue
					}
					if err := st.Apply(b.Context(), c); err != nil {
						b.Fatal(err)
					}
				}
				prev = batch
			}
			for range 30 {
				round()
			}
			var cpu cpuClock
			for b.Loop() {
				cpu.start()
				round()
				cpu.stop()
			}
			b.ReportMetric(float64(cpu.total.Nanoseconds())/float64(b.N)/70, "cpu-ns/delivery")
		})
	}
}
