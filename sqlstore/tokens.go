package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// CreateToken implements hookd.Store.
func (s *Store) CreateToken(ctx context.Context, t *hookd.Token, hash string) error {
	defer s.tokensWritten()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if t.Kind == hookd.TokenTenant {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), t.TenantID).Scan(&n); err != nil {
				return unavailable(err)
			}
			if n == 0 {
				return hookd.ErrNotFound
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO tokens (hash, id, kind, tenant_id, name, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), hash, t.ID, t.Kind, t.TenantID, t.Name, nullMS(t.ExpiresAt), ms(t.CreatedAt))
		return unavailable(err)
	})
}

const tokenCols = `id, kind, tenant_id, name, expires_at, last_used_at, created_at`

const tokenByHashSQL = `SELECT ` + tokenCols + ` FROM tokens WHERE hash = ?`

func scanToken(row interface{ Scan(...any) error }) (*hookd.Token, error) {
	var t hookd.Token
	var exp, used sql.NullInt64
	var c int64
	if err := row.Scan(&t.ID, &t.Kind, &t.TenantID, &t.Name, &exp, &used, &c); err != nil {
		return nil, err
	}
	if exp.Valid {
		at := fromMS(exp.Int64)
		t.ExpiresAt = &at
	}
	if used.Valid {
		at := fromMS(used.Int64)
		t.LastUsedAt = &at
	}
	t.CreatedAt = fromMS(c)
	return &t, nil
}

// TokenByHash implements hookd.Store: a primary-key lookup, made for every
// authenticated request. On a store one process owns it is answered from
// memory once read (see tokenCache); on a shared one it reads the database
// every time, so a token revoked on one node is refused at once on all.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*hookd.Token, error) {
	if s.d.Exclusive {
		t, _, err := s.CachedToken(ctx, hash)
		return t, err
	}
	return s.readToken(ctx, hash, s.tokens.generation())
}

// CachedToken implements hookd.Store. On a shared store (PostgreSQL) a
// token found in memory may have been revoked on another node: recheck
// says so, and the publish's commit checks it again (applyOne,
// refuseRevoked). On a store one process owns, the memory is exact.
func (s *Store) CachedToken(ctx context.Context, hash string) (*hookd.Token, bool, error) {
	t, gen := s.tokens.get(hash)
	if t != nil {
		return t, !s.d.Exclusive, nil
	}
	t, err := s.readToken(ctx, hash, gen)
	return t, false, err
}

// readToken reads the token under hash and keeps it in memory, unless a
// write of tokens dropped the memory since gen.
func (s *Store) readToken(ctx context.Context, hash string, gen uint64) (*hookd.Token, error) {
	t, err := scanToken(s.tokenByHash.QueryRowContext(ctx, hash))
	if err == nil {
		s.tokens.put(hash, t, gen)
	}
	return t, notFound(err)
}

// refuseRevoked marks the publishes whose token (hookd.Publish.Token) is
// no longer stored as Revoked, and returns the others, the ones to store.
// The one-statement commit checks the tokens in its own statement instead.
func (s *Store) refuseRevoked(ctx context.Context, q querier, ps []*hookd.Publish) ([]*hookd.Publish, error) {
	for _, p := range ps {
		p.Revoked = false
	}
	hashes, sources := credentials(ps)
	if len(hashes)+len(sources) == 0 {
		return ps, nil
	}
	stored := map[string]bool{}
	if len(hashes) > 0 {
		err := s.scanAll(ctx, q, `SELECT hash FROM tokens WHERE hash IN (?`+strings.Repeat(", ?", len(hashes)-1)+`)`, anys(hashes), func(r *sql.Rows) error {
			var h string
			err := r.Scan(&h)
			stored[h] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	if len(sources) > 0 {
		// The sources' rows as they are now, named as the keys name them.
		err := s.scanAll(ctx, q, `SELECT token_hash, data FROM sources WHERE token_hash IN (?`+strings.Repeat(", ?", len(sources)-1)+`)`, anys(sources), func(r *sql.Rows) error {
			var h string
			var data []byte
			err := r.Scan(&h, &data)
			stored[sourceKey(h, data)] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return s.keepStored(ps, stored), nil
}

// credentials returns, each once, the API tokens' hashes the publishes
// name (Publish.Token) and the token hashes of the source keys among them.
func credentials(ps []*hookd.Publish) (hashes, sources []string) {
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Token == "" || seen[p.Token] {
			continue
		}
		seen[p.Token] = true
		if h, ok := sourceKeyHash(p.Token); ok {
			sources = append(sources, h)
		} else {
			hashes = append(hashes, p.Token)
		}
	}
	return hashes, sources
}

// anys returns v as query arguments.
func anys(v []string) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// scanAll runs a query and calls scan for each of its rows.
func (s *Store) scanAll(ctx context.Context, q querier, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return unavailable(err)
		}
	}
	return unavailable(rows.Err())
}

// keepStored marks the publishes whose token (or source key) is not among
// the stored ones as Revoked and returns the others. A token found revoked
// is dropped from memory (with every other: revocations are rare), so the
// node's next request with it is refused without a commit; a source found
// changed likewise, so that the ingest, tried again, reads it anew.
func (s *Store) keepStored(ps []*hookd.Publish, stored map[string]bool) []*hookd.Publish {
	live := make([]*hookd.Publish, 0, len(ps))
	tokens, sources := false, false
	for _, p := range ps {
		if p.Token != "" && !stored[p.Token] {
			p.Revoked = true
			if _, ok := sourceKeyHash(p.Token); ok {
				sources = true
			} else {
				tokens = true
			}
			continue
		}
		live = append(live, p)
	}
	if tokens {
		s.tokensWritten()
	}
	if sources {
		s.sourcesWritten()
	}
	return live
}

// tokensWritten drops the cached tokens after a write of tokens committed
// (or failed: dropping is always safe).
func (s *Store) tokensWritten() { s.tokens.drop() }

// Tokens implements hookd.Store.
func (s *Store) Tokens(ctx context.Context, kind, tenantID string, p hookd.Page) ([]*hookd.Token, error) {
	q := `SELECT ` + tokenCols + ` FROM tokens WHERE kind = ? AND tenant_id = ?`
	args := []any{kind, tenantID}
	if p.After != "" {
		// Tokens made in the same millisecond share created_at: the id
		// breaks the tie, so no page skips one of them.
		at, err := s.cursor(ctx, "token", `SELECT created_at FROM tokens WHERE kind = ? AND tenant_id = ? AND id = ?`, kind, tenantID, p.After)
		if err != nil {
			return nil, err
		}
		q += ` AND (created_at > ? OR (created_at = ? AND id > ?))`
		args = append(args, at, at, p.After)
	}
	q += ` ORDER BY created_at, id LIMIT ?`
	args = append(args, limit(p))
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, t)
	}
	return out, unavailable(rows.Err())
}

// DeleteToken implements hookd.Store.
func (s *Store) DeleteToken(ctx context.Context, kind, tenantID, id string) error {
	defer s.tokensWritten()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM tokens WHERE id = ? AND kind = ? AND tenant_id = ?`), id, kind, tenantID)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.ErrNotFound
		}
		return nil
	})
}

// TouchTokens implements hookd.Store.
func (s *Store) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	defer s.tokensWritten() // at most once a minute a token: the cache is read again
	return s.tx(ctx, func(tx *sql.Tx) error {
		for id, at := range used {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE tokens SET last_used_at = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`), ms(at), id, ms(at)); err != nil {
				return unavailable(err)
			}
		}
		return nil
	})
}
