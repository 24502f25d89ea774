package hookd

import (
	"context"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The catch-up feed: what hookd has for an endpoint, in publish order, each
// event as the exact request hookd sends for it, so that a consumer whose
// endpoint was down, or that wants to check it missed nothing, pulls and
// verifies with the code that receives.

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
type FeedItem struct {
	EventID string            `json:"event_id"`
	Type    string            `json:"type"`
	State   string            `json:"state"`
	Body    string            `json:"body"`
	Headers map[string]string `json:"headers"`
}

// FeedPage is one page of a feed. Next is the cursor after the last item
// (after the page asked for when it is empty): pass it as after to go on,
// or acknowledge it. HasMore says whether more items follow now.
type FeedPage struct {
	Data    []*FeedItem `json:"data"`
	HasMore bool        `json:"has_more"`
	Next    string      `json:"next,omitempty"`
}

// FeedAck acknowledges a consumer's position (the body of feed/ack).
type FeedAck struct {
	Consumer string `json:"consumer"`
	Cursor   string `json:"cursor"`
}

// FeedPosition is a consumer's acknowledged position.
type FeedPosition struct {
	Consumer  string    `json:"consumer"`
	Cursor    string    `json:"cursor"`
	UpdatedAt time.Time `json:"updated_at"`
}

// FeedEntry is an event meant for an endpoint, with its delivery there,
// as a store reads it for the feed.
type FeedEntry struct {
	Event    *Event
	Delivery *Delivery
}

// MaxFeedLimit is the largest page of a feed.
const MaxFeedLimit = 1000

// Validate checks a feed query, naming the field.
func (q *FeedQuery) Validate() error {
	if q.Limit < 0 || q.Limit > MaxFeedLimit {
		return Errorf(EINVALID, "limit must be a number from 1 to %d", MaxFeedLimit)
	}
	if q.Consumer != "" {
		if err := CheckID("consumer", q.Consumer); err != nil {
			return err
		}
	}
	_, err := ParseFeedCursor("after", q.After)
	return err
}

// Validate checks an acknowledgement, naming the field.
func (a *FeedAck) Validate() error {
	if a.Consumer == "" {
		return Errorf(EINVALID, "consumer is required")
	}
	if err := CheckID("consumer", a.Consumer); err != nil {
		return err
	}
	if a.Cursor == "" {
		return Errorf(EINVALID, "cursor is required (the next of a feed page)")
	}
	_, err := ParseFeedCursor("cursor", a.Cursor)
	return err
}

// feedCursorPrefix marks a feed cursor, so that an event id or another
// list's cursor given by mistake is refused rather than misread.
const feedCursorPrefix = "fc_"

// FeedCursor is the cursor after the event with store sequence seq. It is
// opaque to clients: the encoding may change.
func FeedCursor(seq int64) string {
	return feedCursorPrefix + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10)))
}

// ParseFeedCursor reads a cursor of FeedCursor ("" is the start, 0); field
// names it in the error.
func ParseFeedCursor(field, c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	raw, ok := strings.CutPrefix(c, feedCursorPrefix)
	b, err := base64.RawURLEncoding.DecodeString(raw)
	var seq int64
	if ok && err == nil {
		seq, err = strconv.ParseInt(string(b), 10, 64)
	}
	if !ok || err != nil || seq < 0 {
		return 0, Errorf(EINVALID, "%s %q is not a cursor of this feed: give the next of a feed page", field, c)
	}
	return seq, nil
}

// UserAgent is sent with every webhook.
const UserAgent = "hookd/1"

// SetRequestHeaders sets the headers of one request of the endpoint: its
// custom headers, then the framing hookd sets (content type, user agent),
// then the profile's identity and signature headers for message m, signed
// with the secrets that sign at m.At. The sender and the feed both use it,
// so the feed shows what is sent.
func (e *Endpoint) SetRequestHeaders(h http.Header, p Profile, m *Message, body []byte) {
	for k, v := range e.Headers {
		h.Set(k, v)
	}
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{UserAgent}
	p.Sign(h, m, body, e.SigningSecrets(m.At, p.MultiSignature()))
}
