package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// TenantCreate is the body of CreateTenant.
type TenantCreate struct {
	// ID is the tenant's id; "" lets the server make one ("ten_…").
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Metadata json.RawMessage `json:"metadata,omitempty"` // a JSON object
}

// CreateTenant creates a tenant (admin token).
func (c *Client) CreateTenant(ctx context.Context, in TenantCreate) (*hookd.Tenant, error) {
	var t hookd.Tenant
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants"), in: in, out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// GetTenant reads a tenant.
func (c *Client) GetTenant(ctx context.Context, tenant string) (*hookd.Tenant, error) {
	var t hookd.Tenant
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant), out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// UpdateTenant changes the fields of u that are not nil (admin token).
func (c *Client) UpdateTenant(ctx context.Context, tenant string, u hookd.TenantUpdate) (*hookd.Tenant, error) {
	var t hookd.Tenant
	if err := c.do(ctx, request{method: http.MethodPatch, path: path("tenants", tenant), in: withoutNulls(u), out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// DeleteTenant deletes a tenant and everything it owns (admin token).
func (c *Client) DeleteTenant(ctx context.Context, tenant string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("tenants", tenant)})
}

// ListTenants ranges over every tenant, oldest first (admin token).
func (c *Client) ListTenants(ctx context.Context, o ListOptions) iter.Seq2[*hookd.Tenant, error] {
	return all[*hookd.Tenant](ctx, c, path("tenants"), o.values())
}

// ListTenantsPage fetches one page of tenants (admin token).
func (c *Client) ListTenantsPage(ctx context.Context, o ListOptions) (*Page[*hookd.Tenant], error) {
	return getPage[*hookd.Tenant](ctx, c, path("tenants"), o.values())
}

// TokenCreate is the body of CreateToken.
type TokenCreate struct {
	// Name says what the token is for ("ci", "portal").
	Name string
	// ExpiresIn is how long the token is valid: a whole number of
	// seconds from 1s to 366 days (the API's expires_in), or 0: until
	// revoked. Any other duration is refused before a request is sent
	// (500ms would otherwise truncate to 0, a token that never expires).
	ExpiresIn time.Duration
}

// check refuses an ExpiresIn that expires_in cannot carry as it is.
func (t TokenCreate) check() error {
	d := t.ExpiresIn
	if d != 0 && (d < hookd.MinTokenLife*time.Second || d > hookd.MaxTokenLife*time.Second || d%time.Second != 0) {
		return hookd.Errorf(hookd.EINVALID, "ExpiresIn %v: a token's expires_in is a whole number of seconds from 1s to %v (366 days); 0 for a token that does not expire",
			d, hookd.MaxTokenLife*time.Second)
	}
	return nil
}

// MarshalJSON writes the API's body: expires_in in seconds.
func (t TokenCreate) MarshalJSON() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return json.Marshal(struct {
		Name      string `json:"name,omitempty"`
		ExpiresIn int64  `json:"expires_in,omitempty"`
	}{t.Name, int64(t.ExpiresIn / time.Second)})
}

// CreatedToken is a new token: the secret Token is shown this once (lists
// show the hookd.Token record, never the token).
type CreatedToken struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	TenantID  string     `json:"tenant_id,omitempty"` // "" for an admin token
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"` // nil: until revoked
	CreatedAt time.Time  `json:"created_at"`
}

// CreateToken makes a token valid for one tenant's routes (admin token).
func (c *Client) CreateToken(ctx context.Context, tenant string, in TokenCreate) (*CreatedToken, error) {
	return c.createToken(ctx, path("tenants", tenant, "tokens"), in)
}

func (c *Client) createToken(ctx context.Context, p string, in TokenCreate) (*CreatedToken, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	var t CreatedToken
	if err := c.do(ctx, request{method: http.MethodPost, path: p, in: in, out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTokens ranges over a tenant's tokens, oldest first.
func (c *Client) ListTokens(ctx context.Context, tenant string, o ListOptions) iter.Seq2[*hookd.Token, error] {
	return all[*hookd.Token](ctx, c, path("tenants", tenant, "tokens"), o.values())
}

// ListTokensPage fetches one page of a tenant's tokens.
func (c *Client) ListTokensPage(ctx context.Context, tenant string, o ListOptions) (*Page[*hookd.Token], error) {
	return getPage[*hookd.Token](ctx, c, path("tenants", tenant, "tokens"), o.values())
}

// DeleteToken revokes a tenant token: refused at once on every node.
func (c *Client) DeleteToken(ctx context.Context, tenant, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("tenants", tenant, "tokens", id)})
}

// CreateAdminToken makes a named admin token beside the bootstrap one
// (admin token).
func (c *Client) CreateAdminToken(ctx context.Context, in TokenCreate) (*CreatedToken, error) {
	return c.createToken(ctx, path("admin-tokens"), in)
}

// ListAdminTokens ranges over the admin tokens made with CreateAdminToken
// (not the bootstrap one).
func (c *Client) ListAdminTokens(ctx context.Context, o ListOptions) iter.Seq2[*hookd.Token, error] {
	return all[*hookd.Token](ctx, c, path("admin-tokens"), o.values())
}

// DeleteAdminToken revokes an admin token.
func (c *Client) DeleteAdminToken(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("admin-tokens", id)})
}

// withoutNulls returns v's JSON object without its null members: an
// update's nil fields are left out of the request rather than sent as null
// (which the API also reads as "unchanged", but a schema may not allow).
func withoutNulls(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b
	}
	for k, v := range m {
		if string(v) == "null" {
			delete(m, k)
		}
	}
	out, _ := json.Marshal(m)
	return out
}
