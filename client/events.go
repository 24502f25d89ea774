package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"

	"github.com/hookd/hookd"
)

// EventCreate is one event to publish.
type EventCreate struct {
	// Type is an event type name; qualify it ("lean:payment.created")
	// when several providers define it.
	Type string `json:"type"`
	// Payload is a JSON object, kept byte for byte as given.
	Payload json.RawMessage `json:"payload"`
	// ID is the event's id; "" lets the server make one. An id names one
	// event: publishing it again is a duplicate.
	ID string `json:"id,omitempty"`
	// OrderingKey keeps events of one key in publish order at endpoints
	// that deliver in order.
	OrderingKey string `json:"ordering_key,omitempty"`
	// IdempotencyKey names the request: the same request again with it
	// creates nothing and answers the first result. "" makes the client
	// generate one, so that its own retries are safe.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// DeliveryRef names a delivery a publish created.
type DeliveryRef struct {
	ID         string `json:"id"`
	EndpointID string `json:"endpoint_id"`
}

// PublishResult is the answer to a publish: the event's id and the
// deliveries made, one per subscribed endpoint.
type PublishResult struct {
	ID         string        `json:"id"`
	Deliveries []DeliveryRef `json:"deliveries"`
	// Duplicate is true when the id or idempotency key was published
	// before: nothing new was created and this is the first result. A
	// publish the client retried after its first try got through (the
	// answer was lost) is such a duplicate.
	Duplicate bool `json:"duplicate,omitempty"`
	// Warnings name payload values outside their field's known values:
	// accepted, but receivers may not expect them.
	Warnings []hookd.Detail `json:"warnings,omitempty"`
	// IdempotencyKey is the key the request was sent with (generated
	// when the event had none); not part of the API's answer.
	IdempotencyKey string `json:"-"`
}

// Publish publishes one event to a tenant; the answer comes once the event
// and its deliveries are on durable storage. It is retried after a network
// error or 503/429 (see WithPublishRetries) under one Idempotency-Key, so
// it creates the event once.
func (c *Client) Publish(ctx context.Context, tenant string, ev EventCreate) (*PublishResult, error) {
	key := ev.IdempotencyKey
	if key == "" {
		key = newKey()
	}
	ev.IdempotencyKey = "" // sent as the header, not in the body
	var out PublishResult
	err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "events"), in: ev, out: &out,
		header: http.Header{"Idempotency-Key": {key}}, retry: true})
	if err != nil {
		return nil, err
	}
	out.IdempotencyKey = key
	return &out, nil
}

// BatchResult is one event's outcome in a batch publish: Err is set when
// the event was refused (the others of the batch are published), the
// embedded result otherwise.
type BatchResult struct {
	PublishResult
	Err *hookd.Error
}

// MarshalJSON writes the result as the API answers it: the publish
// result, or {"error": {code, message, details}}.
func (r BatchResult) MarshalJSON() ([]byte, error) {
	if r.Err != nil {
		return json.Marshal(map[string]any{"error": errorBody{Code: r.Err.Code, Message: r.Err.Message, Details: r.Err.Details}})
	}
	return json.Marshal(r.PublishResult)
}

// PublishBatch publishes up to 1000 events in one commit. Each is checked
// alone: the answer has one result per event, in order, refused events
// with Err. Events without an idempotency key get a generated one, so the
// batch is retried safely like Publish.
func (c *Client) PublishBatch(ctx context.Context, tenant string, events []EventCreate) ([]BatchResult, error) {
	in := struct {
		Events []EventCreate `json:"events"`
	}{make([]EventCreate, len(events))}
	for i, ev := range events {
		if ev.IdempotencyKey == "" {
			ev.IdempotencyKey = newKey()
		}
		in.Events[i] = ev
	}
	var out struct {
		Data []struct {
			PublishResult
			Error *errorBody `json:"error"`
		} `json:"data"`
	}
	err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "events", "batch"), in: in, out: &out, retry: true})
	if err != nil {
		return nil, err
	}
	res := make([]BatchResult, len(out.Data))
	for i, d := range out.Data {
		res[i].PublishResult = d.PublishResult
		if i < len(in.Events) {
			res[i].IdempotencyKey = in.Events[i].IdempotencyKey
		}
		if d.Error != nil {
			res[i].Err = d.Error.toError(nil)
		}
	}
	return res, nil
}

// EventListOptions selects events: Type is an exact name, a prefix ending
// at a dot and "*", or "*" (what an endpoint subscribed to it receives);
// Delivery ("pending", "succeeded" or "failed") keeps the events with a
// delivery in that state; IdempotencyKey finds the event published under
// that key.
type EventListOptions struct {
	ListOptions
	Type           string
	Delivery       string
	IdempotencyKey string
}

func (o EventListOptions) values() url.Values {
	q := o.ListOptions.values()
	if o.Type != "" {
		q.Set("type", o.Type)
	}
	if o.Delivery != "" {
		q.Set("delivery", o.Delivery)
	}
	if o.IdempotencyKey != "" {
		q.Set("idempotency_key", o.IdempotencyKey)
	}
	return q
}

// ListEvents ranges over a tenant's events, newest first.
func (c *Client) ListEvents(ctx context.Context, tenant string, o EventListOptions) iter.Seq2[*hookd.Event, error] {
	return all[*hookd.Event](ctx, c, path("tenants", tenant, "events"), o.values())
}

// ListEventsPage fetches one page of a tenant's events.
func (c *Client) ListEventsPage(ctx context.Context, tenant string, o EventListOptions) (*Page[*hookd.Event], error) {
	return getPage[*hookd.Event](ctx, c, path("tenants", tenant, "events"), o.values())
}

// EventWithDeliveries is an event with its deliveries.
type EventWithDeliveries struct {
	hookd.Event
	Deliveries []*hookd.Delivery `json:"deliveries"`
}

// GetEvent reads an event with its deliveries.
func (c *Client) GetEvent(ctx context.Context, tenant, id string) (*EventWithDeliveries, error) {
	var e EventWithDeliveries
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "events", id), out: &e}); err != nil {
		return nil, err
	}
	return &e, nil
}

// DeliveryListOptions selects deliveries: of one endpoint, of one event,
// in one state (pending, parked, succeeded, failed or canceled), of events
// of a type (a pattern, as EventListOptions.Type); "" for any.
type DeliveryListOptions struct {
	ListOptions
	Endpoint string
	Event    string
	State    string
	Type     string
}

func (o DeliveryListOptions) values() url.Values {
	q := o.ListOptions.values()
	for k, v := range map[string]string{"endpoint": o.Endpoint, "event": o.Event, "state": o.State, "type": o.Type} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// ListDeliveries ranges over a tenant's deliveries, newest first.
func (c *Client) ListDeliveries(ctx context.Context, tenant string, o DeliveryListOptions) iter.Seq2[*hookd.Delivery, error] {
	return all[*hookd.Delivery](ctx, c, path("tenants", tenant, "deliveries"), o.values())
}

// ListDeliveriesPage fetches one page of a tenant's deliveries.
func (c *Client) ListDeliveriesPage(ctx context.Context, tenant string, o DeliveryListOptions) (*Page[*hookd.Delivery], error) {
	return getPage[*hookd.Delivery](ctx, c, path("tenants", tenant, "deliveries"), o.values())
}

// DeliveryWithAttempts is a delivery with every attempt made, oldest
// first. (Delivery.Attempts is their count.)
type DeliveryWithAttempts struct {
	hookd.Delivery
	Attempts []*hookd.Attempt `json:"attempts"`
}

// GetDelivery reads a delivery with its attempts.
func (c *Client) GetDelivery(ctx context.Context, tenant, id string) (*DeliveryWithAttempts, error) {
	var d DeliveryWithAttempts
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "deliveries", id), out: &d}); err != nil {
		return nil, err
	}
	return &d, nil
}

// RetryDelivery sends a delivery again now, whatever its state.
func (c *Client) RetryDelivery(ctx context.Context, tenant, id string) (*hookd.Delivery, error) {
	var d hookd.Delivery
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "deliveries", id, "retry"), out: &d}); err != nil {
		return nil, err
	}
	return &d, nil
}
