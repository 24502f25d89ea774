package hookd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"
)

// The catch-up feed: what hookd has for an endpoint, in the order it
// stored it (see FeedPlace), each event as the exact request hookd sends
// for it, so that a consumer whose endpoint was down, or that wants to
// check it missed nothing, pulls and verifies with the code that receives.

// FeedService serves the feed of an endpoint and keeps the positions of
// its named consumers.
type FeedService interface {
	// Feed returns one page of the events meant for the endpoint, oldest
	// first, after q.After (or, with q.Consumer and no After, after the
	// consumer's acknowledged position).
	Feed(ctx context.Context, tenantID, endpointID string, q FeedQuery) (*FeedPage, error)
	// AckFeed records a named consumer's position: its next Feed with
	// Consumer and no After starts after a.Cursor.
	AckFeed(ctx context.Context, tenantID, endpointID string, a FeedAck) (*FeedPosition, error)
}

// FeedQuery selects one page of a feed.
type FeedQuery struct {
	After    string // a cursor (FeedPage.Next); "" is the start, or the consumer's position
	Limit    int    // 1 to 1000; 0 means 100
	Consumer string // a named consumer whose position the server keeps
}

// FeedItem is one event of a feed: its delivery's state to the endpoint,
// and the body and headers of the request hookd sends for it, signed as an
// attempt made when the feed was read.
//
// Body holds the body's bytes, UTF-8 or not (a source takes in a
// provider's JSON byte for byte). A JSON string holds only UTF-8, so in
// JSON a body that is not also comes whole as "body_base64", beside
// "body" with U+FFFD for the bytes that are not UTF-8.
type FeedItem struct {
	EventID string            `json:"event_id"`
	Type    string            `json:"type"`
	State   string            `json:"state"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
}

type feedItemJSON FeedItem

// MarshalJSON adds "body_base64" when the body is not UTF-8.
func (it *FeedItem) MarshalJSON() ([]byte, error) {
	out := struct {
		*feedItemJSON
		BodyBase64 string `json:"body_base64,omitempty"`
	}{feedItemJSON: (*feedItemJSON)(it)}
	if !utf8.ValidString(it.Body) {
		out.BodyBase64 = base64.StdEncoding.EncodeToString([]byte(it.Body))
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads what MarshalJSON writes: the body from
// "body_base64" when it is there.
func (it *FeedItem) UnmarshalJSON(b []byte) error {
	in := struct {
		*feedItemJSON
		BodyBase64 string `json:"body_base64"`
	}{feedItemJSON: (*feedItemJSON)(it)}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	if in.BodyBase64 != "" {
		body, err := base64.StdEncoding.DecodeString(in.BodyBase64)
		if err != nil {
			return err
		}
		it.Body = string(body)
	}
	return nil
}

// FeedPage is one page of a feed. Next is the cursor after the last item
// (after the page asked for when it is empty): pass it as after to go on,
// or acknowledge it. HasMore says whether more items follow now.
//
// A cursor is the id of the last event read, as in the other lists: the
// store's own sequence, global to all tenants, would tell a tenant how
// many events the others publish.
type FeedPage struct {
	Data    []*FeedItem `json:"data"`
	HasMore bool        `json:"has_more"`
	Next    string      `json:"next"`
}

// FeedAck acknowledges a consumer's position (the body of feed/ack).
// Cursor "" moves the consumer back to the start of the feed (what
// retention keeps); the route still wants the field given.
type FeedAck struct {
	Consumer string `json:"consumer"`
	Cursor   string `json:"cursor"`
}

// FeedPosition is a consumer's acknowledged position.
type FeedPosition struct {
	Consumer  string    `json:"consumer"`
	Cursor    string    `json:"cursor"`
	UpdatedAt time.Time `json:"updated_at"`
	// Place is the cursor event's place in the feed, kept with the
	// position so that it holds after the event itself is purged; never
	// shown.
	Place FeedPlace `json:"-"`
}

// FeedPlace is an event's place in the order of the feed, as a store
// keeps it: places compare by Xid, then Seq. On PostgreSQL, Xid is the id
// of the transaction that stored the event: transactions commit in
// another order than they take their events' seqs, and a feed read by seq
// could step past an event committed a moment later, where the ids let
// the store read up to the oldest transaction still in flight. On SQLite
// (one writer: seqs are taken in the order of the commits) and for the
// events PostgreSQL stored before it kept the ids, Xid is 0.
type FeedPlace struct {
	Xid uint64
	Seq int64
}

// FeedEntry is an event meant for an endpoint, with its delivery there,
// as a store reads it for the feed, and its place in the feed.
type FeedEntry struct {
	Event    *Event
	Delivery *Delivery
	Place    FeedPlace
}

// MaxFeedLimit is the largest page of a feed.
const MaxFeedLimit = 1000

// Validate checks a feed query, naming the field.
func (q *FeedQuery) Validate() error {
	if q.Limit < 0 || q.Limit > MaxFeedLimit {
		return FieldErrorf(EINVALID, "limit", "range", "limit must be a number from 1 to %d", MaxFeedLimit)
	}
	if q.Consumer != "" {
		if err := CheckID("consumer", q.Consumer); err != nil {
			return err
		}
	}
	if q.After != "" {
		return CheckID("after", q.After)
	}
	return nil
}

// Validate checks an acknowledgement, naming the field.
func (a *FeedAck) Validate() error {
	if a.Consumer == "" {
		return FieldErrorf(EINVALID, "consumer", "required", "consumer is required")
	}
	if err := CheckID("consumer", a.Consumer); err != nil {
		return err
	}
	if a.Cursor == "" {
		return nil // back to the start
	}
	return CheckID("cursor", a.Cursor)
}

// UserAgent is sent with every webhook.
const UserAgent = "hookd/1"

// The framing headers' values, shared by every request rather than made
// for each: their capacity is their length, so an h.Add to a request's
// copy reallocates rather than write into them.
var (
	contentTypeJSON = []string{"application/json"}
	userAgent       = []string{UserAgent}
)

// SetRequestHeaders sets the headers of one request of the endpoint: its
// custom headers, then the framing hookd sets (content type, user agent),
// then the profile's identity and signature headers for message m, signed
// with the secrets that sign at m.At. The sender and the feed both use it,
// so the feed shows what is sent.
func (e *Endpoint) SetRequestHeaders(h http.Header, p Profile, m *Message, body []byte) {
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	h["Content-Type"] = contentTypeJSON
	h["User-Agent"] = userAgent
	p.Sign(h, m, body, e.SigningSecrets(m.At, p.MultiSignature()))
}
