package storetest

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

func (f *fixture) wantTenant(what string, got, want *hookd.Tenant) {
	f.Helper()
	if got.ID != want.ID || got.Name != want.Name || string(got.Metadata) != string(want.Metadata) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		f.Errorf("%s: tenant\n got %+v metadata %q\nwant %+v metadata %q", what, *got, got.Metadata, *want, want.Metadata)
	}
}

func testTenantCRUD(f *fixture) {
	acme := &hookd.Tenant{ID: "ten_acme", Name: "Acme", Metadata: json.RawMessage(`{"plan": "gold",  "seats":3}`),
		CreatedAt: t0, UpdatedAt: t0}
	f.ok(f.s.CreateTenant(f.ctx, acme), "CreateTenant")
	bare := &hookd.Tenant{ID: "ten_bare", Name: "Bare", CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(time.Second)}
	f.ok(f.s.CreateTenant(f.ctx, bare), "CreateTenant without metadata")

	got, err := f.s.Tenant(f.ctx, acme.ID)
	f.ok(err, "Tenant")
	f.wantTenant("Tenant", got, acme)
	got, err = f.s.Tenant(f.ctx, bare.ID)
	f.ok(err, "Tenant")
	f.wantTenant("Tenant without metadata", got, bare)

	f.wantCode(f.s.CreateTenant(f.ctx, &hookd.Tenant{ID: acme.ID, Name: "Other", CreatedAt: t0, UpdatedAt: t0}),
		hookd.ECONFLICT, "CreateTenant of an existing id")
	_, err = f.s.Tenant(f.ctx, "ten_nope")
	f.wantCode(err, hookd.ENOTFOUND, "Tenant of an unknown id")

	// Only the fields set in the update change.
	t1 := t0.Add(time.Hour)
	name := "Acme Corp"
	up, err := f.s.UpdateTenant(f.ctx, acme.ID, &hookd.TenantUpdate{Name: &name}, t1)
	f.ok(err, "UpdateTenant name")
	acme.Name, acme.UpdatedAt = name, t1
	f.wantTenant("UpdateTenant result", up, acme)
	t2 := t1.Add(time.Hour)
	meta := json.RawMessage(`{"plan":"platinum"}`)
	_, err = f.s.UpdateTenant(f.ctx, acme.ID, &hookd.TenantUpdate{Metadata: &meta}, t2)
	f.ok(err, "UpdateTenant metadata")
	acme.Metadata, acme.UpdatedAt = meta, t2
	got, err = f.s.Tenant(f.ctx, acme.ID)
	f.ok(err, "Tenant")
	f.wantTenant("Tenant after updates", got, acme)

	_, err = f.s.UpdateTenant(f.ctx, "ten_nope", &hookd.TenantUpdate{Name: &name}, t2)
	f.wantCode(err, hookd.ENOTFOUND, "UpdateTenant of an unknown id")
}

func testTenantPages(f *fixture) {
	// Created in an order that is not the ids' order: pages follow creation.
	order := []string{"ten_c", "ten_a", "ten_e", "ten_b", "ten_d"}
	for _, id := range order {
		f.tenant(id)
	}
	list := func(p hookd.Page) []string {
		f.Helper()
		ts, err := f.s.Tenants(f.ctx, p)
		f.ok(err, "Tenants")
		return ids(ts, func(t *hookd.Tenant) string { return t.ID })
	}
	f.wantIDs("Tenants", list(hookd.Page{}), order...)
	f.wantIDs("page 1", list(hookd.Page{Limit: 2}), "ten_c", "ten_a")
	f.wantIDs("page 2", list(hookd.Page{After: "ten_a", Limit: 2}), "ten_e", "ten_b")
	f.wantIDs("page 3", list(hookd.Page{After: "ten_b", Limit: 2}), "ten_d")
	f.wantIDs("after the last", list(hookd.Page{After: "ten_d", Limit: 2}))
	_, err := f.s.Tenants(f.ctx, hookd.Page{After: "ten_nope", Limit: 2})
	f.wantCode(err, hookd.EINVALID, "Tenants after an unknown tenant (not the first page again)")
}

func testDeleteTenantCascades(f *fixture) {
	// Two tenants with one of everything; deleting one leaves the other whole.
	type world struct {
		ep  *hookd.Endpoint
		ev  *hookd.Event
		dls []*hookd.Delivery
	}
	build := func(tenant string) world {
		f.tenant(tenant)
		f.token(hookd.TokenTenant, tenant, "hash-"+tenant, nil)
		ep := f.endpoint(tenant)
		ev, ds := f.send(tenant, t0, "", ep.ID)
		f.apply(&hookd.Batch{Results: []*hookd.Result{{ // one failed attempt, still pending
			Attempt:  &hookd.Attempt{DeliveryID: ds[0].ID, N: 1, At: t0, Status: 503},
			TenantID: tenant, State: hookd.StatePending, NextAttemptAt: t0.Add(time.Minute),
			FirstSentAt: t0, At: t0,
		}}})
		_, done := f.send(tenant, t0, "", ep.ID)
		f.finish(done[0], hookd.StateSucceeded, t0)
		return world{ep, ev, append(ds, done...)}
	}
	a, b := build("ten_a"), build("ten_b")
	v, err := f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")

	// Read once before: a store that keeps tokens (or sources) in memory
	// forgets them.
	_, err = f.s.TokenByHash(f.ctx, "hash-ten_a")
	f.ok(err, "TokenByHash before delete")
	f.ok(f.s.CreateSource(f.ctx, &hookd.Source{ID: "srcid_a", TenantID: "ten_a", Name: "a", Profile: hookd.SourceLean,
		Secrets: []hookd.Secret{{Value: "s"}}, TokenHash: "src-hash-ten_a", CreatedAt: t0, UpdatedAt: t0}), "CreateSource")
	_, err = f.s.SourceByToken(f.ctx, "src-hash-ten_a", t0)
	f.ok(err, "SourceByToken before delete")
	f.ok(f.s.DeleteTenant(f.ctx, "ten_a"), "DeleteTenant")
	f.wantCode(f.s.DeleteTenant(f.ctx, "ten_a"), hookd.ENOTFOUND, "DeleteTenant again")

	_, err = f.s.Tenant(f.ctx, "ten_a")
	f.wantCode(err, hookd.ENOTFOUND, "Tenant after delete")
	_, err = f.s.TokenByHash(f.ctx, "hash-ten_a")
	f.wantCode(err, hookd.ENOTFOUND, "TokenByHash after delete")
	_, err = f.s.SourceByToken(f.ctx, "src-hash-ten_a", t0)
	f.wantCode(err, hookd.ENOTFOUND, "SourceByToken after delete")
	_, err = f.s.Endpoint(f.ctx, "ten_a", a.ep.ID)
	f.wantCode(err, hookd.ENOTFOUND, "Endpoint after delete")
	_, err = f.s.Event(f.ctx, "ten_a", a.ev.ID)
	f.wantCode(err, hookd.ENOTFOUND, "Event after delete")
	for _, d := range a.dls {
		_, err = f.s.Delivery(f.ctx, "ten_a", d.ID)
		f.wantCode(err, hookd.ENOTFOUND, "Delivery after delete")
		as, err := f.s.Attempts(f.ctx, d.ID)
		f.ok(err, "Attempts")
		if len(as) != 0 {
			f.Errorf("delivery %s of a deleted tenant keeps %d attempts", d.ID, len(as))
		}
	}
	evs, err := f.s.Events(f.ctx, "ten_a", hookd.EventFilter{})
	f.ok(err, "Events")
	f.wantIDs("Events of a deleted tenant", eventIDs(evs))
	all, err := f.s.AllEndpoints(f.ctx)
	f.ok(err, "AllEndpoints")
	f.wantIDs("AllEndpoints", ids(all, func(e *hookd.Endpoint) string { return e.ID }), b.ep.ID)
	if v2, err := f.s.EndpointsVersion(f.ctx); err != nil || v2 == v {
		f.Errorf("EndpointsVersion after DeleteTenant: %d (%v), was %d: deleted endpoints must reload", v2, err, v)
	}
	// Nothing of the deleted tenant is left to send.
	f.wantIDs("Claim", f.claim("node-1", t0.Add(time.Hour), 10), b.dls[0].ID)

	// The other tenant is untouched.
	if got, err := f.s.TokenByHash(f.ctx, "hash-ten_b"); err != nil || got.TenantID != "ten_b" {
		f.Errorf("TokenByHash of the other tenant = %+v, %v", got, err)
	}
	f.endpointOf("ten_b", b.ep.ID)
	_, err = f.s.Event(f.ctx, "ten_b", b.ev.ID)
	f.ok(err, "Event of the other tenant")
	for _, d := range b.dls {
		f.deliveryOf("ten_b", d.ID)
	}
	as, err := f.s.Attempts(f.ctx, b.dls[0].ID)
	f.ok(err, "Attempts")
	if len(as) != 1 {
		f.Errorf("the other tenant's delivery has %d attempts, want 1", len(as))
	}
}

func testTenantIsolation(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	epA := f.endpoint("ten_a")
	epB := f.endpoint("ten_b")
	evA, dsA := f.send("ten_a", t0, "", epA.ID)
	f.finish(dsA[0], hookd.StateFailed, t0)
	// The same event id in another tenant is another event.
	evB := &hookd.Event{ID: evA.ID, TenantID: "ten_b", Type: "other.type", Payload: json.RawMessage(`{"b":true}`), CreatedAt: t0}
	pB := &hookd.Publish{Event: evB, Deliveries: []*hookd.Delivery{f.delivery(evB, epB.ID, t0, "")}}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{pB}})
	if pB.Existing != nil {
		f.Fatalf("an event id of another tenant counts as a duplicate")
	}

	_, err := f.s.Endpoint(f.ctx, "ten_b", epA.ID)
	f.wantCode(err, hookd.ENOTFOUND, "Endpoint of another tenant")
	_, err = f.s.Delivery(f.ctx, "ten_b", dsA[0].ID)
	f.wantCode(err, hookd.ENOTFOUND, "Delivery of another tenant")
	got, err := f.s.Event(f.ctx, "ten_b", evA.ID)
	f.ok(err, "Event")
	f.wantEvent("Event with an id both tenants use", got, evB)
	got, err = f.s.Event(f.ctx, "ten_a", evA.ID)
	f.ok(err, "Event")
	f.wantEvent("Event with an id both tenants use", got, evA)

	_, err = f.s.Requeue(f.ctx, "ten_b", dsA[0].ID, t0)
	f.wantCode(err, hookd.ENOTFOUND, "Requeue of another tenant's delivery")
	if d := f.deliveryOf("ten_a", dsA[0].ID); d.State != hookd.StateFailed {
		f.Errorf("Requeue through another tenant changed the delivery to %s", d.State)
	}
	_, err = f.s.Recover(f.ctx, "ten_b", epA.ID, t0.Add(-time.Hour), t0.Add(time.Hour), t0)
	f.wantCode(err, hookd.ENOTFOUND, "Recover of another tenant's endpoint")
	f.wantCode(second(f.s.DeleteEndpoint(f.ctx, "ten_b", epA.ID, t0)), hookd.ENOTFOUND, "DeleteEndpoint of another tenant's endpoint")
	moved := *epA
	moved.TenantID = "ten_b"
	f.wantCode(f.s.SaveEndpoint(f.ctx, &moved), hookd.ENOTFOUND, "SaveEndpoint under another tenant")
	f.endpointOf("ten_a", epA.ID)

	eps, err := f.s.Endpoints(f.ctx, "ten_b", hookd.Page{})
	f.ok(err, "Endpoints")
	f.wantIDs("Endpoints of tenant b", ids(eps, func(e *hookd.Endpoint) string { return e.ID }), epB.ID)
	evs, err := f.s.Events(f.ctx, "ten_b", hookd.EventFilter{})
	f.ok(err, "Events")
	if len(evs) != 1 || evs[0].TenantID != "ten_b" {
		f.Errorf("Events of tenant b: %+v", evs)
	}
	ds, err := f.s.Deliveries(f.ctx, "ten_b", hookd.DeliveryFilter{})
	f.ok(err, "Deliveries")
	f.wantIDs("Deliveries of tenant b", deliveryIDs(ds), pB.Deliveries[0].ID)
	ds, err = f.s.Deliveries(f.ctx, "ten_b", hookd.DeliveryFilter{EventID: evA.ID})
	f.ok(err, "Deliveries")
	f.wantIDs("Deliveries of tenant b by a shared event id", deliveryIDs(ds), pB.Deliveries[0].ID)
}

// testPagesAfterConcurrentCreates creates tenants and endpoints from
// several goroutines at once, as several API nodes would: paging through
// them still lists each exactly once.
func testPagesAfterConcurrentCreates(f *fixture) {
	const n = 24
	f.tenant("ten_0")
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			at := t0.Add(time.Duration(i) * time.Millisecond)
			errs <- f.s.CreateTenant(f.ctx, &hookd.Tenant{ID: fmt.Sprintf("ten_c%02d", i), Name: "c", CreatedAt: at, UpdatedAt: at})
			errs <- f.s.CreateEndpoint(f.ctx, &hookd.Endpoint{ID: fmt.Sprintf("ep_c%02d", i), TenantID: "ten_0",
				URL: "https://hooks.example.com", Profile: "standard", EventTypes: []string{"*"}, Ordering: hookd.OrderingNone,
				Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: at, UpdatedAt: at})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		f.ok(err, "concurrent create")
	}
	seen := map[string]int{}
	for after := ""; ; {
		ts, err := f.s.Tenants(f.ctx, hookd.Page{After: after, Limit: 5})
		f.ok(err, "Tenants")
		if len(ts) == 0 {
			break
		}
		for _, t := range ts {
			seen[t.ID]++
		}
		after = ts[len(ts)-1].ID
	}
	for after := ""; ; {
		es, err := f.s.Endpoints(f.ctx, "ten_0", hookd.Page{After: after, Limit: 5})
		f.ok(err, "Endpoints")
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			seen[e.ID]++
		}
		after = es[len(es)-1].ID
	}
	if len(seen) != 2*n+1 {
		f.Errorf("paging listed %d tenants and endpoints, want %d", len(seen), 2*n+1)
	}
	for id, k := range seen {
		if k != 1 {
			f.Errorf("%s listed %d times", id, k)
		}
	}
}
