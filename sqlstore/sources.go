package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// sourceData is what a source's sealed data column holds: everything but
// its keys and token hashes, the secrets and credentials included.
type sourceData struct {
	Name             string            `json:"name"`
	Profile          string            `json:"profile"`
	Secrets          []hookd.Secret    `json:"secrets"`
	BasicAuth        *hookd.BasicAuth  `json:"basic_auth,omitempty"`
	HeaderKey        *hookd.HeaderKey  `json:"header_key,omitempty"`
	AllowIPs         []string          `json:"allow_ips,omitempty"`
	HMAC             *hookd.HMACScheme `json:"hmac,omitempty"`
	ToleranceSeconds int               `json:"tolerance_seconds,omitempty"`
	UpdatedAt        int64             `json:"updated_at"`
}

func (s *Store) sealSource(src *hookd.Source) ([]byte, error) {
	plain, err := json.Marshal(sourceData{Name: src.Name, Profile: src.Profile, Secrets: src.Secrets,
		BasicAuth: src.BasicAuth, HeaderKey: src.HeaderKey, AllowIPs: src.AllowIPs, HMAC: src.HMAC,
		ToleranceSeconds: src.ToleranceSeconds, UpdatedAt: ms(src.UpdatedAt)})
	if err != nil {
		return nil, err
	}
	return s.key.Seal(plain)
}

const sourceCols = `tenant_id, id, token_hash, prev_token_hash, prev_token_until, data, created_at`

func (s *Store) scanSource(row interface{ Scan(...any) error }) (*hookd.Source, error) {
	var r sourceRow
	if err := r.scan(row); err != nil {
		return nil, err
	}
	return s.unsealSource(&r)
}

// scan reads a row of sourceCols.
func (r *sourceRow) scan(row interface{ Scan(...any) error }) error {
	return row.Scan(&r.tenantID, &r.id, &r.tokenHash, &r.prevTokenHash, &r.prevTokenUntil, &r.data, &r.createdAt)
}

// unsealSource is the source of a row, its data unsealed.
func (s *Store) unsealSource(r *sourceRow) (*hookd.Source, error) {
	plain, err := s.key.Open(r.data)
	if err != nil {
		return nil, err
	}
	var d sourceData
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, err
	}
	return sourceFrom(r, &d), nil
}

// CreateSource implements hookd.Store.
func (s *Store) CreateSource(ctx context.Context, src *hookd.Source) error {
	data, err := s.sealSource(src)
	if err != nil {
		return err
	}
	defer s.sourcesWritten()
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), src.TenantID).Scan(&n); err != nil {
			return unavailable(err)
		}
		if n == 0 {
			return hookd.ErrNotFound
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO sources (`+sourceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			src.TenantID, src.ID, src.TokenHash, nullStr(src.PrevTokenHash), nullTime(src.PrevTokenUntil), data, ms(src.CreatedAt))
		return unavailable(err)
	})
}

func nullTime(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ms(t), Valid: true}
}

// Source implements hookd.Store.
func (s *Store) Source(ctx context.Context, tenantID, id string) (*hookd.Source, error) {
	src, err := s.scanSource(s.r.QueryRowContext(ctx, s.q(`SELECT `+sourceCols+` FROM sources WHERE tenant_id = ? AND id = ?`), tenantID, id))
	return src, notFound(err)
}

// sourceByTokenSQL finds a source by its current token: the statement of
// every ingest request, prepared once.
const sourceByTokenSQL = `SELECT ` + sourceCols + ` FROM sources WHERE token_hash = ?`

// SourceByToken implements hookd.Store: one indexed lookup of the current
// token, then of the previous one.
// A source found by its current token is kept unsealed in memory
// (sourceCache): on a store one process owns it is answered from there.
func (s *Store) SourceByToken(ctx context.Context, hash string, now time.Time) (*hookd.Source, error) {
	src, _, err := s.findSource(ctx, hash, now, false)
	return src, err
}

// CachedSource implements hookd.Store. On a shared store (PostgreSQL) a
// source found in memory may have been changed or deleted on another node
// since: recheck is its key (sourceKey), and the commit of the ingest's
// publish checks the row again (applyOne, refuseRevoked). On a store one
// process owns, the memory is exact, and a source read now needs no check.
func (s *Store) CachedSource(ctx context.Context, hash string, now time.Time) (*hookd.Source, string, error) {
	return s.findSource(ctx, hash, now, true)
}

// findSource is SourceByToken; with cached, a source kept in memory is
// answered on a shared store too, with its key to check at the commit.
func (s *Store) findSource(ctx context.Context, hash string, now time.Time, cached bool) (*hookd.Source, string, error) {
	c, gen := s.sources.get(hash)
	if c != nil && s.d.Exclusive {
		return c.source(), "", nil
	}
	if c != nil && cached {
		return c.source(), c.key, nil
	}
	src, err := s.readSource(ctx, hash, now, c, gen)
	return src, "", err
}

// sourceKey names a source's row as it was read: its current token's hash
// and its sealed data, sealed with a fresh nonce at every write (so any
// change of the source, a rotation included, changes the key). It is
// hookd.Publish.Token for an ingest whose source came from memory; the
// one-statement commit computes the same text from the row.
func sourceKey(tokenHash string, data []byte) string {
	sum := sha256.Sum256(data)
	return sourceKeyPrefix + tokenHash + ":" + hex.EncodeToString(sum[:])
}

// sourceKeyPrefix begins every source key: tokens' hashes are hex.
const sourceKeyPrefix = "source:"

// sourceKeyHash returns the token hash in a source key, and whether k is
// one.
func sourceKeyHash(k string) (string, bool) {
	rest, ok := strings.CutPrefix(k, sourceKeyPrefix)
	if !ok {
		return "", false
	}
	h, _, ok := strings.Cut(rest, ":")
	return h, ok
}

// readSource reads the source whose current token (or previous one, still
// accepted at now) has this hash; one found by its current token is kept
// in memory, unless a write of sources dropped the memory since gen.
// cached is what the memory held: its unsealing serves again if the row is
// the same.
func (s *Store) readSource(ctx context.Context, hash string, now time.Time, cached *cachedSource, gen uint64) (*hookd.Source, error) {
	var r sourceRow
	err := r.scan(s.sourceByToken.QueryRowContext(ctx, hash))
	if err == sql.ErrNoRows {
		src, err := s.scanSource(s.r.QueryRowContext(ctx, s.q(`SELECT `+sourceCols+` FROM sources
			WHERE prev_token_hash = ? AND prev_token_until > ?`), hash, ms(now)))
		return src, notFound(err)
	}
	if err != nil {
		return nil, notFound(err)
	}
	if cached != nil && cached.row.same(&r) {
		return cached.source(), nil
	}
	src, err := s.unsealSource(&r)
	if err != nil {
		return nil, err
	}
	s.sources.put(hash, &cachedSource{row: r, src: *src, key: sourceKey(r.tokenHash, r.data)}, gen)
	return src, nil
}

// sourcesWritten drops the cached sources after a write of sources
// committed (or failed: dropping is always safe).
func (s *Store) sourcesWritten() { s.sources.drop() }

// Sources implements hookd.Store: oldest first, after the cursor.
func (s *Store) Sources(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Source, error) {
	q := `SELECT ` + sourceCols + ` FROM sources WHERE tenant_id = ?`
	args := []any{tenantID}
	if p.After != "" {
		at, err := s.cursor(ctx, "source", `SELECT created_at FROM sources WHERE tenant_id = ? AND id = ?`, tenantID, p.After)
		if err != nil {
			return nil, err
		}
		q += ` AND (created_at > ? OR (created_at = ? AND id > ?))`
		args = append(args, at, at, p.After)
	}
	q += ` ORDER BY created_at, id LIMIT ?`
	rows, err := s.r.QueryContext(ctx, s.q(q), append(args, limit(p))...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []*hookd.Source{}
	for rows.Next() {
		src, err := s.scanSource(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, src)
	}
	return out, unavailable(rows.Err())
}

// SaveSource implements hookd.Store.
func (s *Store) SaveSource(ctx context.Context, src *hookd.Source) error {
	data, err := s.sealSource(src)
	if err != nil {
		return err
	}
	defer s.sourcesWritten()
	res, err := s.w.ExecContext(ctx, s.q(`UPDATE sources SET token_hash = ?, prev_token_hash = ?, prev_token_until = ?, data = ?
		WHERE tenant_id = ? AND id = ?`), src.TokenHash, nullStr(src.PrevTokenHash), nullTime(src.PrevTokenUntil), data,
		src.TenantID, src.ID)
	if err != nil {
		return unavailable(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hookd.ErrNotFound
	}
	return nil
}

// DeleteSource implements hookd.Store.
func (s *Store) DeleteSource(ctx context.Context, tenantID, id string) error {
	defer s.sourcesWritten()
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM sources WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.ErrNotFound
		}
		for _, q := range []string{`DELETE FROM source_errors WHERE tenant_id = ? AND source_id = ?`,
			`DELETE FROM source_requests WHERE tenant_id = ? AND source_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), tenantID, id); err != nil {
				return unavailable(err)
			}
		}
		return nil
	})
}

// AddSourceError implements hookd.Store: the entry, then whatever falls
// out of the newest SourceErrorLimit, in one transaction.
func (s *Store) AddSourceError(ctx context.Context, tenantID, sourceID string, e *hookd.SourceError) error {
	entry, err := json.Marshal(e)
	if err != nil {
		return err
	}
	// The id sorts entries of one millisecond in the order written (on
	// this node), then a random part keeps it unique.
	var b [6]byte
	rand.Read(b[:])
	id := fmt.Sprintf("%020d-%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO source_errors (tenant_id, source_id, id, at, entry) VALUES (?, ?, ?, ?, ?)`),
			tenantID, sourceID, id, ms(e.At), string(entry)); err != nil {
			return unavailable(err)
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM source_errors WHERE tenant_id = ? AND source_id = ? AND id NOT IN
			(SELECT id FROM source_errors WHERE tenant_id = ? AND source_id = ? ORDER BY at DESC, id DESC LIMIT ?)`),
			tenantID, sourceID, tenantID, sourceID, hookd.SourceErrorLimit)
		return unavailable(err)
	})
}

// SourceErrors implements hookd.Store: newest first.
func (s *Store) SourceErrors(ctx context.Context, tenantID, sourceID string) ([]*hookd.SourceError, error) {
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT entry FROM source_errors WHERE tenant_id = ? AND source_id = ?
		ORDER BY at DESC, id DESC LIMIT ?`), tenantID, sourceID, hookd.SourceErrorLimit)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out := []*hookd.SourceError{}
	for rows.Next() {
		var entry string
		if err := rows.Scan(&entry); err != nil {
			return nil, unavailable(err)
		}
		var e hookd.SourceError
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			return nil, unavailable(err)
		}
		out = append(out, &e)
	}
	return out, unavailable(rows.Err())
}
