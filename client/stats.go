package client

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/hookd/hookd"
)

// EndpointStats returns an endpoint's figures over a window: zero fields of
// q take the server's defaults (the last 24 hours, an interval giving at
// most 60 buckets).
func (c *Client) EndpointStats(ctx context.Context, tenant, id string, q hookd.StatsQuery) (*hookd.Stats, error) {
	v := url.Values{}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.Interval != 0 {
		v.Set("interval", q.Interval.String()) // as given (1m30.5s), for the server to judge, not cut to whole seconds
	}
	var out hookd.Stats
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "endpoints", id, "stats"), query: v, out: &out}); err != nil {
		return nil, err
	}
	return &out, nil
}
