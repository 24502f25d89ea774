package sqlstore

import (
	"sync"

	"github.com/hookd/hookd"
)

// tokenCache keeps the tokens looked up by hash. On a store that one
// process owns (Dialect.Exclusive, SQLite: the file is locked by the process
// that opened it) every write of a token goes through this Store, which
// drops the cache once the write has committed, so a revoked or deleted
// token is refused at once, as without a cache. On a shared store
// (PostgreSQL) another node may revoke a token: only publishes take it from
// memory (Store.CachedToken), and their commit checks it again; every
// other request reads the database.
//
// A lookup that read the database before a write committed must not put
// its stale answer back after the write dropped the cache: it remembers
// the generation it started in, and a drop moves the generation on.
type tokenCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]hookd.Token // by hash; unknown hashes are not kept
}

// maxCachedTokens bounds the cache; when full it starts again empty.
const maxCachedTokens = 10_000

// get returns a copy of the token cached for hash, or the generation a
// lookup of the database starts in.
func (c *tokenCache) get(hash string) (*hookd.Token, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.m[hash]; ok {
		return &t, 0
	}
	return nil, c.gen
}

// put keeps t for hash if no write dropped the cache since gen.
func (c *tokenCache) put(hash string, t *hookd.Token, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = map[string]hookd.Token{}
	}
	c.m[hash] = *t
}

// generation returns the generation a lookup of the database starts in.
func (c *tokenCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// drop forgets every token: called after each write of tokens, and when a
// commit found a token revoked (by another node).
func (c *tokenCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}
