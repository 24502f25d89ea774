package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// TestPortalLinks: the admin mints portal links (defaults, a chosen
// expiry and capabilities) and revokes them all; bad requests name the
// field, and a tenant token may do neither.
func TestPortalLinks(t *testing.T) {
	admin, acme, srv := setup(t)
	ctx := context.Background()
	l, err := admin.CreatePortalLink(ctx, "acme", hookd.PortalLinkRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if l.URL != srv.URL+"/portal/#token="+l.Token || !strings.HasPrefix(l.Token, "hkpl_") || len(l.Capabilities) != 4 {
		t.Errorf("default link %+v", l)
	}
	week := int64(604800)
	w, err := admin.CreatePortalLink(ctx, "acme", hookd.PortalLinkRequest{ExpiresIn: &week, Capabilities: []string{"replay"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(w.Capabilities, ","); got != "read,replay" {
		t.Errorf("capabilities %q, want read,replay", got)
	}
	if d := w.ExpiresAt.Sub(l.ExpiresAt); d < 6*24*time.Hour-time.Minute || d > 6*24*time.Hour+time.Minute {
		t.Errorf("a week's link expires %s after a day's", d)
	}
	short := int64(60)
	for _, in := range []hookd.PortalLinkRequest{{ExpiresIn: &short}, {Capabilities: []string{"admin"}}} {
		_, err := admin.CreatePortalLink(ctx, "acme", in)
		var he *hookd.Error
		if client.StatusCode(err) != 400 || !errors.As(err, &he) || len(he.Details) != 1 {
			t.Errorf("link %+v: %v, want 400 naming the field", in, err)
		}
	}
	if _, err := acme.CreatePortalLink(ctx, "acme", hookd.PortalLinkRequest{}); client.StatusCode(err) != 403 {
		t.Errorf("a tenant token minting a link: %v, want 403", err)
	}
	if _, err := admin.CreatePortalLink(ctx, "nobody", hookd.PortalLinkRequest{}); client.StatusCode(err) != 404 {
		t.Errorf("a link to an unknown tenant: %v, want 404", err)
	}
	n, err := admin.RevokePortalLinks(ctx, "acme")
	if err != nil || n != 2 {
		t.Errorf("revoke: %d %v, want 2", n, err)
	}
	if n, err := admin.RevokePortalLinks(ctx, "acme"); err != nil || n != 0 {
		t.Errorf("revoke again: %d %v, want 0", n, err)
	}
}
