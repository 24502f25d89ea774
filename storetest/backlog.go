package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

func testBacklog(f *fixture) {
	backlog := func(now time.Time) hookd.Backlog {
		f.Helper()
		b, err := f.s.Backlog(f.ctx, now)
		f.ok(err, "Backlog")
		return *b
	}
	if got := backlog(t0); got != (hookd.Backlog{}) {
		f.Errorf("Backlog of an empty store = %+v, want zeros", got)
	}
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	off := f.endpoint("ten_a", func(ep *hookd.Endpoint) { ep.Disabled, ep.DisabledReason = true, "by hand" })
	f.send("ten_a", t0.Add(-time.Hour), "node-1", e.ID)       // held by a node: in flight, not counted here
	f.send("ten_a", t0.Add(-time.Hour), hookd.Parked, off.ID) // parked
	f.send("ten_a", t0.Add(-2*time.Minute), hookd.Parked, off.ID)
	_, done := f.send("ten_a", t0.Add(-3*time.Hour), "", e.ID)
	f.finish(done[0], hookd.StateSucceeded, t0) // finished: not backlog
	f.send("ten_a", t0.Add(-10*time.Minute), "", e.ID)
	f.send("ten_a", t0.Add(-time.Minute), "", e.ID)
	f.send("ten_a", t0, "", e.ID)
	f.send("ten_a", t0.Add(time.Hour), "", e.ID) // a retry waiting for its time
	want := hookd.Backlog{Due: 3, Scheduled: 1, Parked: 2, OldestDue: t0.Add(-10 * time.Minute),
		EndpointsEnabled: 1, EndpointsDisabled: 1}
	if got := backlog(t0); got != want {
		f.Errorf("Backlog(t0)\n got %+v\nwant %+v", got, want)
	}
	// Five minutes earlier only the oldest was due.
	want.Due, want.Scheduled = 1, 3
	if got := backlog(t0.Add(-5 * time.Minute)); got != want {
		f.Errorf("Backlog(t0-5m)\n got %+v\nwant %+v", got, want)
	}
	// Two hours on, the retry is due too; claimed work leaves the backlog.
	f.claim("node-2", t0.Add(2*time.Hour), 2)
	want = hookd.Backlog{Due: 2, Parked: 2, OldestDue: t0, EndpointsEnabled: 1, EndpointsDisabled: 1}
	if got := backlog(t0.Add(2 * time.Hour)); got != want {
		f.Errorf("Backlog after a claim of two\n got %+v\nwant %+v", got, want)
	}
}
