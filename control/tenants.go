package control

import (
	"context"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// CreateTenant stores a new tenant, with a generated id when none is given.
func (s *Service) CreateTenant(ctx context.Context, t *hookd.Tenant) error {
	if t.ID == "" && t.Name != "" {
		t.ID = "ten_" + uuid.NewString()
	}
	if err := t.Validate(); err != nil {
		return err
	}
	now := s.stamp()
	t.CreatedAt, t.UpdatedAt = now, now
	return s.Store.CreateTenant(ctx, t)
}

// Tenant returns one tenant.
func (s *Service) Tenant(ctx context.Context, id string) (*hookd.Tenant, error) {
	return s.Store.Tenant(ctx, id)
}

// Tenants returns one page of the tenants, oldest first.
func (s *Service) Tenants(ctx context.Context, p hookd.Page) ([]*hookd.Tenant, error) {
	return s.Store.Tenants(ctx, p)
}

// UpdateTenant changes the fields u sets.
func (s *Service) UpdateTenant(ctx context.Context, id string, u *hookd.TenantUpdate) (*hookd.Tenant, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return s.Store.UpdateTenant(ctx, id, u, s.stamp())
}

// DeleteTenant removes a tenant with its endpoints, events and deliveries,
// and drops its endpoints from the engine.
func (s *Service) DeleteTenant(ctx context.Context, id string) error {
	if err := s.Store.DeleteTenant(ctx, id); err != nil {
		return err
	}
	s.changed(ctx, id)
	return nil
}
