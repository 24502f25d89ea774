package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

func (f *fixture) attempts(deliveryID string) []*hookd.Attempt {
	f.Helper()
	as, err := f.s.Attempts(f.ctx, deliveryID)
	f.ok(err, "Attempts")
	return as
}

func testResultsUpdateDelivery(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "node-1", e.ID)
	d := ds[0]

	// Two attempts in one batch: both recorded in order, the delivery ends
	// in the state of the last.
	a1 := &hookd.Attempt{DeliveryID: d.ID, N: 1, At: t0, DurationMS: 120, Status: 500,
		Response: `{"error":"internal"}`, ResponseHeaders: "Content-Type: application/json\nX-Request-Id: r1\n",
		ErrorClass: hookd.ClassStatus, Error: "HTTP 500"}
	a2 := &hookd.Attempt{DeliveryID: d.ID, N: 2, At: t0.Add(5 * time.Second), DurationMS: 10000,
		ErrorClass: hookd.ClassTimeout}
	f.apply(&hookd.Batch{Results: []*hookd.Result{
		{Attempt: a1, TenantID: "ten_a", State: hookd.StatePending, NextAttemptAt: t0.Add(5 * time.Second),
			FirstSentAt: t0, Owner: "node-1", At: t0.Add(120 * time.Millisecond)},
		{Attempt: a2, TenantID: "ten_a", State: hookd.StatePending, NextAttemptAt: t0.Add(5 * time.Minute),
			FirstSentAt: t0, Owner: "", At: t0.Add(15 * time.Second)},
	}})
	want := *d
	want.Attempts, want.NextAttemptAt, want.FirstSentAt = 2, ptr(t0.Add(5*time.Minute)), ptr(t0)
	// An attempt without an answer records its error class as the error.
	want.LastStatus, want.LastError, want.UpdatedAt = 0, hookd.ClassTimeout, t0.Add(15*time.Second)
	f.wantDelivery("after two failed attempts", f.deliveryOf("ten_a", d.ID), &want)

	// Owner "" released it: it is claimable when due, not before.
	f.wantIDs("Claim before due", f.claim("node-2", t0.Add(5*time.Minute-time.Millisecond), 10))
	if due, ok, err := f.s.NextDue(f.ctx); err != nil || !ok || !due.Equal(t0.Add(5*time.Minute)) {
		f.Errorf("NextDue = %s %v %v, want %s", due, ok, err, t0.Add(5*time.Minute))
	}
	jobs, err := f.s.Claim(f.ctx, "node-2", t0.Add(5*time.Minute), 10, nil)
	f.ok(err, "Claim")
	if len(jobs) != 1 {
		f.Fatalf("Claim when due: %d jobs, want 1", len(jobs))
	}
	want.UpdatedAt = jobs[0].Delivery.UpdatedAt // a claim may note its time
	f.wantDelivery("claimed delivery", jobs[0].Delivery, &want)

	// Success: FirstSentAt keeps the first attempt's time.
	a3 := &hookd.Attempt{DeliveryID: d.ID, N: 3, At: t0.Add(5 * time.Minute), DurationMS: 35, Status: 204,
		ResponseHeaders: "Date: Sat, 01 Mar 2025 12:05:00 GMT\n"}
	f.apply(&hookd.Batch{Results: []*hookd.Result{{Attempt: a3, TenantID: "ten_a",
		State: hookd.StateSucceeded, FirstSentAt: t0.Add(5 * time.Minute), At: t0.Add(5*time.Minute + 35*time.Millisecond)}}})
	want.State, want.Attempts, want.NextAttemptAt = hookd.StateSucceeded, 3, nil
	want.LastStatus, want.LastError, want.UpdatedAt = 204, "", t0.Add(5*time.Minute+35*time.Millisecond)
	f.wantDelivery("after success", f.deliveryOf("ten_a", d.ID), &want)

	as := f.attempts(d.ID)
	if len(as) != 3 {
		f.Fatalf("Attempts: %d, want 3", len(as))
	}
	for i, w := range []*hookd.Attempt{a1, a2, a3} {
		g := as[i]
		if g.DeliveryID != w.DeliveryID || g.N != w.N || !g.At.Equal(w.At) || g.DurationMS != w.DurationMS ||
			g.Status != w.Status || g.Response != w.Response || g.ResponseHeaders != w.ResponseHeaders ||
			g.ErrorClass != w.ErrorClass || g.Error != w.Error {
			f.Errorf("Attempts[%d]\n got %+v\nwant %+v", i, *g, *w)
		}
		if i > 0 && g.Seq <= as[i-1].Seq {
			f.Errorf("attempts out of order: seq %d after %d", g.Seq, as[i-1].Seq)
		}
		if want := hookd.AttemptID(d.ID, w.N, 0); g.ID != want {
			f.Errorf("Attempts[%d].ID = %q, want %q (derived from the delivery and the number)", i, g.ID, want)
		}
	}
	if as := f.attempts("dlv_nope"); len(as) != 0 {
		f.Errorf("Attempts of an unknown delivery: %d", len(as))
	}
}

// testResultAtOfAttempt: a result names its delivery by its attempt, and
// without At the attempt's time is the delivery's UpdatedAt.
func testResultAtOfAttempt(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "node-1", e.ID)
	a := &hookd.Attempt{DeliveryID: ds[0].ID, N: 1, At: t0.Add(time.Second), Status: 200}
	f.apply(&hookd.Batch{Results: []*hookd.Result{{Attempt: a, TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: a.At}}})
	got := f.deliveryOf("ten_a", ds[0].ID)
	if got.State != hookd.StateSucceeded || got.Attempts != 1 || !got.UpdatedAt.Equal(a.At) {
		f.Errorf("a result identified by its attempt: %s", describe(got))
	}
}

func testResultDoesNotResurrect(f *fixture) {
	f.tenant("ten_a")
	e, gone := f.endpoint("ten_a"), f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "node-1", e.ID)
	_, failed := f.send("ten_a", t0, "node-1", e.ID)
	_, canceled := f.send("ten_a", t0, "node-1", gone.ID)
	f.finish(ds[0], hookd.StateSucceeded, t0)
	f.finish(failed[0], hookd.StateFailed, t0)
	f.deleteEndpoint(f.ctx, "ten_a", gone.ID, t0)
	before := map[string]string{}
	for _, d := range []*hookd.Delivery{ds[0], failed[0], canceled[0]} {
		before[d.ID] = describe(f.deliveryOf("ten_a", d.ID))
	}

	// Late results (a duplicate send, a node that lost its lease) and
	// hand-backs must not make finished deliveries pending again.
	t1 := t0.Add(time.Minute)
	var rs []*hookd.Result
	var hs []hookd.HandBack
	for _, d := range []*hookd.Delivery{ds[0], failed[0], canceled[0]} {
		rs = append(rs,
			&hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 7, At: t1, Status: 500},
				TenantID: "ten_a", State: hookd.StatePending, NextAttemptAt: t1, FirstSentAt: t1, At: t1})
		hs = append(hs, hookd.HandBack{DeliveryID: d.ID, NextAttemptAt: t1, At: t1})
	}
	f.apply(&hookd.Batch{Results: rs, HandBacks: hs})
	for id, was := range before {
		if now := describe(f.deliveryOf("ten_a", id)); now != was {
			f.Errorf("a result for finished delivery %s changed it:\n was %s\n now %s", id, was, now)
		}
	}
	f.wantIDs("Claim", f.claim("node-2", t1.Add(time.Hour), 10))
	if _, ok, err := f.s.NextDue(f.ctx); err != nil || ok {
		f.Errorf("NextDue with only finished deliveries: ok=%v err=%v", ok, err)
	}
}

func testHandBack(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "node-1", e.ID)
	d := ds[0]
	f.wantIDs("Claim of a held delivery", f.claim("node-2", t0.Add(time.Hour), 10))

	// Handed back unsent (shutdown, or not in the node's cache).
	t1 := t0.Add(time.Second)
	f.apply(&hookd.Batch{HandBacks: []hookd.HandBack{{DeliveryID: d.ID, At: t1,
		NextAttemptAt: t0.Add(time.Minute)}}})
	want := *d
	want.NextAttemptAt, want.UpdatedAt = ptr(t0.Add(time.Minute)), t1
	f.wantDelivery("handed back", f.deliveryOf("ten_a", d.ID), &want)
	if as := f.attempts(d.ID); len(as) != 0 {
		f.Errorf("a hand-back recorded %d attempts", len(as))
	}
	f.wantIDs("Claim before due", f.claim("node-2", t0.Add(30*time.Second), 10))
	f.wantIDs("Claim when due", f.claim("node-2", t0.Add(time.Minute), 10), d.ID)

	// Parked by a node whose cache says the endpoint is disabled while the
	// store says it is enabled again: the store's word holds, and the
	// delivery is claimed rather than left waiting for an enable that
	// has come.
	f.apply(&hookd.Batch{HandBacks: []hookd.HandBack{{DeliveryID: d.ID, At: t1,
		NextAttemptAt: t1, Owner: hookd.Parked}}})
	if got := f.deliveryOf("ten_a", d.ID); got.State != hookd.StatePending {
		f.Errorf("parked on an enabled endpoint: %s", describe(got))
	}
	f.wantIDs("Claim of a delivery parked on an enabled endpoint", f.claim("node-3", t0.Add(time.Hour), 10), d.ID)

	// Parked by the node that found its endpoint disabled: nobody claims
	// it, and it shows parked, without a due time.
	e.Disabled, e.DisabledReason, e.UpdatedAt = true, "paused", t1
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint")
	f.apply(&hookd.Batch{HandBacks: []hookd.HandBack{{DeliveryID: d.ID, At: t1,
		NextAttemptAt: t1, Owner: hookd.Parked}}})
	if got := f.deliveryOf("ten_a", d.ID); got.State != hookd.StateParked || got.NextAttemptAt != nil {
		f.Errorf("parked: %s", describe(got))
	}
	f.wantIDs("Claim of a parked delivery", f.claim("node-3", t0.Add(time.Hour), 10))
	if _, ok, err := f.s.NextDue(f.ctx); err != nil || ok {
		f.Errorf("NextDue with a parked delivery: ok=%v err=%v", ok, err)
	}
}

// testHandBackAndResult: a batch holding both a hand-back and an attempt's
// result for one delivery (a node handed it back while a try was ending)
// ends in the result's state, whatever their order.
func testHandBackAndResult(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "node-1", e.ID)
	d := ds[0]
	t1 := t0.Add(time.Second)
	f.apply(&hookd.Batch{
		Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: t1, Status: 200},
			TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: t1, At: t1}},
		HandBacks: []hookd.HandBack{{DeliveryID: d.ID, At: t1, NextAttemptAt: t1.Add(time.Minute)}},
	})
	if got := f.deliveryOf("ten_a", d.ID); got.State != hookd.StateSucceeded || got.Attempts != 1 {
		f.Errorf("a hand-back and a success in one batch: %s, want succeeded after 1 attempt", describe(got))
	}
	f.wantIDs("Claim", f.claim("node-2", t1.Add(time.Hour), 10))
}

// testParkedState: the pending deliveries of a disabled endpoint show the
// state parked, without a due time, in reads and lists, and are listed by
// state=parked and not by state=pending; whatever hands them back to the
// store (a hand-back, a failed attempt's retry, a publish) leaves them
// parked while the endpoint is disabled, and enabling makes them pending
// and due, each once.
func testParkedState(f *fixture) {
	f.tenant("ten_a")
	on, off := f.endpoint("ten_a"), f.endpoint("ten_a")
	_, waiting := f.send("ten_a", t0, "", off.ID)     // in the store
	_, held := f.send("ten_a", t0, "node-1", off.ID)  // in a node's memory
	_, tried := f.send("ten_a", t0, "node-1", off.ID) // being tried
	_, other := f.send("ten_a", t0, "", on.ID)
	t1 := t0.Add(time.Minute)
	off.Disabled, off.DisabledReason, off.UpdatedAt = true, "paused", t1
	f.ok(f.s.SaveEndpoint(f.ctx, off), "SaveEndpoint")

	// The node hands back what it held, unsent, as pending (its cache is
	// behind), and the attempt in flight fails with a retry due later.
	f.apply(&hookd.Batch{
		HandBacks: []hookd.HandBack{{DeliveryID: held[0].ID, At: t1, NextAttemptAt: t1}},
		Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: tried[0].ID, N: 1, At: t1, Status: 500, ErrorClass: hookd.ClassStatus},
			At: t1, State: hookd.StatePending, NextAttemptAt: t1.Add(time.Minute), FirstSentAt: t1}},
	})
	// A publish parks the deliveries of an endpoint its cache says is
	// disabled. (One whose cache is behind a disable leaves them in the
	// store or its memory, to be parked when a node picks them up.)
	ev := f.event("ten_a", "payment.created", t1)
	parked := f.delivery(ev, off.ID, t1, hookd.Parked)
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{parked}}}})

	all := []string{waiting[0].ID, held[0].ID, tried[0].ID, parked.ID}
	for _, id := range all {
		if d := f.deliveryOf("ten_a", id); d.State != hookd.StateParked || d.NextAttemptAt != nil {
			f.Errorf("a pending delivery of a disabled endpoint: %s, want parked without a due time", describe(d))
		}
	}
	byState := func(state string) []string {
		f.Helper()
		ds, err := f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{State: state})
		f.ok(err, "Deliveries")
		return deliveryIDs(ds)
	}
	f.wantSameIDs("Deliveries state=parked", byState(hookd.StateParked), all...)
	f.wantSameIDs("Deliveries state=pending", byState(hookd.StatePending), other[0].ID)
	ds, err := f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{EventID: ev.ID})
	f.ok(err, "Deliveries of an event")
	if len(ds) != 1 || ds[0].State != hookd.StateParked {
		f.Errorf("the deliveries of an event: %v", deliveryIDs(ds))
	}
	f.wantIDs("Claim while disabled", f.claim("node-2", t1.Add(time.Hour), 10), other[0].ID)

	t2 := t1.Add(time.Hour)
	off.Disabled, off.DisabledReason, off.UpdatedAt = false, "", t2
	f.ok(f.s.SaveEndpoint(f.ctx, off), "SaveEndpoint")
	f.wantSameIDs("Deliveries state=parked after enabling", byState(hookd.StateParked))
	for _, id := range all {
		if d := f.deliveryOf("ten_a", id); d.State != hookd.StatePending || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(t2) {
			f.Errorf("after enabling: %s, want pending and due at %s", describe(d), t2)
		}
	}
	f.wantSameIDs("Claim after enabling", f.claim("node-2", t2, 10), all...)
	f.wantIDs("Claim again", f.claim("node-3", t2.Add(time.Hour), 10))

	// Parked by a publisher whose cache is behind the enable: pending.
	ev2 := f.event("ten_a", "payment.created", t2)
	stale := f.delivery(ev2, off.ID, t2, hookd.Parked)
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: ev2, Deliveries: []*hookd.Delivery{stale}}}})
	f.wantIDs("Claim of a delivery parked on an enabled endpoint", f.claim("node-3", t2, 10), stale.ID)
	if as := f.attempts(tried[0].ID); len(as) != 1 {
		f.Errorf("the tried delivery has %d attempts, want 1", len(as))
	}
}

func testRequeue(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	e := f.endpoint("ten_a")
	_, ds1 := f.send("ten_a", t0, "", e.ID)
	_, ds2 := f.send("ten_a", t0, "", e.ID)
	_, ds3 := f.send("ten_a", t0, "", e.ID)
	failed, succeeded, due := ds1[0], ds2[0], ds3[0]
	f.finish(failed, hookd.StateFailed, t0)
	f.finish(succeeded, hookd.StateSucceeded, t0)
	_, held := f.send("ten_a", t0, "node-1", e.ID)

	t1 := t0.Add(time.Hour)
	for _, d := range []*hookd.Delivery{failed, succeeded, due} {
		// Pending again and due now; the history of earlier attempts stays.
		want := f.deliveryOf("ten_a", d.ID)
		want.State, want.NextAttemptAt, want.UpdatedAt = hookd.StatePending, ptr(t1), t1
		got, err := f.s.Requeue(f.ctx, "ten_a", d.ID, t1)
		f.ok(err, "Requeue")
		f.wantDelivery("Requeue result", got, want)
		f.wantDelivery("stored after Requeue", f.deliveryOf("ten_a", d.ID), want)
	}
	// A delivery a node holds is left to that node.
	got, err := f.s.Requeue(f.ctx, "ten_a", held[0].ID, t1)
	f.ok(err, "Requeue of a held delivery")
	f.wantDelivery("Requeue of a held delivery", got, held[0])
	f.wantSameIDs("Claim", f.claim("node-2", t1, 10), failed.ID, succeeded.ID, due.ID)

	_, err = f.s.Requeue(f.ctx, "ten_a", "dlv_nope", t1)
	f.wantCode(err, hookd.ENOTFOUND, "Requeue of an unknown delivery")
	_, err = f.s.Requeue(f.ctx, "ten_b", failed.ID, t1)
	f.wantCode(err, hookd.ENOTFOUND, "Requeue of another tenant's delivery")

	// On a disabled endpoint the requeued delivery is parked until enabled.
	off := f.endpoint("ten_a")
	_, offd := f.send("ten_a", t0, "", off.ID)
	f.finish(offd[0], hookd.StateFailed, t0)
	off.Disabled, off.DisabledReason, off.UpdatedAt = true, "paused", t0
	f.ok(f.s.SaveEndpoint(f.ctx, off), "SaveEndpoint")
	got, err = f.s.Requeue(f.ctx, "ten_a", offd[0].ID, t1)
	f.ok(err, "Requeue on a disabled endpoint")
	if got.State != hookd.StateParked || got.NextAttemptAt != nil {
		f.Errorf("Requeue on a disabled endpoint: %s, want parked", describe(got))
	}
	f.wantIDs("Claim on a disabled endpoint", f.claim("node-2", t1.Add(time.Hour), 10))
	t2 := t1.Add(2 * time.Hour)
	off.Disabled, off.DisabledReason, off.UpdatedAt = false, "", t2
	f.ok(f.s.SaveEndpoint(f.ctx, off), "SaveEndpoint")
	f.wantIDs("Claim after enabling", f.claim("node-2", t2, 10), offd[0].ID)

	// The deliveries of a deleted endpoint have nowhere to go.
	gone := f.endpoint("ten_a")
	_, goned := f.send("ten_a", t0, "", gone.ID)
	f.deleteEndpoint(f.ctx, "ten_a", gone.ID, t1)
	_, err = f.s.Requeue(f.ctx, "ten_a", goned[0].ID, t2)
	f.wantCode(err, hookd.ECONFLICT, "Requeue of a delivery whose endpoint was deleted")
	if got := f.deliveryOf("ten_a", goned[0].ID); got.State != hookd.StateCanceled {
		f.Errorf("Requeue of a delivery whose endpoint was deleted: %s", describe(got))
	}
	f.wantIDs("Claim", f.claim("node-2", t2.Add(time.Hour), 10))
}

func testRecover(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	e, other := f.endpoint("ten_a"), f.endpoint("ten_a")
	var failed []*hookd.Delivery // created at -2h, -1h, 0, +1h
	for _, h := range []int{-2, -1, 0, 1} {
		_, ds := f.send("ten_a", t0.Add(time.Duration(h)*time.Hour), "", e.ID)
		f.finish(ds[0], hookd.StateFailed, t0.Add(2*time.Hour))
		failed = append(failed, ds[0])
	}
	_, succeeded := f.send("ten_a", t0, "", e.ID)
	f.finish(succeeded[0], hookd.StateSucceeded, t0)
	f.send("ten_a", t0, "node-1", e.ID) // pending, held: not failed, not recovered
	_, elsewhere := f.send("ten_a", t0, "", other.ID)
	f.finish(elsewhere[0], hookd.StateFailed, t0)

	now := t0.Add(3 * time.Hour)
	n, err := f.s.Recover(f.ctx, "ten_a", e.ID, t0.Add(-time.Hour), t0.Add(time.Hour), now)
	f.ok(err, "Recover")
	if n != 2 {
		f.Errorf("Recover = %d, want 2 (created in [since, until))", n)
	}
	for i, d := range failed {
		got := f.deliveryOf("ten_a", d.ID)
		recovered := i == 1 || i == 2
		if recovered && (got.State != hookd.StatePending || got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(now) || got.Attempts != 1) {
			f.Errorf("recovered delivery %d: %s, want pending due %s with its attempt count", i, describe(got), now)
		}
		if !recovered && got.State != hookd.StateFailed {
			f.Errorf("delivery %d outside the window: %s", i, got.State)
		}
	}
	for _, d := range []*hookd.Delivery{succeeded[0], elsewhere[0]} {
		if got := f.deliveryOf("ten_a", d.ID); got.State == hookd.StatePending {
			f.Errorf("Recover touched %s (%s)", d.ID, describe(got))
		}
	}
	f.wantSameIDs("Claim", f.claim("node-2", now, 10), failed[1].ID, failed[2].ID)

	n, err = f.s.Recover(f.ctx, "ten_a", e.ID, t0.Add(-24*time.Hour), now, now)
	f.ok(err, "Recover again")
	if n != 2 {
		f.Errorf("a second Recover = %d, want the 2 still failed", n)
	}
	f.wantSameIDs("Claim after the second Recover", f.claim("node-2", now, 10), failed[0].ID, failed[3].ID)
	_, err = f.s.Recover(f.ctx, "ten_a", "ep_nope", t0, now, now)
	f.wantCode(err, hookd.ENOTFOUND, "Recover of an unknown endpoint")
	_, err = f.s.Recover(f.ctx, "ten_b", e.ID, t0, now, now)
	f.wantCode(err, hookd.ENOTFOUND, "Recover of another tenant's endpoint")

	// Recovered work of a disabled endpoint is parked, not sent.
	_, late := f.send("ten_a", t0, "", other.ID)
	f.finish(late[0], hookd.StateFailed, t0)
	other.Disabled, other.DisabledReason, other.UpdatedAt = true, "paused", now
	f.ok(f.s.SaveEndpoint(f.ctx, other), "SaveEndpoint")
	n, err = f.s.Recover(f.ctx, "ten_a", other.ID, t0.Add(-time.Hour), now, now)
	f.ok(err, "Recover on a disabled endpoint")
	if n != 2 {
		f.Errorf("Recover on a disabled endpoint = %d, want 2", n)
	}
	f.wantIDs("Claim on a disabled endpoint", f.claim("node-2", now.Add(time.Hour), 10))
}

// testFirstAttemptTwice: a delivery's attempt 1 may be recorded more than
// once (two nodes both made it when one was taken for dead), in one batch
// or in two, and may arrive when its delivery is no longer pending: every
// one is kept, in the order recorded, with its own id, and counted by the
// stats; the delivery takes the word of the results that may change it.
func testFirstAttemptTwice(f *fixture) {
	f.tenant("ten_a")
	e, gone := f.endpoint("ten_a"), f.endpoint("ten_a")
	_, twice := f.send("ten_a", t0, "node-1", e.ID)
	_, inOneBatch := f.send("ten_a", t0, "node-1", e.ID)
	_, canceled := f.send("ten_a", t0, "node-1", gone.ID)
	f.deleteEndpoint(f.ctx, "ten_a", gone.ID, t0)
	wasCanceled := describe(f.deliveryOf("ten_a", canceled[0].ID))

	result := func(d *hookd.Delivery, at time.Time, dur int64, status int, state string) *hookd.Result {
		r := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: at, DurationMS: dur, Status: status,
			Response: fmt.Sprintf("answer %d", dur)}, TenantID: "ten_a", State: state, FirstSentAt: at, At: at}
		if state == hookd.StatePending {
			r.NextAttemptAt, r.Owner = at.Add(time.Minute), "node-1"
			r.Attempt.ErrorClass, r.Attempt.Error = hookd.ClassStatus, "HTTP 500"
		}
		return r
	}
	f.apply(&hookd.Batch{Results: []*hookd.Result{result(twice[0], t0.Add(time.Second), 11, 500, hookd.StatePending)}})
	f.apply(&hookd.Batch{Results: []*hookd.Result{result(twice[0], t0.Add(2*time.Second), 12, 200, hookd.StateSucceeded)}})
	// A first attempt answered at length (before the stats' window
	// below), kept whole.
	before := t0.Add(-time.Hour)
	_, long := f.send("ten_a", before, "node-1", e.ID)
	longAnswer := strings.Repeat("<p>Internal error</p>", hookd.ResponseExcerptLimit/21)
	f.apply(&hookd.Batch{Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: long[0].ID, N: 1, At: before, DurationMS: 5,
		Status: 500, Response: longAnswer, ErrorClass: hookd.ClassStatus, Error: "HTTP 500"}, TenantID: "ten_a",
		State: hookd.StatePending, NextAttemptAt: t0, FirstSentAt: before, At: before}}})
	if as := f.attempts(long[0].ID); len(as) != 1 || as[0].Response != longAnswer || as[0].Error != "HTTP 500" {
		f.Errorf("a first attempt with a %d-byte answer: %d attempts, want 1 with the answer whole", len(longAnswer), len(as))
	}
	f.apply(&hookd.Batch{Results: []*hookd.Result{
		result(inOneBatch[0], t0.Add(time.Second), 21, 500, hookd.StatePending),
		result(inOneBatch[0], t0.Add(2*time.Second), 22, 200, hookd.StateSucceeded),
		result(canceled[0], t0.Add(time.Second), 31, 200, hookd.StateSucceeded),
	}})

	for _, c := range []struct {
		d    *hookd.Delivery
		durs []int64
	}{{twice[0], []int64{11, 12}}, {inOneBatch[0], []int64{21, 22}}, {canceled[0], []int64{31}}} {
		as := f.attempts(c.d.ID)
		if len(as) != len(c.durs) {
			f.Errorf("delivery %s: %d attempts, want %d", c.d.ID, len(as), len(c.durs))
			continue
		}
		for k, a := range as {
			if a.N != 1 || a.DurationMS != c.durs[k] || a.Response != fmt.Sprintf("answer %d", c.durs[k]) ||
				a.ID != hookd.AttemptID(c.d.ID, 1, k) || (k > 0 && a.Seq <= as[k-1].Seq) {
				f.Errorf("delivery %s: attempt %d is %+v, want attempt 1 of %d ms, id %s, after the one before",
					c.d.ID, k, *a, c.durs[k], hookd.AttemptID(c.d.ID, 1, k))
			}
		}
	}
	for _, d := range []*hookd.Delivery{twice[0], inOneBatch[0]} {
		if got := f.deliveryOf("ten_a", d.ID); got.State != hookd.StateSucceeded || got.Attempts != 1 || got.LastStatus != 200 ||
			got.FirstSentAt == nil {
			f.Errorf("delivery %s after its two first attempts: %s, want succeeded, first sent", d.ID, describe(got))
		}
	}
	if got := f.deliveryOf("ten_a", twice[0].ID); got.FirstSentAt == nil || !got.FirstSentAt.Equal(t0.Add(time.Second)) {
		f.Errorf("delivery %s first sent at %v, want t0+1s (its first result's)", twice[0].ID, got.FirstSentAt)
	}
	if now := describe(f.deliveryOf("ten_a", canceled[0].ID)); now != wasCanceled {
		f.Errorf("a late first attempt changed a canceled delivery:\n was %s\n now %s", wasCanceled, now)
	}

	q := hookd.StatsQuery{Since: t0, Until: t0.Add(time.Minute), Interval: time.Minute}
	st, err := f.s.EndpointStats(f.ctx, "ten_a", e.ID, q)
	f.ok(err, "EndpointStats")
	if want := (hookd.StatsTotals{Attempts: 4, Succeeded: 2, P50MS: 12, P99MS: 22}); st.Totals != want {
		f.Errorf("the endpoint's stats\n got %+v\nwant %+v", st.Totals, want)
	}
	st, err = f.s.EndpointStats(f.ctx, "", "", q)
	f.ok(err, "EndpointStats of the whole store")
	// The canceled delivery's late success is an attempt, not a delivery
	// that succeeded: each delivery counts once.
	if st.Totals.Attempts != 5 || st.Totals.Succeeded != 2 {
		f.Errorf("the whole store's stats: %+v, want 5 attempts, 2 that succeeded", st.Totals)
	}
}
