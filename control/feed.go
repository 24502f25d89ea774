package control

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

var _ hookd.FeedService = (*Service)(nil)

// Feed returns one page of the events meant for an endpoint, in the order
// the store keeps them (hookd.FeedPlace), each with the body and headers
// hookd sends for it: built and signed by the endpoint's profile as an
// attempt made now, with the
// secrets that sign now, so the consumer verifies a pulled event with the
// code that verifies a received one. The delivery's id and next attempt
// number sign it (Weavr's call-ref is the delivery's, as on the wire).
func (s *Service) Feed(ctx context.Context, tenantID, endpointID string, q hookd.FeedQuery) (*hookd.FeedPage, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	ep, err := s.Store.Endpoint(ctx, tenantID, endpointID)
	if err != nil {
		return nil, err
	}
	p, err := s.Profiles.Get(ep.Profile)
	if err != nil {
		return nil, err
	}
	after, place := q.After, hookd.FeedPlace{}
	switch {
	case after != "":
		if place, err = s.cursorPlace(ctx, tenantID, "after", after); err != nil {
			return nil, err
		}
	case q.Consumer != "":
		switch pos, err := s.Store.FeedPosition(ctx, tenantID, endpointID, q.Consumer); {
		case err == nil:
			after, place = pos.Cursor, pos.Place
		case err != hookd.ErrNotFound:
			return nil, err
		}
	}
	limit := q.Limit
	if limit == 0 {
		limit = 100
	}
	now := s.stamp()
	var since time.Time // what retention is about to purge is gone already
	if s.Retention > 0 {
		since = now.Add(-s.Retention)
	}
	entries, err := s.Store.Feed(ctx, tenantID, endpointID, place, since, limit+1)
	if err != nil {
		return nil, err
	}
	page := &hookd.FeedPage{Data: make([]*hookd.FeedItem, 0, min(len(entries), limit)), HasMore: len(entries) > limit, Next: after}
	if page.HasMore {
		entries = entries[:limit]
	}
	for _, en := range entries {
		body, err := p.Body(en.Event)
		if err != nil {
			return nil, err
		}
		h := http.Header{}
		m := &hookd.Message{Event: en.Event, DeliveryID: en.Delivery.ID, Attempt: en.Delivery.Attempts + 1, At: now}
		ep.SetRequestHeaders(h, p, m, body)
		headers := make(map[string]string, len(h))
		for k, v := range h {
			headers[k] = strings.Join(v, ", ")
		}
		page.Data = append(page.Data, &hookd.FeedItem{EventID: en.Event.ID, Type: hookd.WireType(en.Event.Type),
			State: en.Delivery.State, Body: string(body), Headers: headers})
		page.Next = en.Event.ID
	}
	return page, nil
}

// AckFeed records where a named consumer of an endpoint's feed is: its
// next pull without after starts there (at the start for cursor ""). A consumer may move back (to
// read again) as well as forward.
func (s *Service) AckFeed(ctx context.Context, tenantID, endpointID string, a hookd.FeedAck) (*hookd.FeedPosition, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.Store.Endpoint(ctx, tenantID, endpointID); err != nil {
		return nil, err
	}
	var place hookd.FeedPlace // the start, for cursor ""
	if a.Cursor != "" {
		var err error
		if place, err = s.cursorPlace(ctx, tenantID, "cursor", a.Cursor); err != nil {
			return nil, err
		}
	}
	pos := &hookd.FeedPosition{Consumer: a.Consumer, Cursor: a.Cursor, UpdatedAt: s.stamp(), Place: place}
	if err := s.Store.SaveFeedPosition(ctx, tenantID, endpointID, pos); err != nil {
		return nil, err
	}
	return pos, nil
}

// cursorPlace reads a feed cursor given by the client, the id of an event
// of the tenant, as that event's place in the feed.
func (s *Service) cursorPlace(ctx context.Context, tenantID, field, cursor string) (hookd.FeedPlace, error) {
	place, err := s.Store.FeedPlace(ctx, tenantID, cursor)
	if err == hookd.ErrNotFound {
		return place, hookd.FieldErrorf(hookd.EINVALID, field, "exists", "%s %q is not a cursor of this feed (the next of a page), or its event is past retention: pull from the start, or by consumer", field, cursor)
	}
	return place, err
}
