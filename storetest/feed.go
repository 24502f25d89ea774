package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// testFeed: an endpoint's feed lists the events with a delivery to it, in
// publish order (one publish after the other), with that delivery, after
// a place, since a time; not another endpoint's or tenant's. An event's
// place is the one its entry gives.
func testFeed(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	ep := f.endpoint("ten_a")
	ep2 := f.endpoint("ten_a")
	epB := f.endpoint("ten_b")
	var evs []*hookd.Event
	var ds []*hookd.Delivery
	for i := range 4 {
		targets := []string{ep.ID}
		if i == 1 {
			targets = []string{ep2.ID} // not meant for ep
		}
		if i == 2 {
			targets = []string{ep.ID, ep2.ID}
		}
		ev, d := f.send("ten_a", t0.Add(time.Duration(i)*time.Minute), "", targets...)
		evs, ds = append(evs, ev), append(ds, d[0])
	}
	f.send("ten_b", t0, "", epB.ID)
	f.finish(ds[0], hookd.StateSucceeded, t0.Add(time.Hour))
	feed := func(tenant, endpoint string, after hookd.FeedPlace, since time.Time, limit int) []*hookd.FeedEntry {
		f.Helper()
		es, err := f.s.Feed(f.ctx, tenant, endpoint, after, since, limit)
		f.ok(err, "Feed")
		return es
	}
	ids := func(es []*hookd.FeedEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Event.ID)
			if e.Delivery.EventID != e.Event.ID || e.Delivery.EndpointID == "" {
				f.Errorf("feed entry %s carries delivery %+v", e.Event.ID, e.Delivery)
			}
		}
		return out
	}
	// A store may hold the feed's head back while transactions are in
	// flight (PostgreSQL: any of the server's, other tests' too), never
	// return a later event without an earlier one: the first read is
	// repeated until the head is past this test's events. No read after
	// it sees less.
	var all []*hookd.FeedEntry
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		all = feed("ten_a", ep.ID, hookd.FeedPlace{}, time.Time{}, 100)
		if len(all) >= 3 || time.Now().After(deadline) {
			break
		}
	}
	f.wantIDs("Feed in publish order", ids(all), evs[0].ID, evs[2].ID, evs[3].ID)
	if len(all) == 3 {
		if all[0].Delivery.State != hookd.StateSucceeded || all[1].Delivery.State != hookd.StatePending || all[1].Delivery.EndpointID != ep.ID {
			f.Errorf("Feed deliveries: %+v, %+v", all[0].Delivery, all[1].Delivery)
		}
		if string(all[2].Event.Payload) != string(evs[3].Payload) || all[0].Event.Seq >= all[1].Event.Seq {
			f.Errorf("Feed events: %+v", all[2].Event)
		}
		for _, e := range all {
			p, err := f.s.FeedPlace(f.ctx, "ten_a", e.Event.ID)
			f.ok(err, "FeedPlace")
			if p != e.Place || p.Seq != e.Event.Seq {
				f.Errorf("FeedPlace(%s) = %+v, the feed gave %+v (seq %d)", e.Event.ID, p, e.Place, e.Event.Seq)
			}
		}
		f.wantIDs("Feed after a place", ids(feed("ten_a", ep.ID, all[0].Place, time.Time{}, 100)), evs[2].ID, evs[3].ID)
		f.wantIDs("Feed limit", ids(feed("ten_a", ep.ID, all[0].Place, time.Time{}, 1)), evs[2].ID)
		f.wantIDs("Feed after the last", ids(feed("ten_a", ep.ID, all[2].Place, time.Time{}, 100)))
	}
	f.wantIDs("Feed since a time", ids(feed("ten_a", ep.ID, hookd.FeedPlace{}, t0.Add(2*time.Minute), 100)), evs[2].ID, evs[3].ID)
	f.wantIDs("another endpoint's feed", ids(feed("ten_a", ep2.ID, hookd.FeedPlace{}, time.Time{}, 100)), evs[1].ID, evs[2].ID)
	f.wantIDs("the endpoint under another tenant", ids(feed("ten_b", ep.ID, hookd.FeedPlace{}, time.Time{}, 100)))
	_, err := f.s.FeedPlace(f.ctx, "ten_b", evs[0].ID)
	f.wantCode(err, hookd.ENOTFOUND, "FeedPlace of another tenant's event")
	_, err = f.s.FeedPlace(f.ctx, "ten_a", "evt_none")
	f.wantCode(err, hookd.ENOTFOUND, "FeedPlace of no event")
}

// testFeedPositions: a consumer's position is saved, replaced, kept per
// endpoint and consumer, and deleted with its endpoint and its tenant. Its
// place is kept whole, with the Xid a place of the store has.
func testFeedPositions(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	ep := f.endpoint("ten_a")
	ep2 := f.endpoint("ten_a")
	epB := f.endpoint("ten_b")
	_, err := f.s.FeedPosition(f.ctx, "ten_a", ep.ID, "books")
	f.wantCode(err, hookd.ENOTFOUND, "FeedPosition before any")
	ev, _ := f.send("ten_a", t0, "", ep.ID)
	p, err := f.s.FeedPlace(f.ctx, "ten_a", ev.ID)
	f.ok(err, "FeedPlace")
	places := map[string]hookd.FeedPlace{"fc_MQ": {Xid: p.Xid, Seq: 1}, "fc_Mg": {Xid: p.Xid, Seq: 2}, "fc_Mw": {Seq: 3},
		"fc_NA": {Xid: p.Xid, Seq: 1 << 40}, "fc_NQ": {Xid: p.Xid, Seq: 5}}
	save := func(tenant, endpoint, consumer, cursor string, at time.Time) {
		f.Helper()
		f.ok(f.s.SaveFeedPosition(f.ctx, tenant, endpoint, &hookd.FeedPosition{Consumer: consumer, Cursor: cursor,
			UpdatedAt: at, Place: places[cursor]}), "SaveFeedPosition")
	}
	want := func(tenant, endpoint, consumer, cursor string, at time.Time) {
		f.Helper()
		p, err := f.s.FeedPosition(f.ctx, tenant, endpoint, consumer)
		f.ok(err, "FeedPosition")
		if p != nil && (p.Cursor != cursor || p.Consumer != consumer || !p.UpdatedAt.Equal(at) || p.Place != places[cursor]) {
			f.Errorf("FeedPosition(%s, %s) = %+v, want %s (place %+v) at %v", endpoint, consumer, p, cursor, places[cursor], at)
		}
	}
	save("ten_a", ep.ID, "books", "fc_MQ", t0)
	save("ten_a", ep.ID, "audit", "fc_Mg", t0)
	save("ten_a", ep2.ID, "books", "fc_Mw", t0)
	save("ten_a", ep.ID, "books", "fc_NA", t0.Add(time.Minute))
	save("ten_b", epB.ID, "books", "fc_NQ", t0)
	want("ten_a", ep.ID, "books", "fc_NA", t0.Add(time.Minute))
	want("ten_a", ep.ID, "audit", "fc_Mg", t0)
	want("ten_a", ep2.ID, "books", "fc_Mw", t0)
	_, err = f.s.FeedPosition(f.ctx, "ten_b", ep.ID, "books")
	f.wantCode(err, hookd.ENOTFOUND, "FeedPosition under another tenant")

	f.deleteEndpoint(f.ctx, "ten_a", ep.ID, t0)
	_, err = f.s.FeedPosition(f.ctx, "ten_a", ep.ID, "books")
	f.wantCode(err, hookd.ENOTFOUND, "FeedPosition of a deleted endpoint")
	want("ten_a", ep2.ID, "books", "fc_Mw", t0)
	f.ok(f.s.DeleteTenant(f.ctx, "ten_b"), "DeleteTenant")
	_, err = f.s.FeedPosition(f.ctx, "ten_b", epB.ID, "books")
	f.wantCode(err, hookd.ENOTFOUND, "FeedPosition of a deleted tenant")
}

// testEventsByDeliveryState: the events list keeps the events with a
// delivery in a state; pending covers parked.
func testEventsByDeliveryState(f *fixture) {
	f.tenant("ten_a")
	ep := f.endpoint("ten_a")
	ep2 := f.endpoint("ten_a")
	parked := f.disabledEndpoint("ten_a")
	ok, d1 := f.send("ten_a", t0, "", ep.ID, ep2.ID)
	failed, d2 := f.send("ten_a", t0.Add(time.Second), "", ep.ID)
	waiting, _ := f.send("ten_a", t0.Add(2*time.Second), hookd.Parked, parked.ID)
	f.finish(d1[0], hookd.StateSucceeded, t0.Add(time.Minute))
	f.finish(d2[0], hookd.StateFailed, t0.Add(time.Minute))
	list := func(state string) []string {
		f.Helper()
		evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{DeliveryState: state})
		f.ok(err, "Events")
		return eventIDs(evs)
	}
	f.wantIDs("with a succeeded delivery", list(hookd.StateSucceeded), ok.ID)
	f.wantIDs("with a failed delivery", list(hookd.StateFailed), failed.ID)
	f.wantIDs("with a pending delivery (parked too)", list(hookd.StatePending), waiting.ID, ok.ID)
}
