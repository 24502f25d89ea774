package control

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"

	"github.com/hookd/hookd"
)

var _ hookd.PortalService = (*Service)(nil)

// OperatorSessionTTL is how long an operator's portal session lasts.
const OperatorSessionTTL = 12 * time.Hour

// Token prefixes say what a token is when one is found in a log or a
// paste: a portal link or a portal session, never an API token.
const (
	linkPrefix    = "hkpl_"
	sessionPrefix = "hkps_"
)

// portalToken returns a new random token with the prefix and the hash it
// is stored under.
func portalToken(prefix string) (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, hookd.HashToken(token), nil
}

// CreatePortalLink checks the request and stores a link of the tenant.
func (s *Service) CreatePortalLink(ctx context.Context, tenantID string, r hookd.PortalLinkRequest) (*hookd.CreatedPortalLink, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	secs := int64(hookd.DefaultPortalLinkSeconds)
	if r.ExpiresIn != nil {
		secs = *r.ExpiresIn
	}
	now := s.stamp()
	token, hash, err := portalToken(linkPrefix)
	if err != nil {
		return nil, err
	}
	g := &hookd.PortalGrant{Kind: hookd.PortalLink, TenantID: tenantID, Capabilities: r.Capabilities,
		ExpiresAt: now.Add(time.Duration(secs) * time.Second), CreatedAt: now}
	if err := s.Store.CreatePortalGrant(ctx, g, hash); err != nil {
		return nil, err
	}
	return &hookd.CreatedPortalLink{Token: token, ExpiresAt: g.ExpiresAt, Capabilities: g.Capabilities}, nil
}

// RevokePortalLinks deletes every link and session of the tenant: the
// next page a session asks for is refused, on every node.
func (s *Service) RevokePortalLinks(ctx context.Context, tenantID string) (int, error) {
	if _, err := s.Store.Tenant(ctx, tenantID); err != nil {
		return 0, err
	}
	return s.Store.DeletePortalGrants(ctx, tenantID, s.now().Now())
}

// grant returns the grant of a token of the kind in force at the clock.
func (s *Service) grant(ctx context.Context, token, kind string) (*hookd.PortalGrant, error) {
	what := map[string]string{hookd.PortalLink: "portal link", hookd.PortalSession: "portal session"}[kind]
	if what == "" {
		what = "portal session"
	}
	g, err := s.Store.PortalGrant(ctx, hookd.HashToken(token))
	if err == hookd.ErrNotFound {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "this %s is not valid: it was revoked, or it expired some time ago", what)
	}
	if err != nil {
		return nil, err
	}
	if g.Kind != kind && !(kind == hookd.PortalSession && g.Kind == hookd.PortalOperator) {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "this %s is not valid", what)
	}
	if !s.now().Now().Before(g.ExpiresAt) {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "this %s expired at %s", what, g.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return g, nil
}

// OpenPortalLink exchanges a link for a session of the same tenant and
// capabilities that ends when the link does. The link stays usable until
// it expires or is revoked, so a user may open it again in another
// browser.
func (s *Service) OpenPortalLink(ctx context.Context, linkToken string) (string, *hookd.PortalGrant, error) {
	link, err := s.grant(ctx, linkToken, hookd.PortalLink)
	if err != nil {
		return "", nil, err
	}
	return s.openSession(ctx, &hookd.PortalGrant{Kind: hookd.PortalSession, TenantID: link.TenantID,
		Capabilities: link.Capabilities, ExpiresAt: link.ExpiresAt, OpenedBy: hookd.HashToken(linkToken)})
}

// OpenOperatorSession starts an operator session, which ends at the
// latest when the admin token that opened it expires.
func (s *Service) OpenOperatorSession(ctx context.Context, tokenHash string, tokenExpires time.Time) (string, *hookd.PortalGrant, error) {
	end := s.now().Now().Add(OperatorSessionTTL)
	if !tokenExpires.IsZero() && tokenExpires.Before(end) {
		end = tokenExpires
	}
	return s.openSession(ctx, &hookd.PortalGrant{Kind: hookd.PortalOperator, Capabilities: hookd.Capabilities,
		ExpiresAt: end, OpenedBy: tokenHash})
}

func (s *Service) openSession(ctx context.Context, g *hookd.PortalGrant) (string, *hookd.PortalGrant, error) {
	token, hash, err := portalToken(sessionPrefix)
	if err != nil {
		return "", nil, err
	}
	g.CreatedAt = s.stamp()
	if err := s.Store.CreatePortalGrant(ctx, g, hash); err != nil {
		return "", nil, err
	}
	return token, g, nil
}

// PortalSession returns the grant of a session in force. A tenant's
// session is in force only while the link it was opened with is: a
// revocation that lands between the link's check and the session's write
// deletes the link but not the session, which must end all the same.
func (s *Service) PortalSession(ctx context.Context, sessionToken string) (*hookd.PortalGrant, error) {
	g, err := s.grant(ctx, sessionToken, hookd.PortalSession)
	if err != nil || g.Kind != hookd.PortalSession || g.OpenedBy == "" {
		return g, err // an operator's session is checked by the portal against its admin token
	}
	link, err := s.Store.PortalGrant(ctx, g.OpenedBy)
	if err == hookd.ErrNotFound || err == nil && (link.Kind != hookd.PortalLink || link.TenantID != g.TenantID) {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "this portal session is not valid: its link was revoked")
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// EndPortalSession deletes a session.
func (s *Service) EndPortalSession(ctx context.Context, sessionToken string) error {
	return s.Store.DeletePortalGrant(ctx, hookd.HashToken(sessionToken))
}
