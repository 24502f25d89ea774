package hookd

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

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

// HashToken returns the stored form of a token: hex SHA-256. Tokens are
// random and long, so a plain hash is enough; no salt or KDF is needed.
func HashToken(token string) string {
	// Hashed from a copy on the stack: []byte(token) would be a copy on
	// the heap (every authenticated request hashes its token).
	var buf [128]byte
	var sum [sha256.Size]byte
	if len(token) <= len(buf) {
		sum = sha256.Sum256(buf[:copy(buf[:], token)])
	} else {
		sum = sha256.Sum256([]byte(token))
	}
	return hex.EncodeToString(sum[:])
}

// Bounds of a new token: its life in seconds (leave it out for a token
// that does not expire) and its name in characters.
const (
	MinTokenLife = 1
	MaxTokenLife = 366 * 24 * 3600
	MaxTokenName = MaxName
)

// TokenCreate is what a new token may be given.
type TokenCreate struct {
	Name string `json:"name"`
	// ExpiresIn is the token's life in seconds; nil: it does not expire.
	ExpiresIn *int64 `json:"expires_in"`
}

// Validate checks the name and the life against their bounds.
func (c *TokenCreate) Validate() error {
	if err := CheckName("name", c.Name); err != nil {
		return err
	}
	if c.ExpiresIn != nil && (*c.ExpiresIn < MinTokenLife || *c.ExpiresIn > MaxTokenLife) {
		return FieldErrorf(EINVALID, "expires_in", "range", "expires_in must be a whole number of seconds from %d to %d (366 days); leave it out for a token that does not expire",
			MinTokenLife, MaxTokenLife)
	}
	return nil
}
