package storetest

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/hookd/hookd"
)

// renderEndpoint writes every field of an endpoint, secrets included, with
// times in UTC, so two endpoints compare as strings with a readable diff.
func renderEndpoint(e *hookd.Endpoint) string {
	c := *e
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if c.FailingSince != nil {
		c.FailingSince = ptr(c.FailingSince.UTC())
	}
	var secrets []hookd.Secret
	for _, s := range c.Secrets {
		s.ActiveFrom, s.ExpiresAt = s.ActiveFrom.UTC(), s.ExpiresAt.UTC()
		secrets = append(secrets, s)
	}
	b, _ := json.Marshal(struct {
		*hookd.Endpoint
		Secrets []hookd.Secret
	}{&c, secrets})
	return string(b)
}

func (f *fixture) wantEndpoint(what string, got, want *hookd.Endpoint) {
	f.Helper()
	if g, w := renderEndpoint(got), renderEndpoint(want); g != w {
		f.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

func testEndpointCRUD(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	full := f.endpoint("ten_a", func(e *hookd.Endpoint) {
		e.URL = "https://hooks.example.com/lean?x=1"
		e.Profile = "lean"
		e.EventTypes = []string{"payment.*", "bank.connected"}
		e.Description = "Payments — production"
		e.RateLimit = 50
		e.Ordering = hookd.OrderingKey
		e.Headers = map[string]string{"X-Env": "prod", "Authorization": "Basic abc"}
		e.TimeoutMS = 2500
		e.RetrySchedule = []hookd.Duration{hookd.Duration(5 * time.Second), hookd.Duration(90 * time.Second)}
		e.Secrets = []hookd.Secret{{Value: "whsec_bmV3"}, {Value: "whsec_b2xk", ExpiresAt: t0.Add(time.Hour)}}
	})
	bare := f.endpoint("ten_a", func(e *hookd.Endpoint) { e.EventTypes = []string{"payment.created"} })

	f.wantEndpoint("Endpoint with every option", f.endpointOf("ten_a", full.ID), full)
	f.wantEndpoint("Endpoint with no options", f.endpointOf("ten_a", bare.ID), bare)

	f.wantCode(f.s.CreateEndpoint(f.ctx, full), hookd.ECONFLICT, "CreateEndpoint of an existing id")
	other := *bare
	other.TenantID = "ten_b"
	f.wantCode(f.s.CreateEndpoint(f.ctx, &other), hookd.ECONFLICT, "CreateEndpoint of an existing id in another tenant")
	orphan := *bare
	orphan.ID, orphan.TenantID = "ep_orphan", "ten_nope"
	f.wantCode(f.s.CreateEndpoint(f.ctx, &orphan), hookd.ENOTFOUND, "CreateEndpoint for an unknown tenant")
	_, err := f.s.Endpoint(f.ctx, "ten_a", "ep_nope")
	f.wantCode(err, hookd.ENOTFOUND, "Endpoint of an unknown id")

	all, err := f.s.AllEndpoints(f.ctx)
	f.ok(err, "AllEndpoints")
	f.wantSameIDs("AllEndpoints", ids(all, func(e *hookd.Endpoint) string { return e.ID }), full.ID, bare.ID)
	for _, e := range all {
		if e.ID == full.ID {
			f.wantEndpoint("AllEndpoints carries every field and the secrets", e, full)
		}
	}

	// SaveEndpoint writes every field, including clearing optional ones.
	t1 := t0.Add(time.Hour)
	full.URL = "https://hooks.example.com/v2"
	full.Profile = "weavr"
	full.EventTypes = []string{"*"}
	full.Description = ""
	full.RateLimit = 0
	full.Ordering = hookd.OrderingNone
	full.Headers = nil
	full.TimeoutMS = 0
	full.RetrySchedule = nil
	full.Secrets = []hookd.Secret{{Value: "whsec_cm90YXRlZA"}, {Value: "whsec_bmV3", ExpiresAt: t1.Add(24 * time.Hour)}}
	full.FailingSince = ptr(t0.Add(-time.Hour))
	full.UpdatedAt = t1
	f.ok(f.s.SaveEndpoint(f.ctx, full), "SaveEndpoint")
	f.wantEndpoint("Endpoint after SaveEndpoint", f.endpointOf("ten_a", full.ID), full)

	// With IfUpdatedAt, a compare-and-swap: a save from a read older than
	// the stored endpoint changes nothing; one from the stored one writes.
	stale := *full
	stale.Description, stale.IfUpdatedAt, stale.UpdatedAt = "stale", t0, t1.Add(time.Second)
	if err := f.s.SaveEndpoint(f.ctx, &stale); err != hookd.ErrChanged {
		f.Errorf("SaveEndpoint from a stale read: %v, want ErrChanged", err)
	}
	f.wantEndpoint("Endpoint after a stale save", f.endpointOf("ten_a", full.ID), full)
	fresh := *full
	fresh.Description, fresh.IfUpdatedAt, fresh.UpdatedAt = "fresh", t1, t1.Add(time.Second)
	f.ok(f.s.SaveEndpoint(f.ctx, &fresh), "SaveEndpoint from the stored read")
	fresh.IfUpdatedAt = time.Time{}
	f.wantEndpoint("Endpoint after a save from the stored read", f.endpointOf("ten_a", full.ID), &fresh)
	full = &fresh

	missing := *bare
	missing.ID = "ep_nope"
	f.wantCode(f.s.SaveEndpoint(f.ctx, &missing), hookd.ENOTFOUND, "SaveEndpoint of an unknown id")

	f.deleteEndpoint(f.ctx, "ten_a", full.ID, t1)
	_, err = f.s.Endpoint(f.ctx, "ten_a", full.ID)
	f.wantCode(err, hookd.ENOTFOUND, "Endpoint after DeleteEndpoint")
	f.wantCode(second(f.s.DeleteEndpoint(f.ctx, "ten_a", full.ID, t1)), hookd.ENOTFOUND, "DeleteEndpoint again")
	all, err = f.s.AllEndpoints(f.ctx)
	f.ok(err, "AllEndpoints")
	f.wantIDs("AllEndpoints after a delete", ids(all, func(e *hookd.Endpoint) string { return e.ID }), bare.ID)
}

func testEndpointPages(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	var a []string
	for i := range 5 {
		a = append(a, f.endpoint("ten_a").ID)
		if i%2 == 0 {
			f.endpoint("ten_b")
		}
	}
	list := func(tenant string, p hookd.Page) []string {
		f.Helper()
		es, err := f.s.Endpoints(f.ctx, tenant, p)
		f.ok(err, "Endpoints")
		return ids(es, func(e *hookd.Endpoint) string { return e.ID })
	}
	f.wantIDs("Endpoints", list("ten_a", hookd.Page{}), a...)
	f.wantIDs("page 1", list("ten_a", hookd.Page{Limit: 2}), a[0], a[1])
	f.wantIDs("page 2", list("ten_a", hookd.Page{After: a[1], Limit: 2}), a[2], a[3])
	f.wantIDs("page 3", list("ten_a", hookd.Page{After: a[3], Limit: 2}), a[4])
	f.wantIDs("after the last", list("ten_a", hookd.Page{After: a[4]}))
	for _, p := range []hookd.Page{{After: "ep_nope"}, {After: a[2]}} {
		tenant := "ten_b" // a[2] is ten_a's
		if p.After == "ep_nope" {
			tenant = "ten_a"
		}
		_, err := f.s.Endpoints(f.ctx, tenant, p)
		f.wantCode(err, hookd.EINVALID, "Endpoints after "+p.After+", not "+tenant+"'s (not the first page again)")
	}
	if n := len(list("ten_b", hookd.Page{})); n != 3 {
		f.Errorf("Endpoints of tenant b: %d, want 3", n)
	}
	if n := len(list("ten_nope", hookd.Page{})); n != 0 {
		f.Errorf("Endpoints of an unknown tenant: %d, want 0", n)
	}
}

func testEndpointSecrets(f *fixture) {
	f.tenant("ten_a")
	// Values that a sloppy encoding would damage: quotes, backslashes,
	// non-ASCII, an expiry with a zone other than UTC.
	secrets := []hookd.Secret{
		{Value: "whsec_" + `"quoted" \ back`},
		{Value: "sécret ☕", ExpiresAt: time.Date(2025, 3, 2, 15, 0, 0, 0, time.FixedZone("GST", 4*3600))},
		{Value: "whsec_expired", ExpiresAt: t0.Add(-time.Second)},
	}
	e := f.endpoint("ten_a", func(e *hookd.Endpoint) { e.Secrets = secrets })
	got := f.endpointOf("ten_a", e.ID)
	f.wantEndpoint("secrets round trip", got, e)
	active := got.ActiveSecrets(t0)
	if len(active) != 2 || active[0] != secrets[0].Value || active[1] != secrets[1].Value {
		f.Errorf("ActiveSecrets(t0) = %q, want the first two", active)
	}

	// Rotation keeps the old secret until its grace ends; a secret that
	// takes over later keeps its switch time.
	got.Secrets = []hookd.Secret{{Value: "whsec_next", ActiveFrom: t0.Add(time.Hour).In(time.FixedZone("GST", 4*3600))},
		{Value: secrets[0].Value, ExpiresAt: t0.Add(time.Hour)}}
	got.UpdatedAt = t0.Add(time.Minute)
	f.ok(f.s.SaveEndpoint(f.ctx, got), "SaveEndpoint")
	again := f.endpointOf("ten_a", e.ID)
	f.wantEndpoint("secrets after rotation", again, got)
	if a := again.ActiveSecrets(t0.Add(2 * time.Hour)); len(a) != 1 || a[0] != "whsec_next" {
		f.Errorf("ActiveSecrets after the grace = %q", a)
	}
	if a := again.ActiveSecrets(t0); len(a) != 1 || a[0] != secrets[0].Value {
		f.Errorf("ActiveSecrets before the switch = %q", a)
	}
	// A v1a endpoint: the scheme round trips, and every read carries the
	// public key of its signing key.
	key, err := hookd.NewSigningKey()
	f.ok(err, "NewSigningKey")
	v1a := f.endpoint("ten_a", func(e *hookd.Endpoint) {
		e.Signature = hookd.SignatureV1a
		e.Secrets = []hookd.Secret{{Value: key}}
	})
	v1a.PublicKey = hookd.PublicKeyOf(key)
	if v1a.PublicKey == "" {
		f.Errorf("PublicKeyOf(%q) is empty", key)
	}
	f.wantEndpoint("Endpoint signing v1a", f.endpointOf("ten_a", v1a.ID), v1a)
}

func testEndpointsVersion(f *fixture) {
	v, err := f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")
	moved := func(what string) {
		f.Helper()
		v2, err := f.s.EndpointsVersion(f.ctx)
		f.ok(err, "EndpointsVersion")
		if v2 == v {
			f.Errorf("EndpointsVersion did not change after %s", what)
		}
		v = v2
	}
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	moved("CreateEndpoint")
	e.URL = "https://hooks.example.com/changed"
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint")
	moved("SaveEndpoint")
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: e.ID, Disable: true, DisabledReason: "gone", At: t0}}})
	moved("a health change that disables")
	f.deleteEndpoint(f.ctx, "ten_a", e.ID, t0)
	moved("DeleteEndpoint")
	f.endpoint("ten_a")
	moved("CreateEndpoint")
	f.ok(f.s.DeleteTenant(f.ctx, "ten_a"), "DeleteTenant")
	moved("DeleteTenant")
}

func testDisableParksEnableReleases(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, d1 := f.send("ten_a", t0, "", e.ID) // unowned, due t0
	_, d2 := f.send("ten_a", t0, "", e.ID)
	ds := append(d1, d2...)
	_, held := f.send("ten_a", t0, "node-1", e.ID)

	e.Disabled, e.DisabledReason, e.UpdatedAt = true, "disabled by the tenant", t0.Add(time.Second)
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint disable")
	got := f.endpointOf("ten_a", e.ID)
	if !got.Disabled || got.DisabledReason != "disabled by the tenant" {
		f.Errorf("after disabling: disabled=%v reason=%q", got.Disabled, got.DisabledReason)
	}
	f.wantIDs("Claim on a disabled endpoint", f.claim("node-2", t0.Add(time.Hour), 10))
	if _, ok, err := f.s.NextDue(f.ctx); err != nil || ok {
		f.Errorf("NextDue with only parked work: ok=%v err=%v, want nothing due", ok, err)
	}
	// The engine parks what it publishes to a disabled endpoint.
	_, parked := f.send("ten_a", t0.Add(time.Minute), hookd.Parked, e.ID)
	f.wantIDs("Claim of a parked publish", f.claim("node-2", t0.Add(time.Hour), 10))

	// Enabling releases the parked deliveries, due at the time of the save;
	// a delivery a node holds stays with it.
	t1 := t0.Add(2 * time.Hour)
	e.Disabled, e.DisabledReason, e.UpdatedAt = false, "", t1
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint enable")
	for _, d := range append(ds, parked...) {
		if got := f.deliveryOf("ten_a", d.ID); got.NextAttemptAt == nil || !got.NextAttemptAt.Equal(t1) {
			f.Errorf("released delivery %s due %s, want %s", d.ID, fmtTime(got.NextAttemptAt), t1)
		}
	}
	if due, ok, err := f.s.NextDue(f.ctx); err != nil || !ok || !due.Equal(t1) {
		f.Errorf("NextDue after enabling = %s %v %v, want %s", due, ok, err, t1)
	}
	f.wantIDs("Claim before the release time", f.claim("node-2", t1.Add(-time.Millisecond), 10))
	f.wantSameIDs("Claim after enabling", f.claim("node-2", t1, 10), ds[0].ID, ds[1].ID, parked[0].ID)
	f.wantIDs("Claim of the held delivery", f.claim("node-3", t1.Add(time.Hour), 10))
	if d := f.deliveryOf("ten_a", held[0].ID); d.State != hookd.StatePending {
		f.Errorf("held delivery: %s", describe(d))
	}
}

// testParkAndReleaseLargeBacklog disables and enables an endpoint with more
// waiting deliveries than a store moves in one statement: every one is
// parked, then released, and none of another endpoint or node moves.
func testParkAndReleaseLargeBacklog(f *fixture) {
	const n = 4321
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	other := f.endpoint("ten_a")
	b := &hookd.Batch{}
	for i := range n {
		ev := f.event("ten_a", "payment.created", t0.Add(time.Duration(i)*time.Millisecond))
		b.Publishes = append(b.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, t0, "")}})
	}
	f.apply(b)
	_, held := f.send("ten_a", t0, "node-1", e.ID)
	_, others := f.send("ten_a", t0, "", other.ID)

	e.Disabled, e.UpdatedAt = true, t0.Add(time.Second)
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint disable")
	bl, err := f.s.Backlog(f.ctx, t0)
	f.ok(err, "Backlog")
	if bl.Parked != n {
		f.Errorf("parked after disabling: %d, want %d", bl.Parked, n)
	}
	f.wantIDs("Claim with the endpoint disabled", f.claim("node-2", t0.Add(time.Hour), 2*n), others[0].ID)

	t1 := t0.Add(time.Hour)
	e.Disabled, e.UpdatedAt = false, t1
	f.ok(f.s.SaveEndpoint(f.ctx, e), "SaveEndpoint enable")
	if bl, err := f.s.Backlog(f.ctx, t1); err != nil || bl.Parked != 0 || bl.Due != n {
		f.Errorf("after enabling: %+v %v, want %d due and none parked", bl, err, n)
	}
	if got := f.claim("node-2", t1, 2*n); len(got) != n || slices.Contains(got, held[0].ID) {
		f.Errorf("Claim after enabling: %d deliveries (the held one among them: %v), want %d", len(got), slices.Contains(got, held[0].ID), n)
	}
}

func testDeleteEndpointCancels(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	keep := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "", e.ID, keep.ID)
	_, held := f.send("ten_a", t0, "node-1", e.ID)
	_, parked := f.send("ten_a", t0, hookd.Parked, e.ID)
	_, done := f.send("ten_a", t0, "", e.ID)
	f.finish(done[0], hookd.StateSucceeded, t0)

	t1 := t0.Add(time.Hour)
	if n := f.deleteEndpoint(f.ctx, "ten_a", e.ID, t1); n != 3 {
		f.Errorf("DeleteEndpoint canceled %d deliveries, want 3 (the pending, the held and the parked one)", n)
	}
	for _, d := range []*hookd.Delivery{ds[0], held[0], parked[0]} {
		got := f.deliveryOf("ten_a", d.ID)
		want := *d
		want.State, want.NextAttemptAt, want.UpdatedAt = hookd.StateCanceled, nil, t1
		f.wantDelivery("pending delivery of a deleted endpoint", got, &want)
	}
	if got := f.deliveryOf("ten_a", done[0].ID); got.State != hookd.StateSucceeded {
		f.Errorf("a finished delivery of a deleted endpoint became %s", got.State)
	}
	if got := f.deliveryOf("ten_a", ds[1].ID); got.State != hookd.StatePending {
		f.Errorf("the other endpoint's delivery became %s", got.State)
	}
	f.wantIDs("Claim", f.claim("node-2", t1, 10), ds[1].ID)
}

func testHealthFailingSince(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	since := t0.Add(-time.Minute)
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: e.ID, FailingSince: &since, At: t0}}})
	got := f.endpointOf("ten_a", e.ID)
	if got.FailingSince == nil || !got.FailingSince.Equal(since) || got.Disabled {
		f.Errorf("after a failure: failing since %s, disabled %v; want %s, enabled", fmtTime(got.FailingSince), got.Disabled, since)
	}
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: e.ID, At: t0.Add(time.Minute)}}})
	if got := f.endpointOf("ten_a", e.ID); got.FailingSince != nil {
		f.Errorf("after a success: failing since %s, want nil", fmtTime(got.FailingSince))
	}
}

func testHealthDisable(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	_, ds := f.send("ten_a", t0, "", e.ID)
	f.send("ten_a", t0, "node-1", e.ID)
	v, err := f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")

	since, t1 := t0.Add(-5*24*time.Hour), t0.Add(time.Minute)
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: e.ID, FailingSince: &since, Disable: true,
		DisabledReason: "failing for 5 days", At: t1}}})
	got := f.endpointOf("ten_a", e.ID)
	if !got.Disabled || got.DisabledReason != "failing for 5 days" || got.FailingSince == nil ||
		!got.FailingSince.Equal(since) || !got.UpdatedAt.Equal(t1) {
		f.Errorf("after Disable: %s", renderEndpoint(got))
	}
	if v2, _ := f.s.EndpointsVersion(f.ctx); v2 == v {
		f.Errorf("EndpointsVersion did not change when an endpoint was disabled")
	}
	f.wantIDs("Claim on an endpoint disabled by health", f.claim("node-2", t1.Add(time.Hour), 10))

	// A second disable (another node saw the same failures) changes nothing.
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: e.ID, FailingSince: &since, Disable: true,
		DisabledReason: "410 Gone", At: t1.Add(time.Minute)}}})
	if got := f.endpointOf("ten_a", e.ID); got.DisabledReason != "failing for 5 days" || !got.UpdatedAt.Equal(t1) {
		f.Errorf("a second Disable rewrote the endpoint: reason %q updated %s", got.DisabledReason, got.UpdatedAt)
	}

	t2 := t1.Add(time.Hour)
	got.Disabled, got.DisabledReason, got.FailingSince, got.UpdatedAt = false, "", nil, t2
	f.ok(f.s.SaveEndpoint(f.ctx, got), "SaveEndpoint enable")
	f.wantIDs("Claim after enabling", f.claim("node-2", t2, 10), ds[0].ID)
	f.wantIDs("Claim of the held delivery", f.claim("node-2", t2.Add(time.Hour), 10))
}

// testHealthDisableIfStillFailing: a conditional Disable (the engine's
// periodic check) disables an endpoint only while the store has it
// failing since the time given or earlier, and Apply reports whether a
// Disable disabled it.
func testHealthDisableIfStillFailing(f *fixture) {
	f.tenant("ten_a")
	since, t1 := t0.Add(-5*24*time.Hour), t0.Add(time.Minute)
	disable := func(id string, since time.Time) *hookd.EndpointHealth {
		h := &hookd.EndpointHealth{EndpointID: id, FailingSince: &since, Disable: true, IfStillFailing: true,
			DisabledReason: "failing for 5 days", At: t1}
		f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{h}})
		return h
	}

	healthy := f.endpoint("ten_a")
	if h := disable(healthy.ID, since); h.Disabled || f.endpointOf("ten_a", healthy.ID).Disabled {
		f.Errorf("a conditional Disable of an endpoint the store has healthy: reported %v, disabled %v", h.Disabled,
			f.endpointOf("ten_a", healthy.ID).Disabled)
	}

	// Failing again since later than the check saw (a success between).
	later := f.endpoint("ten_a")
	again := since.Add(time.Hour)
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: later.ID, FailingSince: &again, At: t0}}})
	if h := disable(later.ID, since); h.Disabled {
		f.Errorf("a conditional Disable of an endpoint failing only since later was reported applied")
	}
	if got := f.endpointOf("ten_a", later.ID); got.Disabled || got.FailingSince == nil || !got.FailingSince.Equal(again) {
		f.Errorf("a conditional Disable of an endpoint failing only since later: %s", renderEndpoint(got))
	}

	failing := f.endpoint("ten_a")
	f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{{EndpointID: failing.ID, FailingSince: &since, At: t0}}})
	v, err := f.s.EndpointsVersion(f.ctx)
	f.ok(err, "EndpointsVersion")
	if h := disable(failing.ID, since); !h.Disabled {
		f.Errorf("a conditional Disable of an endpoint failing since then was not reported applied")
	}
	if got := f.endpointOf("ten_a", failing.ID); !got.Disabled || got.DisabledReason != "failing for 5 days" || !got.UpdatedAt.Equal(t1) {
		f.Errorf("after a conditional Disable of an endpoint failing since then: %s", renderEndpoint(got))
	}
	if v2, _ := f.s.EndpointsVersion(f.ctx); v2 == v {
		f.Errorf("EndpointsVersion did not change when an endpoint was disabled")
	}
	// Disabled already: nothing to report (another node did it).
	if h := disable(failing.ID, since); h.Disabled {
		f.Errorf("a Disable of an endpoint disabled already was reported applied")
	}
	h := &hookd.EndpointHealth{EndpointID: healthy.ID, Disable: true, DisabledReason: "410 Gone", At: t1}
	if f.apply(&hookd.Batch{Health: []*hookd.EndpointHealth{h}}); !h.Disabled {
		f.Errorf("an unconditional Disable was not reported applied")
	}
}
