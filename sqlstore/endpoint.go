package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hookd/hookd"
)

const endpointCols = `id, tenant_id, url, profile, event_types, description, rate_limit, ordering, headers,
	timeout_ms, retry_schedule, secrets, disabled, disabled_reason, failing_since, created_at, updated_at`

// endpointArgs returns the column values of endpointCols for e, with the
// secrets sealed under the data key.
func (s *Store) endpointArgs(e *hookd.Endpoint) ([]any, error) {
	types, err := jsonText(e.EventTypes)
	if err != nil {
		return nil, err
	}
	var headers, sched any
	if len(e.Headers) > 0 {
		if headers, err = jsonText(e.Headers); err != nil {
			return nil, err
		}
	}
	if len(e.RetrySchedule) > 0 {
		if sched, err = jsonText(e.RetrySchedule); err != nil {
			return nil, err
		}
	}
	plain, err := json.Marshal(e.Secrets)
	if err != nil {
		return nil, err
	}
	sealed, err := s.key.Seal(plain)
	if err != nil {
		return nil, err
	}
	return []any{e.ID, e.TenantID, e.URL, e.Profile, types, e.Description, e.RateLimit, e.Ordering, headers,
		e.TimeoutMS, sched, sealed, boolInt(e.Disabled), e.DisabledReason, nullMS(e.FailingSince),
		ms(e.CreatedAt), ms(e.UpdatedAt)}, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) scanEndpoint(row interface{ Scan(...any) error }) (*hookd.Endpoint, error) {
	var e hookd.Endpoint
	var types string
	var headers, sched sql.NullString
	var sealed []byte
	var disabled int
	var failing sql.NullInt64
	var c, u int64
	if err := row.Scan(&e.ID, &e.TenantID, &e.URL, &e.Profile, &types, &e.Description, &e.RateLimit, &e.Ordering,
		&headers, &e.TimeoutMS, &sched, &sealed, &disabled, &e.DisabledReason, &failing, &c, &u); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &e.EventTypes); err != nil {
		return nil, err
	}
	if headers.Valid {
		if err := json.Unmarshal([]byte(headers.String), &e.Headers); err != nil {
			return nil, err
		}
	}
	if sched.Valid {
		if err := json.Unmarshal([]byte(sched.String), &e.RetrySchedule); err != nil {
			return nil, err
		}
	}
	plain, err := s.key.Open(sealed)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(plain, &e.Secrets); err != nil {
		return nil, err
	}
	e.Disabled = disabled != 0
	e.FailingSince = ptrMS(failing)
	e.CreatedAt, e.UpdatedAt = fromMS(c), fromMS(u)
	return &e, nil
}

// bumpEndpoints moves the endpoints version so every node reloads.
func (s *Store) bumpEndpoints(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO settings (name, value) VALUES ('endpoints_version', '1')
		ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)`))
	return unavailable(err)
}

// EndpointsVersion implements hookd.Store.
func (s *Store) EndpointsVersion(ctx context.Context) (int64, error) {
	v, err := s.Setting(ctx, "endpoints_version")
	if err == hookd.ErrNotFound {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// CreateEndpoint implements hookd.Store.
func (s *Store) CreateEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	args, err := s.endpointArgs(e)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM tenants WHERE id = ?`), e.TenantID).Scan(&n); err != nil {
			return unavailable(err)
		}
		if n == 0 {
			return hookd.ErrNotFound
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO endpoints (seq, `+endpointCols+`)
			VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM endpoints), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`), args...)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.Errorf(hookd.ECONFLICT, "endpoint %q exists", e.ID)
		}
		return s.bumpEndpoints(ctx, tx)
	})
}

// Endpoint implements hookd.Store.
func (s *Store) Endpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	e, err := s.scanEndpoint(s.r.QueryRowContext(ctx, s.q(`SELECT `+endpointCols+` FROM endpoints WHERE tenant_id = ? AND id = ?`), tenantID, id))
	return e, notFound(err)
}

// Endpoints implements hookd.Store: oldest first, after the cursor.
func (s *Store) Endpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, error) {
	q := `SELECT ` + endpointCols + ` FROM endpoints WHERE tenant_id = ?`
	args := []any{tenantID}
	if p.After != "" {
		// As for tenants: concurrent creates can share a seq, the id
		// breaks the tie.
		q += ` AND (seq > COALESCE((SELECT seq FROM endpoints WHERE tenant_id = ? AND id = ?), 0)
			OR (seq = (SELECT seq FROM endpoints WHERE tenant_id = ? AND id = ?) AND id > ?))`
		args = append(args, tenantID, p.After, tenantID, p.After, p.After)
	}
	q += ` ORDER BY seq, id LIMIT ?`
	return s.queryEndpoints(ctx, q, append(args, limit(p))...)
}

// AllEndpoints implements hookd.Store.
func (s *Store) AllEndpoints(ctx context.Context) ([]*hookd.Endpoint, error) {
	return s.queryEndpoints(ctx, `SELECT `+endpointCols+` FROM endpoints ORDER BY seq`)
}

func (s *Store) queryEndpoints(ctx context.Context, q string, args ...any) ([]*hookd.Endpoint, error) {
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	var out []*hookd.Endpoint
	for rows.Next() {
		e, err := s.scanEndpoint(rows)
		if err != nil {
			return nil, unavailable(err)
		}
		out = append(out, e)
	}
	return out, unavailable(rows.Err())
}

// SaveEndpoint implements hookd.Store. Enabling a disabled endpoint releases
// the deliveries parked while it was disabled; disabling parks them.
func (s *Store) SaveEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	args, err := s.endpointArgs(e)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		var was int
		err := tx.QueryRowContext(ctx, s.q(`SELECT disabled FROM endpoints WHERE tenant_id = ? AND id = ?`), e.TenantID, e.ID).Scan(&was)
		if err != nil {
			return notFound(err)
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE endpoints SET url = ?, profile = ?, event_types = ?, description = ?,
			rate_limit = ?, ordering = ?, headers = ?, timeout_ms = ?, retry_schedule = ?, secrets = ?, disabled = ?,
			disabled_reason = ?, failing_since = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`),
			append(append([]any{}, args[2:15]...), args[16], e.TenantID, e.ID)...)
		if err != nil {
			return unavailable(err)
		}
		if err := s.park(ctx, tx, e.ID, was != 0, e.Disabled, e.UpdatedAt); err != nil {
			return err
		}
		return s.bumpEndpoints(ctx, tx)
	})
}

// park moves an endpoint's unowned pending deliveries aside when it becomes
// disabled, and back (due now) when it is enabled again, so that the claim
// query never wades through work it may not send.
func (s *Store) park(ctx context.Context, tx *sql.Tx, endpointID string, was, now bool, at time.Time) error {
	var err error
	switch {
	case !was && now:
		_, err = tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = ? WHERE endpoint_id = ? AND state = 'pending' AND owner IS NULL`),
			hookd.Parked, endpointID)
	case was && !now:
		_, err = tx.ExecContext(ctx, s.q(`UPDATE deliveries SET owner = NULL, next_attempt_at = ? WHERE endpoint_id = ? AND state = 'pending' AND owner = ?`),
			ms(at), endpointID, hookd.Parked)
	}
	return unavailable(err)
}

// DeleteEndpoint implements hookd.Store.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string, now time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM endpoints WHERE tenant_id = ? AND id = ?`), tenantID, id)
		if err != nil {
			return unavailable(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hookd.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE deliveries SET state = 'canceled', owner = NULL, updated_at = ?
			WHERE endpoint_id = ? AND state = 'pending'`), ms(now), id); err != nil {
			return unavailable(err)
		}
		return s.bumpEndpoints(ctx, tx)
	})
}
