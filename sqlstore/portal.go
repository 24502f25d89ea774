package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// CreatePortalGrant implements hookd.Store. Grants past their expiry are
// deleted on the way: the table holds what is in force, and stays small.
func (s *Store) CreatePortalGrant(ctx context.Context, g *hookd.PortalGrant, hash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM portal_grants WHERE expires_at <= ?`), ms(g.CreatedAt)); err != nil {
			return unavailable(err)
		}
		if g.TenantID != "" {
			var n int
			if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), g.TenantID).Scan(&n); err != nil {
				return unavailable(err)
			}
			if n == 0 {
				return hookd.ErrNotFound
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO portal_grants (hash, kind, tenant_id, capabilities, expires_at, created_at, opened_by)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), hash, g.Kind, g.TenantID, strings.Join(g.Capabilities, ","), ms(g.ExpiresAt), ms(g.CreatedAt), g.OpenedBy)
		return unavailable(err)
	})
}

// PortalGrant implements hookd.Store: a primary-key lookup.
func (s *Store) PortalGrant(ctx context.Context, hash string) (*hookd.PortalGrant, error) {
	var g hookd.PortalGrant
	var caps string
	var exp, created int64
	err := s.r.QueryRowContext(ctx, s.q(`SELECT kind, tenant_id, capabilities, expires_at, created_at, opened_by FROM portal_grants WHERE hash = ?`), hash).
		Scan(&g.Kind, &g.TenantID, &caps, &exp, &created, &g.OpenedBy)
	if err != nil {
		return nil, notFound(err)
	}
	if caps != "" {
		g.Capabilities = strings.Split(caps, ",")
	}
	g.ExpiresAt, g.CreatedAt = fromMS(exp), fromMS(created)
	return &g, nil
}

// DeletePortalGrant implements hookd.Store.
func (s *Store) DeletePortalGrant(ctx context.Context, hash string) error {
	_, err := s.w.ExecContext(ctx, s.q(`DELETE FROM portal_grants WHERE hash = ?`), hash)
	return unavailable(err)
}

// DeletePortalGrants implements hookd.Store.
func (s *Store) DeletePortalGrants(ctx context.Context, tenantID string, now time.Time) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM portal_grants WHERE tenant_id = ? AND expires_at > ?`), tenantID, ms(now))
		if err != nil {
			return unavailable(err)
		}
		n, err = res.RowsAffected()
		return unavailable(err)
	})
	return int(n), err
}
