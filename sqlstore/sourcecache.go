package sqlstore

import (
	"bytes"
	"database/sql"
	"sync"

	"github.com/hookd/hookd"
)

// sourceCache keeps the sources that ingest requests found by their current
// token, unsealed, with the row each was read from: every ingest looked its
// source up and unsealed it (AES-GCM and JSON) again.
//
// It stays exact as the token cache does (tokenCache): on a store one
// process owns (Dialect.Exclusive, SQLite) every write of a source goes
// through this Store, which drops the cache once the write has committed
// (or failed), so a source found here is the stored one, and its lookup
// skips the database. On a shared store (PostgreSQL) another node may
// rotate a source's token or secrets, change or delete it: an ingest takes
// the source from memory all the same (Store.CachedSource), and its
// publish's commit checks that the row is still the one read, by its key
// (sourceKey); a publish whose source changed is refused (Revoked), the
// memory dropped, and the ingest read again and verified anew. Every other
// lookup reads the row, and only its unsealing is saved, when the row read
// is the one cached, byte for byte (token hashes, times and the sealed
// data). Previous tokens, valid for a while after a rotation, are not
// cached.
//
// A lookup that read the database before a write committed must not put
// its stale answer back after the write dropped the cache: it remembers
// the generation it started in, and a drop moves the generation on.
type sourceCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string]*cachedSource // by current token hash
}

// cachedSource is a source and the row it was unsealed from, and the row's
// key (sourceKey).
type cachedSource struct {
	row sourceRow
	src hookd.Source
	key string
}

// maxCachedSources bounds the cache; when full it starts again empty.
const maxCachedSources = 10_000

// get returns the entry cached for hash (nil if none) and the generation
// a lookup of the database starts in.
func (c *sourceCache) get(hash string) (*cachedSource, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[hash], c.gen
}

// put keeps e for hash if no write dropped the cache since gen.
func (c *sourceCache) put(hash string, e *cachedSource, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedSources {
		c.m = map[string]*cachedSource{}
	}
	c.m[hash] = e
}

// drop forgets every source: called after each write of sources.
func (c *sourceCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m = nil
}

// source returns a copy of e's source: callers may set its fields (its
// slices and pointers are shared, and read only).
func (e *cachedSource) source() *hookd.Source {
	src := e.src
	return &src
}

// sourceRow is a row of sources as read, before its data is unsealed.
type sourceRow struct {
	tenantID, id, tokenHash string
	prevTokenHash           sql.NullString
	prevTokenUntil          sql.NullInt64
	data                    []byte
	createdAt               int64
}

// same reports whether r and o are the same stored row.
func (r *sourceRow) same(o *sourceRow) bool {
	return r.tenantID == o.tenantID && r.id == o.id && r.tokenHash == o.tokenHash &&
		r.prevTokenHash == o.prevTokenHash && r.prevTokenUntil == o.prevTokenUntil &&
		r.createdAt == o.createdAt && bytes.Equal(r.data, o.data)
}

// sourceFrom is the source of a row, with the data unsealed as d.
func sourceFrom(r *sourceRow, d *sourceData) *hookd.Source {
	src := &hookd.Source{TenantID: r.tenantID, ID: r.id, TokenHash: r.tokenHash, PrevTokenHash: r.prevTokenHash.String}
	if r.prevTokenUntil.Valid {
		src.PrevTokenUntil = fromMS(r.prevTokenUntil.Int64)
	}
	src.Name, src.Profile, src.Secrets, src.BasicAuth, src.HeaderKey = d.Name, d.Profile, d.Secrets, d.BasicAuth, d.HeaderKey
	src.AllowIPs, src.HMAC, src.ToleranceSeconds = d.AllowIPs, d.HMAC, d.ToleranceSeconds
	src.CreatedAt, src.UpdatedAt = fromMS(r.createdAt), fromMS(d.UpdatedAt)
	return src
}
