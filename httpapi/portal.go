package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
)

// createPortalLink mints a link to the tenant's portal. Its URL carries the
// token in the fragment, which browsers never send in a request line.
func (s *Server) createPortalLink(w http.ResponseWriter, r *http.Request) error {
	var in hookd.PortalLinkRequest
	if _, err := decodeOptional(r, &in); err != nil {
		return err
	}
	l, err := s.Portal.CreatePortalLink(r.Context(), r.PathValue("tenant"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"url":          s.baseURL(r) + "/portal/#token=" + url.QueryEscape(l.Token),
		"token":        l.Token,
		"expires_at":   l.ExpiresAt,
		"capabilities": l.Capabilities,
	})
	return nil
}

// revokePortalLinks revokes every portal link and session of the tenant.
func (s *Server) revokePortalLinks(w http.ResponseWriter, r *http.Request) error {
	n, err := s.Portal.RevokePortalLinks(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
	return nil
}

// baseURL is where users reach this server: PublicURL when set, else the
// scheme and host of the request (https under TLS or behind a proxy that
// says so).
func (s *Server) baseURL(r *http.Request) string {
	if s.PublicURL != "" {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
