package hookd

import (
	"context"
)

// The services are the control plane's operations, whatever face asks for
// them: the JSON API, the Go client, the CLI, a portal. Each validates its
// input with the domain's rules (Tenant.Validate, Endpoint.Validate, ...),
// then writes the store and tells the delivery engine. Package control
// implements them on a Store; package client implements them over HTTP.

// TenantService manages tenants.
type TenantService interface {
	// CreateTenant stores a new tenant. An empty t.ID gets a generated
	// one; CreatedAt and UpdatedAt are set.
	CreateTenant(ctx context.Context, t *Tenant) error
	Tenant(ctx context.Context, id string) (*Tenant, error)
	Tenants(ctx context.Context, p Page) ([]*Tenant, error)
	UpdateTenant(ctx context.Context, id string, u *TenantUpdate) (*Tenant, error)
	// DeleteTenant removes a tenant with all its data.
	DeleteTenant(ctx context.Context, id string) error
}

// EventTypeService knows the event types: the catalog's built-in ones and
// the operator's custom ones.
type EventTypeService interface {
	EventTypes(ctx context.Context) ([]*EventType, error)
	// EventType finds a type by its name, or by a name publish would
	// resolve to it ("lean:entity.created", "entity.created").
	EventType(ctx context.Context, name string) (*EventType, error)
	// CreateEventType registers a custom type. t.Schema empty means any
	// JSON object; Custom and CreatedAt are set.
	CreateEventType(ctx context.Context, t *EventType) error
}
