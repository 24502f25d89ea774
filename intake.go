package hookd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"
)

// Verdicts of an accepted source request: the payload matched its catalog
// type, or it did not (or its type is unknown) and the event was published
// all the same, flagged.
const (
	VerdictAccepted       = "accepted"
	VerdictInvalidPayload = "invalid_payload"
)

// SourceRequest is a webhook a source accepted, kept as it was received:
// the body byte for byte, the headers but those that carry credentials,
// the sender's address, when it came, and the verdict. It is committed
// with the event it became, in the same transaction, before the sender is
// answered 200. A replay of it (the same provider id at the same source)
// stores no second request: it counts in the first one's Duplicates.
type SourceRequest struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	SourceID   string    `json:"source_id"`
	EventID    string    `json:"event_id"`
	ReceivedAt time.Time `json:"received_at"`
	// RemoteAddr is the sender's IP address as hookd saw it.
	RemoteAddr string `json:"remote_addr"`
	// Header is the request's headers; Authorization, Proxy-Authorization,
	// Cookie and the source's header key are kept as "[redacted]".
	Header http.Header `json:"headers"`
	// Body is the body as received. In JSON it is "body" when it is
	// UTF-8, "body_base64" when it is not.
	Body    []byte `json:"-"`
	Verdict string `json:"verdict"`
	// Invalid says why the payload does not match its catalog type
	// (verdict invalid_payload).
	Invalid string `json:"invalid,omitempty"`
	// Duplicates counts the replays of this request answered since (the
	// provider retried, or sent it again): they store nothing else.
	Duplicates      int        `json:"duplicates"`
	LastDuplicateAt *time.Time `json:"last_duplicate_at,omitempty"`
}

type sourceRequestJSON SourceRequest

// MarshalJSON shows the body as text when it is UTF-8, as base64 when not.
func (r *SourceRequest) MarshalJSON() ([]byte, error) {
	out := struct {
		*sourceRequestJSON
		Body       *string `json:"body,omitempty"`
		BodyBase64 string  `json:"body_base64,omitempty"`
	}{sourceRequestJSON: (*sourceRequestJSON)(r)}
	if utf8.Valid(r.Body) {
		s := string(r.Body)
		out.Body = &s
	} else {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(r.Body)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (r *SourceRequest) UnmarshalJSON(b []byte) error {
	in := struct {
		*sourceRequestJSON
		Body       *string `json:"body"`
		BodyBase64 string  `json:"body_base64"`
	}{sourceRequestJSON: (*sourceRequestJSON)(r)}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	switch {
	case in.Body != nil:
		r.Body = []byte(*in.Body)
	case in.BodyBase64 != "":
		body, err := base64.StdEncoding.DecodeString(in.BodyBase64)
		if err != nil {
			return err
		}
		r.Body = body
	}
	return nil
}

// EventSource names the source and the request an ingested event was
// received as.
type EventSource struct {
	SourceID  string `json:"source_id"`
	RequestID string `json:"request_id"`
}

// SourceRequestStore reads the accepted requests of sources; they are
// written by Queue.Apply, with their events (Publish.Request), and purged
// with the events' retention.
type SourceRequestStore interface {
	// SourceRequests lists a source's requests, newest first, after the
	// cursor (a request id).
	SourceRequests(ctx context.Context, tenantID, sourceID string, p Page) ([]*SourceRequest, error)
	// SourceRequest returns one request of a tenant.
	SourceRequest(ctx context.Context, tenantID, id string) (*SourceRequest, error)
	// EventSourceRequest returns the request an event was received as:
	// ErrNotFound for an event that was published, not received.
	EventSourceRequest(ctx context.Context, tenantID, eventID string) (*SourceRequest, error)
}
