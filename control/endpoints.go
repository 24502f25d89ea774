package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

var _ hookd.EndpointService = (*Service)(nil)

// CreateEndpoint checks u, applied to a new endpoint of the tenant, and
// stores it with secret (empty: one made by its profile), the endpoint's
// only secret, then loads it into the engine.
func (s *Service) CreateEndpoint(ctx context.Context, tenantID string, u *hookd.EndpointUpdate, secret string) (*hookd.Endpoint, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	now := s.stamp()
	e := &hookd.Endpoint{ID: "ep_" + uuid.NewString(), TenantID: tenantID, CreatedAt: now, UpdatedAt: now}
	u.Apply(e)
	if e.Profile == "" {
		e.Profile = "standard"
	}
	if err := s.check(ctx, e, nil, e.Headers); err != nil {
		return nil, err
	}
	p, err := s.Profiles.Get(e.Profile)
	if err != nil {
		return nil, err
	}
	if secret, err = hookd.SignatureSecret(p, e.Signature, secret); err != nil {
		return nil, err
	}
	e.Secrets = []hookd.Secret{{Value: secret}}
	e.PublicKey = e.SigningPublicKey()
	if err := s.Store.CreateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	s.changed(ctx, tenantID)
	return e, nil
}

// check validates an endpoint after create or update: its own rules
// (Endpoint.Validate), then what needs the server: the URL's address, the
// profile, the event types (kept are those it had before an update; see
// checkEventTypes) and the custom headers the profiles set (of headers,
// those the create or update sets).
func (s *Service) check(ctx context.Context, e *hookd.Endpoint, kept []string, headers map[string]string) error {
	if err := e.Validate(); err != nil {
		return err
	}
	u, err := s.Guard.CheckURL(ctx, e.URL)
	if err != nil {
		rule := "url"
		if errors.Is(err, hookd.ErrBlocked) {
			rule = "blocked"
		}
		return hookd.FieldErrorf(hookd.EINVALID, "url", rule, "url: %v", err)
	}
	if u != e.URL {
		// An address spelled oddly is stored as the address checked,
		// spaces encoded: the URL's bound holds for it as stored.
		e.URL = u
		if err := e.Validate(); err != nil {
			return err
		}
	}
	p, err := s.Profiles.Get(e.Profile)
	if err != nil {
		return err
	}
	if err := hookd.CheckSignatureProfile(p, e.Signature); err != nil {
		return err
	}
	if e.EventTypes, err = s.checkEventTypes(ctx, e.EventTypes, kept); err != nil {
		return err
	}
	for k := range headers {
		if s.Profiles.Reserved(k) {
			return hookd.ReservedHeader(k)
		}
	}
	return nil
}

// Endpoint returns one endpoint of the tenant.
func (s *Service) Endpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	return s.Store.Endpoint(ctx, tenantID, id)
}

// Endpoints returns one page of the tenant's endpoints, oldest first; an
// unknown tenant is not found.
func (s *Service) Endpoints(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Endpoint, error) {
	if _, err := s.Store.Tenant(ctx, tenantID); err != nil {
		return nil, err
	}
	return s.Store.Endpoints(ctx, tenantID, p)
}

// UpdateEndpoint changes the fields u sets. Entries of event_types the
// endpoint has already are not judged again; a new profile must accept the
// endpoint's secrets.
func (s *Service) UpdateEndpoint(ctx context.Context, tenantID, id string, u *hookd.EndpointUpdate) (*hookd.Endpoint, error) {
	if err := u.Validate(); err != nil {
		return nil, err
	}
	return s.change(ctx, tenantID, id, func(e *hookd.Endpoint) error {
		if u.DisabledReason != nil && (u.Disabled != nil && !*u.Disabled || u.Disabled == nil && !e.Disabled) {
			return hookd.FieldErrorf(hookd.EINVALID, "disabled_reason", "disabled", `disabled_reason is set only with "disabled": true or on a disabled endpoint`)
		}
		if u.Signature != nil && *u.Signature != e.Signature {
			return hookd.FieldErrorf(hookd.EINVALID, "signature", "immutable", "signature is chosen when the endpoint is created (it is %q): create a new endpoint to change it", e.Signature)
		}
		oldProfile, kept := e.Profile, e.EventTypes
		u.Apply(e)
		if e.Profile == "" {
			e.Profile = "standard" // as in a create: the default, stored by its name
		}
		var headers map[string]string // the headers the update sets; those kept are not judged again
		if u.Headers != nil {
			headers = *u.Headers
		}
		if err := s.check(ctx, e, kept, headers); err != nil {
			return err
		}
		if e.Profile != oldProfile {
			// The secret's format may differ: check the current one fits.
			p, _ := s.Profiles.Get(e.Profile)
			for _, sec := range e.Secrets {
				if p.CheckSecret(sec.Value) != nil {
					return hookd.FieldErrorf(hookd.EINVALID, "profile", "secret", "the endpoint's secret does not fit profile %q: rotate it with a new secret after changing the profile", e.Profile)
				}
			}
		}
		return nil
	})
}

// change reads an endpoint, applies f to it and stores it, as one change:
// if another change (a PATCH, a rotation, an enable, hookd's own disable)
// was stored in between, it reads the endpoint again and applies f again,
// so that neither is lost. f may run more than once.
func (s *Service) change(ctx context.Context, tenantID, id string, f func(e *hookd.Endpoint) error) (*hookd.Endpoint, error) {
	for try := 1; ; try++ {
		e, err := s.Store.Endpoint(ctx, tenantID, id)
		if err != nil {
			return nil, err
		}
		read := e.UpdatedAt
		if err := f(e); err != nil {
			return nil, err
		}
		e.IfUpdatedAt = read
		// Later than the time read, so that a change made in the same
		// millisecond is told apart from it.
		e.UpdatedAt = s.stamp()
		if !e.UpdatedAt.After(read) {
			e.UpdatedAt = read.Add(time.Millisecond)
		}
		err = s.Store.SaveEndpoint(ctx, e)
		e.IfUpdatedAt = time.Time{}
		if err == hookd.ErrChanged && try < 10 {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.changed(ctx, e.TenantID)
		return e, nil
	}
}

// DeleteEndpoint removes an endpoint and cancels its pending deliveries,
// counted by Cancels.
func (s *Service) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	n, err := s.Store.DeleteEndpoint(ctx, tenantID, id, s.now().Now())
	if err != nil {
		return err
	}
	if s.Cancels != nil && n > 0 {
		s.Cancels.Canceled(n)
	}
	s.changed(ctx, tenantID)
	return nil
}

// RotateSecret makes a new secret; how the old one hands over to it
// depends on the profile (hookd.Endpoint.Rotate).
func (s *Service) RotateSecret(ctx context.Context, tenantID, id string, r hookd.Rotation) (*hookd.Rotated, error) {
	var out hookd.Rotated
	_, err := s.change(ctx, tenantID, id, func(e *hookd.Endpoint) error {
		p, err := s.Profiles.Get(e.Profile)
		if err != nil {
			return err
		}
		out, err = e.Rotate(p, r, s.stamp())
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// EnableEndpoint resumes an endpoint: its parked deliveries are sent.
func (s *Service) EnableEndpoint(ctx context.Context, tenantID, id string) (*hookd.Endpoint, error) {
	return s.change(ctx, tenantID, id, func(e *hookd.Endpoint) error {
		e.Enable()
		return nil
	})
}

// DisableEndpoint pauses an endpoint by hand, as hookd does when it keeps
// failing: no node sends to it, and its deliveries wait, parked, until it
// is enabled. Disabling a disabled endpoint changes only its reason.
func (s *Service) DisableEndpoint(ctx context.Context, tenantID, id, reason string) (*hookd.Endpoint, error) {
	if err := hookd.CheckReason("reason", reason); err != nil {
		return nil, err
	}
	return s.change(ctx, tenantID, id, func(e *hookd.Endpoint) error {
		e.Disable(reason)
		return nil
	})
}

// RecoverEndpoint requeues the endpoint's failed deliveries created in the
// window, and returns how many.
func (s *Service) RecoverEndpoint(ctx context.Context, tenantID, id string, w hookd.Recovery) (int, error) {
	if w.Since == nil {
		return 0, hookd.FieldErrorf(hookd.EINVALID, "since", "required", "since is required (RFC 3339 time)")
	}
	now := s.now().Now()
	until := now.Add(time.Second)
	if w.Until != nil {
		until = *w.Until
	}
	if !w.Since.Before(until) {
		return 0, hookd.FieldErrorf(hookd.EINVALID, "since", "range", "since must be before until (until defaults to now)")
	}
	n, err := s.Store.Recover(ctx, tenantID, id, *w.Since, until, now)
	if err != nil {
		return 0, err
	}
	s.Engine.Kick()
	return n, nil
}

// TestEndpoint publishes the catalog example of a type to this endpoint
// only: the type asked for, or the first catalog type the endpoint
// subscribes to.
func (s *Service) TestEndpoint(ctx context.Context, tenantID, id, eventType string) (*hookd.PublishResult, error) {
	e, err := s.Store.Endpoint(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if eventType != "" && !hookd.ValidTypeName(eventType) {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "type", "pattern", "type %q is not a valid event type name", eventType)
	}
	typ, payload, err := s.example(ctx, e, eventType)
	if err != nil {
		return nil, err
	}
	uid, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	// Made here, not as publish makes events: hookd publishes it, so it
	// may carry hookd's own type (hookd.test) when the endpoint wants no
	// type with an example, and it is marked as a test.
	ev := &hookd.Event{ID: uid.String(), TenantID: e.TenantID, Type: typ, Payload: payload, Test: true, CreatedAt: s.stamp()}
	pubs, err := s.Engine.Publish(ctx, []*hookd.Event{ev}, e.ID)
	if err != nil {
		return nil, err
	}
	return result(pubs[0]), nil
}

// example picks the type and payload of an endpoint test: the type asked
// for, or the first catalog type the endpoint subscribes to. The catalog's
// example is compacted here, so that the test webhook carries what a
// publish of the example (hookd trigger) carries, not the catalog file's
// indentation.
func (s *Service) example(ctx context.Context, e *hookd.Endpoint, typ string) (string, json.RawMessage, error) {
	provider := ""
	if p, err := s.Profiles.Get(e.Profile); err == nil {
		provider = p.Provider()
	}
	var t *hookd.EventType
	switch {
	case s.Catalog == nil:
	case typ != "":
		// As publish resolves it, with the endpoint's provider (its
		// profile's) preferred: "payment.created" is Lean's on a lean
		// endpoint, ambiguous (422 listing the qualified names) on a
		// standard one. An unknown type is sent with a generic payload
		// where the server accepts unknown types.
		var err error
		if t, err = s.Resolve(ctx, typ, provider); err != nil && (!s.AllowUnknownTypes || s.inCatalog(typ)) {
			return "", nil, hookd.At(err, "type", "known_type")
		}
	default:
		for _, c := range s.Catalog.Types() {
			if len(c.Example) > 0 && (provider == "" || c.Provider == provider) && e.Wants(c.Name) {
				t = c
				break
			}
		}
	}
	if t != nil {
		typ = t.Name
	}
	if typ == "" {
		typ = "hookd.test"
	}
	if t == nil || len(t.Example) == 0 {
		return typ, json.RawMessage(`{"message":"hookd test event"}`), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t.Example); err != nil {
		return "", nil, err // the catalog checked its examples: a fault of ours, not the client's
	}
	return typ, b.Bytes(), nil
}

// inCatalog reports whether any catalog type has this wire type.
func (s *Service) inCatalog(wireType string) bool {
	return s.Catalog.HasWire(wireType)
}
