package control

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// redacted stands for a header value that carries a credential.
const redacted = "[redacted]"

// redactHeaders returns a copy of a request's headers fit to store and
// show: those that carry credentials (Authorization, Proxy-Authorization,
// Cookie and the source's header key) say only that they were there.
func redactHeaders(src *hookd.Source, h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		switch {
		case strings.EqualFold(k, "Authorization"), strings.EqualFold(k, "Proxy-Authorization"),
			strings.EqualFold(k, "Cookie"), src.HeaderKey != nil && strings.EqualFold(k, src.HeaderKey.Name):
			out[k] = []string{redacted}
		default:
			out[k] = vs
		}
	}
	return out
}

// sourceRequest is the record of an accepted request, to be committed
// with its event: the body as received, the headers without credentials,
// the sender's address and the verdict.
func (s *Service) sourceRequest(src *hookd.Source, r *hookd.IngestRequest, now time.Time, invalid string) *hookd.SourceRequest {
	sr := &hookd.SourceRequest{ID: "sreq_" + uuid.Must(uuid.NewV7()).String(), TenantID: src.TenantID, SourceID: src.ID,
		ReceivedAt: now, Header: redactHeaders(src, r.Header), Body: r.Body, Verdict: hookd.VerdictAccepted, Invalid: invalid}
	if r.RemoteIP != nil {
		sr.RemoteAddr = r.RemoteIP.String()
	}
	if invalid != "" {
		sr.Verdict = hookd.VerdictInvalidPayload
	}
	return sr
}

// SourceRequests returns a page of the requests a source accepted, newest
// first.
func (s *Service) SourceRequests(ctx context.Context, tenantID, id string, p hookd.Page) ([]*hookd.SourceRequest, error) {
	if _, err := s.Store.Source(ctx, tenantID, id); err != nil {
		return nil, err
	}
	if err := cursorOf("after", p.After, "sreq_", "request"); err != nil {
		return nil, err
	}
	return s.Store.SourceRequests(ctx, tenantID, id, p)
}

// SourceRequest returns one request a source accepted.
func (s *Service) SourceRequest(ctx context.Context, tenantID, id, requestID string) (*hookd.SourceRequest, error) {
	r, err := s.Store.SourceRequest(ctx, tenantID, requestID)
	if err != nil {
		return nil, err
	}
	if r.SourceID != id {
		return nil, hookd.ErrNotFound
	}
	return r, nil
}
