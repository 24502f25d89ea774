package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// Bounds of a token's expires_in, in seconds. Leaving it out makes a token
// that does not expire.
const (
	minTokenLife = 1
	maxTokenLife = 366 * 24 * 3600
	maxTokenName = 200
)

// tokenPrefix is the start of a token of each kind: a leaked token says
// what it is.
var tokenPrefix = map[string]string{hookd.TokenTenant: "hkt_", hookd.TokenAdmin: "hka_"}

// newToken is what the tenant-token and admin-token routes share: read
// {name?, expires_in?}, make a random token, store its hash and answer 201
// with the token, shown this once.
func (s *Server) newToken(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	var in struct {
		Name      string `json:"name"`
		ExpiresIn *int64 `json:"expires_in"`
	}
	if _, err := decodeOptional(r, &in); err != nil {
		return err
	}
	if err := checkTokenName(in.Name); err != nil {
		return err
	}
	// A UUIDv7 id sorts in creation order, so tokens made in the same
	// millisecond still list in the order they were made.
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	t := &hookd.Token{ID: "tok_" + id.String(), Kind: kind, TenantID: tenantID, Name: in.Name,
		CreatedAt: now.Truncate(time.Millisecond)}
	if in.ExpiresIn != nil {
		if *in.ExpiresIn < minTokenLife || *in.ExpiresIn > maxTokenLife {
			return hookd.Errorf(hookd.EINVALID, "expires_in must be a whole number of seconds from %d to %d (366 days); leave it out for a token that does not expire",
				minTokenLife, maxTokenLife)
		}
		exp := t.CreatedAt.Add(time.Duration(*in.ExpiresIn) * time.Second)
		t.ExpiresAt = &exp
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	tok := tokenPrefix[kind] + base64.RawURLEncoding.EncodeToString(b)
	if err := s.Store.CreateToken(r.Context(), t, HashToken(tok)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, createdToken{ID: t.ID, Token: tok, Name: t.Name, ExpiresAt: t.ExpiresAt,
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

func checkTokenName(name string) error {
	if utf8.RuneCountInString(name) > maxTokenName || !utf8.ValidString(name) {
		return hookd.Errorf(hookd.EINVALID, "name must be at most %d characters", maxTokenName)
	}
	for _, c := range name {
		if unicode.IsControl(c) {
			return hookd.Errorf(hookd.EINVALID, "name must not contain control characters")
		}
	}
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ts, err := s.Store.Tokens(r.Context(), kind, tenantID, p)
	if err != nil {
		return err
	}
	return list(w, ts, p, func(t *hookd.Token) string { return t.ID })
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, kind, tenantID string) error {
	if err := s.Store.DeleteToken(r.Context(), kind, tenantID, r.PathValue("id")); err != nil {
		return err
	}
	s.usage.written.Delete(r.PathValue("id"))
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

// usageEvery is how often a token's last-used time is written at most.
const usageEvery = time.Minute

// usage writes tokens' last-used times behind the requests: at most once a
// minute per token (per node), by one background writer that takes every
// time due at once, so a busy token costs one map lookup per request.
type usage struct {
	written sync.Map // token id -> time.Time last handed to the writer

	mu      sync.Mutex
	pending map[string]time.Time
	writing bool
}

// used notes that token id authenticated a request at now.
func (u *usage) used(s *Server, id string, now time.Time) {
	last, ok := u.written.Load(id)
	if ok && now.Sub(last.(time.Time)) < usageEvery {
		return
	}
	// Only the request that moves the time forward hands it on.
	if ok && !u.written.CompareAndSwap(id, last, now) {
		return
	}
	if !ok {
		if _, loaded := u.written.LoadOrStore(id, now); loaded {
			return
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[string]time.Time{}
	}
	u.pending[id] = now
	if !u.writing {
		u.writing = true
		go u.write(s)
	}
}

// write stores the pending times until none is left. A failed write is
// logged and dropped: the last-used time is advisory.
func (u *usage) write(s *Server) {
	for {
		u.mu.Lock()
		batch := u.pending
		u.pending = nil
		if len(batch) == 0 {
			u.writing = false
			u.mu.Unlock()
			return
		}
		u.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.Store.TouchTokens(ctx, batch); err != nil {
			s.Log.Debug("recording when tokens were last used", "tokens", len(batch), "err", err)
		}
		cancel()
	}
}
