package control_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestTokens(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	if err := b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	hour := int64(3600)
	tok, secret, err := b.svc.CreateToken(ctx, hookd.TokenTenant, "acme", &hookd.TokenCreate{Name: "ci", ExpiresIn: &hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "hkt_") || !strings.HasPrefix(tok.ID, "tok_") || tok.Name != "ci" ||
		!tok.CreatedAt.Equal(b.clock.Now()) || tok.ExpiresAt == nil || !tok.ExpiresAt.Equal(b.clock.Now().Add(time.Hour)) {
		t.Fatalf("created %+v, %q", tok, secret)
	}
	_, adminSecret, err := b.svc.CreateToken(ctx, hookd.TokenAdmin, "", &hookd.TokenCreate{})
	if err != nil || !strings.HasPrefix(adminSecret, "hka_") {
		t.Fatalf("admin token %q, %v", adminSecret, err)
	}

	// Refused: nothing stored.
	zero, tooLong := int64(0), int64(hookd.MaxTokenLife+1)
	_, _, err = b.svc.CreateToken(ctx, hookd.TokenTenant, "acme", &hookd.TokenCreate{ExpiresIn: &zero})
	code(t, err, hookd.EINVALID)
	_, _, err = b.svc.CreateToken(ctx, hookd.TokenTenant, "acme", &hookd.TokenCreate{ExpiresIn: &tooLong})
	code(t, err, hookd.EINVALID)
	_, _, err = b.svc.CreateToken(ctx, hookd.TokenTenant, "acme", &hookd.TokenCreate{Name: strings.Repeat("x", hookd.MaxTokenName+1)})
	code(t, err, hookd.EINVALID)
	_, _, err = b.svc.CreateToken(ctx, hookd.TokenTenant, "nope", &hookd.TokenCreate{})
	code(t, err, hookd.ENOTFOUND)
	_, _, err = b.svc.CreateToken(ctx, "root", "", &hookd.TokenCreate{})
	code(t, err, hookd.EINVALID)
	_, err = b.svc.Tokens(ctx, hookd.TokenTenant, "nope", hookd.Page{})
	code(t, err, hookd.ENOTFOUND)
	if ts, err := b.svc.Tokens(ctx, hookd.TokenTenant, "acme", hookd.Page{}); err != nil || len(ts) != 1 {
		t.Fatalf("tokens after refusals: %d, %v", len(ts), err)
	}

	// Authenticate: the token in force, its use written behind.
	got, err := b.svc.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Kind != hookd.TokenTenant || got.TenantID != "acme" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ts, err := b.svc.Tokens(ctx, hookd.TokenTenant, "acme", hookd.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if u := ts[0].LastUsedAt; u != nil && u.Equal(b.clock.Now()) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_used_at %v, want %v", ts[0].LastUsedAt, b.clock.Now())
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = b.svc.Authenticate(ctx, "hkt_unknown")
	code(t, err, hookd.EUNAUTHORIZED)

	// Expiry at the clock; revocation at once.
	b.clock.mu.Lock()
	b.clock.t = b.clock.t.Add(time.Hour)
	b.clock.mu.Unlock()
	_, err = b.svc.Authenticate(ctx, secret)
	code(t, err, hookd.EUNAUTHORIZED)
	if _, err := b.svc.Authenticate(ctx, adminSecret); err != nil {
		t.Fatal(err)
	}
	code(t, b.svc.RevokeToken(ctx, hookd.TokenTenant, "acme", "tok_nope"), hookd.ENOTFOUND)
	if err := b.svc.RevokeToken(ctx, hookd.TokenTenant, "acme", tok.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Authenticate(ctx, secret)
	code(t, err, hookd.EUNAUTHORIZED)
}
