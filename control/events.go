package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

var (
	_ hookd.EventService    = (*Service)(nil)
	_ hookd.DeliveryService = (*Service)(nil)
)

// CheckEvent checks one event of tenantID as Publish does and completes
// it, ready to publish: the type resolved in the catalog (and named as
// the catalog names it), the payload checked against its schema, an id
// made when none is given, TenantID and CreatedAt set. The warnings are
// the catalog's: values outside a field's known values, which are
// accepted.
func (s *Service) CheckEvent(ctx context.Context, tenantID string, ev *hookd.Event) ([]hookd.Detail, error) {
	typ := ev.Type
	if typ == "" {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "type", "required", "type is required")
	}
	if !hookd.ValidTypeName(typ) {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "type", "pattern", "type %q is not a valid event type name", typ)
	}
	if err := hookd.NotOperational("type", typ); err != nil {
		return nil, err
	}
	if len(ev.Payload) == 0 || ev.Payload[0] != '{' {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "payload", "type", "payload is required and must be a JSON object")
	}
	var warnings []hookd.Detail
	if s.Catalog != nil && !s.unknownType(ctx, typ) {
		resolve := s.Resolve
		if !s.AllowUnknownTypes {
			resolve = s.resolveNow // the name is refused unless found
		}
		t, err := resolve(ctx, typ, "")
		switch {
		case err == nil:
			typ = t.Name
			if warnings, err = s.Catalog.ValidateWarn(t, ev.Payload); err != nil {
				return nil, err
			}
		case !s.AllowUnknownTypes || s.inCatalog(typ):
			// Unknown types may be allowed; a catalog type named
			// ambiguously may not.
			return nil, hookd.At(err, "type", "known_type")
		}
	}
	id := ev.ID
	if id == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		id = u.String()
	} else if err := hookd.CheckID("id", id); err != nil {
		return nil, err
	}
	for _, k := range []struct{ field, v string }{{"ordering_key", ev.OrderingKey}, {"Idempotency-Key", ev.IdempotencyKey}} {
		if len(k.v) > hookd.MaxIdempotencyKey {
			return nil, hookd.FieldErrorf(hookd.EINVALID, k.field, "max_length", "ordering_key and the idempotency key are at most 256 characters, without control characters")
		}
		if !hookd.PlainText(k.v) {
			return nil, hookd.FieldErrorf(hookd.EINVALID, k.field, "text", "ordering_key and the idempotency key are at most 256 characters, without control characters")
		}
	}
	ev.ID, ev.TenantID, ev.Type, ev.CreatedAt = id, tenantID, typ, s.now().Now().UTC()
	return warnings, nil
}

// unknownType reports, cheaply, a type that Resolve would not find and
// that may be published anyway: unknown types allowed, the name
// unqualified and no catalog type's, and the store's custom types read
// less than a second ago. Resolve would build its error only for it to be
// dropped (hookd bench publishes such a type).
func (s *Service) unknownType(ctx context.Context, typ string) bool {
	if !s.AllowUnknownTypes || strings.Contains(typ, ":") || s.Catalog.HasWire(typ) {
		return false
	}
	if _, ok := s.Catalog.Lookup(typ); ok {
		return false
	}
	return !s.syncCustomTypes(ctx)
}

// Publish checks each event alone (CheckEvent) and publishes the valid ones
// in one commit, after the tenant's rate limit. An id or idempotency key
// published before answers the first result, marked Duplicate, when the
// request is the same, and a conflict naming the fields that differ when
// it is not.
func (s *Service) Publish(ctx context.Context, tenantID string, events []*hookd.Event) ([]*hookd.PublishResult, error) {
	if err := s.tenantExists(ctx, tenantID); err != nil {
		return nil, err
	}
	out := make([]*hookd.PublishResult, len(events))
	valid := make([]*hookd.Event, 0, len(events))
	var index []int
	warnings := make([][]hookd.Detail, len(events))
	idGiven := make([]bool, len(events))
	for i, ev := range events {
		idGiven[i] = ev.ID != ""
		warn, err := s.CheckEvent(ctx, tenantID, ev)
		if err != nil {
			out[i] = &hookd.PublishResult{Err: err}
			continue
		}
		warnings[i] = warn
		valid = append(valid, ev)
		index = append(index, i)
	}
	if len(valid) == 0 {
		return out, nil
	}
	counted := true
	if err := s.allow(tenantID, len(valid)); err != nil {
		// A publisher's retry of what was published before (its answer
		// lost) stores nothing: it is answered whatever the rate.
		if len(valid) > s.PublishRate || !s.published(ctx, tenantID, valid, index, idGiven) {
			return nil, err
		}
		counted = false
	}
	pubs, err := s.Engine.Publish(ctx, valid, "")
	if err != nil {
		return nil, err
	}
	repeats := 0
	for k, p := range pubs {
		if p.Existing != nil {
			repeats++
		}
		i := index[k]
		if err := reused(p, idGiven[i]); err != nil {
			out[i] = &hookd.PublishResult{Err: err}
			continue
		}
		out[i] = result(p)
		out[i].Warnings = warnings[i]
	}
	if counted {
		s.refund(tenantID, repeats)
	}
	return out, nil
}

// published reports whether every event was published before, under its
// idempotency key or, when the caller gave it, its id: found by a read,
// which the commit then confirms (a request that differs from the first
// is refused there as a conflict).
func (s *Service) published(ctx context.Context, tenantID string, evs []*hookd.Event, index []int, idGiven []bool) bool {
	for k, ev := range evs {
		switch {
		case ev.IdempotencyKey != "":
			found, err := s.Store.Events(ctx, tenantID, hookd.EventFilter{IdempotencyKey: ev.IdempotencyKey, Page: hookd.Page{Limit: 1}})
			if err != nil || len(found) == 0 {
				return false
			}
		case idGiven[index[k]]:
			if _, err := s.Store.Event(ctx, tenantID, ev.ID); err != nil {
				return false
			}
		default:
			return false // a new id: a new event
		}
	}
	return true
}

// result is the outcome of a publish as callers see it.
func result(p *hookd.Publish) *hookd.PublishResult {
	var out *hookd.PublishResult
	if len(p.Deliveries) <= 1 {
		// The common case, with its one delivery, in one allocation.
		one := &struct {
			r hookd.PublishResult
			d [1]hookd.DeliveryRef
		}{}
		out = &one.r
		out.ID, out.Deliveries = p.Event.ID, one.d[:0]
	} else {
		out = &hookd.PublishResult{ID: p.Event.ID, Deliveries: make([]hookd.DeliveryRef, 0, len(p.Deliveries))}
	}
	if p.Existing != nil {
		out.ID, out.Duplicate = p.Existing.ID, true
	}
	for _, d := range p.Deliveries {
		out.Deliveries = append(out.Deliveries, hookd.DeliveryRef{ID: d.ID, EndpointID: d.EndpointID})
	}
	return out
}

// reused refuses a publish that the store answered with an earlier event
// (same idempotency key or id) when the two requests differ: a key or an id
// names one request, and a different request under it is the client's
// mistake, not a retry (as Stripe answers). The same request again is a
// duplicate and gets the first result. idGiven says the request named its
// id; a generated one is not part of the request.
func reused(p *hookd.Publish, idGiven bool) error {
	ex, ev := p.Existing, p.Event
	if ex == nil {
		return nil
	}
	var fields []string
	if idGiven && ex.ID != ev.ID {
		fields = append(fields, "id")
	}
	if ex.Type != ev.Type {
		fields = append(fields, "type")
	}
	if !samePayload(ex.Payload, ev.Payload) {
		fields = append(fields, "payload")
	}
	if ex.OrderingKey != ev.OrderingKey {
		fields = append(fields, "ordering_key")
	}
	if len(fields) == 0 {
		return nil
	}
	what := fmt.Sprintf("event id %q", ev.ID)
	if ev.IdempotencyKey != "" && ex.IdempotencyKey == ev.IdempotencyKey {
		what = fmt.Sprintf("Idempotency-Key %q", ev.IdempotencyKey)
	}
	e := hookd.Errorf(hookd.ECONFLICT, "%s was used for a different request (event %q): a repeated key or id must repeat the same type, payload, ordering_key and id", what, ex.ID)
	for _, f := range fields {
		e.Details = append(e.Details, hookd.Detail{Path: f, Rule: "same_as_first_request", Message: f + " differs from the first request"})
	}
	return e
}

// samePayload reports whether two payloads are the same JSON: the same
// bytes, or the same value (whitespace and key order aside; numbers
// compared as written).
func samePayload(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// tenantExists answers not found for a tenant that does not exist, unless
// ctx's caller is authenticated as that tenant, which proves it does.
func (s *Service) tenantExists(ctx context.Context, tenantID string) error {
	if hookd.TenantFromContext(ctx) == tenantID {
		return nil
	}
	_, err := s.Store.Tenant(ctx, tenantID)
	return err
}

// Event returns an event with its deliveries.
func (s *Service) Event(ctx context.Context, tenantID, id string) (*hookd.Event, []*hookd.Delivery, error) {
	ev, err := s.Store.Event(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	switch r, err := s.Store.EventSourceRequest(ctx, tenantID, id); {
	case err == nil:
		ev.Source = &hookd.EventSource{SourceID: r.SourceID, RequestID: r.ID}
	case !errors.Is(err, hookd.ErrNotFound):
		return nil, nil, err
	}
	ds, err := s.Store.Deliveries(ctx, ev.TenantID, hookd.DeliveryFilter{EventID: ev.ID, Page: hookd.Page{Limit: 1000}})
	if err != nil {
		return nil, nil, err
	}
	if ds == nil {
		ds = []*hookd.Delivery{}
	}
	return ev, ds, nil
}

// Events returns one page of the tenant's events, newest first: q.Type
// selects what an endpoint subscribed to it receives, q.Delivery the
// events with a delivery in that state.
func (s *Service) Events(ctx context.Context, tenantID string, q hookd.EventQuery) ([]*hookd.Event, error) {
	switch q.Delivery {
	case "", hookd.StatePending, hookd.StateSucceeded, hookd.StateFailed:
	default:
		return nil, hookd.FieldErrorf(hookd.EINVALID, "delivery", "enum", "delivery must be pending, succeeded or failed")
	}
	if err := s.tenantExists(ctx, tenantID); err != nil {
		return nil, err
	}
	f, err := s.typeFilter(q.Type)
	if err != nil {
		return nil, err
	}
	f.Page, f.DeliveryState, f.IdempotencyKey = q.Page, q.Delivery, q.IdempotencyKey
	return s.Store.Events(ctx, tenantID, f)
}

// cursorOf refuses a cursor that is not an id of the list's kind (its
// prefix). Such lists page by the ids' order, which a deleted item keeps;
// a cursor of another kind would read as a place in it all the same, and
// a client that made a mistake would get the first page again.
func cursorOf(field, cursor, prefix, what string) error {
	if cursor != "" && (!strings.HasPrefix(cursor, prefix) || len(cursor) > 128) {
		return hookd.FieldErrorf(hookd.EINVALID, field, "format", "%s %q is not a %s id (%s…): give the next of the page before", field, cursor, what, prefix)
	}
	return nil
}

var states = map[string]bool{hookd.StatePending: true, hookd.StateParked: true, hookd.StateSucceeded: true, hookd.StateFailed: true, hookd.StateCanceled: true}

// Deliveries returns one page of the tenant's deliveries, newest first;
// f.EventType selects as the events list's ?type= does (typeFilter).
func (s *Service) Deliveries(ctx context.Context, tenantID string, f hookd.DeliveryFilter) ([]*hookd.Delivery, error) {
	if f.State != "" && !states[f.State] {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "state", "enum", "state must be pending, parked, succeeded, failed or canceled")
	}
	if err := cursorOf("after", f.After, "dlv_", "delivery"); err != nil {
		return nil, err
	}
	if f.EventType != "" {
		tf, err := s.typeFilter(f.EventType)
		if err != nil {
			return nil, err
		}
		f.EventType, f.Types, f.Prefixes, f.NotPrefix = "", tf.Types, tf.Prefixes, tf.NotPrefix
	}
	if err := s.tenantExists(ctx, tenantID); err != nil {
		return nil, err
	}
	return s.Store.Deliveries(ctx, tenantID, f)
}

// Delivery returns a delivery with its attempts.
func (s *Service) Delivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, []*hookd.Attempt, error) {
	d, err := s.Store.Delivery(ctx, tenantID, id)
	if err != nil {
		return nil, nil, err
	}
	as, err := s.Store.Attempts(ctx, d.ID)
	if err != nil {
		return nil, nil, err
	}
	if as == nil {
		as = []*hookd.Attempt{}
	}
	return d, as, nil
}

// RetryDelivery makes a delivery pending and due now, and wakes the engine.
func (s *Service) RetryDelivery(ctx context.Context, tenantID, id string) (*hookd.Delivery, error) {
	d, err := s.Store.Requeue(ctx, tenantID, id, s.now().Now())
	if err != nil {
		return nil, err
	}
	s.Engine.Kick()
	return d, nil
}
