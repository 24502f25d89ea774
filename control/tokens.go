package control

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

var _ hookd.TokenService = (*Service)(nil)

// tokenPrefix is the start of a token of each kind: a leaked token says
// what it is.
var tokenPrefix = map[string]string{hookd.TokenTenant: "hkt_", hookd.TokenAdmin: "hka_"}

// CreateToken implements hookd.TokenService.
func (s *Service) CreateToken(ctx context.Context, kind, tenantID string, in *hookd.TokenCreate) (*hookd.Token, string, error) {
	if _, ok := tokenPrefix[kind]; !ok {
		return nil, "", hookd.FieldErrorf(hookd.EINVALID, "kind", "enum", "token kind %q: want %q or %q", kind, hookd.TokenTenant, hookd.TokenAdmin)
	}
	if err := in.Validate(); err != nil {
		return nil, "", err
	}
	// A UUIDv7 id sorts in creation order, so tokens made in the same
	// millisecond still list in the order they were made.
	id, err := uuid.NewV7()
	if err != nil {
		return nil, "", err
	}
	now := s.stamp()
	t := &hookd.Token{ID: "tok_" + id.String(), Kind: kind, TenantID: tenantID, Name: in.Name, CreatedAt: now}
	if in.ExpiresIn != nil {
		exp := now.Add(time.Duration(*in.ExpiresIn) * time.Second)
		t.ExpiresAt = &exp
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	secret := tokenPrefix[kind] + base64.RawURLEncoding.EncodeToString(b)
	if err := s.Store.CreateToken(ctx, t, hookd.HashToken(secret)); err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// Tokens implements hookd.TokenService.
// A tenant that does not exist has no list: not found, as on its other
// routes.
func (s *Service) Tokens(ctx context.Context, kind, tenantID string, p hookd.Page) ([]*hookd.Token, error) {
	if kind == hookd.TokenTenant {
		if err := s.tenantExists(ctx, tenantID); err != nil {
			return nil, err
		}
	}
	return s.Store.Tokens(ctx, kind, tenantID, p)
}

// RevokeToken implements hookd.TokenService.
func (s *Service) RevokeToken(ctx context.Context, kind, tenantID, id string) error {
	if err := s.Store.DeleteToken(ctx, kind, tenantID, id); err != nil {
		return err
	}
	s.usage.written.Delete(id)
	return nil
}

// Authenticate implements hookd.TokenService. The store is asked on every
// request (one primary-key lookup; on SQLite, which one process owns, an
// exact cache), so a token revoked or expired is refused at once on every
// node.
func (s *Service) Authenticate(ctx context.Context, token string) (*hookd.Token, error) {
	return s.AuthenticateHash(ctx, hookd.HashToken(token))
}

// AuthenticateHash implements hookd.TokenService.
func (s *Service) AuthenticateHash(ctx context.Context, hash string) (*hookd.Token, error) {
	t, err := s.Store.TokenByHash(ctx, hash)
	return s.inForce(t, err)
}

// AuthenticatePublish implements hookd.TokenService: the token may come
// from the store's memory, and is then checked again by the publish's
// commit. Its expiry is checked here: tokens never change once made.
func (s *Service) AuthenticatePublish(ctx context.Context, hash string) (*hookd.Token, context.Context, error) {
	t, recheck, err := s.Store.CachedToken(ctx, hash)
	if t, err = s.inForce(t, err); err != nil {
		return nil, ctx, err
	}
	if recheck {
		ctx = hookd.NewContextWithTokenCheck(ctx, hash)
	}
	return t, ctx, nil
}

// inForce returns t if it is in force now (EUNAUTHORIZED otherwise) and
// notes its use.
func (s *Service) inForce(t *hookd.Token, err error) (*hookd.Token, error) {
	if err == hookd.ErrNotFound {
		return nil, hookd.ErrUnknownToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now().Now()
	if t.Expired(now) {
		return nil, hookd.Errorf(hookd.EUNAUTHORIZED, "the token expired at %s", t.ExpiresAt.UTC().Format(time.RFC3339))
	}
	s.usage.used(s, t.ID, now)
	return t, nil
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
func (u *usage) used(s *Service, id string, now time.Time) {
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
func (u *usage) write(s *Service) {
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
			s.log().Debug("recording when tokens were last used", "tokens", len(batch), "err", err)
		}
		cancel()
	}
}
