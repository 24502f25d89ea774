package main

import (
	"context"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// runToken runs hookd token VERB (admin token).
func runToken(ctx context.Context, args []string) error {
	return runGroup(ctx, "token", "API tokens: a tenant's (--tenant), or the operator's (--admin) beside the bootstrap one.", []verb{
		{"create", "", "make a token; it is shown this once", tokenCreateVerb},
		{"list", "", "list the tokens (never the tokens themselves)", tokenListVerb},
		{"delete", "ID", "revoke a token, at once on every node", tokenDeleteVerb},
	}, args)
}

// tokenScope adds --tenant and --admin; exactly one must be given.
func tokenScope(c *apiCmd) func() error {
	c.withTenant()
	admin := c.fs.Bool("admin", false, "admin tokens instead of a tenant's")
	return func() error {
		switch {
		case *admin && c.set("tenant"):
			return c.misuse("give --tenant or --admin, not both")
		case *admin:
			*c.tenant = ""
		case *c.tenant == "":
			return c.misuse("a tenant is required: --tenant or HOOKD_TENANT (or --admin for admin tokens)")
		}
		return nil
	}
}

// parseScoped parses a token verb: the tenant is checked by its scope,
// not by parse.
func parseScoped(c *apiCmd, check func() error) error {
	tenant := c.tenant
	c.tenant = nil
	err := c.parse()
	c.tenant = tenant
	if err != nil {
		return err
	}
	return check()
}

func tokenCreateVerb(ctx context.Context, c *apiCmd) error {
	check := tokenScope(c)
	name := c.fs.String("name", "", "what the token is for")
	expires := secondsFlag(c.fs, "expires-in", "valid for this long: seconds (3600) or a duration (24h), from 1s to 8784h (default: until revoked)")
	if err := parseScoped(c, check); err != nil {
		return err
	}
	if c.set("expires-in") && (*expires < hookd.MinTokenLife*time.Second || *expires > hookd.MaxTokenLife*time.Second || *expires%time.Second != 0) {
		// The client reads 0 as "does not expire": given, it is a mistake.
		return c.misuse("--expires-in %v: a token is valid for whole seconds from 1s to 8784h; leave the flag out for a token that does not expire", *expires)
	}
	in := client.TokenCreate{Name: *name, ExpiresIn: *expires}
	var t *client.CreatedToken
	var err error
	if *c.tenant == "" {
		t, err = c.client().CreateAdminToken(ctx, in)
	} else {
		t, err = c.client().CreateToken(ctx, *c.tenant, in)
	}
	if err != nil {
		return err
	}
	return c.show(t, func(w io.Writer) {
		fields(w, "token", t.Token, "id", t.ID, "tenant", t.TenantID, "name", t.Name, "expires", t.ExpiresAt)
	})
}

func tokenListVerb(ctx context.Context, c *apiCmd) error {
	check := tokenScope(c)
	c.withLimit()
	if err := parseScoped(c, check); err != nil {
		return err
	}
	api := c.client()
	return list(c, "tokens", func(o client.ListOptions) iter.Seq2[*hookd.Token, error] {
		if *c.tenant == "" {
			return api.ListAdminTokens(ctx, o)
		}
		return api.ListTokens(ctx, *c.tenant, o)
	}, []any{"ID", "NAME", "EXPIRES", "LAST USED", "CREATED"},
		func(t *hookd.Token) []any { return []any{t.ID, t.Name, t.ExpiresAt, t.LastUsedAt, t.CreatedAt} })
}

func tokenDeleteVerb(ctx context.Context, c *apiCmd) error {
	check := tokenScope(c)
	if err := parseScoped(c, check); err != nil {
		return err
	}
	var err error
	if *c.tenant == "" {
		err = c.client().DeleteAdminToken(ctx, c.arg(0))
	} else {
		err = c.client().DeleteToken(ctx, *c.tenant, c.arg(0))
	}
	if err != nil {
		return err
	}
	return c.show(map[string]any{"id": c.arg(0), "deleted": true}, func(w io.Writer) {
		fmt.Fprintf(w, "revoked token %s\n", c.arg(0))
	})
}
