package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

func testPublishStores(f *fixture) {
	f.tenant("ten_a")
	e1, e2 := f.endpoint("ten_a"), f.endpoint("ten_a")
	// The payload is kept byte for byte: spacing, key order, escapes and
	// number spelling are the publisher's, and receivers verify signatures
	// over exactly these bytes.
	ev := &hookd.Event{ID: "evt_payment_1", TenantID: "ten_a", Type: "lean:payment.created",
		Payload:     json.RawMessage("{ \"amount\" : 10.50,\n\t\"note\":\"caf\\u00e9 ☕\", \"nested\":{\"b\":1,\"a\":2e0} }"),
		OrderingKey: "pay_1", IdempotencyKey: "idem-1", CreatedAt: t0}
	d1 := f.delivery(ev, e1.ID, t0, "node-1")
	d2 := f.delivery(ev, e2.ID, t0.Add(time.Second), "")
	p := &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d1, d2}}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})
	if p.Existing != nil {
		f.Fatalf("a new event has Existing = %+v", p.Existing)
	}
	got, err := f.s.Event(f.ctx, "ten_a", ev.ID)
	f.ok(err, "Event")
	f.wantEvent("Event", got, ev)
	if got.Seq <= 0 {
		f.Errorf("Event.Seq = %d, want > 0", got.Seq)
	}
	ds, err := f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{EventID: ev.ID})
	f.ok(err, "Deliveries")
	f.wantIDs("Deliveries of the event", deliveryIDs(ds), d2.ID, d1.ID)
	for i, want := range []*hookd.Delivery{d2, d1} {
		if i < len(ds) {
			f.wantDelivery("stored delivery", ds[i], want)
		}
	}

	// Keys are optional; the next event sorts after the first.
	plain, _ := f.send("ten_a", t0.Add(time.Minute), "")
	got2, err := f.s.Event(f.ctx, "ten_a", plain.ID)
	f.ok(err, "Event")
	f.wantEvent("Event without keys", got2, plain)
	if got2.Seq <= got.Seq {
		f.Errorf("Seq of a later event %d <= %d", got2.Seq, got.Seq)
	}
	ds, err = f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{EventID: plain.ID})
	f.ok(err, "Deliveries")
	f.wantIDs("Deliveries of an event nobody subscribed to", deliveryIDs(ds))
}

func testPublishSameIDAgain(f *fixture) {
	f.tenant("ten_a")
	e1, e2 := f.endpoint("ten_a"), f.endpoint("ten_a")
	first, ds := f.send("ten_a", t0, "", e1.ID, e2.ID)
	f.finish(ds[0], hookd.StateSucceeded, t0.Add(time.Second))

	again := &hookd.Event{ID: first.ID, TenantID: "ten_a", Type: "payment.failed",
		Payload: json.RawMessage(`{"other":1}`), CreatedAt: t0.Add(time.Minute)}
	fresh := []*hookd.Delivery{f.delivery(again, e1.ID, again.CreatedAt, ""), f.delivery(again, e2.ID, again.CreatedAt, "")}
	p := &hookd.Publish{Event: again, Deliveries: fresh}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})

	f.wantEvent("Existing", p.Existing, first)
	f.wantSameIDs("Deliveries of the repeated publish", deliveryIDs(p.Deliveries), ds[0].ID, ds[1].ID)
	for _, d := range p.Deliveries {
		if d.ID == ds[0].ID && d.State != hookd.StateSucceeded {
			f.Errorf("a repeated publish reports delivery %s as %s, want its current state succeeded", d.ID, d.State)
		}
	}
	for _, d := range fresh {
		_, err := f.s.Delivery(f.ctx, "ten_a", d.ID)
		f.wantCode(err, hookd.ENOTFOUND, "a delivery of the repeated publish")
	}
	got, err := f.s.Event(f.ctx, "ten_a", first.ID)
	f.ok(err, "Event")
	f.wantEvent("Event after a repeated publish", got, first)
	f.wantSameIDs("Claim", f.claim("node-1", t0.Add(time.Hour), 10), ds[1].ID)
}

func testPublishSameIdempotencyKey(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	e := f.endpoint("ten_a")
	eb := f.endpoint("ten_b")
	publish := func(tenant, endpoint string) *hookd.Publish {
		f.Helper()
		ev := f.event(tenant, "payment.created", t0)
		ev.IdempotencyKey = "order-42"
		p := &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, endpoint, t0, "")}}
		f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})
		return p
	}
	p1 := publish("ten_a", e.ID)
	p2 := publish("ten_a", e.ID)
	if p1.Existing != nil {
		f.Fatalf("the first publish with a key has Existing")
	}
	f.wantEvent("Existing of a publish with a used key", p2.Existing, p1.Event)
	f.wantIDs("its deliveries", deliveryIDs(p2.Deliveries), p1.Deliveries[0].ID)
	_, err := f.s.Event(f.ctx, "ten_a", p2.Event.ID)
	f.wantCode(err, hookd.ENOTFOUND, "the event of the repeated key")

	// Keys are per tenant.
	if p := publish("ten_b", eb.ID); p.Existing != nil {
		f.Errorf("a key used by another tenant counts as used: Existing = %s", p.Existing.ID)
	}
}

func testPublishDuplicatesInOneBatch(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	mk := func(id, key string) *hookd.Publish {
		ev := &hookd.Event{ID: id, TenantID: "ten_a", Type: "payment.created", IdempotencyKey: key,
			Payload: json.RawMessage(`{"id":"` + id + `"}`), CreatedAt: t0}
		return &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, t0, "")}}
	}
	p1 := mk("evt_1", "key-1")
	p2 := mk("evt_1", "")      // the same id
	p3 := mk("evt_3", "key-1") // the same key
	p4 := mk("evt_4", "")
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p1, p2, p3, p4}})
	if p1.Existing != nil || p4.Existing != nil {
		f.Errorf("new events in a batch have Existing: %v %v", p1.Existing, p4.Existing)
	}
	for _, p := range []*hookd.Publish{p2, p3} {
		f.wantEvent("Existing of a duplicate in the same batch", p.Existing, p1.Event)
		f.wantIDs("its deliveries", deliveryIDs(p.Deliveries), p1.Deliveries[0].ID)
	}
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{})
	f.ok(err, "Events")
	f.wantIDs("Events", eventIDs(evs), "evt_4", "evt_1")
	ds, err := f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{})
	f.ok(err, "Deliveries")
	f.wantIDs("Deliveries", deliveryIDs(ds), p4.Deliveries[0].ID, p1.Deliveries[0].ID)
}

// testPublishRepeatAmongNew commits, in one batch, new events, a repeat of
// a stored event's id, a repeat of a stored idempotency key and the result
// of an attempt, as a group commit under load holds them: the new events
// and the result are stored, the repeats answered with what the first
// publishes stored (PostgreSQL's one statement tries the batch without ON
// CONFLICT first, and again with it when a repeat refuses the insert).
func testPublishRepeatAmongNew(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	first, ds := f.send("ten_a", t0, "node-1", e.ID)
	keyed := f.event("ten_a", "payment.created", t0)
	keyed.IdempotencyKey = "order-7"
	pk := &hookd.Publish{Event: keyed, Deliveries: []*hookd.Delivery{f.delivery(keyed, e.ID, t0, "node-1")}}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{pk}})

	at := t0.Add(time.Minute)
	mk := func(ev *hookd.Event) *hookd.Publish {
		return &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, at, "node-1")}}
	}
	n1, n2 := mk(f.event("ten_a", "payment.created", at)), mk(f.event("ten_a", "payment.created", at))
	sameID := mk(&hookd.Event{ID: first.ID, TenantID: "ten_a", Type: "payment.created", Payload: json.RawMessage(`{"again":1}`), CreatedAt: at})
	sameKey := f.event("ten_a", "payment.created", at)
	sameKey.IdempotencyKey = "order-7"
	pKey := mk(sameKey)
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{n1, sameID, n2, pKey}, Results: []*hookd.Result{{
		Attempt:  &hookd.Attempt{DeliveryID: ds[0].ID, N: 1, At: at, Status: 200},
		TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: at, At: at,
	}}})

	if n1.Existing != nil || n2.Existing != nil {
		f.Errorf("new events beside repeats have Existing: %v %v", n1.Existing, n2.Existing)
	}
	f.wantEvent("Existing of the repeated id", sameID.Existing, first)
	f.wantIDs("its deliveries", deliveryIDs(sameID.Deliveries), ds[0].ID)
	f.wantEvent("Existing of the repeated key", pKey.Existing, keyed)
	f.wantIDs("its deliveries", deliveryIDs(pKey.Deliveries), pk.Deliveries[0].ID)
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{})
	f.ok(err, "Events")
	f.wantIDs("Events", eventIDs(evs), n2.Event.ID, n1.Event.ID, keyed.ID, first.ID)
	for _, p := range []*hookd.Publish{n1, n2} {
		if d := f.deliveryOf("ten_a", p.Deliveries[0].ID); d.State != hookd.StatePending {
			f.Errorf("delivery %s of a new event is %s, want pending", d.ID, d.State)
		}
	}
	if d := f.deliveryOf("ten_a", ds[0].ID); d.State != hookd.StateSucceeded || d.Attempts != 1 {
		f.Errorf("the delivery of the batch's result is %s after %d attempts, want succeeded after 1", d.State, d.Attempts)
	}
	if as := f.attempts(ds[0].ID); len(as) != 1 || as[0].Status != 200 {
		f.Errorf("attempts of the batch's result: %d, want one of status 200", len(as))
	}
}

// testPublishConcurrent runs several group-commit writers at once, as the
// engine does on PostgreSQL, all racing to publish the same events: each
// event is stored once and every other writer is told it exists.
func testPublishConcurrent(f *fixture) {
	const writers, batches = 4, 10
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	work := make([][]*hookd.Batch, writers)
	for w := range writers {
		for b := range batches {
			batch := &hookd.Batch{}
			ids := []string{fmt.Sprintf("evt_w%d_b%d_x", w, b), fmt.Sprintf("evt_shared_%d", b), fmt.Sprintf("evt_w%d_b%d_y", w, b)}
			for i, id := range ids {
				ev := &hookd.Event{ID: id, TenantID: "ten_a", Type: "payment.created", Payload: json.RawMessage(`{}`), CreatedAt: t0}
				d := &hookd.Delivery{ID: fmt.Sprintf("dlv_w%d_b%02d_%d", w, b, i), TenantID: "ten_a", EventID: id,
					EndpointID: e.ID, EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: ptr(t0), CreatedAt: t0, UpdatedAt: t0}
				batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
			}
			work[w] = append(work[w], batch)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	for w := range writers {
		wg.Go(func() {
			for _, b := range work[w] {
				errs <- f.s.Apply(f.ctx, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.ok(err, "concurrent Apply")
	}

	for b := range batches {
		shared := fmt.Sprintf("evt_shared_%d", b)
		var winner *hookd.Publish
		for w := range writers {
			if p := work[w][b].Publishes[1]; p.Existing == nil {
				if winner != nil {
					f.Errorf("%s stored by two writers", shared)
				}
				winner = p
			}
		}
		if winner == nil {
			f.Errorf("%s: every writer was told it exists", shared)
			continue
		}
		for w := range writers {
			if p := work[w][b].Publishes[1]; p != winner {
				f.wantIDs("Deliveries of a lost race", deliveryIDs(p.Deliveries), winner.Deliveries[0].ID)
			}
		}
		ds, err := f.s.Deliveries(f.ctx, "ten_a", hookd.DeliveryFilter{EventID: shared})
		f.ok(err, "Deliveries")
		f.wantIDs("stored deliveries of "+shared, deliveryIDs(ds), winner.Deliveries[0].ID)
	}
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{Page: hookd.Page{Limit: 1000}})
	f.ok(err, "Events")
	if want := writers*batches*2 + batches; len(evs) != want {
		f.Errorf("%d events stored, want %d", len(evs), want)
	}
}

func testEventsList(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	var batch hookd.Batch
	var e []string
	for i := range 5 {
		typ := "payment.created"
		if i%2 == 1 {
			typ = "payment.failed"
		}
		ev := f.event("ten_a", typ, t0.Add(time.Duration(i)*time.Second))
		e = append(e, ev.ID)
		batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev})
	}
	f.apply(&batch)
	other, _ := f.send("ten_b", t0, "")
	list := func(fl hookd.EventFilter) []string {
		f.Helper()
		evs, err := f.s.Events(f.ctx, "ten_a", fl)
		f.ok(err, "Events")
		return eventIDs(evs)
	}
	f.wantIDs("Events newest first", list(hookd.EventFilter{}), e[4], e[3], e[2], e[1], e[0])
	f.wantIDs("by type", list(hookd.EventFilter{Type: "payment.created"}), e[4], e[2], e[0])
	f.wantIDs("page 1", list(hookd.EventFilter{Page: hookd.Page{Limit: 2}}), e[4], e[3])
	f.wantIDs("page 2", list(hookd.EventFilter{Page: hookd.Page{After: e[3], Limit: 2}}), e[2], e[1])
	f.wantIDs("page 3", list(hookd.EventFilter{Page: hookd.Page{After: e[1], Limit: 2}}), e[0])
	f.wantIDs("after the last", list(hookd.EventFilter{Page: hookd.Page{After: e[0]}}))
	f.wantIDs("by type after a cursor", list(hookd.EventFilter{Type: "payment.created", Page: hookd.Page{After: e[4]}}), e[2], e[0])
	f.wantIDs("by a type nobody published", list(hookd.EventFilter{Type: "payment.refunded"}))
	_, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{Page: hookd.Page{After: "evt_nope"}})
	f.wantCode(err, hookd.EINVALID, "Events after an unknown cursor")
	_, err = f.s.Events(f.ctx, "ten_a", hookd.EventFilter{Page: hookd.Page{After: other.ID}})
	f.wantCode(err, hookd.EINVALID, "Events after another tenant's event")
}

// testPublishTestEvent: an event marked Test reads back marked, in reads
// and lists; others read back unmarked.
func testPublishTestEvent(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	real := f.event("ten_a", "payment.created", t0)
	test := f.event("ten_a", "payment.created", t0)
	test.Test = true
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: real, Deliveries: []*hookd.Delivery{f.delivery(real, e.ID, t0, "")}},
		{Event: test, Deliveries: []*hookd.Delivery{f.delivery(test, e.ID, t0, "")}}}})
	for _, want := range []*hookd.Event{real, test} {
		got, err := f.s.Event(f.ctx, "ten_a", want.ID)
		f.ok(err, "Event")
		if got.Test != want.Test {
			f.Errorf("event %s: Test %v, want %v", want.ID, got.Test, want.Test)
		}
	}
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{})
	f.ok(err, "Events")
	if len(evs) != 2 || !evs[0].Test || evs[1].Test {
		f.Errorf("Events: the test mark is not listed as stored")
	}
}

// testEventsByTypes: several exact names and prefixes select their union;
// NotPrefix leaves a prefix out; paging and cursors work with them.
func testEventsByTypes(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	var batch hookd.Batch
	var e []string
	for i, typ := range []string{"payment.created", "lean:payment.created", "linkmoney:payment.created",
		"payment.failed", "payments.x", "hookd.endpoint.disabled", "paymentXcreated"} {
		ev := f.event("ten_a", typ, t0.Add(time.Duration(i)*time.Second))
		e = append(e, ev.ID)
		batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev})
	}
	f.apply(&batch)
	f.send("ten_b", t0, "")
	list := func(fl hookd.EventFilter) []string {
		f.Helper()
		evs, err := f.s.Events(f.ctx, "ten_a", fl)
		f.ok(err, "Events")
		return eventIDs(evs)
	}
	f.wantIDs("Types", list(hookd.EventFilter{Types: []string{"payment.created", "linkmoney:payment.created", "lean:payment.created"}}),
		e[2], e[1], e[0])
	f.wantIDs("Prefixes", list(hookd.EventFilter{Prefixes: []string{"payment.", "lean:payment."}}), e[3], e[1], e[0])
	f.wantIDs("Types and Prefixes", list(hookd.EventFilter{Types: []string{"paymentXcreated"}, Prefixes: []string{"payments."}}), e[6], e[4])
	f.wantIDs("NotPrefix", list(hookd.EventFilter{NotPrefix: "hookd."}), e[6], e[4], e[3], e[2], e[1], e[0])
	f.wantIDs("Prefixes paged", list(hookd.EventFilter{Prefixes: []string{"payment.", "lean:payment."}, Page: hookd.Page{After: e[3], Limit: 1}}), e[1])
	f.wantIDs("no match", list(hookd.EventFilter{Types: []string{"payment"}, Prefixes: []string{"pay."}}))
}

func testDeliveriesList(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	ep1, ep2 := f.endpoint("ten_a"), f.endpoint("ten_a")
	var evs []*hookd.Event
	var d []*hookd.Delivery // e0→ep1, e0→ep2, e1→ep1, e1→ep2, e2→ep1, e2→ep2
	for i := range 3 {
		ev, ds := f.send("ten_a", t0.Add(time.Duration(i)*time.Second), "", ep1.ID, ep2.ID)
		evs = append(evs, ev)
		d = append(d, ds...)
	}
	f.finish(d[0], hookd.StateFailed, t0.Add(time.Minute))
	f.finish(d[3], hookd.StateSucceeded, t0.Add(time.Minute))
	f.finish(d[4], hookd.StateFailed, t0.Add(time.Minute))
	epB := f.endpoint("ten_b")
	f.send("ten_b", t0, "", epB.ID)

	list := func(fl hookd.DeliveryFilter) []string {
		f.Helper()
		ds, err := f.s.Deliveries(f.ctx, "ten_a", fl)
		f.ok(err, "Deliveries")
		return deliveryIDs(ds)
	}
	f.wantIDs("newest first", list(hookd.DeliveryFilter{}), d[5].ID, d[4].ID, d[3].ID, d[2].ID, d[1].ID, d[0].ID)
	f.wantIDs("by endpoint", list(hookd.DeliveryFilter{EndpointID: ep1.ID}), d[4].ID, d[2].ID, d[0].ID)
	f.wantIDs("by event", list(hookd.DeliveryFilter{EventID: evs[1].ID}), d[3].ID, d[2].ID)
	f.wantIDs("by state failed", list(hookd.DeliveryFilter{State: hookd.StateFailed}), d[4].ID, d[0].ID)
	f.wantIDs("by state pending", list(hookd.DeliveryFilter{State: hookd.StatePending}), d[5].ID, d[2].ID, d[1].ID)
	f.wantIDs("by endpoint and state", list(hookd.DeliveryFilter{EndpointID: ep2.ID, State: hookd.StateSucceeded}), d[3].ID)
	f.wantIDs("page 1", list(hookd.DeliveryFilter{Page: hookd.Page{Limit: 4}}), d[5].ID, d[4].ID, d[3].ID, d[2].ID)
	f.wantIDs("page 2", list(hookd.DeliveryFilter{Page: hookd.Page{After: d[2].ID, Limit: 4}}), d[1].ID, d[0].ID)
	f.wantIDs("filtered page", list(hookd.DeliveryFilter{EndpointID: ep2.ID, Page: hookd.Page{After: d[5].ID, Limit: 1}}), d[3].ID)
	f.wantIDs("after the last", list(hookd.DeliveryFilter{Page: hookd.Page{After: d[0].ID}}))
	f.wantIDs("by an unknown endpoint", list(hookd.DeliveryFilter{EndpointID: epB.ID}))
}

// testPublishStaleEndpoints: a batch whose deliveries were computed from an
// endpoints version that is no longer the store's stores nothing, results
// included, and says so with ErrStale; with the current version it commits.
func testPublishStaleEndpoints(f *fixture) {
	f.tenant("ten_a")
	e1 := f.endpoint("ten_a")
	v, err := f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")
	f.endpoint("ten_a") // created elsewhere: the version moves on

	ev := &hookd.Event{ID: "evt_stale", TenantID: "ten_a", Type: "payment.created", Payload: json.RawMessage(`{}`), CreatedAt: t0}
	p := &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e1.ID, t0, "")}}
	err = f.s.Apply(f.ctx, &hookd.Batch{Publishes: []*hookd.Publish{p}, CheckVersion: true, EndpointsVersion: v})
	if err != hookd.ErrStale {
		f.Fatalf("Apply with a stale endpoints version: err = %v, want ErrStale", err)
	}
	if _, err := f.s.Event(f.ctx, "ten_a", ev.ID); err != hookd.ErrNotFound {
		f.Fatalf("the refused batch stored its event (err = %v)", err)
	}

	v, err = f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")
	f.ok(f.s.Apply(f.ctx, &hookd.Batch{Publishes: []*hookd.Publish{p}, CheckVersion: true, EndpointsVersion: v}), "Apply with the current version")
	got, err := f.s.Event(f.ctx, "ten_a", ev.ID)
	f.ok(err, "Event")
	f.wantEvent("Event", got, ev)
}
