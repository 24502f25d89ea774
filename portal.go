package hookd

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Portal capabilities: what a portal link lets a tenant's user do. Read is
// always granted.
const (
	CapRead            = "read"
	CapManageEndpoints = "manage_endpoints" // create, edit, enable, disable, delete endpoints
	CapManageSecrets   = "manage_secrets"   // reveal and rotate secrets
	CapReplay          = "replay"           // retry, recover, test sends
)

// Capabilities lists every portal capability, in order.
var Capabilities = []string{CapRead, CapManageEndpoints, CapManageSecrets, CapReplay}

// Bounds of a portal link's life, in seconds.
const (
	MinPortalLinkSeconds     = 3600
	MaxPortalLinkSeconds     = 604800
	DefaultPortalLinkSeconds = 86400
)

// PortalLinkRequest is what the operator asks of a portal link.
type PortalLinkRequest struct {
	// ExpiresIn is the link's life in seconds (nil: a day).
	ExpiresIn *int64 `json:"expires_in"`
	// Capabilities granted (nil: all); read is always added.
	Capabilities []string `json:"capabilities"`
}

// Validate checks the request and normalizes its capabilities: read
// added, duplicates removed, in the order of Capabilities.
func (r *PortalLinkRequest) Validate() error {
	if r.ExpiresIn != nil && (*r.ExpiresIn < MinPortalLinkSeconds || *r.ExpiresIn > MaxPortalLinkSeconds) {
		return &Error{Code: EINVALID, Message: "expires_in must be from 3600 to 604800 seconds (1 hour to 7 days)",
			Details: []Detail{{Path: "expires_in", Rule: "range", Message: "from 3600 to 604800"}}}
	}
	if r.Capabilities == nil {
		r.Capabilities = slices.Clone(Capabilities)
		return nil
	}
	for _, c := range r.Capabilities {
		if !slices.Contains(Capabilities, c) {
			return &Error{Code: EINVALID, Message: "capabilities: unknown capability " + quote(c) + ": use " + strings.Join(Capabilities, ", "),
				Details: []Detail{{Path: "capabilities", Rule: "enum", Message: "unknown capability " + quote(c)}}}
		}
	}
	var caps []string
	for _, c := range Capabilities {
		if c == CapRead || slices.Contains(r.Capabilities, c) {
			caps = append(caps, c)
		}
	}
	r.Capabilities = caps
	return nil
}

func quote(s string) string { return `"` + s + `"` }

// Portal session kinds: a link the operator minted, a tenant's session
// opened with it, an operator's session opened with the admin token.
const (
	PortalLink     = "link"
	PortalSession  = "session"
	PortalOperator = "operator"
)

// PortalGrant is a stored portal credential (a link or a session), kept
// under the hash of its token.
type PortalGrant struct {
	Kind string
	// TenantID is the tenant a link or session opens ("" for operator).
	TenantID     string
	Capabilities []string
	ExpiresAt    time.Time
	CreatedAt    time.Time
	// OpenedBy is, for an operator's session, the SHA-256 (HashToken) of
	// the admin token it was opened with: the session is in force only
	// while that token is (not revoked, not expired, the bootstrap token
	// not replaced). For a tenant's session it is the SHA-256 of the link
	// it was opened with, and the session is in force only while that
	// link is ("" for sessions opened before links were recorded).
	OpenedBy string
}

// Can reports whether the grant has a capability; the operator has all.
func (g *PortalGrant) Can(capability string) bool {
	return g.Kind == PortalOperator || capability == CapRead || slices.Contains(g.Capabilities, capability)
}

// Operator reports whether the grant is the operator's.
func (g *PortalGrant) Operator() bool { return g.Kind == PortalOperator }

// CreatedPortalLink is a new portal link: its token, shown once.
type CreatedPortalLink struct {
	Token        string    `json:"token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Capabilities []string  `json:"capabilities"`
}

// PortalService mints and checks the portal's credentials.
type PortalService interface {
	// CreatePortalLink mints a link to the tenant's portal.
	CreatePortalLink(ctx context.Context, tenantID string, r PortalLinkRequest) (*CreatedPortalLink, error)
	// RevokePortalLinks revokes every link and session of the tenant and
	// says how many.
	RevokePortalLinks(ctx context.Context, tenantID string) (int, error)
	// OpenPortalLink exchanges a link's token for a session's, which
	// expires with the link. An unknown, revoked or expired link is
	// EUNAUTHORIZED with a message saying which.
	OpenPortalLink(ctx context.Context, linkToken string) (string, *PortalGrant, error)
	// OpenOperatorSession starts an operator's session; the caller has
	// checked the admin token, whose hash it gives, and its expiry (zero:
	// none), which the session does not outlive.
	OpenOperatorSession(ctx context.Context, tokenHash string, tokenExpires time.Time) (string, *PortalGrant, error)
	// PortalSession returns the grant of a session token in force.
	PortalSession(ctx context.Context, sessionToken string) (*PortalGrant, error)
	// EndPortalSession signs a session out.
	EndPortalSession(ctx context.Context, sessionToken string) error
}
