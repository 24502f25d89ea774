package hookd

import "time"

// Token kinds: a tenant token acts for one tenant, an admin token for the
// operator.
const (
	TokenTenant = "tenant"
	TokenAdmin  = "admin"
)

// Token is the record of an API token: never the token itself, which is
// shown once, when it is created, and stored only as a hash.
type Token struct {
	ID   string `json:"id"`
	Kind string `json:"-"`
	// TenantID is the tenant a tenant token acts for ("" for admin tokens).
	TenantID string `json:"-"`
	Name     string `json:"name"`
	// ExpiresAt is nil for a token that does not expire.
	ExpiresAt *time.Time `json:"expires_at"`
	// LastUsedAt is when the token last authenticated a request, to the
	// minute (it is written at most once a minute per token); nil if never.
	LastUsedAt *time.Time `json:"last_used_at"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Expired reports whether the token has expired at now.
func (t *Token) Expired(now time.Time) bool {
	return t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)
}
