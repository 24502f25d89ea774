package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

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

// event is the event a publish request asks for.
func (in *eventIn) event() *hookd.Event {
	return &hookd.Event{Type: in.Type, Payload: in.Payload, ID: in.ID, OrderingKey: in.OrderingKey, IdempotencyKey: in.IdempotencyKey}
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) error {
	// decodeFast's steps written out, so that in stays on the stack when
	// the fast path reads the body (decodeSlow's reflection would move it
	// to the heap).
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in publishIn
	if !fastPublish(body, &in) {
		slow := new(publishIn)
		if err := decodeSlow(body, slow); err != nil {
			return err
		}
		in = *slow
	}
	// The event and the slice that holds it, in one allocation.
	one := &struct {
		ev  hookd.Event
		evs [1]*hookd.Event
	}{ev: hookd.Event{Type: in.Type, Payload: in.Payload, ID: in.ID, OrderingKey: in.OrderingKey,
		IdempotencyKey: r.Header.Get("Idempotency-Key")}}
	one.evs[0] = &one.ev
	res, err := s.Events.Publish(r.Context(), r.PathValue("tenant"), one.evs[:])
	if err != nil {
		return err
	}
	if res[0].Err != nil {
		return res[0].Err
	}
	if b, ok := publishAnswer(res[0]); ok {
		writeBody(w, http.StatusAccepted, b)
	} else {
		writeJSON(w, http.StatusAccepted, res[0])
	}
	return nil
}

// batchResult is one event's outcome in a batch publish.
type batchResult struct {
	*hookd.PublishResult
	Error map[string]any `json:"error,omitempty"`
}

// publishBatch publishes up to MaxBatch events in one commit. Each event is
// validated alone: the invalid ones get an error, the others are published.
func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) error {
	var in batchIn
	if err := decodeFast(r, &in, func(b []byte) bool { return fastBatch(b, &in) }); err != nil {
		return err
	}
	if len(in.Events) == 0 {
		return hookd.FieldErrorf(hookd.EINVALID, "events", "required", "events is required and must not be empty")
	}
	if len(in.Events) > s.MaxBatch {
		return hookd.FieldErrorf(hookd.EINVALID, "events", "max_items", "a batch holds at most %d events, not %d", s.MaxBatch, len(in.Events))
	}
	events := make([]*hookd.Event, len(in.Events))
	for i := range in.Events {
		events[i] = in.Events[i].event()
	}
	res, err := s.Events.Publish(r.Context(), r.PathValue("tenant"), events)
	if err != nil {
		return err
	}
	out := make([]batchResult, len(res))
	for i, p := range res {
		if p.Err != nil {
			out[i].Error = errorBody(p.Err)
			continue
		}
		out[i].PublishResult = p
	}
	if b, ok := batchAnswer(out); ok {
		writeBody(w, http.StatusAccepted, b)
	} else {
		writeJSON(w, http.StatusAccepted, map[string]any{"data": out})
	}
	return nil
}

// errorBody is the error object of an answer, or of one event's result in
// a batch: its code, its message and its details, always a list (empty
// when the error names no field).
func errorBody(err error) map[string]any {
	details := []hookd.Detail{}
	if he := (*hookd.Error)(nil); errors.As(err, &he) && he.Details != nil {
		details = he.Details
	}
	return map[string]any{"code": hookd.ErrorCode(err), "message": hookd.ErrorMessage(err), "details": details}
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	evs, err := s.Events.Events(r.Context(), r.PathValue("tenant"),
		hookd.EventQuery{Type: r.URL.Query().Get("type"), Delivery: r.URL.Query().Get("delivery"), Page: p})
	if err != nil {
		return err
	}
	var v verbatim
	v.write(w, http.StatusOK, pageAnswer(v.events(evs), p, func(e *hookd.Event) string { return e.ID }))
	return nil
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) error {
	ev, ds, err := s.Events.Event(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	var v verbatim
	v.write(w, http.StatusOK, struct {
		*hookd.Event
		Deliveries []*hookd.Delivery `json:"deliveries"`
	}{v.event(ev), ds})
	return nil
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := hookd.DeliveryFilter{EndpointID: q.Get("endpoint"), EventID: q.Get("event"), State: q.Get("state"), EventType: q.Get("type"), Page: p}
	ds, err := s.Deliveries.Deliveries(r.Context(), r.PathValue("tenant"), f)
	if err != nil {
		return err
	}
	return list(w, ds, p, func(d *hookd.Delivery) string { return d.ID })
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) error {
	d, as, err := s.Deliveries.Delivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		*hookd.Delivery
		Attempts []*hookd.Attempt `json:"attempts"`
	}{d, as})
	return nil
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) error {
	if err := noFields(r); err != nil {
		return err
	}
	d, err := s.Deliveries.RetryDelivery(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, d)
	return nil
}
