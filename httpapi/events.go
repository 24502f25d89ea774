package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

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
		if err := givenID(body, slow.ID); err != nil {
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
// The request's Idempotency-Key, when given, is each event's that has none,
// with its place (KEY:0, KEY:1, …): the same batch again answers the events
// of the first, as duplicates.
func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var in batchIn
	var bad []error // per event: an id given empty
	if !fastBatch(body, &in) {
		if err := decodeSlow(body, &in); err != nil {
			return batchEventAt(body, err)
		}
		if emptyID.Match(body) {
			if raw, ok := rawEvents(body); ok && len(raw) == len(in.Events) {
				bad = make([]error, len(raw))
				for i, b := range raw {
					bad[i] = givenID(b, in.Events[i].ID)
				}
			}
		}
	}
	if len(in.Events) == 0 {
		return hookd.FieldErrorf(hookd.EINVALID, "events", "required", "events is required and must not be empty")
	}
	if len(in.Events) > s.MaxBatch {
		return hookd.FieldErrorf(hookd.EINVALID, "events", "max_items", "a batch holds at most %d events, not %d", s.MaxBatch, len(in.Events))
	}
	key := r.Header.Get("Idempotency-Key")
	// Room for the longest place: the document's 251 at the default
	// --max-batch, less above 10000 (KEY:10000).
	if max := hookd.MaxIdempotencyKey - len(":"+strconv.Itoa(max(s.MaxBatch, 1000))); key != "" && (len(key) > max || !hookd.PlainText(key)) {
		return hookd.FieldErrorf(hookd.EINVALID, "Idempotency-Key", "max_length",
			"a batch's Idempotency-Key is at most %d characters, without control characters (each event's key is KEY:N)", max)
	}
	var own map[string]bool // the events' own keys, which a KEY:N must not be
	if key != "" {
		own = map[string]bool{}
		for i := range in.Events {
			if k := in.Events[i].IdempotencyKey; k != "" {
				own[k] = true
			}
		}
	}
	events := make([]*hookd.Event, 0, len(in.Events))
	at := make([]int, 0, len(in.Events)) // each event's place in the batch
	for i := range in.Events {
		if bad != nil && bad[i] != nil {
			continue
		}
		ev := in.Events[i].event()
		if key != "" && ev.IdempotencyKey == "" {
			ev.IdempotencyKey = key + ":" + strconv.Itoa(i)
			if own[ev.IdempotencyKey] {
				// The store would make the two events one: this one
				// answered as the other, never published.
				if bad == nil {
					bad = make([]error, len(in.Events))
				}
				bad[i] = hookd.FieldErrorf(hookd.ECONFLICT, "idempotency_key", "unique",
					"this event's key %q (the batch's Idempotency-Key and its place) is another event's idempotency_key in the batch: give this event its own", ev.IdempotencyKey)
				continue
			}
		}
		events, at = append(events, ev), append(at, i)
	}
	out := make([]batchResult, len(in.Events))
	for i, err := range bad {
		if err != nil {
			out[i].Error = errorBody(err)
		}
	}
	// Called with no events too: it answers a tenant that does not exist.
	res, err := s.Events.Publish(r.Context(), r.PathValue("tenant"), events)
	if err != nil {
		return err
	}
	for k, p := range res {
		if p.Err != nil {
			out[at[k]].Error = errorBody(p.Err)
			continue
		}
		out[at[k]].PublishResult = p
	}
	if b, ok := batchAnswer(out); ok {
		writeBody(w, http.StatusAccepted, b)
	} else {
		writeJSON(w, http.StatusAccepted, map[string]any{"data": out})
	}
	return nil
}

// batchEventAt is err, a batch body's decoding error, naming the event it
// is about when it is one event's (a field of the wrong type, an unknown
// field): events[2].type rather than events.type. The batch is malformed
// and refused whole, as the OpenAPI document's schema of an event says.
func batchEventAt(body []byte, err error) error {
	var orig *hookd.Error
	if errors.As(err, &orig) && len(orig.Details) > 0 && strings.HasPrefix(orig.Details[0].Path, "$.") {
		return err // a JSON path already ($.events[1].type)
	}
	raw, ok := rawEvents(body)
	if !ok {
		return err
	}
	for i, b := range raw {
		var ev eventIn
		e := decodeBody(b, &ev)
		var he *hookd.Error
		if e == nil || !errors.As(e, &he) {
			continue
		}
		if len(he.Details) > 0 && strings.HasPrefix(he.Details[0].Path, "$") {
			// checkJSON's (a key twice, bytes not UTF-8), which the
			// batch's decoding stopped before: its paths and bytes
			// are the event's, so it is said of the body instead.
			if e := checkJSON(body, &batchIn{}); e != nil {
				return e
			}
		}
		at := "events[" + strconv.Itoa(i) + "]"
		if len(he.Details) == 0 && orig != nil && len(orig.Details) == 1 && orig.Details[0].Path == "events" {
			// The event is not an object: alone it is "the request
			// body", in the batch's own error "events", which is
			// said of it at its place.
			c, d := *orig, orig.Details[0]
			c.Message = at + strings.TrimPrefix(orig.Message, "events")
			d.Path, d.Message = at, at+strings.TrimPrefix(d.Message, "events")
			c.Details = []hookd.Detail{d}
			return &c
		}
		c := *he
		c.Message = at + ": " + he.Message
		c.Details = make([]hookd.Detail, len(he.Details))
		for k, d := range he.Details {
			d.Path = at + "." + d.Path
			c.Details[k] = d
		}
		return &c
	}
	return err
}

// rawEvents returns a batch body's events undecoded, for what is said of
// one event alone.
func rawEvents(body []byte) ([]json.RawMessage, bool) {
	var raw struct {
		Events []json.RawMessage `json:"events"`
	}
	return raw.Events, json.Unmarshal(body, &raw) == nil
}

// emptyID finds what may be an "id" given empty, anywhere in a body, its
// key spelled as encoding/json reads it ("id", "ID", "\u0069d"): the
// decoding that follows says whether it is the event's. (null is "left
// out", as for every field of the API.)
var emptyID = regexp.MustCompile(`(?i)"(?:i|\\u0069|\\u0049)(?:d|\\u0064|\\u0044)"\s*:\s*""`)

// givenID refuses an "id" given empty: a publisher's variable left unset
// would otherwise lose its deduplication to an id of hookd's making. The
// fast paths leave such a body to the slow one; id is the decoded value.
func givenID(body []byte, id string) error {
	if id != "" || !emptyID.Match(body) {
		return nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil {
		return nil
	}
	given := false
	for k := range fields {
		// encoding/json decodes a key of any letter case into id.
		given = given || strings.EqualFold(k, "id")
	}
	if !given {
		return nil
	}
	return hookd.FieldErrorf(hookd.EINVALID, "id", "pattern", "id must be 1-128 characters of letters, digits and _.:-; leave it out for an id of hookd's making")
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
		hookd.EventQuery{Type: r.URL.Query().Get("type"), Delivery: r.URL.Query().Get("delivery"),
			IdempotencyKey: r.URL.Query().Get("idempotency_key"), Page: p})
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
