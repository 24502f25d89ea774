package control_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestEndpointStats: the stats of an endpoint count the deliveries the
// engine made to a real receiver; bad windows are refused naming the
// parameter, and another tenant's endpoint is not found.
func TestEndpointStats(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rcv.Close()
	for _, id := range []string{"acme", "other"} {
		if err := b.svc.CreateTenant(ctx, &hookd.Tenant{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	}
	url, types := rcv.URL+"/hook", []string{"*"}
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: &url, EventTypes: &types}, "")
	if err != nil {
		t.Fatal(err)
	}
	const sent = 3
	for range sent {
		if _, err := b.svc.TestEndpoint(ctx, "acme", e.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	// The engine stamps attempts with the system clock.
	q := hookd.StatsQuery{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour), Interval: time.Hour}
	var st *hookd.Stats
	for deadline := time.Now().Add(30 * time.Second); ; {
		if st, err = b.svc.EndpointStats(ctx, "acme", e.ID, q); err != nil {
			t.Fatal(err)
		}
		if st.Totals.Succeeded == sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st.Totals.Succeeded != sent || st.Totals.Attempts != sent || st.Totals.Failed != 0 || len(st.Buckets) != 2 {
		t.Fatalf("stats after %d deliveries: %+v", sent, st)
	}
	if st.Buckets[0].Attempts+st.Buckets[1].Attempts != sent {
		t.Errorf("buckets count %d and %d attempts, want %d in all", st.Buckets[0].Attempts, st.Buckets[1].Attempts, sent)
	}

	_, err = b.svc.EndpointStats(ctx, "other", e.ID, q)
	code(t, err, hookd.ENOTFOUND)
	now := b.clock.Now()
	for _, tc := range []struct {
		q    hookd.StatsQuery
		path string
	}{
		{hookd.StatsQuery{Since: now, Until: now.Add(-time.Hour)}, "since"},
		{hookd.StatsQuery{Since: now.Add(-91 * 24 * time.Hour), Until: now}, "since"},
		{hookd.StatsQuery{Interval: time.Second}, "interval"},
		{hookd.StatsQuery{Since: now.Add(-30 * 24 * time.Hour), Until: now, Interval: time.Minute}, "interval"},
	} {
		_, err := b.svc.EndpointStats(ctx, "acme", e.ID, tc.q)
		code(t, err, hookd.EINVALID)
		if he := err.(*hookd.Error); len(he.Details) != 1 || he.Details[0].Path != tc.path {
			t.Errorf("query %+v: details %+v, want one about %s", tc.q, he.Details, tc.path)
		}
	}
}

// TestEndpointStatsWideInterval: an interval wider than the window makes
// one bucket, however wide: the count of buckets does not overflow into
// none, or into a negative one that the store cannot make.
func TestEndpointStatsWideInterval(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	if err := b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	url, types := "http://127.0.0.1:1/hook", []string{"*"}
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: &url, EventTypes: &types}, "")
	if err != nil {
		t.Fatal(err)
	}
	now := b.clock.Now()
	widest := time.Duration(1<<63 - 1).Truncate(time.Second) // interval=9223372036 (seconds)
	for _, w := range []time.Duration{time.Second, time.Hour, 24 * time.Hour} {
		q := hookd.StatsQuery{Since: now.Add(-w), Until: now, Interval: widest}
		st, err := func() (st *hookd.Stats, err error) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("window %s, interval %s: panic: %v", w, widest, r)
				}
			}()
			return b.svc.EndpointStats(ctx, "acme", e.ID, q)
		}()
		if err != nil {
			t.Fatalf("window %s, interval %s: %v", w, widest, err)
		}
		if len(st.Buckets) != 1 || !st.Buckets[0].Start.Equal(q.Since) {
			t.Errorf("window %s, interval %s: buckets %+v, want one from since", w, widest, st.Buckets)
		}
	}
}
