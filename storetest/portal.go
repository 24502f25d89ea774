package storetest

import (
	"slices"
	"time"

	"github.com/hookd/hookd"
)

func testPortalGrants(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	link := &hookd.PortalGrant{Kind: hookd.PortalLink, TenantID: "ten_a", Capabilities: []string{hookd.CapRead, hookd.CapReplay},
		ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}
	f.ok(f.s.CreatePortalGrant(f.ctx, link, "hash-link"), "CreatePortalGrant")
	f.ok(f.s.CreatePortalGrant(f.ctx, &hookd.PortalGrant{Kind: hookd.PortalSession, TenantID: "ten_a",
		Capabilities: link.Capabilities, ExpiresAt: link.ExpiresAt, CreatedAt: t0}, "hash-session"), "CreatePortalGrant session")
	f.ok(f.s.CreatePortalGrant(f.ctx, &hookd.PortalGrant{Kind: hookd.PortalLink, TenantID: "ten_b",
		ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}, "hash-b"), "CreatePortalGrant of another tenant")
	f.ok(f.s.CreatePortalGrant(f.ctx, &hookd.PortalGrant{Kind: hookd.PortalOperator,
		Capabilities: hookd.Capabilities, ExpiresAt: t0.Add(time.Hour), CreatedAt: t0, OpenedBy: "hash-admin"}, "hash-op"), "CreatePortalGrant operator")
	f.wantCode(f.s.CreatePortalGrant(f.ctx, &hookd.PortalGrant{Kind: hookd.PortalLink, TenantID: "nobody",
		ExpiresAt: t0.Add(time.Hour), CreatedAt: t0}, "hash-x"), hookd.ENOTFOUND, "CreatePortalGrant of an unknown tenant")

	g, err := f.s.PortalGrant(f.ctx, "hash-link")
	f.ok(err, "PortalGrant")
	if g.Kind != link.Kind || g.TenantID != "ten_a" || !slices.Equal(g.Capabilities, link.Capabilities) ||
		!g.ExpiresAt.Equal(link.ExpiresAt) || !g.CreatedAt.Equal(t0) {
		f.Errorf("PortalGrant = %+v, want %+v", g, link)
	}
	_, err = f.s.PortalGrant(f.ctx, "hash-none")
	f.wantCode(err, hookd.ENOTFOUND, "PortalGrant of an unknown hash")

	n, err := f.s.DeletePortalGrants(f.ctx, "ten_a", t0)
	f.ok(err, "DeletePortalGrants")
	if n != 2 {
		f.Errorf("DeletePortalGrants = %d, want 2", n)
	}
	for _, h := range []string{"hash-link", "hash-session"} {
		_, err = f.s.PortalGrant(f.ctx, h)
		f.wantCode(err, hookd.ENOTFOUND, "PortalGrant after revocation")
	}
	for _, h := range []string{"hash-b", "hash-op"} {
		g, err = f.s.PortalGrant(f.ctx, h)
		f.ok(err, "another tenant's or the operator's grant after a revocation")
		if h == "hash-op" && (g == nil || g.OpenedBy != "hash-admin") {
			f.Errorf("the operator's grant = %+v, want it opened by hash-admin", g)
		}
	}
	f.ok(f.s.DeletePortalGrant(f.ctx, "hash-op"), "DeletePortalGrant")
	_, err = f.s.PortalGrant(f.ctx, "hash-op")
	f.wantCode(err, hookd.ENOTFOUND, "PortalGrant after sign-out")
	f.ok(f.s.DeleteTenant(f.ctx, "ten_b"), "DeleteTenant")
	_, err = f.s.PortalGrant(f.ctx, "hash-b")
	f.wantCode(err, hookd.ENOTFOUND, "PortalGrant of a deleted tenant")
}

func testDeliveriesFilter(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	var ids []string
	for i := range 4 {
		ev := f.event("ten_a", []string{"payment.created", "payment.failed"}[i%2], t0.Add(time.Duration(i)*time.Hour))
		p := &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, ev.CreatedAt, "")}}
		f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})
		ids = append(ids, p.Deliveries[0].ID)
	}
	list := func(fl hookd.DeliveryFilter) []string {
		f.Helper()
		fl.EndpointID = e.ID
		ds, err := f.s.Deliveries(f.ctx, "ten_a", fl)
		f.ok(err, "Deliveries")
		return deliveryIDs(ds)
	}
	f.wantIDs("type payment.failed", list(hookd.DeliveryFilter{EventType: "payment.failed"}), ids[3], ids[1])
	f.wantIDs("types", list(hookd.DeliveryFilter{Types: []string{"payment.failed", "lean:payment.failed"}}), ids[3], ids[1])
	f.wantIDs("prefixes", list(hookd.DeliveryFilter{Prefixes: []string{"payment.f", "lean:payment."}}), ids[3], ids[1])
	f.wantIDs("types or prefixes", list(hookd.DeliveryFilter{Types: []string{"payment.created"}, Prefixes: []string{"payment.f"}}), ids[3], ids[2], ids[1], ids[0])
	f.wantIDs("not prefix", list(hookd.DeliveryFilter{NotPrefix: "payment.c"}), ids[3], ids[1])
	f.wantIDs("since t0+1h", list(hookd.DeliveryFilter{Since: t0.Add(time.Hour)}), ids[3], ids[2], ids[1])
	f.wantIDs("until t0+2h", list(hookd.DeliveryFilter{Until: t0.Add(2 * time.Hour)}), ids[1], ids[0])
	f.wantIDs("type and window", list(hookd.DeliveryFilter{EventType: "payment.created", Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}), ids[2])
}
