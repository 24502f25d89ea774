package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/hookd/hookd/httpapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
)

// Every request the tests make through http.DefaultClient to a test app or
// a real hookd process (startApp, serve, startBinary; through call, must,
// the Go client of a.api) is checked against the OpenAPI
// document the app serves (httpapi/openapi.json), with
// libopenapi-validator: the answer always (a documented status, and a body
// of the documented schema), the request when the app accepted it (2xx).
// A refused request is not checked, since tests send bad requests on
// purpose (TestBadInput); its answer is. What does not match fails the test
// that started the app, naming the route and the mismatch.

// apiCheck is the validator of the document, made once.
var apiCheck = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPI())
	if err != nil {
		return nil, err
	}
	// Strict: a field of a request or an answer that the document does
	// not name is a mismatch, even where the schema leaves objects open;
	// only the free-form objects (a payload, metadata, custom headers, an answer's headers, a
	// type's schema and example) hold what they like.
	var free []string
	for _, name := range []string{"payload", "metadata", "headers", "response_headers", "schema", "example"} {
		free = append(free, "$.body."+name+".**", "$.body.**."+name+".**")
	}
	// The document itself (GET /v1/openapi.json): its sections, whose
	// contents httpapi's tests check.
	for _, name := range []string{"info", "servers", "security", "tags", "paths", "components"} {
		free = append(free, "$.body."+name+"**")
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithStrictMode(), config.WithStrictIgnorePaths(free...))
	if len(errs) > 0 {
		return nil, fmt.Errorf("the OpenAPI document: %v", errs)
	}
	return v, nil
})

// apiRoutes names a request's route as the router does.
var apiRoutes = sync.OnceValue(func() *http.ServeMux {
	mux := http.NewServeMux()
	for _, r := range httpapi.Routes() {
		mux.Handle(r.Pattern, http.NotFoundHandler())
	}
	return mux
})

// checked are the apps whose traffic is checked, by host:port.
var checked sync.Map // string -> *mismatches

// mismatches collects what did not match the document, for one app.
type mismatches struct {
	mu  sync.Mutex
	all []string
}

func (m *mismatches) add(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.all) < 20 {
		m.all = append(m.all, s)
	}
}

// checkAPI checks the app's traffic until the test ends, then reports what
// did not match.
func checkAPI(t *testing.T, host string) {
	m := &mismatches{}
	checked.Store(host, m)
	t.Cleanup(func() {
		checked.Delete(host)
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, s := range m.all {
			t.Errorf("OpenAPI document (httpapi/openapi.json) mismatch: %s", s)
		}
	})
}

// checkingTransport is http.DefaultClient's transport in these tests.
type checkingTransport struct{ base http.RoundTripper }

func (c checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	v, ok := checked.Load(req.URL.Host)
	if !ok {
		return c.base.RoundTrip(req)
	}
	m := v.(*mismatches)
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		return resp, nil // the test reads the same error
	}
	if s := checkExchange(req, reqBody, resp, respBody); s != "" {
		m.add(s)
	}
	return resp, nil
}

// checkExchange returns what of a request and its answer does not match
// the document, or "".
func checkExchange(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) string {
	v, err := apiCheck()
	if err != nil {
		return err.Error()
	}
	clone := func() *http.Request {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		r.ContentLength = int64(len(reqBody))
		return r
	}
	_, pattern := apiRoutes().Handler(clone())
	what := fmt.Sprintf("%s %s (route %q) answered %d", req.Method, req.URL.RequestURI(), pattern, resp.StatusCode)
	if pattern == "" {
		// No route: the router's own 404 or 405, which no operation
		// of the document describes; its body is still the error object.
		var e struct {
			Error struct{ Code, Message string }
		}
		if (resp.StatusCode != 404 && resp.StatusCode != 405) || json.Unmarshal(respBody, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			return fmt.Sprintf("%s: a request no route takes must be answered 404 or 405 with the error object: %s", what, respBody)
		}
		return ""
	}
	r := &http.Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(respBody)), Request: clone()}
	var problems []string
	if ok, errs := v.ValidateHttpResponse(clone(), r); !ok {
		problems = append(problems, describeMismatch("answer", errs, respBody)...)
	}
	// An ingest body is a provider's, whatever fields it has: its
	// request is not the document's to check.
	if resp.StatusCode/100 == 2 && !strings.HasPrefix(req.URL.Path, "/ingest/") {
		if ok, errs := v.ValidateHttpRequest(clone()); !ok {
			problems = append(problems, describeMismatch("request", errs, reqBody)...)
		}
	}
	if len(problems) == 0 {
		return ""
	}
	return what + ": " + strings.Join(problems, "; ")
}

// describeMismatch words the validator's errors, with the body they are about.
func describeMismatch(side string, errs []*verrors.ValidationError, body []byte) []string {
	var out []string
	for _, e := range errs {
		s := fmt.Sprintf("%s: %s", side, e.Message)
		if e.Reason != "" && e.Reason != e.Message {
			s += ": " + e.Reason
		}
		for _, f := range e.SchemaValidationErrors {
			at := f.FieldPath
			if at == "" {
				at = "/" + strings.Join(f.InstancePath, "/")
			}
			s += fmt.Sprintf(" [at %s: %s]", at, f.Reason)
		}
		if len(body) > 600 {
			body = append(body[:600:600], "…"...)
		}
		out = append(out, fmt.Sprintf("%s (body %s)", s, bytes.TrimSpace(body)))
	}
	return out
}

// TestOpenAPICheck: the check of the tests' traffic finds a mismatch and
// names the route, passes a matching exchange, and the app serves the
// document without a token.
func TestOpenAPICheck(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	var doc map[string]any
	a.must(t, 200, "GET", "/v1/openapi.json", "", nil, &doc)
	if doc["openapi"] != "3.1.0" {
		t.Fatalf("GET /v1/openapi.json: openapi %v, want 3.1.0", doc["openapi"])
	}

	req, err := http.NewRequest("GET", a.url+"/v1/tenants/acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testAdmin)
	answer := func(status int, body string) string {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}}}
		return checkExchange(req, nil, resp, []byte(body))
	}
	good := `{"id":"acme","name":"Acme","created_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z"}`
	if s := answer(200, good); s != "" {
		t.Errorf("a matching answer: %s", s)
	}
	for _, c := range []struct{ name, body, want string }{
		{"a field of the wrong type", `{"id":1,"name":"Acme","created_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z"}`, "$.id"},
		{"a field the document does not name", strings.Replace(good, `"name"`, `"colour":"red","name"`, 1), "colour"},
		{"a required field missing", `{"id":"acme","created_at":"2026-01-02T15:04:05Z","updated_at":"2026-01-02T15:04:05Z"}`, "name"},
		{"not a time", strings.Replace(good, "2026-01-02T15:04:05Z", "yesterday", 1), "created_at"},
	} {
		s := answer(200, c.body)
		if !strings.Contains(s, `route "GET /v1/tenants/{tenant}"`) || !strings.Contains(s, c.want) {
			t.Errorf("%s: %q, want the route and %q named", c.name, s, c.want)
		}
	}
	if s := answer(418, `{"error":{"code":"teapot","message":"no"}}`); !strings.Contains(s, "418") {
		t.Errorf("an undocumented status: %q", s)
	}
	if s := answer(404, `{"error":{"code":"not_found","message":"not found","details":[]}}`); s != "" {
		t.Errorf("a documented error: %s", s)
	}
}
