package storetest

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// request returns an unsaved request of a source, received at at.
func (f *fixture) request(sourceID string, at time.Time, body []byte) *hookd.SourceRequest {
	return &hookd.SourceRequest{ID: f.id("sreq"), SourceID: sourceID, ReceivedAt: at, RemoteAddr: "127.0.0.1",
		Header: http.Header{"Lean-Signature": {"sha512=ab"}, "Authorization": {"[redacted]"}}, Body: body,
		Verdict: hookd.VerdictAccepted}
}

// testSourceRequests: a request is stored with its event in Apply; a repeat
// (an event id seen before, or earlier in the batch) stores no request
// and counts in the first one's duplicates; the list pages newest first;
// one is read by id or by its event; another tenant's are not seen.
func testSourceRequests(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	e := f.endpoint("ten_a")
	// Not UTF-8, and not JSON: kept byte for byte all the same.
	raw := []byte("{\"a\": 1,\n \"b\":\"\xff\xfe\"}\x00")
	ev := f.event("ten_a", "lean:payment.created", t0)
	r1 := f.request("srcid_1", t0, raw)
	r1.Verdict, r1.Invalid = hookd.VerdictInvalidPayload, "amount: must be a number"
	p := &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, t0, "")}, Request: r1}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})
	got, err := f.s.SourceRequest(f.ctx, "ten_a", r1.ID)
	f.ok(err, "SourceRequest")
	if got.SourceID != "srcid_1" || got.TenantID != "ten_a" || got.EventID != ev.ID || !bytes.Equal(got.Body, raw) ||
		!got.ReceivedAt.Equal(t0) || got.RemoteAddr != "127.0.0.1" || got.Header.Get("Lean-Signature") != "sha512=ab" ||
		got.Verdict != hookd.VerdictInvalidPayload || got.Invalid != r1.Invalid || got.Duplicates != 0 || got.LastDuplicateAt != nil {
		f.Errorf("SourceRequest = %+v (body %q)", got, got.Body)
	}
	byEvent, err := f.s.EventSourceRequest(f.ctx, "ten_a", ev.ID)
	f.ok(err, "EventSourceRequest")
	if byEvent.ID != r1.ID {
		f.Errorf("EventSourceRequest = %s, want %s", byEvent.ID, r1.ID)
	}
	plain, _ := f.send("ten_a", t0, "")
	_, err = f.s.EventSourceRequest(f.ctx, "ten_a", plain.ID)
	f.wantCode(err, hookd.ENOTFOUND, "EventSourceRequest of a published event")
	_, err = f.s.SourceRequest(f.ctx, "ten_b", r1.ID)
	f.wantCode(err, hookd.ENOTFOUND, "another tenant's request")

	// The same event again (a replay), and twice in one batch with a new
	// one: no second request, the first counts the replays.
	again := *ev
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: &again, Request: f.request("srcid_1", t0.Add(time.Second), raw)}}})
	ev2 := f.event("ten_a", "lean:payment.created", t0.Add(2*time.Second))
	ev2b := *ev2
	r2 := f.request("srcid_1", t0.Add(2*time.Second), []byte(`{}`))
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{
		{Event: ev2, Request: r2},
		{Event: &ev2b, Request: f.request("srcid_1", t0.Add(3*time.Second), []byte(`{}`))},
	}})
	list, err := f.s.SourceRequests(f.ctx, "ten_a", "srcid_1", hookd.Page{})
	f.ok(err, "SourceRequests")
	var ids []string
	for _, r := range list {
		ids = append(ids, r.ID)
	}
	f.wantIDs("SourceRequests, newest first", ids, r2.ID, r1.ID)
	if len(list) == 2 {
		if list[1].Duplicates != 1 || list[1].LastDuplicateAt == nil || !list[1].LastDuplicateAt.Equal(t0.Add(time.Second)) {
			f.Errorf("the first request after one replay: duplicates %d, last %v", list[1].Duplicates, list[1].LastDuplicateAt)
		}
		if list[0].Duplicates != 1 || list[0].EventID != ev2.ID {
			f.Errorf("a request repeated in its batch: duplicates %d, event %s", list[0].Duplicates, list[0].EventID)
		}
	}

	// Pages, newest first.
	var want []string
	for i := range 5 {
		ev := f.event("ten_a", "lean:payment.created", t0.Add(time.Minute))
		r := f.request("srcid_2", t0.Add(time.Minute), []byte(fmt.Sprint(i)))
		f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Request: r}}})
		want = append([]string{r.ID}, want...)
	}
	var paged []string
	for after := ""; ; {
		page, err := f.s.SourceRequests(f.ctx, "ten_a", "srcid_2", hookd.Page{After: after, Limit: 2})
		f.ok(err, "SourceRequests page")
		for _, r := range page {
			paged = append(paged, r.ID)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	f.wantIDs("SourceRequests in pages of 2", paged, want...)
	if l, err := f.s.SourceRequests(f.ctx, "ten_b", "srcid_2", hookd.Page{}); err != nil || len(l) != 0 {
		f.Errorf("another tenant's list: %d %v", len(l), err)
	}
}

// testSourceRequestsEitherCommit: requests stored beside a plain publish
// and an attempt's result, in a batch that commits as one statement where
// the store has one (PostgreSQL) and in one that takes the transaction (a
// hand-back in it): each request with its event and nothing for the
// plain publish; then a replay of one beside a new request: the replay
// counts on the first request, the new one is stored, once.
func testSourceRequestsEitherCommit(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	for _, tx := range []bool{false, true} {
		_, earlier := f.send("ten_a", t0, "node-1", e.ID)
		plain := f.event("ten_a", "payment.created", t0)
		evA, evB := f.event("ten_a", "lean:payment.created", t0), f.event("ten_a", "lean:payment.created", t0)
		rA, rB := f.request("srcid_1", t0, []byte(`{"a":1}`)), f.request("srcid_1", t0, []byte("b\x00"))
		dA := f.delivery(evA, e.ID, t0, "node-1")
		b := &hookd.Batch{Publishes: []*hookd.Publish{
			{Event: plain, Deliveries: []*hookd.Delivery{f.delivery(plain, e.ID, t0, "node-1")}},
			{Event: evA, Deliveries: []*hookd.Delivery{dA}, Request: rA},
			{Event: evB, Request: rB},
		}, Results: []*hookd.Result{{
			Attempt:  &hookd.Attempt{DeliveryID: earlier[0].ID, N: 1, At: t0, Status: 200},
			TenantID: "ten_a", State: hookd.StateSucceeded, FirstSentAt: t0, At: t0,
		}}}
		if tx {
			b.HandBacks = []hookd.HandBack{{DeliveryID: "dlv_nope", At: t0, NextAttemptAt: t0}}
		}
		f.apply(b)
		for _, want := range []*hookd.SourceRequest{rA, rB} {
			got, err := f.s.EventSourceRequest(f.ctx, "ten_a", want.EventID)
			f.ok(err, fmt.Sprintf("EventSourceRequest (transaction %v)", tx))
			if err == nil && (got.ID != want.ID || got.SourceID != "srcid_1" || !bytes.Equal(got.Body, want.Body) ||
				got.Header.Get("Lean-Signature") != "sha512=ab" || got.Duplicates != 0) {
				f.Errorf("transaction %v: the request of %s = %+v, want %s", tx, want.EventID, got, want.ID)
			}
		}
		_, err := f.s.EventSourceRequest(f.ctx, "ten_a", plain.ID)
		f.wantCode(err, hookd.ENOTFOUND, "the request of a plain publish")
		f.deliveryOf("ten_a", dA.ID)
		if d := f.deliveryOf("ten_a", earlier[0].ID); d.State != hookd.StateSucceeded {
			f.Errorf("transaction %v: the result's delivery is %s", tx, d.State)
		}

		again := *evA
		evC := f.event("ten_a", "lean:payment.created", t0)
		rC := f.request("srcid_1", t0.Add(time.Second), []byte(`{"c":3}`))
		f.apply(&hookd.Batch{Publishes: []*hookd.Publish{
			{Event: &again, Request: f.request("srcid_1", t0.Add(time.Second), []byte(`{"a":1}`))},
			{Event: evC, Request: rC},
		}})
		first, err := f.s.SourceRequest(f.ctx, "ten_a", rA.ID)
		f.ok(err, "SourceRequest")
		if err == nil && (first.Duplicates != 1 || first.LastDuplicateAt == nil) {
			f.Errorf("transaction %v: the replayed request: duplicates %d, last %v", tx, first.Duplicates, first.LastDuplicateAt)
		}
		got, err := f.s.EventSourceRequest(f.ctx, "ten_a", evC.ID)
		f.ok(err, "EventSourceRequest beside a replay")
		if err == nil && got.ID != rC.ID {
			f.Errorf("transaction %v: the request beside a replay = %s, want %s", tx, got.ID, rC.ID)
		}
	}
	list, err := f.s.SourceRequests(f.ctx, "ten_a", "srcid_1", hookd.Page{Limit: 100})
	f.ok(err, "SourceRequests")
	if len(list) != 6 {
		f.Errorf("%d requests stored, want 6 (three per batch of new events, none for the replays)", len(list))
	}
}

// testSourceRequestsIDTaken: a source's publish whose event id another
// event has (another source's webhook with the same provider id, under
// another idempotency key) answers Existing with that event and stores
// nothing: no request, and no duplicate counted on the other source's
// request (the caller publishes it again under an id of its own). Alone,
// in a batch beside the event that has the id, and beside a replay of
// the same source, which is counted.
func testSourceRequestsIDTaken(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	evX := f.event("ten_a", "lean:payment.created", t0)
	evX.IdempotencyKey = "lean:srcid_1:X"
	rX := f.request("srcid_1", t0, []byte(`{"x":1}`))
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: evX, Deliveries: []*hookd.Delivery{f.delivery(evX, e.ID, t0, "")}, Request: rX}}})

	taken := func(ev *hookd.Event, key string) *hookd.Event {
		out := f.event("ten_a", "payment.created", t0.Add(time.Second))
		out.ID, out.IdempotencyKey = ev.ID, key
		return out
	}
	other := &hookd.Publish{Event: taken(evX, "standard:srcid_2:X"), Request: f.request("srcid_2", t0.Add(time.Second), []byte(`{"x":2}`))}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{other}})
	f.wantEvent("Existing of a publish whose id is taken", other.Existing, evX)

	evY := f.event("ten_a", "lean:payment.created", t0.Add(2*time.Second))
	evY.IdempotencyKey = "lean:srcid_1:Y"
	rY := f.request("srcid_1", t0.Add(2*time.Second), []byte(`{"y":1}`))
	otherY := &hookd.Publish{Event: taken(evY, "standard:srcid_2:Y"), Request: f.request("srcid_2", t0.Add(2*time.Second), []byte(`{"y":2}`))}
	replayX := *evX
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{
		{Event: evY, Deliveries: []*hookd.Delivery{f.delivery(evY, e.ID, t0, "")}, Request: rY},
		otherY,
		{Event: &replayX, Request: f.request("srcid_1", t0.Add(3*time.Second), []byte(`{"x":1}`))},
	}})
	f.wantEvent("Existing of a publish whose id is taken in its batch", otherY.Existing, evY)

	if l, err := f.s.SourceRequests(f.ctx, "ten_a", "srcid_2", hookd.Page{}); err != nil || len(l) != 0 {
		f.Errorf("the requests of the source whose ids were taken: %d (%v), want none stored", len(l), err)
	}
	for _, c := range []struct {
		r    *hookd.SourceRequest
		dups int
	}{{rX, 1}, {rY, 0}} {
		got, err := f.s.SourceRequest(f.ctx, "ten_a", c.r.ID)
		f.ok(err, "SourceRequest")
		if err == nil && got.Duplicates != c.dups {
			f.Errorf("request of event %s: %d duplicates, want %d (only its own source's replay counts)", c.r.EventID, got.Duplicates, c.dups)
		}
	}
}

// testSourceRequestsPurged: a request goes when its event is purged, not
// before; deleting its source or tenant deletes it.
func testSourceRequestsPurged(f *fixture) {
	f.tenant("ten_a")
	cut := t0.Add(-30 * 24 * time.Hour)
	old := cut.Add(-time.Hour)
	e := f.endpoint("ten_a")
	gone := f.event("ten_a", "lean:payment.created", old)
	rGone := f.request("srcid_1", old, []byte(`{}`))
	kept := f.event("ten_a", "lean:payment.created", old)
	rKept := f.request("srcid_1", old, []byte(`{}`))
	recent := f.event("ten_a", "lean:payment.created", t0)
	rRecent := f.request("srcid_2", t0, []byte(`{}`))
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{{Event: gone, Request: rGone},
		{Event: kept, Request: rKept, Deliveries: []*hookd.Delivery{f.delivery(kept, e.ID, old, "")}}, // still pending
		{Event: recent, Request: rRecent}}})
	_, err := f.s.Purge(f.ctx, cut)
	f.ok(err, "Purge")
	_, err = f.s.SourceRequest(f.ctx, "ten_a", rGone.ID)
	f.wantCode(err, hookd.ENOTFOUND, "the request of a purged event")
	for _, r := range []*hookd.SourceRequest{rKept, rRecent} {
		_, err := f.s.SourceRequest(f.ctx, "ten_a", r.ID)
		f.ok(err, "a request whose event is kept")
	}
	src := &hookd.Source{ID: "srcid_1", TenantID: "ten_a", Name: "lean", Profile: hookd.SourceLean,
		Secrets: []hookd.Secret{{Value: "s"}}, TokenHash: "th-1", CreatedAt: t0, UpdatedAt: t0}
	f.ok(f.s.CreateSource(f.ctx, src), "CreateSource")
	f.ok(f.s.DeleteSource(f.ctx, "ten_a", src.ID), "DeleteSource")
	_, err = f.s.SourceRequest(f.ctx, "ten_a", rKept.ID)
	f.wantCode(err, hookd.ENOTFOUND, "a deleted source's request")
	f.ok(f.s.DeleteTenant(f.ctx, "ten_a"), "DeleteTenant")
	_, err = f.s.SourceRequest(f.ctx, "ten_a", rRecent.ID)
	f.wantCode(err, hookd.ENOTFOUND, "a deleted tenant's request")
}
