package httpapi

import (
	"net/http"
	"time"

	"github.com/hookd/hookd"
)

// newToken is what the tenant-token and admin-token routes share: read
// {name?, expires_in?} (the body may be left out) and answer 201 with the
// token, shown this once.
func (s *Server) newToken(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	var in hookd.TokenCreate
	if _, err := decodeOptional(r, &in); err != nil {
		return err
	}
	t, secret, err := s.Tokens.CreateToken(r.Context(), kind, tenantID, &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdToken{ID: t.ID, Token: secret, Name: t.Name, ExpiresAt: t.ExpiresAt,
		CreatedAt: t.CreatedAt, TenantID: tenantID})
	return nil
}

// createdToken is the answer to a token's creation: the only time the
// token itself is shown.
type createdToken struct {
	ID        string     `json:"id"`
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
	CreatedAt time.Time  `json:"created_at"`
	TenantID  string     `json:"tenant_id,omitempty"`
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ts, err := s.Tokens.Tokens(r.Context(), kind, tenantID, p)
	if err != nil {
		return err
	}
	return list(w, ts, p, func(t *hookd.Token) string { return t.ID })
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	if err := s.Tokens.RevokeToken(r.Context(), kind, tenantID, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createTenantToken(w http.ResponseWriter, r *http.Request) error {
	return s.newToken(w, r, hookd.TokenTenant, r.PathValue("tenant"))
}

func (s *Server) listTenantTokens(w http.ResponseWriter, r *http.Request) error {
	return s.listTokens(w, r, hookd.TokenTenant, r.PathValue("tenant"))
}

func (s *Server) deleteTenantToken(w http.ResponseWriter, r *http.Request) error {
	return s.deleteToken(w, r, hookd.TokenTenant, r.PathValue("tenant"))
}

// The bootstrap admin token (HOOKD_ADMIN_TOKEN or the generated one) is
// not stored as a token: it has no id, is not listed and cannot be
// revoked through the API.

func (s *Server) createAdminToken(w http.ResponseWriter, r *http.Request) error {
	return s.newToken(w, r, hookd.TokenAdmin, "")
}

func (s *Server) listAdminTokens(w http.ResponseWriter, r *http.Request) error {
	return s.listTokens(w, r, hookd.TokenAdmin, "")
}

func (s *Server) deleteAdminToken(w http.ResponseWriter, r *http.Request) error {
	return s.deleteToken(w, r, hookd.TokenAdmin, "")
}
