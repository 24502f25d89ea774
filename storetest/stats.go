package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// attempt records attempt n of d at at, taking dur, leaving it in state.
func (f *fixture) attempt(d *hookd.Delivery, n int, at time.Time, dur int64, status int, state string) {
	f.Helper()
	r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: n, At: at, DurationMS: dur, Status: status},
		TenantID: d.TenantID, State: state, FirstSentAt: at, At: at}
	if state == hookd.StatePending {
		r.NextAttemptAt = at.Add(time.Hour)
	}
	f.apply(&hookd.Batch{Results: []*hookd.Result{r}})
}

func testEndpointStats(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	e := f.endpoint("ten_a")
	other := f.endpoint("ten_a")
	foreign := f.endpoint("ten_b")
	_, d1 := f.send("ten_a", t0, "", e.ID, other.ID)
	_, d2 := f.send("ten_a", t0, "", e.ID)
	_, d3 := f.send("ten_a", t0, "", e.ID)
	_, d4 := f.send("ten_a", t0.Add(-time.Hour), "", e.ID)
	_, d5 := f.send("ten_b", t0, "", foreign.ID)

	f.attempt(d1[0], 1, t0.Add(time.Minute), 100, 200, hookd.StateSucceeded)
	f.attempt(d1[1], 1, t0.Add(time.Minute), 7, 200, hookd.StateSucceeded) // another endpoint
	f.attempt(d2[0], 1, t0.Add(2*time.Minute), 300, 500, hookd.StatePending)
	f.attempt(d2[0], 2, t0.Add(65*time.Minute), 50, 200, hookd.StateSucceeded)
	f.attempt(d3[0], 1, t0.Add(70*time.Minute), 1000, 0, hookd.StateFailed)
	f.attempt(d4[0], 1, t0.Add(-time.Millisecond), 9, 500, hookd.StatePending) // before the window
	f.attempt(d4[0], 2, t0.Add(2*time.Hour), 9, 500, hookd.StateFailed)        // at its end: outside
	f.attempt(d5[0], 1, t0.Add(time.Minute), 5, 200, hookd.StateSucceeded)     // another tenant

	q := hookd.StatsQuery{Since: t0, Until: t0.Add(2 * time.Hour), Interval: time.Hour}
	q0 := q
	st, err := f.s.EndpointStats(f.ctx, "ten_a", e.ID, q)
	f.ok(err, "EndpointStats")
	want := hookd.Stats{
		Buckets: []hookd.StatsBucket{
			{Start: t0, StatsTotals: hookd.StatsTotals{Succeeded: 1, Attempts: 2, P50MS: 100, P99MS: 300}},
			{Start: t0.Add(time.Hour), StatsTotals: hookd.StatsTotals{Succeeded: 1, Failed: 1, Attempts: 2, P50MS: 50, P99MS: 1000}},
		},
		Totals: hookd.StatsTotals{Succeeded: 2, Failed: 1, Attempts: 4, P50MS: 100, P99MS: 1000},
	}
	if len(st.Buckets) != len(want.Buckets) {
		f.Fatalf("EndpointStats: %d buckets, want %d: %+v", len(st.Buckets), len(want.Buckets), st.Buckets)
	}
	for i, b := range st.Buckets {
		if !b.Start.Equal(want.Buckets[i].Start) || b.StatsTotals != want.Buckets[i].StatsTotals {
			f.Errorf("bucket %d\n got %+v\nwant %+v", i, b, want.Buckets[i])
		}
	}
	if st.Totals != want.Totals {
		f.Errorf("totals\n got %+v\nwant %+v", st.Totals, want.Totals)
	}

	// A window not a whole number of intervals ends with a short bucket;
	// an empty window of another tenant's endpoint id counts nothing.
	q = hookd.StatsQuery{Since: t0.Add(30 * time.Minute), Until: t0.Add(2 * time.Hour), Interval: time.Hour}
	st, err = f.s.EndpointStats(f.ctx, "ten_a", e.ID, q)
	f.ok(err, "EndpointStats of a window cut short")
	if len(st.Buckets) != 2 || st.Totals.Attempts != 2 || st.Buckets[0].Attempts != 2 || st.Buckets[1].Attempts != 0 {
		f.Errorf("window from t0+30m: %+v, want 2 attempts, both in the first bucket", st)
	}
	st, err = f.s.EndpointStats(f.ctx, "ten_b", e.ID, hookd.StatsQuery{Since: t0, Until: t0.Add(2 * time.Hour), Interval: time.Hour})
	f.ok(err, "EndpointStats under another tenant")
	if st.Totals != (hookd.StatsTotals{}) {
		f.Errorf("another tenant's view of the endpoint counts %+v, want nothing", st.Totals)
	}

	// The whole store's (no tenant, no endpoint): every endpoint's and
	// tenant's attempts in the window, and one that names no endpoint
	// (its delivery was gone when it was recorded): an attempt, but no
	// delivery that succeeded.
	f.apply(&hookd.Batch{Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: "dlv_gone", N: 1, At: t0.Add(3 * time.Minute),
		DurationMS: 20, Status: 200}, TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: t0, At: t0}}})
	st, err = f.s.EndpointStats(f.ctx, "", "", q0)
	f.ok(err, "EndpointStats of the whole store")
	if want := (hookd.StatsTotals{Succeeded: 4, Failed: 1, Attempts: 7, P50MS: 50, P99MS: 1000}); st.Totals != want {
		f.Errorf("the whole store's totals\n got %+v\nwant %+v", st.Totals, want)
	}
	if len(st.Buckets) != 2 || st.Buckets[0].Attempts != 5 || st.Buckets[1].Attempts != 2 {
		f.Errorf("the whole store's buckets: %+v, want 5 attempts in the first hour and 2 in the second", st.Buckets)
	}
}
