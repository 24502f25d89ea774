package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// tokenResp is a token as the API shows it; Token only on creation.
type tokenResp struct {
	ID         string     `json:"id"`
	Token      string     `json:"token"`
	Name       string     `json:"name"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

type errResp struct {
	Error struct{ Code, Message string }
}

type tokenList struct {
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
	Next    string            `json:"next"`
}

// listTokens lists tokens at path and checks that no item shows a token
// or its hash.
func (a *testApp) listTokens(t *testing.T, path, token string) []tokenResp {
	t.Helper()
	var l tokenList
	a.must(t, 200, "GET", path, token, nil, &l)
	var out []tokenResp
	for _, raw := range l.Data {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"id", "name", "expires_at", "last_used_at", "created_at"} {
			if _, ok := m[k]; !ok {
				t.Errorf("GET %s: item %s lacks %q", path, raw, k)
			}
		}
		if len(m) != 5 {
			t.Errorf("GET %s: item %s has fields beyond id, name, expires_at, last_used_at, created_at", path, raw)
		}
		var tr tokenResp
		json.Unmarshal(raw, &tr)
		out = append(out, tr)
	}
	return out
}

// TestTokensResource: tenant tokens are created with a name and an expiry,
// listed without their secret, revoked at once, refused once expired (at
// the injected clock), and show when they were last used; bad input is
// refused with the field named.
func TestTokensResource(t *testing.T) {
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	a := startApp(t, func(c *Config) { c.clock = clock })
	a.tenant(t, "acme") // one token without a body, as before
	a.must(t, 201, "POST", "/v1/tenants", testAdmin, map[string]any{"id": "other", "name": "Other"}, nil)

	var ci, short tokenResp
	a.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{"name": "ci deploys"}, &ci)
	if !strings.HasPrefix(ci.Token, "hkt_") || !strings.HasPrefix(ci.ID, "tok_") || ci.Name != "ci deploys" ||
		ci.ExpiresAt != nil || !ci.CreatedAt.Equal(clock.Now()) {
		t.Fatalf("created token %+v", ci)
	}
	a.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{"name": "short", "expires_in": 3600}, &short)
	if short.ExpiresAt == nil || !short.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("expires_at %v, want an hour from %v", short.ExpiresAt, clock.Now())
	}

	for _, c := range []struct {
		body any
		want string
	}{
		{map[string]any{"expires_in": 0}, "expires_in"},
		{map[string]any{"expires_in": -5}, "expires_in"},
		{map[string]any{"expires_in": 400 * 24 * 3600}, "expires_in"},
		{map[string]any{"expires_in": "1h"}, "expires_in"},
		{map[string]any{"expires_in": 1.5}, "expires_in"},
		{map[string]any{"name": strings.Repeat("n", 201)}, "name"},
		{map[string]any{"name": "a\nb"}, "name"},
		{map[string]any{"nmae": "x"}, "nmae"},
	} {
		var e errResp
		if got := call(t, "POST", a.url+"/v1/tenants/acme/tokens", testAdmin, c.body, &e); got != 400 ||
			!strings.Contains(e.Error.Message, c.want) {
			t.Errorf("POST tokens %v: %d %q, want 400 naming %s", c.body, got, e.Error.Message, c.want)
		}
	}
	a.must(t, 404, "POST", "/v1/tenants/nope/tokens", testAdmin, nil, nil)
	a.must(t, 403, "POST", "/v1/tenants/acme/tokens", ci.Token, nil, nil)

	// Lists: the admin and the tenant itself see its tokens, in creation
	// order; another tenant's token sees nothing of them.
	all := a.listTokens(t, "/v1/tenants/acme/tokens", testAdmin)
	if len(all) != 3 || all[1].ID != ci.ID || all[2].ID != short.ID || all[2].Name != "short" {
		t.Fatalf("tokens %+v", all)
	}
	if own := a.listTokens(t, "/v1/tenants/acme/tokens", ci.Token); len(own) != 3 {
		t.Errorf("the tenant lists %d of its tokens, want 3", len(own))
	}
	var otherTok tokenResp
	a.must(t, 201, "POST", "/v1/tenants/other/tokens", testAdmin, nil, &otherTok)
	a.must(t, 404, "GET", "/v1/tenants/acme/tokens", otherTok.Token, nil, nil)
	a.must(t, 404, "DELETE", "/v1/tenants/acme/tokens/"+ci.ID, otherTok.Token, nil, nil)
	a.must(t, 404, "DELETE", "/v1/tenants/other/tokens/"+ci.ID, testAdmin, nil, nil)
	var page tokenList
	a.must(t, 200, "GET", "/v1/tenants/acme/tokens?limit=2", testAdmin, nil, &page)
	if len(page.Data) != 2 || !page.HasMore || page.Next == "" {
		t.Fatalf("page of 2: %+v", page)
	}
	a.must(t, 200, "GET", "/v1/tenants/acme/tokens?limit=2&after="+page.Next, testAdmin, nil, &page)
	if len(page.Data) != 1 || page.HasMore {
		t.Fatalf("second page: %+v", page)
	}

	// Last used: written behind the request, at most once a minute.
	a.must(t, 200, "GET", "/v1/tenants/acme/endpoints", ci.Token, nil, nil)
	usedAt := func() *time.Time {
		for _, tk := range a.listTokens(t, "/v1/tenants/acme/tokens", testAdmin) {
			if tk.ID == ci.ID {
				return tk.LastUsedAt
			}
		}
		t.Fatal("token gone")
		return nil
	}
	first := clock.Now()
	eventually(t, 10*time.Second, "last_used_at set", func() bool { u := usedAt(); return u != nil && u.Equal(first) })
	clock.Add(10 * time.Second) // within the minute: not written again
	a.must(t, 200, "GET", "/v1/tenants/acme/endpoints", ci.Token, nil, nil)
	clock.Add(2 * time.Minute)
	a.must(t, 200, "GET", "/v1/tenants/acme/endpoints", ci.Token, nil, nil)
	later := clock.Now()
	eventually(t, 10*time.Second, "last_used_at moved", func() bool { u := usedAt(); return u != nil && u.Equal(later) })

	// Expiry at the injected clock: valid until the second it ends.
	a.must(t, 200, "GET", "/v1/tenants/acme", short.Token, nil, nil)
	clock.Add(short.ExpiresAt.Sub(clock.Now()) - time.Millisecond)
	a.must(t, 200, "GET", "/v1/tenants/acme", short.Token, nil, nil)
	clock.Add(time.Millisecond)
	var e errResp
	if got := call(t, "GET", a.url+"/v1/tenants/acme", short.Token, nil, &e); got != 401 || !strings.Contains(e.Error.Message, "expired") {
		t.Errorf("expired token: %d %q, want 401 saying it expired", got, e.Error.Message)
	}
	if l := a.listTokens(t, "/v1/tenants/acme/tokens", testAdmin); len(l) != 3 {
		t.Errorf("%d tokens listed, want 3: an expired token stays listed until it is revoked", len(l))
	}

	// Revocation: refused on the next request; a tenant may revoke its own.
	a.must(t, 204, "DELETE", "/v1/tenants/acme/tokens/"+ci.ID, testAdmin, nil, nil)
	a.must(t, 401, "GET", "/v1/tenants/acme", ci.Token, nil, nil)
	a.must(t, 404, "DELETE", "/v1/tenants/acme/tokens/"+ci.ID, testAdmin, nil, nil)
	a.must(t, 204, "DELETE", "/v1/tenants/acme/tokens/"+short.ID, testAdmin, nil, nil)
	self := a.listTokens(t, "/v1/tenants/acme/tokens", testAdmin)
	if len(self) != 1 {
		t.Fatalf("tokens after two revocations: %+v", self)
	}
	var fresh tokenResp
	a.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, nil, &fresh)
	a.must(t, 204, "DELETE", "/v1/tenants/acme/tokens/"+fresh.ID, fresh.Token, nil, nil)
	a.must(t, 401, "GET", "/v1/tenants/acme", fresh.Token, nil, nil)

	// Deleting the tenant cuts its remaining tokens off at once.
	a.must(t, 200, "GET", "/v1/tenants/other", otherTok.Token, nil, nil)
	a.must(t, 204, "DELETE", "/v1/tenants/other", testAdmin, nil, nil)
	a.must(t, 401, "GET", "/v1/tenants/other/endpoints", otherTok.Token, nil, nil)
}

// TestAdminTokens: named admin tokens beside the bootstrap one act as the
// admin until revoked; tenant tokens cannot manage them; the bootstrap
// token is not listed and keeps working.
func TestAdminTokens(t *testing.T) {
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	a := startApp(t, func(c *Config) { c.clock = clock })
	tenantTok := a.tenant(t, "acme")

	var ops, temp tokenResp
	a.must(t, 201, "POST", "/v1/admin-tokens", testAdmin, map[string]any{"name": "ops"}, &ops)
	if !strings.HasPrefix(ops.Token, "hka_") || ops.Name != "ops" || ops.ExpiresAt != nil {
		t.Fatalf("admin token %+v", ops)
	}
	a.must(t, 201, "POST", "/v1/admin-tokens", ops.Token, map[string]any{"name": "temp", "expires_in": 60}, &temp)
	a.must(t, 400, "POST", "/v1/admin-tokens", testAdmin, map[string]any{"expires_in": 0}, nil)

	// An admin token does what the admin does.
	a.must(t, 201, "POST", "/v1/tenants", ops.Token, map[string]any{"id": "beta", "name": "Beta"}, nil)
	a.must(t, 200, "GET", "/v1/tenants/acme/tokens", ops.Token, nil, nil)

	for _, m := range [][2]string{{"GET", "/v1/admin-tokens"}, {"POST", "/v1/admin-tokens"}, {"DELETE", "/v1/admin-tokens/" + ops.ID}} {
		a.must(t, 403, m[0], m[1], tenantTok, nil, nil)
	}
	l := a.listTokens(t, "/v1/admin-tokens", testAdmin)
	if len(l) != 2 || l[0].ID != ops.ID || l[1].ID != temp.ID {
		t.Fatalf("admin tokens %+v", l)
	}
	// Tenant and admin ids do not cross: neither route revokes the other's.
	tl := a.listTokens(t, "/v1/tenants/acme/tokens", testAdmin)
	a.must(t, 404, "DELETE", "/v1/admin-tokens/"+tl[0].ID, testAdmin, nil, nil)
	a.must(t, 404, "DELETE", "/v1/tenants/acme/tokens/"+ops.ID, testAdmin, nil, nil)

	clock.Add(time.Minute)
	a.must(t, 401, "GET", "/v1/tenants", temp.Token, nil, nil)

	// An admin token may revoke itself; the bootstrap token stays.
	a.must(t, 204, "DELETE", "/v1/admin-tokens/"+ops.ID, ops.Token, nil, nil)
	a.must(t, 401, "GET", "/v1/tenants", ops.Token, nil, nil)
	a.must(t, 200, "GET", "/v1/tenants", testAdmin, nil, nil)
	a.must(t, 200, "GET", "/v1/tenants/acme", tenantTok, nil, nil)
}

// TestClusterTokenRevocation: a token revoked through one node is refused
// by the other on the very next request, though that node had just
// accepted it, on one PostgreSQL schema. The node keeps the token of its
// publishes in memory: the publish's commit finds the token gone, answers
// 401 and stores nothing of it.
func TestClusterTokenRevocation(t *testing.T) {
	nodes := cluster(t, 2)
	n0, n1 := &testApp{url: nodes[0].url}, &testApp{url: nodes[1].url}
	tok := n0.tenant(t, "acme")
	var named, admin tokenResp
	n0.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{"name": "leaked"}, &named)
	n0.must(t, 201, "POST", "/v1/admin-tokens", testAdmin, map[string]any{"name": "ops"}, &admin)
	for range 3 { // warm whatever node 1 might keep
		n1.must(t, 202, "POST", "/v1/tenants/acme/events", named.Token, map[string]any{"type": "order.paid", "payload": map[string]any{}}, nil)
		n1.must(t, 200, "GET", "/v1/tenants", admin.Token, nil, nil)
	}
	n0.must(t, 204, "DELETE", "/v1/tenants/acme/tokens/"+named.ID, testAdmin, nil, nil)
	n1.must(t, 401, "POST", "/v1/tenants/acme/events", named.Token, map[string]any{"id": "evt_revoked", "type": "order.paid", "payload": map[string]any{}}, nil)
	n1.must(t, 401, "POST", "/v1/tenants/acme/events/batch", named.Token,
		map[string]any{"events": []any{map[string]any{"id": "evt_revoked_batch", "type": "order.paid", "payload": map[string]any{}}}}, nil)
	n1.must(t, 401, "POST", "/v1/tenants/acme/events", named.Token, map[string]any{"id": "evt_revoked_again", "type": "order.paid", "payload": map[string]any{}}, nil)
	for _, id := range []string{"evt_revoked", "evt_revoked_batch", "evt_revoked_again"} {
		n0.must(t, 404, "GET", "/v1/tenants/acme/events/"+id, testAdmin, nil, nil)
	}
	var evs struct {
		Data []json.RawMessage `json:"data"`
	}
	n0.must(t, 200, "GET", "/v1/tenants/acme/events", testAdmin, nil, &evs)
	if len(evs.Data) != 3 {
		t.Errorf("%d events stored, want the 3 published before the revocation", len(evs.Data))
	}
	n0.must(t, 401, "GET", "/v1/tenants/acme", named.Token, nil, nil)
	n1.must(t, 200, "GET", "/v1/tenants/acme", tok, nil, nil) // the other token of the tenant still works

	n1.must(t, 204, "DELETE", "/v1/admin-tokens/"+admin.ID, testAdmin, nil, nil)
	n0.must(t, 401, "GET", "/v1/tenants", admin.Token, nil, nil)

	// Deleting a tenant on one node cuts its tokens off on the other.
	n0.must(t, 204, "DELETE", "/v1/tenants/acme", testAdmin, nil, nil)
	n1.must(t, 401, "GET", "/v1/tenants/acme/endpoints", tok, nil, nil)
}

// TestTokenExpiryTwoNodes: two nodes on one PostgreSQL schema, one injected
// clock: a token accepted by both until its expiry is refused by both from
// that moment, and one revoked through the first node is refused by the
// second on its next request.
func TestTokenExpiryTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("two nodes on PostgreSQL")
	}
	t.Parallel()
	db, key := testPostgres(t), randomKey()
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	mod := func(c *Config) { c.DB, c.DataKey, c.clock = db, key, clock }
	n0, n1 := startApp(t, mod), startApp(t, mod)
	n0.tenant(t, "acme")
	var short, other tokenResp
	n0.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{"name": "short", "expires_in": 60}, &short)
	n0.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{"name": "other"}, &other)
	event := func(id string) map[string]any {
		return map[string]any{"id": id, "type": "order.paid", "payload": map[string]any{}}
	}
	for i, n := range []*testApp{n0, n1} {
		n.must(t, 200, "GET", "/v1/tenants/acme", short.Token, nil, nil)
		n.must(t, 200, "GET", "/v1/tenants/acme", other.Token, nil, nil)
		n.must(t, 202, "POST", "/v1/tenants/acme/events", short.Token, event(fmt.Sprint("evt_before_", i)), nil) // kept in memory
		n.must(t, 202, "POST", "/v1/tenants/acme/events", other.Token, event(fmt.Sprint("evt_other_", i)), nil)
	}
	clock.Add(time.Minute)
	for i, n := range []*testApp{n0, n1} {
		n.must(t, 401, "GET", "/v1/tenants/acme", short.Token, nil, nil)
		n.must(t, 401, "POST", "/v1/tenants/acme/events", short.Token, event(fmt.Sprint("evt_expired_", i)), nil)
		n0.must(t, 404, "GET", fmt.Sprint("/v1/tenants/acme/events/evt_expired_", i), testAdmin, nil, nil)
		n.must(t, 200, "GET", "/v1/tenants/acme", other.Token, nil, nil)
	}
	n0.must(t, 204, "DELETE", "/v1/tenants/acme/tokens/"+other.ID, testAdmin, nil, nil)
	n1.must(t, 401, "GET", "/v1/tenants/acme", other.Token, nil, nil)
	n1.must(t, 401, "POST", "/v1/tenants/acme/events", other.Token, event("evt_revoked"), nil)
	n0.must(t, 404, "GET", "/v1/tenants/acme/events/evt_revoked", testAdmin, nil, nil)
}
