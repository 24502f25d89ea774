package httpapi

import (
	"net/http"
	"strconv"

	"github.com/hookd/hookd"
)

func (s *Server) endpointFeed(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	q := hookd.FeedQuery{After: qs.Get("after"), Consumer: qs.Get("consumer")}
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > hookd.MaxFeedLimit {
			return hookd.FieldErrorf(hookd.EINVALID, "limit", "range", "limit must be a number from 1 to %d", hookd.MaxFeedLimit)
		}
		q.Limit = n
	}
	page, err := s.Feeds.Feed(r.Context(), r.PathValue("tenant"), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) ackFeed(w http.ResponseWriter, r *http.Request) error {
	// cursor must be given: "" moves the consumer back to the start,
	// which a body that forgot the field must not do.
	var in struct {
		Consumer string  `json:"consumer"`
		Cursor   *string `json:"cursor"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Cursor == nil {
		return hookd.FieldErrorf(hookd.EINVALID, "cursor", "required",
			`cursor is required: the next of a feed page, or "" to go back to the start`)
	}
	pos, err := s.Feeds.AckFeed(r.Context(), r.PathValue("tenant"), r.PathValue("id"), hookd.FeedAck{Consumer: in.Consumer, Cursor: *in.Cursor})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pos)
	return nil
}
