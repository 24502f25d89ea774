package client

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookd/hookd"
)

var _ hookd.FeedService = (*Client)(nil)

// Feed fetches one page of an endpoint's catch-up feed: the events meant
// for it, oldest first (hookd.FeedPlace), each as the exact request hookd
// sends (body and signed headers). Pass page.Next as q.After to go on; with
// q.Consumer and no q.After the page starts at that consumer's
// acknowledged position (AckFeed).
func (c *Client) Feed(ctx context.Context, tenant, endpointID string, q hookd.FeedQuery) (*hookd.FeedPage, error) {
	v := url.Values{}
	if q.After != "" {
		v.Set("after", q.After)
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Consumer != "" {
		v.Set("consumer", q.Consumer)
	}
	var out hookd.FeedPage
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "endpoints", endpointID, "feed"), query: v, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// AckFeed records a named consumer's position in an endpoint's feed: a.Cursor
// is the Next of a page it has read. A Cursor left empty is refused here,
// not sent as the API's "back to the start": ResetFeed says that.
func (c *Client) AckFeed(ctx context.Context, tenant, endpointID string, a hookd.FeedAck) (*hookd.FeedPosition, error) {
	if a.Cursor == "" {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "cursor", "required",
			"cursor is required: the next of a feed page (ResetFeed moves a consumer back to the start)")
	}
	return c.ackFeed(ctx, tenant, endpointID, a)
}

// ResetFeed moves a named consumer back to the start of an endpoint's feed
// (an acknowledgement of the cursor "").
func (c *Client) ResetFeed(ctx context.Context, tenant, endpointID, consumer string) (*hookd.FeedPosition, error) {
	return c.ackFeed(ctx, tenant, endpointID, hookd.FeedAck{Consumer: consumer})
}

func (c *Client) ackFeed(ctx context.Context, tenant, endpointID string, a hookd.FeedAck) (*hookd.FeedPosition, error) {
	var out hookd.FeedPosition
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "endpoints", endpointID, "feed", "ack"), in: a, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}

// FeedHeader returns a feed item's headers as an http.Header, to verify
// the item, with its Body, by the code that verifies webhooks
// (receiver.Verifier.Verify, a Standard Webhooks library).
func FeedHeader(item *hookd.FeedItem) http.Header {
	h := http.Header{}
	for k, v := range item.Headers {
		h.Set(k, v)
	}
	return h
}
