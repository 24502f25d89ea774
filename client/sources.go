package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookd/hookd"
)

// SourceCreate is the body of CreateSource: a provider whose webhooks
// hookd receives at the source's ingest URL.
type SourceCreate struct {
	Name string `json:"name"`
	// Profile is lean, weavr, linkmoney, standard or hmac.
	Profile string `json:"profile"`
	// Secrets verify the provider's signatures (required but for
	// linkmoney, which signs nothing).
	Secrets   []string         `json:"secrets,omitempty"`
	BasicAuth *hookd.BasicAuth `json:"basic_auth,omitempty"`
	HeaderKey *hookd.HeaderKey `json:"header_key,omitempty"`
	AllowIPs  []string         `json:"allow_ips,omitempty"`
	// HMAC describes the sender's signature (profile hmac only).
	HMAC             *hookd.HMACScheme `json:"hmac,omitempty"`
	ToleranceSeconds int               `json:"tolerance_seconds,omitempty"`
}

// CreateSource makes a source of a tenant; the answer's IngestURL, the
// URL to give the provider, is shown only here (and on a token rotation).
func (c *Client) CreateSource(ctx context.Context, tenant string, in SourceCreate) (*hookd.Source, error) {
	var s hookd.Source
	if err := c.do(ctx, request{method: http.MethodPost, path: path("tenants", tenant, "sources"), in: in, out: &s}); err != nil {
		return nil, err
	}
	return &s, nil
}

func (c *Client) sourceCall(ctx context.Context, method, tenant, id, sub string, in any) (*hookd.Source, error) {
	p := path("tenants", tenant, "sources", id)
	if sub != "" {
		p = path("tenants", tenant, "sources", id, sub)
	}
	var s hookd.Source
	if err := c.do(ctx, request{method: method, path: p, in: in, out: &s}); err != nil {
		return nil, err
	}
	return &s, nil
}

// GetSource reads a source (never its secrets).
func (c *Client) GetSource(ctx context.Context, tenant, id string) (*hookd.Source, error) {
	return c.sourceCall(ctx, http.MethodGet, tenant, id, "", nil)
}

// UpdateSource changes the fields of u that are not nil.
func (c *Client) UpdateSource(ctx context.Context, tenant, id string, u hookd.SourceUpdate) (*hookd.Source, error) {
	return c.sourceCall(ctx, http.MethodPatch, tenant, id, "", withoutNulls(u))
}

// DeleteSource deletes a source: its ingest URL answers 404 at once.
func (c *Client) DeleteSource(ctx context.Context, tenant, id string) error {
	return c.do(ctx, request{method: http.MethodDelete, path: path("tenants", tenant, "sources", id)})
}

// RotateSource adds a new secret and/or (r.Token) a new ingest URL; the
// old ones stay accepted for the grace period.
func (c *Client) RotateSource(ctx context.Context, tenant, id string, r hookd.SourceRotation) (*hookd.Source, error) {
	return c.sourceCall(ctx, http.MethodPost, tenant, id, "rotate", withoutNulls(r))
}

// SourceErrors returns the newest refused requests of a source.
func (c *Client) SourceErrors(ctx context.Context, tenant, id string) ([]*hookd.SourceError, error) {
	var out struct {
		Data []*hookd.SourceError `json:"data"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "sources", id, "errors"), out: &out}); err != nil {
		return nil, err
	}
	return out.Data, nil
}

// ListSources ranges over a tenant's sources, oldest first.
func (c *Client) ListSources(ctx context.Context, tenant string, o ListOptions) iter.Seq2[*hookd.Source, error] {
	return all[*hookd.Source](ctx, c, path("tenants", tenant, "sources"), o.values())
}

// ListSourcesPage fetches one page of a tenant's sources.
func (c *Client) ListSourcesPage(ctx context.Context, tenant string, o ListOptions) (*Page[*hookd.Source], error) {
	return getPage[*hookd.Source](ctx, c, path("tenants", tenant, "sources"), o.values())
}

// ListSourceRequests ranges over the requests a source accepted, newest
// first: each as received (Body byte for byte, headers but credentials),
// with the event it became.
func (c *Client) ListSourceRequests(ctx context.Context, tenant, id string, o ListOptions) iter.Seq2[*hookd.SourceRequest, error] {
	return all[*hookd.SourceRequest](ctx, c, path("tenants", tenant, "sources", id, "requests"), o.values())
}

// ListSourceRequestsPage fetches one page of a source's requests.
func (c *Client) ListSourceRequestsPage(ctx context.Context, tenant, id string, o ListOptions) (*Page[*hookd.SourceRequest], error) {
	return getPage[*hookd.SourceRequest](ctx, c, path("tenants", tenant, "sources", id, "requests"), o.values())
}

// GetSourceRequest reads one request a source accepted (an ingested
// event's Source names it).
func (c *Client) GetSourceRequest(ctx context.Context, tenant, id, requestID string) (*hookd.SourceRequest, error) {
	var r hookd.SourceRequest
	if err := c.do(ctx, request{method: http.MethodGet, path: path("tenants", tenant, "sources", id, "requests", requestID), out: &r}); err != nil {
		return nil, err
	}
	return &r, nil
}

// Ingest sends a provider's webhook to a source (POST /ingest/{token}) as
// the provider would: the body and the headers as they are, the provider's
// signature among them, and no bearer token. ingest is the source's
// IngestURL or the token at its end; the request goes to this client's
// server. It returns what the webhook became; a refusal is an error whose
// StatusCode is 401 (the signature does not verify) or 404 (no such
// source).
func (c *Client) Ingest(ctx context.Context, ingest string, header http.Header, body []byte) (*hookd.Ingested, error) {
	if _, token, ok := strings.Cut(ingest, "/ingest/"); ok {
		ingest = token
	}
	if body == nil {
		body = []byte{}
	}
	var out hookd.Ingested
	err := c.WithToken("").do(ctx, request{method: http.MethodPost, path: "/ingest/" + url.PathEscape(ingest),
		raw: body, header: header, out: &out})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
