package client

import (
	"context"
	"iter"
	"maps"
	"net/http"
	"net/url"
	"strconv"
)

// Page is one page of a list: its items, and whether more follow. Next is
// the cursor of the next page (pass it as ListOptions.After).
type Page[T any] struct {
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	Next    string `json:"next,omitempty"`
}

// ListOptions selects a page: the items after a cursor (the Next of the
// page before; "" for the first page), at most Limit of them (1 to 1000;
// 0: the server's default, 100).
type ListOptions struct {
	After string
	Limit int
}

func (o ListOptions) values() url.Values {
	q := url.Values{}
	if o.After != "" {
		q.Set("after", o.After)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	return q
}

// getPage fetches one page of a list route.
func getPage[T any](ctx context.Context, c *Client, p string, q url.Values) (*Page[T], error) {
	var pg Page[T]
	if err := c.do(ctx, request{method: http.MethodGet, path: p, query: q, out: &pg}); err != nil {
		return nil, err
	}
	return &pg, nil
}

// all ranges over every item of a list route from q's cursor on, fetching
// the next page when the one before is used up. An error ends the sequence
// (it is yielded with the zero T).
func all[T any](ctx context.Context, c *Client, p string, from url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		q := maps.Clone(from) // each range starts at from's cursor
		if q == nil {
			q = url.Values{}
		}
		for {
			pg, err := getPage[T](ctx, c, p, q)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, v := range pg.Data {
				if !yield(v, nil) {
					return
				}
			}
			// An empty page with has_more would loop forever on a
			// cursor that does not move: stop there.
			if !pg.HasMore || pg.Next == "" || pg.Next == q.Get("after") || len(pg.Data) == 0 {
				return
			}
			q.Set("after", pg.Next)
		}
	}
}

// Collect gathers a list into a slice: every item, or the first error.
func Collect[T any](seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, v)
	}
	return out, nil
}
