package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/hookd/hookd"
)

// CreateTenant implements hookd.Store.
func (s *Store) CreateTenant(ctx context.Context, t *hookd.Tenant) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO tenants (id, seq, name, metadata, created_at, updated_at)
			VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM tenants), ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			t.ID, t.Name, rawText(t.Metadata), ms(t.CreatedAt), ms(t.UpdatedAt))
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.Errorf(hookd.ECONFLICT, "tenant %q exists", t.ID)
		}
		return nil
	})
}

func rawText(m json.RawMessage) any {
	if len(m) == 0 {
		return nil
	}
	return string(m)
}

const tenantCols = `id, name, metadata, created_at, updated_at`

func scanTenant(row interface{ Scan(...any) error }) (*hookd.Tenant, error) {
	var t hookd.Tenant
	var meta sql.NullString
	var c, u int64
	if err := row.Scan(&t.ID, &t.Name, &meta, &c, &u); err != nil {
		return nil, err
	}
	if meta.Valid {
		t.Metadata = json.RawMessage(meta.String)
	}
	t.CreatedAt, t.UpdatedAt = fromMS(c), fromMS(u)
	return &t, nil
}

// Tenant implements hookd.Store.
func (s *Store) Tenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	t, err := scanTenant(s.r.QueryRowContext(ctx, s.q(`SELECT `+tenantCols+` FROM tenants WHERE id = ?`), id))
	return t, notFound(err)
}

// Tenants implements hookd.Store: oldest first, after the cursor.
func (s *Store) Tenants(ctx context.Context, p hookd.Page) ([]*hookd.Tenant, error) {
	q := `SELECT ` + tenantCols + ` FROM tenants`
	args := []any{}
	if p.After != "" {
		// Tenants created at once on several nodes (PostgreSQL) can share
		// a seq: the id breaks the tie, so no page skips one of them.
		at, err := s.cursor(ctx, "tenant", `SELECT seq FROM tenants WHERE id = ?`, p.After)
		if err != nil {
			return nil, err
		}
		q += ` WHERE seq > ? OR (seq = ? AND id > ?)`
		args = append(args, at, at, p.After)
	}
	q += ` ORDER BY seq, id LIMIT ?`
	args = append(args, limit(p))
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, t)
	}
	return out, unavailable(rows.Err())
}

// UpdateTenant implements hookd.Store.
func (s *Store) UpdateTenant(ctx context.Context, id string, u *hookd.TenantUpdate, now time.Time) (*hookd.Tenant, error) {
	var out *hookd.Tenant
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := scanTenant(tx.QueryRowContext(ctx, s.q(`SELECT `+tenantCols+` FROM tenants WHERE id = ?`), id))
		if err != nil {
			return notFound(err)
		}
		if u.Name != nil {
			t.Name = *u.Name
		}
		if u.Metadata != nil {
			t.Metadata = *u.Metadata
		}
		t.UpdatedAt = now
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE tenants SET name = ?, metadata = ?, updated_at = ? WHERE id = ?`),
			t.Name, rawText(t.Metadata), ms(now), id); err != nil {
			return unavailable(err)
		}
		out = t
		return nil
	})
	return out, err
}

// DeleteTenant implements hookd.Store: the tenant and everything it owns.
func (s *Store) DeleteTenant(ctx context.Context, id string) error {
	defer s.tokensWritten()  // its tokens go with it
	defer s.sourcesWritten() // and its sources
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.bumpEndpoints(ctx, tx); err != nil { // first: see bumpEndpoints
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM tenants WHERE id = ?`), id)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.ErrNotFound
		}
		if s.d.SeqFromMax {
			// Its newest event may be the store's: its seq stays taken.
			if _, err := tx.ExecContext(ctx, s.q(placeholderNewestSQL+` AND tenant_id = ?`), id); err != nil {
				return unavailable(err)
			}
		}
		for _, q := range []string{
			`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ?)`,
			`DELETE FROM deliveries WHERE tenant_id = ?`,
			`DELETE FROM events WHERE tenant_id = ?`,
			`DELETE FROM endpoints WHERE tenant_id = ?`,
			`DELETE FROM tokens WHERE tenant_id = ?`,
			`DELETE FROM portal_grants WHERE tenant_id = ?`,
			`DELETE FROM feed_positions WHERE tenant_id = ?`,
			`DELETE FROM sources WHERE tenant_id = ?`,
			`DELETE FROM source_errors WHERE tenant_id = ?`,
			`DELETE FROM source_requests WHERE tenant_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.q(q), id); err != nil {
				return unavailable(err)
			}
		}
		return nil
	})
}

// CreateEventType implements hookd.Store.
func (s *Store) CreateEventType(ctx context.Context, t *hookd.EventType) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO event_types (name, description, schema, example, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`), t.Name, t.Description, string(t.Schema), rawText(t.Example), t.CreatedAt)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.Errorf(hookd.ECONFLICT, "event type %q exists", t.Name)
		}
		return nil
	})
}

// EventTypes implements hookd.Store.
func (s *Store) EventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, description, schema, example, created_at FROM event_types ORDER BY name`)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.EventType
	for rows.Next() {
		var t hookd.EventType
		var schema string
		var ex sql.NullString
		if err := rows.Scan(&t.Name, &t.Description, &schema, &ex, &t.CreatedAt); err != nil {
			return nil, unavailable(err)
		}
		t.Schema = json.RawMessage(schema)
		if ex.Valid {
			t.Example = json.RawMessage(ex.String)
		}
		t.Custom = true
		out = append(out, &t)
	}
	return out, unavailable(rows.Err())
}
