package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// eventIn is one event of a publish request.
type eventIn struct {
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload"`
	ID             string          `json:"id"`
	OrderingKey    string          `json:"ordering_key"`
	IdempotencyKey string          `json:"idempotency_key"`
}

// newEvent validates one event and returns it ready to publish: the type
// resolved in the catalog, the payload checked against its schema. The
// warnings are the catalog's: values outside a field's known values, which
// are accepted.
func (s *Server) newEvent(r *http.Request, typ string, payload json.RawMessage, id, orderingKey, idemKey string) (*hookd.Event, []hookd.Detail, error) {
	if typ == "" {
		return nil, nil, hookd.Errorf(hookd.EINVALID, "type is required")
	}
	if len(typ) > 128 || !typePattern.MatchString(typ) || typ[len(typ)-1] == '*' {
		return nil, nil, hookd.Errorf(hookd.EINVALID, "type %q is not a valid event type name", typ)
	}
	if err := hookd.NotOperational("type", typ); err != nil {
		return nil, nil, err
	}
	if len(payload) == 0 || payload[0] != '{' {
		return nil, nil, hookd.Errorf(hookd.EINVALID, "payload is required and must be a JSON object")
	}
	var warnings []hookd.Detail
	if s.Catalog != nil {
		t, err := s.resolve(r.Context(), typ, "")
		switch {
		case err == nil:
			typ = t.Name
			if warnings, err = s.Catalog.ValidateWarn(t, payload); err != nil {
				return nil, nil, err
			}
		case !s.AllowUnknownTypes || s.inCatalog(typ):
			// Unknown types may be allowed; a catalog type named
			// ambiguously may not.
			return nil, nil, err
		}
	}
	if id == "" {
		u, err := uuid.NewV7()
		if err != nil {
			return nil, nil, err
		}
		id = u.String()
	} else if err := hookd.CheckID("id", id); err != nil {
		return nil, nil, err
	}
	if len(orderingKey) > 256 || len(idemKey) > 256 {
		return nil, nil, hookd.Errorf(hookd.EINVALID, "ordering_key and the idempotency key are at most 256 characters")
	}
	return &hookd.Event{ID: id, TenantID: r.PathValue("tenant"), Type: typ, Payload: payload,
		OrderingKey: orderingKey, IdempotencyKey: idemKey, CreatedAt: s.Clock.Now().UTC()}, warnings, nil
}

type deliveryRef struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
}

type publishResult struct {
	ID         string        `json:"id"`
	Deliveries []deliveryRef `json:"deliveries"`
	// Duplicate is true when the id or idempotency key was published
	// before: nothing new was created and this is the first result.
	Duplicate bool `json:"duplicate,omitempty"`
	// Warnings name values of the payload outside their field's known
	// values: accepted, but receivers may not expect them.
	Warnings []hookd.Detail `json:"warnings,omitempty"`
}

func publishOut(p *hookd.Publish) publishResult {
	out := publishResult{ID: p.Event.ID, Deliveries: make([]deliveryRef, 0, len(p.Deliveries))}
	if p.Existing != nil {
		out.ID, out.Duplicate = p.Existing.ID, true
	}
	for _, d := range p.Deliveries {
		out.Deliveries = append(out.Deliveries, deliveryRef{ID: d.ID, EndpointID: d.EndpointID})
	}
	return out
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Type        string          `json:"type"`
		Payload     json.RawMessage `json:"payload"`
		ID          string          `json:"id"`
		OrderingKey string          `json:"ordering_key"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.tenantReady(r); err != nil {
		return err
	}
	ev, warnings, err := s.newEvent(r, in.Type, in.Payload, in.ID, in.OrderingKey, r.Header.Get("Idempotency-Key"))
	if err != nil {
		return err
	}
	if err := s.allow(ev.TenantID, 1); err != nil {
		return err
	}
	pubs, err := s.Engine.Publish(r.Context(), []*hookd.Event{ev}, "")
	if err != nil {
		return err
	}
	if err := reused(pubs[0], in.ID != ""); err != nil {
		return err
	}
	res := publishOut(pubs[0])
	res.Warnings = warnings
	writeJSON(w, http.StatusAccepted, res)
	return nil
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

// tenantReady checks the tenant of an admin request exists; a tenant token
// proves it.
func (s *Server) tenantReady(r *http.Request) error {
	if p, _ := r.Context().Value(principalKey).(principal); !p.admin {
		return nil
	}
	return s.tenantExists(r)
}

// batchResult is one event's outcome in a batch publish.
type batchResult struct {
	*publishResult
	Error map[string]any `json:"error,omitempty"`
}

// publishBatch publishes up to MaxBatch events in one commit. Each event is
// validated alone: the invalid ones get an error, the others are published.
func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Events []eventIn `json:"events"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in.Events) == 0 {
		return hookd.Errorf(hookd.EINVALID, "events is required and must not be empty")
	}
	if len(in.Events) > s.MaxBatch {
		return hookd.Errorf(hookd.EINVALID, "a batch holds at most %d events, not %d", s.MaxBatch, len(in.Events))
	}
	if err := s.tenantReady(r); err != nil {
		return err
	}
	out := make([]batchResult, len(in.Events))
	var events []*hookd.Event
	var index []int
	warnings := make([][]hookd.Detail, len(in.Events))
	idGiven := make([]bool, len(in.Events))
	for i, e := range in.Events {
		idGiven[i] = e.ID != ""
		ev, warn, err := s.newEvent(r, e.Type, e.Payload, e.ID, e.OrderingKey, e.IdempotencyKey)
		if err != nil {
			out[i].Error = errorBody(err)
			continue
		}
		warnings[i] = warn
		events = append(events, ev)
		index = append(index, i)
	}
	if len(events) > 0 {
		if err := s.allow(r.PathValue("tenant"), len(events)); err != nil {
			return err
		}
		pubs, err := s.Engine.Publish(r.Context(), events, "")
		if err != nil {
			return err
		}
		for k, p := range pubs {
			if err := reused(p, idGiven[index[k]]); err != nil {
				out[index[k]].Error = errorBody(err)
				continue
			}
			res := publishOut(p)
			res.Warnings = warnings[index[k]]
			out[index[k]].publishResult = &res
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"data": out})
	return nil
}

func errorBody(err error) map[string]any {
	body := map[string]any{"code": hookd.ErrorCode(err), "message": hookd.ErrorMessage(err)}
	if he, ok := err.(*hookd.Error); ok && len(he.Details) > 0 {
		body["details"] = he.Details
	}
	return body
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	if err := s.tenantReady(r); err != nil {
		return err
	}
	f, err := s.typeFilter(r.URL.Query().Get("type"))
	if err != nil {
		return err
	}
	f.Page = p
	evs, err := s.Store.Events(r.Context(), r.PathValue("tenant"), f)
	if err != nil {
		return err
	}
	return list(w, evs, p, func(e *hookd.Event) string { return e.ID })
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.Store.Event(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	ds, err := s.Store.Deliveries(r.Context(), ev.TenantID, hookd.DeliveryFilter{EventID: ev.ID, Page: hookd.Page{Limit: 1000}})
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []*hookd.Delivery{}
	}
	writeJSON(w, http.StatusOK, struct {
		*hookd.Event
		Deliveries []*hookd.Delivery `json:"deliveries"`
	}{ev, ds})
	return nil
}

var states = map[string]bool{hookd.StatePending: true, hookd.StateParked: true, hookd.StateSucceeded: true, hookd.StateFailed: true, hookd.StateCanceled: true}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := hookd.DeliveryFilter{EndpointID: q.Get("endpoint"), EventID: q.Get("event"), State: q.Get("state"), Page: p}
	if f.State != "" && !states[f.State] {
		return hookd.Errorf(hookd.EINVALID, "state must be pending, parked, succeeded, failed or canceled")
	}
	if err := s.tenantReady(r); err != nil {
		return err
	}
	ds, err := s.Store.Deliveries(r.Context(), r.PathValue("tenant"), f)
	if err != nil {
		return err
	}
	return list(w, ds, p, func(d *hookd.Delivery) string { return d.ID })
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Store.Delivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	as, err := s.Store.Attempts(r.Context(), d.ID)
	if err != nil {
		return err
	}
	if as == nil {
		as = []*hookd.Attempt{}
	}
	writeJSON(w, http.StatusOK, struct {
		*hookd.Delivery
		Attempts []*hookd.Attempt `json:"attempts"`
	}{d, as})
	return nil
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Store.Requeue(r.Context(), r.PathValue("tenant"), r.PathValue("id"), s.Clock.Now())
	if err != nil {
		return err
	}
	s.Engine.Kick()
	writeJSON(w, http.StatusAccepted, d)
	return nil
}

// inCatalog reports whether any catalog type has this wire type.
func (s *Server) inCatalog(wireType string) bool {
	for _, t := range s.Catalog.Types() {
		if hookd.WireType(t.Name) == wireType {
			return true
		}
	}
	return false
}
