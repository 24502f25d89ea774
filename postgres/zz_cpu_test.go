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

func backendTicks(t *testing.T, schema string) int64 {
	rows, err := admin(t).Query(t.Context(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var sum int64
	for rows.Next() {
		var pid int
		rows.Scan(&pid)
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b)[strings.LastIndex(string(b), ")")+2:])
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		sum += u + s
	}
	return sum
}

func TestZZCPU(t *testing.T) {
	for _, mode := range []string{"pubs", "pubs-async", "pubs", "pubs-async"} {
		for _, rows := range []int{1, 6, 18} {
			extra := ""
			if mode == "pubs-async" {
				extra = "&synchronous_commit=off"
			}
			u, schema := freshSchema(t)
			st, err := postgres.Open(t.Context(), u+extra, testKey(t))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			st.CreateTenant(t.Context(), &hookd.Tenant{ID: "ten_b", Name: "b", CreatedAt: now, UpdatedAt: now})
			e := &hookd.Endpoint{ID: "ep_b", TenantID: "ten_b", URL: "http://127.0.0.1:1/b", Profile: "standard", EventTypes: []string{"*"},
				Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
			st.CreateEndpoint(t.Context(), e)
			b := &testing.B{}
			_ = b
			a := backendTicks(t, schema)
			const commits = 600
			for i := 0; i < commits; i++ {
				batch := publishesT(t, st, e, i*rows, rows)
				if mode == "pubs-nover" {
					batch.CheckVersion = false
				}
				if mode == "res" {
					if err := st.Apply(t.Context(), batch); err != nil {
						t.Fatal(err)
					}
					batch = resultsT(i*rows, rows)
				}
				if mode == "both" && i > 0 {
					batch.Results = resultsT((i-1)*rows, rows).Results
				}
				if mode == "res" {
					a0 := backendTicks(t, schema)
					if err := st.Apply(t.Context(), batch); err != nil {
						t.Fatal(err)
					}
					a += backendTicks(t, schema) - a0
					continue
				}
				if err := st.Apply(t.Context(), batch); err != nil {
					t.Fatal(err)
				}
			}
			if mode == "res" {
				t.Logf("mode=%s rows=%d: %.0f µs server CPU per commit", mode, rows, float64(a)*10000/commits)
				st.Close()
				continue
			}
			z := backendTicks(t, schema)
			t.Logf("mode=%s rows=%d: %.0f µs server CPU per commit", mode, rows, float64(z-a)*10000/commits)
			st.Close()
		}
	}
}
func publishesT(b *testing.T, st *postgres.Store, e *hookd.Endpoint, seq, n int) *hookd.Batch {
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
func resultsT(seq, n int) *hookd.Batch {
	now := time.Now()
	batch := &hookd.Batch{}
	for i := seq; i < seq+n; i++ {
		batch.Results = append(batch.Results, &hookd.Result{TenantID: "ten_b", State: hookd.StateSucceeded, FirstSentAt: now, At: now,
			Attempt: &hookd.Attempt{DeliveryID: fmt.Sprintf("dlv_%09d", i), N: 1, At: now, DurationMS: 1, Status: 200, Response: "ok"}})
	}
	return batch
}
