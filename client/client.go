// Package client is the Go client of hookd's HTTP API: every route typed,
// context first, errors as *hookd.Error.
//
// A client holds the API's base URL and a bearer token: the admin token
// (tenants, tokens, event types, and every tenant's routes) or a tenant
// token (that tenant's routes only).
//
//	admin := client.New("http://localhost:8080", os.Getenv("HOOKD_ADMIN_TOKEN"))
//	t, err := admin.CreateTenant(ctx, client.TenantCreate{ID: "acme", Name: "Acme Ltd"})
//	tok, err := admin.CreateToken(ctx, "acme", client.TokenCreate{Name: "ci"})
//	acme := admin.WithToken(tok.Token)
//	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: "https://acme.test/hooks"})
//	res, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payload})
//
// Errors the API answers are *hookd.Error values (code, message, details),
// found with errors.As; StatusCode gives the HTTP status. Lists are
// iterators (iter.Seq2) that fetch page after page as they are ranged
// over; the methods ending in Page fetch one page.
//
// Publish is safe to retry: it sends an Idempotency-Key (generated when the
// event has none), so the server creates the event once however many times
// the request reaches it. The client itself retries a publish, a bounded
// number of times (WithPublishRetries), after a network error or an answer
// of 503 or 429, and no other request.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// Client calls one hookd server with one token. It is safe for concurrent
// use; its methods take a context first, whose cancellation ends the
// request (and any retries).
type Client struct {
	base      string
	token     string
	hc        *http.Client
	userAgent string
	retries   int           // further tries of a publish
	backoff   time.Duration // first wait between tries of a publish
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc (timeouts,
// transport, proxies). The default is a client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) { c.hc = hc }
}

// WithPublishRetries sets how many times a publish (or batch publish) is
// tried again after a network error or an answer of 503 or 429 (default
// 3; 0 never retries). The waits double from backoff (default 250 ms), or
// follow the server's Retry-After when it asks for longer, at most 10 s.
func WithPublishRetries(n int, backoff time.Duration) Option {
	return func(c *Client) {
		c.retries = max(n, 0)
		if backoff > 0 {
			c.backoff = backoff
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the hookd API at baseURL ("http://localhost:8080";
// a trailing slash is ignored) that authenticates with token.
func New(baseURL, token string, opts ...Option) *Client {
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, hc: &http.Client{Timeout: 30 * time.Second},
		userAgent: "hookd-go-client", retries: 3, backoff: 250 * time.Millisecond}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithToken returns a copy of the client that authenticates with token,
// sharing the HTTP client: for example a tenant's client made from the
// admin's after CreateToken.
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

// BaseURL returns the API's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.base }

// HTTPError is the HTTP side of an error answer: the cause (Err) of the
// *hookd.Error the client returns. StatusCode reads it.
type HTTPError struct {
	StatusCode int
	// RetryAfter is the server's Retry-After, 0 when it sent none.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// StatusCode returns the HTTP status of an error the API answered, or 0
// for any other error (a network error, a canceled context, nil).
func StatusCode(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return 0
}

// errorBody is the API's error object.
type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details []hookd.Detail `json:"details,omitempty"`
}

func (b *errorBody) toError(cause error) *hookd.Error {
	return &hookd.Error{Code: b.Code, Message: b.Message, Details: b.Details, Err: cause}
}

// apiError turns an error answer into a *hookd.Error whose cause is an
// *HTTPError. An answer that is not hookd's error object (a proxy's page)
// keeps the code of its status (as error.go pairs them) and the start of
// its body as message.
func apiError(resp *http.Response, body []byte) error {
	he := &HTTPError{StatusCode: resp.StatusCode}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		he.RetryAfter = time.Duration(s) * time.Second
	}
	var w struct {
		Error  *errorBody `json:"error"`
		Reason string     `json:"reason"` // /readyz
	}
	if json.Unmarshal(body, &w) == nil && w.Error != nil && w.Error.Code != "" {
		return w.Error.toError(he)
	}
	code := hookd.CodeOfStatus(resp.StatusCode)
	msg := w.Reason
	if msg == "" {
		msg = strings.TrimSpace(string(body[:min(len(body), 200)]))
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &hookd.Error{Code: code, Message: msg, Err: he}
}

// request is one API call.
type request struct {
	method string
	path   string     // escaped, from the base URL on
	query  url.Values // nil: none
	in     any        // JSON body; nil: none
	raw    []byte     // a body sent as it is, instead of in
	out    any        // where a 2xx answer is decoded; nil: discarded
	header http.Header
	// retry tries again after a network error or 503/429: only for
	// requests the server deduplicates (an idempotency key).
	retry bool
}

// do makes a request, retrying as r.retry allows.
func (c *Client) do(ctx context.Context, r request) error {
	body := r.raw
	if r.in != nil {
		var err error
		if body, err = json.Marshal(r.in); err != nil {
			return err
		}
	}
	wait := c.backoff
	for try := 0; ; try++ {
		err := c.once(ctx, r, body)
		if err == nil || !r.retry || try >= c.retries || !retryable(ctx, err) {
			return err
		}
		d := wait
		var he *HTTPError
		if errors.As(err, &he) && he.RetryAfter > d {
			d = he.RetryAfter
		}
		d = min(d, 10*time.Second)
		wait *= 2
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// retryable reports whether a request that failed with err may succeed
// when sent again: a network error, or the server's 503 or 429.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	switch StatusCode(err) {
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		return true
	case 0:
		var he *hookd.Error
		return !errors.As(err, &he) // no answer at all
	}
	return false
}

func (c *Client) once(ctx context.Context, r request, body []byte) error {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, rd)
	if err != nil {
		return err
	}
	for k, v := range r.header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading the answer: %w", r.method, r.path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return apiError(resp, b)
	}
	if r.out == nil || len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	if raw, ok := r.out.(*[]byte); ok {
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, r.out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the JSON expected: %w", r.method, r.path, err)
	}
	return nil
}

// path joins escaped path segments under /v1.
func path(segments ...string) string {
	var b strings.Builder
	b.WriteString("/v1")
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// newKey returns a new idempotency key: "idem_", the time in milliseconds
// (48 bits) and 80 random bits, in hex. Keys made later sort after, so the
// server's unique index on keys takes each new one at its end, as it does
// time-ordered event ids: a random key lands on a page of its own of that
// index, which the commit writes to the log and fsyncs (with random keys,
// about a third more log written per event; docs/performance.md "Event ids and
// idempotency keys in any order").
func newKey() string {
	return keyAt(time.Now())
}

func keyAt(t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	rand.Read(b[6:]) // never fails (crypto/rand)
	return "idem_" + hex.EncodeToString(b[:])
}

// Health checks GET /healthz: nil when the server answers.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodGet, path: "/healthz"})
}

// Ready checks GET /readyz: nil when the server can take work; otherwise
// an error whose message is the server's reason (status 503).
func (c *Client) Ready(ctx context.Context) error {
	return c.do(ctx, request{method: http.MethodGet, path: "/readyz"})
}

// Metrics returns the server's Prometheus metrics (GET /metrics) in the
// text exposition format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	var b []byte
	err := c.do(ctx, request{method: http.MethodGet, path: "/metrics", out: &b,
		header: http.Header{"Accept": {"text/plain"}}})
	return b, err
}

// OpenAPI returns the server's OpenAPI 3.1 document (GET /v1/openapi.json)
// as JSON.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var b []byte
	err := c.do(ctx, request{method: http.MethodGet, path: "/v1/openapi.json", out: &b})
	return b, err
}
