package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

func testClaimDueOnly(f *fixture) {
	f.tenant("ten_a")
	e, full, off := f.endpoint("ten_a"), f.endpoint("ten_a"), f.endpoint("ten_a")
	_, late := f.send("ten_a", t0.Add(2*time.Second), "", e.ID)
	_, onTime := f.send("ten_a", t0.Add(time.Second), "", e.ID)
	_, early := f.send("ten_a", t0, "", e.ID)
	f.send("ten_a", t0, "node-9", e.ID)
	f.send("ten_a", t0, hookd.Parked, f.disabledEndpoint("ten_a").ID)
	_, done := f.send("ten_a", t0, "", e.ID)
	f.finish(done[0], hookd.StateSucceeded, t0)
	_, failed := f.send("ten_a", t0, "", e.ID)
	f.finish(failed[0], hookd.StateFailed, t0)
	_, skipped := f.send("ten_a", t0, "", full.ID)
	f.send("ten_a", t0, "", off.ID)
	off.Disabled, off.DisabledReason = true, "paused"
	f.ok(f.s.SaveEndpoint(f.ctx, off), "SaveEndpoint")

	now := t0.Add(time.Second)
	f.wantIDs("Claim", f.claim("node-1", now, 10, full.ID), early[0].ID, onTime[0].ID)
	f.wantIDs("Claim without skip", f.claim("node-1", now, 10), skipped[0].ID)
	f.wantIDs("Claim when the last is due", f.claim("node-1", now.Add(time.Second), 10), late[0].ID)
	f.wantIDs("Claim of what is left", f.claim("node-1", now.Add(time.Hour), 10))
}

func testClaimLimitAndOrder(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	byDue := map[int]string{}
	for _, s := range []int{5, 1, 4, 2, 3} { // ids in another order than due times
		_, ds := f.send("ten_a", t0.Add(time.Duration(s)*time.Second), "", e.ID)
		byDue[s] = ds[0].ID
	}
	now := t0.Add(time.Minute)
	f.wantIDs("first claim", f.claim("node-1", now, 2), byDue[1], byDue[2])
	f.wantIDs("second claim", f.claim("node-1", now, 2), byDue[3], byDue[4])
	f.wantIDs("third claim", f.claim("node-1", now, 2), byDue[5])
	f.wantIDs("fourth claim", f.claim("node-1", now, 2))
}

func testClaimReturnsEvent(f *fixture) {
	f.tenant("ten_a")
	e1, e2 := f.endpoint("ten_a"), f.endpoint("ten_a")
	ev := &hookd.Event{ID: "evt_claimed", TenantID: "ten_a", Type: "weavr:payment_run.completed",
		Payload:     json.RawMessage("{\"run\" :  \"pr_1\", \"amount\":1e2,\"memo\":\"\\u00e9t\\u00e9\\n\"}"),
		OrderingKey: "pr_1", IdempotencyKey: "k-1", CreatedAt: t0,
		TraceContext: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
	ds := []*hookd.Delivery{f.delivery(ev, e1.ID, t0, ""), f.delivery(ev, e2.ID, t0, "")}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: ds}}})

	jobs, err := f.s.Claim(f.ctx, "node-1", t0, 10, nil)
	f.ok(err, "Claim")
	f.wantSameIDs("Claim", ids(jobs, func(j *hookd.Job) string { return j.Delivery.ID }), ds[0].ID, ds[1].ID)
	for _, j := range jobs {
		f.wantEvent("the claimed job's event", j.Event, ev)
		want := ds[0]
		if j.Delivery.ID == ds[1].ID {
			want = ds[1]
		}
		f.wantDelivery("the claimed job's delivery", j.Delivery, want)
	}
}

func testClaimOnce(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	var want []string
	for range 3 {
		_, ds := f.send("ten_a", t0, "", e.ID)
		want = append(want, ds[0].ID)
	}
	f.wantSameIDs("Claim by node-1", f.claim("node-1", t0, 10), want...)
	f.wantIDs("Claim by node-2", f.claim("node-2", t0.Add(time.Hour), 10))
	if _, ok, err := f.s.NextDue(f.ctx); err != nil || ok {
		f.Errorf("NextDue with everything claimed: ok=%v err=%v", ok, err)
	}
	// Handed back, it can be claimed again.
	f.apply(&hookd.Batch{HandBacks: []hookd.HandBack{{DeliveryID: want[1], At: t0, NextAttemptAt: t0}}})
	f.wantIDs("Claim after a hand-back", f.claim("node-2", t0, 10), want[1])
}

// testClaimConcurrent claims from several nodes at once: every delivery is
// claimed by exactly one of them.
func testClaimConcurrent(f *fixture) {
	const deliveries, nodes, limit = 40, 4, 3
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	var b hookd.Batch
	for i := range deliveries {
		ev := f.event("ten_a", "payment.created", t0.Add(time.Duration(i)*time.Millisecond))
		b.Publishes = append(b.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, ev.CreatedAt, "")}})
	}
	f.apply(&b)

	var mu sync.Mutex
	claimedBy := map[string][]string{}
	var wg sync.WaitGroup
	errs := make(chan error, nodes)
	for n := range nodes {
		node := fmt.Sprintf("node-%d", n)
		wg.Go(func() {
			for {
				jobs, err := f.s.Claim(f.ctx, node, t0.Add(time.Hour), limit, nil)
				if err != nil {
					errs <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					claimedBy[j.Delivery.ID] = append(claimedBy[j.Delivery.ID], node)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.ok(err, "concurrent Claim")
	}
	if len(claimedBy) != deliveries {
		f.Errorf("%d of %d deliveries claimed", len(claimedBy), deliveries)
	}
	for id, by := range claimedBy {
		if len(by) != 1 {
			f.Errorf("delivery %s claimed by %v", id, by)
		}
	}
}

func testRescue(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	f.ok(f.s.Heartbeat(f.ctx, "node-live", t0), "Heartbeat")
	f.ok(f.s.Heartbeat(f.ctx, "node-dead", t0.Add(-time.Minute)), "Heartbeat")
	f.ok(f.s.Heartbeat(f.ctx, "self", t0.Add(-time.Hour)), "Heartbeat")
	_, live := f.send("ten_a", t0, "node-live", e.ID)
	_, dead := f.send("ten_a", t0, "node-dead", e.ID)
	_, ghost := f.send("ten_a", t0, "node-ghost", e.ID) // never beat
	f.send("ten_a", t0, hookd.Parked, f.disabledEndpoint("ten_a").ID)
	_, mine := f.send("ten_a", t0, "self", e.ID)

	deadline := t0.Add(-30 * time.Second)
	if n, err := f.s.Nodes(f.ctx, deadline); err != nil || n != 1 {
		f.Errorf("Nodes since the deadline = %d, %v; want 1 (node-live)", n, err)
	}
	if n, err := f.s.Nodes(f.ctx, t0.Add(-2*time.Hour)); err != nil || n != 3 {
		f.Errorf("Nodes since before every heartbeat = %d, %v; want 3", n, err)
	}
	n, err := f.s.Rescue(f.ctx, "self", deadline)
	f.ok(err, "Rescue")
	if n != 2 {
		f.Errorf("Rescue = %d, want 2 (the dead node's and the ghost's)", n)
	}
	// self claims what it rescued; as a node with a heartbeat it keeps it.
	f.wantSameIDs("Claim after Rescue", f.claim("self", t0, 10), dead[0].ID, ghost[0].ID)
	if n, err := f.s.Rescue(f.ctx, "self", deadline); err != nil || n != 0 {
		f.Errorf("a second Rescue = %d, %v; want 0", n, err)
	}

	// A node that beats again keeps what it holds.
	f.ok(f.s.Heartbeat(f.ctx, "node-dead", t0), "Heartbeat")
	_, back := f.send("ten_a", t0, "node-dead", e.ID)
	if n, err := f.s.Rescue(f.ctx, "self", deadline); err != nil || n != 0 {
		f.Errorf("Rescue with every owner alive = %d, %v; want 0", n, err)
	}

	// A store with one node (SQLite) rescues with a deadline in the future:
	// every other owner is a process that has stopped.
	n, err = f.s.Rescue(f.ctx, "self", t0.Add(time.Hour))
	f.ok(err, "Rescue")
	if n != 2 {
		f.Errorf("Rescue of every other node = %d, want 2", n)
	}
	f.wantSameIDs("Claim after rescuing every other node", f.claim("self", t0, 10), live[0].ID, back[0].ID)
	if d := f.deliveryOf("ten_a", mine[0].ID); d.State != hookd.StatePending {
		f.Errorf("own delivery: %s", describe(d))
	}
}

func testNextDue(f *fixture) {
	next := func() (time.Time, bool) {
		f.Helper()
		t, ok, err := f.s.NextDue(f.ctx)
		f.ok(err, "NextDue")
		return t, ok
	}
	if _, ok := next(); ok {
		f.Errorf("NextDue of an empty store: something is due")
	}
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	f.send("ten_a", t0.Add(-time.Hour), "node-1", e.ID)
	f.send("ten_a", t0.Add(-time.Hour), hookd.Parked, f.disabledEndpoint("ten_a").ID)
	_, done := f.send("ten_a", t0.Add(-time.Hour), "", e.ID)
	f.finish(done[0], hookd.StateSucceeded, t0)
	if due, ok := next(); ok {
		f.Errorf("NextDue counts held, parked or finished work: %s", due)
	}
	f.send("ten_a", t0.Add(time.Hour), "", e.ID)
	f.send("ten_a", t0.Add(30*time.Minute), "", e.ID)
	if due, ok := next(); !ok || !due.Equal(t0.Add(30*time.Minute)) {
		f.Errorf("NextDue = %s %v, want %s", due, ok, t0.Add(30*time.Minute))
	}
	f.send("ten_a", t0.Add(-5*time.Minute), "", e.ID)
	if due, ok := next(); !ok || !due.Equal(t0.Add(-5*time.Minute)) {
		f.Errorf("NextDue = %s %v, want the overdue %s", due, ok, t0.Add(-5*time.Minute))
	}
}

func testPurge(f *fixture) {
	cut := t0.Add(-30 * 24 * time.Hour)
	old, recent := cut.Add(-10*24*time.Hour), t0.Add(-24*time.Hour)
	f.tenant("ten_a")
	e, e2, gone := f.endpoint("ten_a"), f.endpoint("ten_a"), f.endpoint("ten_a")

	evDone, dDone := f.send("ten_a", old, "", e.ID)
	f.finish(dDone[0], hookd.StateSucceeded, old)
	// An old event with a failed and a still pending delivery (which has an
	// old attempt): the event stays for the pending one.
	evMixed, dMixed := f.send("ten_a", old, "", e.ID, e2.ID)
	f.finish(dMixed[0], hookd.StateFailed, old)
	f.apply(&hookd.Batch{Results: []*hookd.Result{{
		Attempt:  &hookd.Attempt{DeliveryID: dMixed[1].ID, N: 1, At: old, Status: 503},
		TenantID: "ten_a", State: hookd.StatePending, NextAttemptAt: t0, FirstSentAt: old, At: old,
	}}})
	evCanceled, dCanceled := f.send("ten_a", old, "", gone.ID)
	f.deleteEndpoint(f.ctx, "ten_a", gone.ID, old)
	evBare, _ := f.send("ten_a", old, "")
	evAtCut, _ := f.send("ten_a", cut, "") // not older than the cut
	evRecent, dRecent := f.send("ten_a", recent, "", e.ID)
	f.finish(dRecent[0], hookd.StateSucceeded, recent)

	n, err := f.s.Purge(f.ctx, cut)
	f.ok(err, "Purge")
	// 3 old attempts, 3 finished old deliveries, 3 old events without deliveries left.
	if n != 9 {
		f.Errorf("Purge = %d rows, want 9", n)
	}
	for _, d := range []*hookd.Delivery{dDone[0], dMixed[0], dCanceled[0]} {
		_, err := f.s.Delivery(f.ctx, "ten_a", d.ID)
		f.wantCode(err, hookd.ENOTFOUND, "an old finished delivery after Purge")
	}
	for _, ev := range []*hookd.Event{evDone, evCanceled, evBare} {
		_, err := f.s.Event(f.ctx, "ten_a", ev.ID)
		f.wantCode(err, hookd.ENOTFOUND, "an old event after Purge")
	}
	for _, ev := range []*hookd.Event{evMixed, evAtCut, evRecent} {
		_, err := f.s.Event(f.ctx, "ten_a", ev.ID)
		f.ok(err, "an event that Purge must keep")
	}
	if d := f.deliveryOf("ten_a", dMixed[1].ID); d.State != hookd.StatePending || d.Attempts != 1 {
		f.Errorf("the old pending delivery after Purge: %s", describe(d))
	}
	for _, id := range []string{dDone[0].ID, dMixed[0].ID, dMixed[1].ID} {
		if as := f.attempts(id); len(as) != 0 {
			f.Errorf("delivery %s keeps %d attempts older than the cut", id, len(as))
		}
	}
	f.deliveryOf("ten_a", dRecent[0].ID)
	if as := f.attempts(dRecent[0].ID); len(as) != 1 {
		f.Errorf("a recent delivery has %d attempts after Purge, want 1", len(as))
	}
	if n, err := f.s.Purge(f.ctx, cut); err != nil || n != 0 {
		f.Errorf("a second Purge = %d, %v; want 0", n, err)
	}
}

// testClaimSameEventIDInTwoTenants: event ids are unique per tenant only, so
// a claim must give each delivery its own tenant's event.
func testClaimSameEventIDInTwoTenants(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	ea, eb := f.endpoint("ten_a"), f.endpoint("ten_b")
	for _, c := range []struct{ tenant, ep, payload string }{{"ten_a", ea.ID, `{"who":"a"}`}, {"ten_b", eb.ID, `{"who":"b"}`}} {
		ev := &hookd.Event{ID: "evt_same", TenantID: c.tenant, Type: "a.b", Payload: json.RawMessage(c.payload), CreatedAt: t0}
		f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, c.ep, t0, "")}}}})
	}
	jobs, err := f.s.Claim(f.ctx, "node-1", t0, 10, nil)
	f.ok(err, "Claim")
	if len(jobs) != 2 {
		f.Fatalf("claimed %d jobs, want 2", len(jobs))
	}
	for _, j := range jobs {
		if j.Event.TenantID != j.Delivery.TenantID || !strings.Contains(string(j.Event.Payload), strings.TrimPrefix(j.Delivery.TenantID, "ten_")) {
			f.Errorf("delivery of %s got the event of %s: %s", j.Delivery.TenantID, j.Event.TenantID, j.Event.Payload)
		}
	}
}

// testReserveSlots: slots of a rate-limited endpoint are handed out in
// order across callers, never before now, and never twice.
func testReserveSlots(f *fixture) {
	iv := 10 * time.Millisecond
	first, err := f.s.ReserveSlots(f.ctx, "ep_1", 5, iv, t0)
	f.ok(err, "ReserveSlots")
	if !first.Equal(t0) {
		f.Errorf("first reservation starts %v, want now %v", first, t0)
	}
	// Another node, a moment later: it gets the slots after the first five.
	next, err := f.s.ReserveSlots(f.ctx, "ep_1", 5, iv, t0.Add(time.Millisecond))
	f.ok(err, "ReserveSlots")
	if want := t0.Add(5 * iv); !next.Equal(want) {
		f.Errorf("second reservation starts %v, want %v", next, want)
	}
	// Long after, the slots start at now again (no credit for idle time).
	later := t0.Add(time.Hour)
	again, err := f.s.ReserveSlots(f.ctx, "ep_1", 1, iv, later)
	f.ok(err, "ReserveSlots")
	if !again.Equal(later) {
		f.Errorf("reservation after idling starts %v, want %v", again, later)
	}
	other, err := f.s.ReserveSlots(f.ctx, "ep_2", 1, iv, t0)
	f.ok(err, "ReserveSlots")
	if !other.Equal(t0) {
		f.Errorf("another endpoint's slots start %v, want %v", other, t0)
	}
}

// testSeqNeverReused: an event's seq is never given again, even when the
// events that held the largest are gone (purged, or their tenant
// deleted): list cursors and feed positions keep the seqs of events
// since deleted, and must not meet a newer event at or below them.
func testSeqNeverReused(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	old := t0.Add(-48 * time.Hour)
	seqOf := func(tenantID, id string) int64 {
		f.Helper()
		ev, err := f.s.Event(f.ctx, tenantID, id)
		f.ok(err, "Event")
		return ev.Seq
	}
	evOld, _ := f.send("ten_a", old, "")
	purged := seqOf("ten_a", evOld.ID)
	n, err := f.s.Purge(f.ctx, t0)
	f.ok(err, "Purge")
	if n != 1 {
		f.Errorf("Purge of the only event, old: %d rows, want 1", n)
	}
	_, err = f.s.Event(f.ctx, "ten_a", evOld.ID)
	f.wantCode(err, hookd.ENOTFOUND, "the purged event")
	evNew, _ := f.send("ten_a", t0, "")
	if s := seqOf("ten_a", evNew.ID); s <= purged {
		f.Errorf("after the newest event was purged, a new one has seq %d, want more than the purged %d", s, purged)
	}

	evB, _ := f.send("ten_b", t0, "")
	deleted := seqOf("ten_b", evB.ID)
	f.ok(f.s.DeleteTenant(f.ctx, "ten_b"), "DeleteTenant")
	evAfter, _ := f.send("ten_a", t0, "")
	if s := seqOf("ten_a", evAfter.ID); s <= deleted {
		f.Errorf("after the tenant of the newest event was deleted, a new event has seq %d, want more than the deleted %d", s, deleted)
	}
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{})
	f.ok(err, "Events")
	var ids []string
	for _, ev := range evs {
		ids = append(ids, ev.ID)
	}
	f.wantIDs("the tenant's events", ids, evAfter.ID, evNew.ID)
}

// testLateResultOfRescued: a node that stalled past the node TTL has its
// deliveries rescued and claimed by another; its late results record
// their attempts and leave the deliveries to the node now sending them
// (on an ordered endpoint, ending one would release the key's next event
// while the other copy is in flight). Every path a result takes is met:
// the first attempt kept in the row, one too long for it, a lone result,
// and a batch with hand-backs (a transaction on PostgreSQL), which leave
// the rescued deliveries to their new owner too.
func testLateResultOfRescued(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	f.ok(f.s.Heartbeat(f.ctx, "node-b", t0), "Heartbeat")
	var ds []*hookd.Delivery
	for range 5 {
		_, d := f.send("ten_a", t0, "node-a", e.ID) // node-a never beats
		ds = append(ds, d[0])
	}
	n, err := f.s.Rescue(f.ctx, "node-b", t0.Add(-30*time.Second))
	f.ok(err, "Rescue")
	if n != 5 {
		f.Fatalf("Rescue = %d, want 5", n)
	}
	f.wantSameIDs("node-b's claim", f.claim("node-b", t0, 10), ds[0].ID, ds[1].ID, ds[2].ID, ds[3].ID, ds[4].ID)
	_, mine := f.send("ten_a", t0, "node-a", e.ID) // still node-a's

	late := func(d *hookd.Delivery, response string) *hookd.Result {
		return &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: t0.Add(time.Minute), Status: 200,
			Response: response}, TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: t0.Add(time.Minute),
			At: t0.Add(time.Minute), Node: "node-a"}
	}
	f.apply(&hookd.Batch{Results: []*hookd.Result{late(ds[0], "ok"), late(ds[1], strings.Repeat("x", 2000)), late(ds[4], "ok")}})
	f.apply(&hookd.Batch{Results: []*hookd.Result{late(ds[2], "ok")}})
	// node-a's hand-backs (a reload, a stop) leave node-b's deliveries to
	// node-b too, and release its own.
	f.apply(&hookd.Batch{Results: []*hookd.Result{late(ds[3], "ok")},
		HandBacks: []hookd.HandBack{{DeliveryID: mine[0].ID, At: t0, NextAttemptAt: t0, Node: "node-a"},
			{DeliveryID: ds[2].ID, At: t0, NextAttemptAt: t0, Node: "node-a"}}})
	if got := f.deliveryOf("ten_a", mine[0].ID); got.Owner != "" {
		f.Errorf("node-a's own delivery after its hand-back: %s; want unowned", describe(got))
	}
	for i, d := range ds {
		got := f.deliveryOf("ten_a", d.ID)
		if got.State != hookd.StatePending || got.Owner != "node-b" {
			f.Errorf("delivery %d after node-a's late result: %s; want pending, node-b's", i, describe(got))
		}
		if as := f.attempts(d.ID); len(as) != 1 || as[0].Status != 200 {
			f.Errorf("delivery %d: %d attempts recorded, want node-a's one", i, len(as))
		}
	}

	// node-b's own result ends the delivery; both attempts are kept.
	f.apply(&hookd.Batch{Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: ds[0].ID, N: 1,
		At: t0.Add(2 * time.Minute), Status: 204}, TenantID: "ten_a", State: hookd.StateSucceeded,
		FirstSentAt: t0.Add(2 * time.Minute), At: t0.Add(2 * time.Minute), Node: "node-b"}}})
	if got := f.deliveryOf("ten_a", ds[0].ID); got.State != hookd.StateSucceeded || got.LastStatus != 204 {
		f.Errorf("after node-b's result: %s; want succeeded with its 204", describe(got))
	}
	if as := f.attempts(ds[0].ID); len(as) != 2 {
		f.Errorf("%d attempts after both nodes' results, want 2", len(as))
	}
	// A result of the node that owns its delivery, or of one unowned
	// (handed back) or parked, still applies.
	_, own := f.send("ten_a", t0, "node-a", e.ID)
	_, parked := f.send("ten_a", t0, hookd.Parked, f.disabledEndpoint("ten_a").ID)
	f.apply(&hookd.Batch{Results: []*hookd.Result{late(own[0], "ok"), late(mine[0], "ok"), late(parked[0], "ok")}})
	for _, d := range []*hookd.Delivery{own[0], mine[0], parked[0]} {
		if got := f.deliveryOf("ten_a", d.ID); got.State != hookd.StateSucceeded {
			f.Errorf("node-a's result on %s: %s; want succeeded", d.ID, describe(got))
		}
	}
	// The stats count every attempt, and each delivery that succeeded
	// once: node-a's five late successes are attempts only.
	st, err := f.s.EndpointStats(f.ctx, "ten_a", e.ID, hookd.StatsQuery{Since: t0, Until: t0.Add(time.Hour), Interval: time.Hour})
	f.ok(err, "EndpointStats")
	if st.Totals.Attempts != 8 || st.Totals.Succeeded != 3 {
		f.Errorf("the endpoint's stats: %+v; want 8 attempts and 3 deliveries that succeeded (node-b's, own, mine)", st.Totals)
	}
}
