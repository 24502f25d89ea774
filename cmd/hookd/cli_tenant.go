package main

import (
	"context"
	"fmt"
	"io"
	"iter"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runTenant runs hookd tenant VERB (admin token).
func runTenant(ctx context.Context, args []string) error {
	return runGroup(ctx, "tenant", "Tenants: the operator's customers (admin token).", []verb{
		{"create", "", "create a tenant", tenantCreate},
		{"list", "", "list the tenants, oldest first", tenantList},
		{"get", "ID", "show a tenant", tenantGet},
		{"update", "ID", "change a tenant's name or metadata", tenantUpdate},
		{"delete", "ID", "delete a tenant and everything it owns", tenantDelete},
	}, args)
}

func tenantCreate(ctx context.Context, c *apiCmd) error {
	id := c.fs.String("id", "", "tenant id (default: generated)")
	name := c.fs.String("name", "", "tenant name (required)")
	meta := c.fs.String("metadata", "", "metadata: a JSON object, @FILE or -")
	if err := c.parse(); err != nil {
		return err
	}
	m, err := c.jsonArg("metadata", *meta)
	if err != nil {
		return err
	}
	t, err := c.client().CreateTenant(ctx, client.TenantCreate{ID: *id, Name: *name, Metadata: m})
	if err != nil {
		return err
	}
	return showTenant(c, t)
}

func showTenant(c *apiCmd, t *hookd.Tenant) error {
	return c.show(t, func(w io.Writer) {
		fields(w, "id", t.ID, "name", t.Name, "metadata", t.Metadata, "created", t.CreatedAt, "updated", t.UpdatedAt)
	})
}

func tenantList(ctx context.Context, c *apiCmd) error {
	c.withLimit()
	if err := c.parse(); err != nil {
		return err
	}
	api := c.client()
	return list(c, "tenants", func(o client.ListOptions) iter.Seq2[*hookd.Tenant, error] { return api.ListTenants(ctx, o) },
		[]any{"ID", "NAME", "CREATED"}, func(t *hookd.Tenant) []any { return []any{t.ID, t.Name, t.CreatedAt} })
}

func tenantGet(ctx context.Context, c *apiCmd) error {
	if err := c.parse(); err != nil {
		return err
	}
	t, err := c.client().GetTenant(ctx, c.arg(0))
	if err != nil {
		return err
	}
	return showTenant(c, t)
}

func tenantUpdate(ctx context.Context, c *apiCmd) error {
	name := c.fs.String("name", "", "new name")
	meta := c.fs.String("metadata", "", "new metadata: a JSON object, @FILE or -")
	if err := c.parse(); err != nil {
		return err
	}
	var u hookd.TenantUpdate
	if c.set("name") {
		u.Name = name
	}
	if c.set("metadata") {
		if *meta == "" {
			return c.misuse("--metadata: give a JSON object ({} to clear it)")
		}
		m, err := c.jsonArg("metadata", *meta)
		if err != nil {
			return err
		}
		u.Metadata = &m
	}
	if u.Name == nil && u.Metadata == nil {
		return c.misuse("nothing to change: give --name or --metadata")
	}
	t, err := c.client().UpdateTenant(ctx, c.arg(0), u)
	if err != nil {
		return err
	}
	return showTenant(c, t)
}

func tenantDelete(ctx context.Context, c *apiCmd) error {
	if err := c.parse(); err != nil {
		return err
	}
	if err := c.client().DeleteTenant(ctx, c.arg(0)); err != nil {
		return err
	}
	return c.show(map[string]any{"id": c.arg(0), "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "deleted tenant %s\n", c.arg(0))
	})
}
