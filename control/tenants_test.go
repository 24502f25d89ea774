package control_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

func TestTenants(t *testing.T) {
	b := setup(t)
	ctx := context.Background()

	acme := &hookd.Tenant{ID: "acme", Name: "Acme", Metadata: json.RawMessage(`{"tier":"gold"}`)}
	if err := b.svc.CreateTenant(ctx, acme); err != nil {
		t.Fatal(err)
	}
	if !acme.CreatedAt.Equal(b.clock.Now()) || !acme.UpdatedAt.Equal(b.clock.Now()) {
		t.Errorf("created at %v, updated at %v; want the clock's %v", acme.CreatedAt, acme.UpdatedAt, b.clock.Now())
	}
	gen := &hookd.Tenant{Name: "Generated"}
	if err := b.svc.CreateTenant(ctx, gen); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(gen.ID, "ten_") {
		t.Errorf("generated id %q, want ten_…", gen.ID)
	}

	// Refused: nothing stored.
	code(t, b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "x y", Name: "Bad"}), hookd.EINVALID)
	code(t, b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "nameless"}), hookd.EINVALID)
	code(t, b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "long", Name: strings.Repeat("é", hookd.MaxName+1)}), hookd.EINVALID)
	code(t, b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "ctl", Name: "two\nlines"}), hookd.EINVALID)
	code(t, b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Again"}), hookd.ECONFLICT)
	ts, err := b.svc.Tenants(ctx, hookd.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 2 || ts[0].ID != "acme" || ts[1].ID != gen.ID {
		t.Fatalf("tenants %v, want acme and %s", ts, gen.ID)
	}

	empty, name := "", "Acme Ltd"
	_, err = b.svc.UpdateTenant(ctx, "acme", &hookd.TenantUpdate{Name: &empty})
	code(t, err, hookd.EINVALID)
	nul := "nul\x00"
	_, err = b.svc.UpdateTenant(ctx, "acme", &hookd.TenantUpdate{Name: &nul})
	code(t, err, hookd.EINVALID)
	got, err := b.svc.UpdateTenant(ctx, "acme", &hookd.TenantUpdate{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != name || string(got.Metadata) != `{"tier":"gold"}` {
		t.Errorf("updated %+v", got)
	}
	if got, err = b.svc.Tenant(ctx, "acme"); err != nil || got.Name != name {
		t.Fatalf("read back %+v, %v", got, err)
	}

	if err := b.svc.DeleteTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Tenant(ctx, "acme")
	code(t, err, hookd.ENOTFOUND)
	code(t, b.svc.DeleteTenant(ctx, "acme"), hookd.ENOTFOUND)
}
