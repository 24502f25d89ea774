package client

import (
	"context"
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// PortalLink is a minted link to a tenant's portal; URL and Token are
// shown this once.
type PortalLink struct {
	URL          string    `json:"url"`
	Token        string    `json:"token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Capabilities []string  `json:"capabilities"`
}

// CreatePortalLink mints a link to the tenant's portal (admin token).
func (c *Client) CreatePortalLink(ctx context.Context, tenant string, in hookd.PortalLinkRequest) (*PortalLink, error) {
	var out PortalLink
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "portal-links"), in: in, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokePortalLinks ends every portal link and session of the tenant and
// says how many were in force (admin token).
func (c *Client) RevokePortalLinks(ctx context.Context, tenant string) (int, error) {
	var out struct {
		Revoked int `json:"revoked"`
	}
	err := c.do(ctx, request{method: http.MethodDelete, path: path("tenants", tenant, "portal-links"), out: &out})
	return out.Revoked, err
}
