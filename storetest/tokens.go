package storetest

import (
	"time"

	"github.com/hookd/hookd"
)

// token stores a token of a kind under hash, created at t0, and returns it.
func (f *fixture) token(kind, tenant, hash string, expires *time.Time) *hookd.Token {
	f.Helper()
	t := &hookd.Token{ID: f.id("tok"), Kind: kind, TenantID: tenant, Name: "name of " + hash, ExpiresAt: expires, CreatedAt: t0}
	f.ok(f.s.CreateToken(f.ctx, t, hash), "CreateToken")
	return t
}

func (f *fixture) tokenIDs(kind, tenant string, p hookd.Page) []string {
	f.Helper()
	ts, err := f.s.Tokens(f.ctx, kind, tenant, p)
	f.ok(err, "Tokens")
	return ids(ts, func(t *hookd.Token) string { return t.ID })
}

func testTokens(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	err := f.s.CreateToken(f.ctx, &hookd.Token{ID: "tok_x", Kind: hookd.TokenTenant, TenantID: "ten_nope", CreatedAt: t0}, "hash-x")
	f.wantCode(err, hookd.ENOTFOUND, "CreateToken for an unknown tenant")
	exp := t0.Add(time.Hour)
	a1 := f.token(hookd.TokenTenant, "ten_a", "hash-a1", &exp)
	a2 := f.token(hookd.TokenTenant, "ten_a", "hash-a2", nil)
	b1 := f.token(hookd.TokenTenant, "ten_b", "hash-b1", nil)
	ad := f.token(hookd.TokenAdmin, "", "hash-admin", nil)
	for hash, want := range map[string]*hookd.Token{"hash-a1": a1, "hash-a2": a2, "hash-b1": b1, "hash-admin": ad} {
		got, err := f.s.TokenByHash(f.ctx, hash)
		f.ok(err, "TokenByHash")
		if got.ID != want.ID || got.Kind != want.Kind || got.TenantID != want.TenantID || got.Name != want.Name ||
			!got.CreatedAt.Equal(t0) || got.LastUsedAt != nil {
			f.Errorf("TokenByHash(%s) = %+v, want %+v", hash, got, want)
		}
		if (got.ExpiresAt == nil) != (want.ExpiresAt == nil) || got.ExpiresAt != nil && !got.ExpiresAt.Equal(*want.ExpiresAt) {
			f.Errorf("TokenByHash(%s).ExpiresAt = %v, want %v", hash, got.ExpiresAt, want.ExpiresAt)
		}
	}
	_, err = f.s.TokenByHash(f.ctx, "hash-x")
	f.wantCode(err, hookd.ENOTFOUND, "TokenByHash of an unknown hash")
	err = f.s.CreateToken(f.ctx, &hookd.Token{ID: "tok_y", Kind: hookd.TokenTenant, TenantID: "ten_a", CreatedAt: t0}, "hash-a1")
	if err == nil {
		f.Errorf("CreateToken under a hash that exists: no error")
	}

	// Lists: one kind, one tenant, never another's.
	f.wantIDs("Tokens of ten_a", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{}), a1.ID, a2.ID)
	f.wantIDs("Tokens of ten_b", f.tokenIDs(hookd.TokenTenant, "ten_b", hookd.Page{}), b1.ID)
	f.wantIDs("admin tokens", f.tokenIDs(hookd.TokenAdmin, "", hookd.Page{}), ad.ID)
	f.wantIDs("tenant tokens without a tenant", f.tokenIDs(hookd.TokenTenant, "", hookd.Page{}))
	for _, c := range []struct{ kind, tenant, after string }{
		{hookd.TokenTenant, "ten_a", "tok_nope"}, {hookd.TokenTenant, "ten_a", b1.ID}, {hookd.TokenAdmin, "", a1.ID},
	} {
		_, err := f.s.Tokens(f.ctx, c.kind, c.tenant, hookd.Page{After: c.after})
		f.wantCode(err, hookd.EINVALID, "Tokens of "+c.kind+" "+c.tenant+" after "+c.after)
	}
}

func testTokenPages(f *fixture) {
	f.tenant("ten_a")
	// Created in an order that is not the ids' order, some in the same
	// millisecond: pages follow creation, the id breaking ties.
	for i, id := range []string{"tok_c", "tok_a", "tok_e", "tok_b", "tok_d"} {
		at := t0.Add(time.Duration(i/2) * time.Second)
		t := &hookd.Token{ID: id, Kind: hookd.TokenTenant, TenantID: "ten_a", CreatedAt: at}
		f.ok(f.s.CreateToken(f.ctx, t, "hash-"+id), "CreateToken")
	}
	// c and a share a second, e and b another.
	want := []string{"tok_a", "tok_c", "tok_b", "tok_e", "tok_d"}
	f.wantIDs("Tokens", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{}), want...)
	f.wantIDs("page 1", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{Limit: 2}), want[0], want[1])
	f.wantIDs("page 2", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{After: want[1], Limit: 2}), want[2], want[3])
	f.wantIDs("page 3", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{After: want[3], Limit: 2}), want[4])
	f.wantIDs("after the last", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{After: want[4], Limit: 2}))
}

func testTokenRevoke(f *fixture) {
	f.tenant("ten_a")
	f.tenant("ten_b")
	a := f.token(hookd.TokenTenant, "ten_a", "hash-a", nil)
	b := f.token(hookd.TokenTenant, "ten_b", "hash-b", nil)
	ad := f.token(hookd.TokenAdmin, "", "hash-admin", nil)

	// Only the owner's path revokes: another tenant, the wrong kind or an
	// unknown id is not found and revokes nothing.
	f.wantCode(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "ten_b", a.ID), hookd.ENOTFOUND, "DeleteToken of another tenant's token")
	f.wantCode(f.s.DeleteToken(f.ctx, hookd.TokenAdmin, "", a.ID), hookd.ENOTFOUND, "DeleteToken of a tenant token as an admin token")
	f.wantCode(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "", ad.ID), hookd.ENOTFOUND, "DeleteToken of an admin token as a tenant token")
	f.wantCode(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "ten_a", "tok_nope"), hookd.ENOTFOUND, "DeleteToken of an unknown id")
	for _, hash := range []string{"hash-a", "hash-b", "hash-admin"} {
		_, err := f.s.TokenByHash(f.ctx, hash)
		f.ok(err, "TokenByHash after refused revocations")
	}

	f.ok(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "ten_a", a.ID), "DeleteToken")
	f.wantCode(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "ten_a", a.ID), hookd.ENOTFOUND, "DeleteToken again")
	_, err := f.s.TokenByHash(f.ctx, "hash-a")
	f.wantCode(err, hookd.ENOTFOUND, "TokenByHash of a revoked token")
	f.wantIDs("Tokens after revocation", f.tokenIDs(hookd.TokenTenant, "ten_a", hookd.Page{}))
	f.ok(f.s.DeleteToken(f.ctx, hookd.TokenAdmin, "", ad.ID), "DeleteToken of an admin token")
	_, err = f.s.TokenByHash(f.ctx, "hash-admin")
	f.wantCode(err, hookd.ENOTFOUND, "TokenByHash of a revoked admin token")

	got, err := f.s.TokenByHash(f.ctx, "hash-b")
	f.ok(err, "TokenByHash of the other tenant's token")
	if got.ID != b.ID {
		f.Errorf("the other tenant's token is %s, want %s", got.ID, b.ID)
	}
}

func testTokenExpiry(f *fixture) {
	f.tenant("ten_a")
	exp := t0.Add(90 * time.Second)
	f.token(hookd.TokenTenant, "ten_a", "hash-exp", &exp)
	f.token(hookd.TokenTenant, "ten_a", "hash-forever", nil)
	got, err := f.s.TokenByHash(f.ctx, "hash-exp")
	f.ok(err, "TokenByHash")
	if got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		f.Fatalf("ExpiresAt = %v, want %v", got.ExpiresAt, exp)
	}
	// The store keeps the time; whether it has passed is decided at the
	// caller's clock, to the millisecond.
	for _, c := range []struct {
		at   time.Time
		want bool
	}{{t0, false}, {exp.Add(-time.Millisecond), false}, {exp, true}, {exp.Add(time.Hour), true}} {
		if got.Expired(c.at) != c.want {
			f.Errorf("Expired(%v) = %v, want %v", c.at, !c.want, c.want)
		}
	}
	forever, err := f.s.TokenByHash(f.ctx, "hash-forever")
	f.ok(err, "TokenByHash")
	if forever.ExpiresAt != nil || forever.Expired(t0.Add(100*365*24*time.Hour)) {
		f.Errorf("a token made without expiry expires: %v", forever.ExpiresAt)
	}
}

func testTokenLastUsed(f *fixture) {
	f.tenant("ten_a")
	a := f.token(hookd.TokenTenant, "ten_a", "hash-a", nil)
	ad := f.token(hookd.TokenAdmin, "", "hash-admin", nil)
	lastUsed := func(hash string) *time.Time {
		f.Helper()
		t, err := f.s.TokenByHash(f.ctx, hash)
		f.ok(err, "TokenByHash")
		return t.LastUsedAt
	}
	if lastUsed("hash-a") != nil {
		f.Errorf("a new token has a last-used time")
	}
	t1, t2 := t0.Add(time.Minute), t0.Add(2*time.Minute)
	f.ok(f.s.TouchTokens(f.ctx, map[string]time.Time{a.ID: t2, ad.ID: t1, "tok_unknown": t1}), "TouchTokens")
	if got := lastUsed("hash-a"); got == nil || !got.Equal(t2) {
		f.Errorf("LastUsedAt = %v, want %v", got, t2)
	}
	if got := lastUsed("hash-admin"); got == nil || !got.Equal(t1) {
		f.Errorf("admin LastUsedAt = %v, want %v", got, t1)
	}
	// An older time (a slower node's) does not move it back.
	f.ok(f.s.TouchTokens(f.ctx, map[string]time.Time{a.ID: t1}), "TouchTokens with an older time")
	if got := lastUsed("hash-a"); got == nil || !got.Equal(t2) {
		f.Errorf("LastUsedAt after an older touch = %v, want %v", got, t2)
	}
	ts, err := f.s.Tokens(f.ctx, hookd.TokenTenant, "ten_a", hookd.Page{})
	f.ok(err, "Tokens")
	if len(ts) != 1 || ts[0].LastUsedAt == nil || !ts[0].LastUsedAt.Equal(t2) {
		f.Errorf("Tokens does not show the last-used time: %+v", ts)
	}
	f.ok(f.s.TouchTokens(f.ctx, nil), "TouchTokens of nothing")
}

// testPublishRevokedToken: a publish names the token it was authenticated
// with from memory (Publish.Token); Apply stores it only if the token is
// still stored, and marks it Revoked otherwise, storing nothing of it, while
// the rest of the batch commits. Both ways of committing are checked: a
// batch of publishes only, and one with a hand-back (a transaction on
// PostgreSQL).
func testPublishRevokedToken(f *fixture) {
	f.tenant("ten_a")
	e := f.endpoint("ten_a")
	f.token(hookd.TokenTenant, "ten_a", "hash-kept", nil)
	gone := f.token(hookd.TokenTenant, "ten_a", "hash-gone", nil)
	for range 2 { // read, then perhaps from memory
		got, _, err := f.s.CachedToken(f.ctx, "hash-gone")
		f.ok(err, "CachedToken")
		if got.ID != gone.ID || got.TenantID != "ten_a" {
			f.Fatalf("CachedToken = %+v, want %+v", got, gone)
		}
	}
	old, _ := f.send("ten_a", t0, "", e.ID)
	f.ok(f.s.DeleteToken(f.ctx, hookd.TokenTenant, "ten_a", gone.ID), "DeleteToken")
	_, _, err := f.s.CachedToken(f.ctx, "hash-gone")
	f.wantCode(err, hookd.ENOTFOUND, "CachedToken after the store's own revocation")

	mk := func(ev *hookd.Event, token string) *hookd.Publish {
		return &hookd.Publish{Event: ev, Token: token, Deliveries: []*hookd.Delivery{f.delivery(ev, e.ID, t0, "")}}
	}
	stored := func(p *hookd.Publish) bool {
		f.Helper()
		_, err := f.s.Delivery(f.ctx, "ten_a", p.Deliveries[0].ID)
		if err != nil {
			f.wantCode(err, hookd.ENOTFOUND, "Delivery")
		}
		return err == nil
	}
	for _, handBack := range []bool{false, true} {
		revoked := mk(f.event("ten_a", "payment.created", t0), "hash-gone")
		again := *revoked.Event
		repeat := mk(&again, "hash-gone") // of revoked, in the same batch
		replay := mk(&hookd.Event{ID: old.ID, TenantID: "ten_a", Type: old.Type, Payload: old.Payload, CreatedAt: t0}, "hash-gone")
		kept := mk(f.event("ten_a", "payment.created", t0), "hash-kept")
		plain := mk(f.event("ten_a", "payment.created", t0), "")
		b := &hookd.Batch{Publishes: []*hookd.Publish{revoked, kept, repeat, replay, plain}}
		if handBack {
			b.HandBacks = []hookd.HandBack{{DeliveryID: "dlv_nope", At: t0, NextAttemptAt: t0}}
		}
		f.apply(b)
		for _, c := range []struct {
			what string
			p    *hookd.Publish
			want bool
		}{{"revoked", revoked, true}, {"repeat", repeat, true}, {"replay", replay, true}, {"kept", kept, false}, {"plain", plain, false}} {
			if c.p.Revoked != c.want {
				f.Errorf("hand-back %v: %s publish: Revoked = %v, want %v", handBack, c.what, c.p.Revoked, c.want)
			}
			if c.p.Existing != nil {
				f.Errorf("hand-back %v: %s publish: Existing = %s", handBack, c.what, c.p.Existing.ID)
			}
			if stored(c.p) == c.want {
				f.Errorf("hand-back %v: %s publish: delivery stored = %v, want %v", handBack, c.what, !c.want, c.want)
			}
		}
		_, err := f.s.Event(f.ctx, "ten_a", revoked.Event.ID)
		f.wantCode(err, hookd.ENOTFOUND, "the event of a revoked token's publish")
	}

	// A revoked publish alone in its batch: the batch still holds it,
	// marked, and nothing of it is stored.
	lone := mk(f.event("ten_a", "payment.created", t0), "hash-gone")
	b := &hookd.Batch{Publishes: []*hookd.Publish{lone}}
	f.apply(b)
	if b.Publishes[0] != lone || !lone.Revoked || stored(lone) {
		f.Errorf("a revoked publish alone: the batch holds %p (want %p), Revoked %v, stored %v", b.Publishes[0], lone, lone.Revoked, stored(lone))
	}

	// A repeat made with another token than the first of its id in the
	// batch: the first is refused, the repeat stored as new.
	first := mk(f.event("ten_a", "payment.created", t0), "hash-gone")
	again := *first.Event
	second := mk(&again, "hash-kept")
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{first, second}})
	if !first.Revoked || second.Revoked || second.Existing != nil || !stored(second) || stored(first) {
		f.Errorf("first (revoked token): Revoked %v; second: Revoked %v, Existing %v, stored %v",
			first.Revoked, second.Revoked, second.Existing, stored(second))
	}
}
