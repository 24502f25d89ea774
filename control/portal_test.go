package control_test

import (
	"context"
	"testing"

	"github.com/hookd/hookd"
)

// revokeFirst is a store on which the tenant's portal links are revoked
// just before a session is stored: a revocation that lands between the
// check of the link a session is opened with and the session's write.
type revokeFirst struct {
	hookd.Store
}

func (s revokeFirst) CreatePortalGrant(ctx context.Context, g *hookd.PortalGrant, hash string) error {
	if g.Kind == hookd.PortalSession {
		if _, err := s.Store.DeletePortalGrants(ctx, g.TenantID, g.CreatedAt); err != nil {
			return err
		}
	}
	return s.Store.CreatePortalGrant(ctx, g, hash)
}

// TestRevocationDuringLinkOpen: a session opened with a link while the
// tenant's links are revoked is refused at once, as every other session
// of the tenant: revocation ends what the link opened, whatever the order
// of the two writes.
func TestRevocationDuringLinkOpen(t *testing.T) {
	onEachStore(t, func(t *testing.T, b *bundle) {
		ctx := context.Background()
		if err := b.svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
			t.Fatal(err)
		}
		l, err := b.svc.CreatePortalLink(ctx, "acme", hookd.PortalLinkRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// A session opened before: in force until the revocation.
		before, _, err := b.svc.OpenPortalLink(ctx, l.Token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.PortalSession(ctx, before); err != nil {
			t.Fatalf("a session of a link in force: %v", err)
		}
		b.svc.Store = revokeFirst{b.store}
		session, _, err := b.svc.OpenPortalLink(ctx, l.Token)
		if err != nil {
			return // refused: as good as ended
		}
		if _, err := b.svc.PortalSession(ctx, session); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Errorf("a session opened while its link was revoked: %v, want EUNAUTHORIZED", err)
		}
		if _, err := b.svc.PortalSession(ctx, before); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Errorf("a session opened before the revocation: %v, want EUNAUTHORIZED", err)
		}
		if _, _, err := b.svc.OpenPortalLink(ctx, l.Token); hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Errorf("the revoked link: %v, want EUNAUTHORIZED", err)
		}
	})
}
