package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// goSyntax matches what Go's own error texts leak: type names, layouts and
// method names a client cannot act on.
var goSyntax = regexp.MustCompile(`Go (value|struct)|struct \{|\[\]|map\[|\*?time\.|hookd\.|json\.|UnmarshalJSON|2006-01-02|\bEOF\b|int64|float64|\bunmarshal\b`)

// TestErrorMessagesNameTheField: bad bodies on several routes are refused
// with 400 and a message that names the field and the rule, and none of Go's
// type syntax.
func TestErrorMessagesNameTheField(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL})
	eps := "/v1/tenants/t/endpoints"
	epURL := eps + "/" + ep.ID
	long := "http://127.0.0.1/" + strings.Repeat("a", 2100)
	cases := []struct {
		name, method, path, body string
		want                     []string // the message contains each
	}{
		{"body is an array", "POST", "/v1/tenants", `[1,2]`, []string{"JSON object", "array"}},
		{"name is a number", "POST", "/v1/tenants", `{"name":5}`, []string{"name", "string"}},
		{"missing body", "POST", "/v1/tenants", ``, []string{"body", "empty"}},
		{"missing body on recover", "POST", epURL + "/recover", ``, []string{"body", "empty"}},
		{"truncated", "POST", "/v1/tenants/t/events", `{"type":"a.b","payload":{`, []string{"malformed JSON"}},
		{"syntax error", "POST", "/v1/tenants/t/events", `{"type":"a.b" "payload":{}}`, []string{"malformed JSON", "byte"}},
		{"since a duration", "POST", epURL + "/recover", `{"since":"1h"}`, []string{"since", "RFC 3339"}},
		{"since a number", "POST", epURL + "/recover", `{"since":5}`, []string{"since", "RFC 3339"}},
		{"until an array", "POST", epURL + "/recover", `{"since":"2026-01-01T00:00:00Z","until":[1]}`, []string{"until", "RFC 3339"}},
		{"rate limit a string", "POST", eps, `{"url":"` + rc.URL + `","rate_limit_per_s":"10"}`, []string{"rate_limit_per_s", "whole number"}},
		{"rate limit a fraction", "PATCH", epURL, `{"rate_limit_per_s":1.5}`, []string{"rate_limit_per_s", "whole number"}},
		{"event_types an object", "POST", eps, `{"url":"` + rc.URL + `","event_types":{"a":1}}`, []string{"event_types", "array"}},
		{"headers an array", "PATCH", epURL, `{"headers":["x"]}`, []string{"headers", "object"}},
		{"retry delay not a duration", "POST", eps, `{"url":"` + rc.URL + `","retry_schedule":[5,"soon"]}`, []string{"retry_schedule[1]", "duration"}},
		{"retry delay an object", "PATCH", epURL, `{"retry_schedule":[{}]}`, []string{"retry_schedule[0]", "seconds"}},
		{"retry delay zero", "POST", eps, `{"url":"` + rc.URL + `","retry_schedule":[0,60]}`, []string{"retry_schedule[0]", "1s"}},
		{"retry delay below a second", "PATCH", epURL, `{"retry_schedule":["10ms"]}`, []string{"retry_schedule[0]", "1s"}},
		{"retry delay negative", "PATCH", epURL, `{"retry_schedule":[-5]}`, []string{"retry_schedule[0]", "1s"}},
		{"timeout_ms zero", "POST", eps, `{"url":"` + rc.URL + `","timeout_ms":0}`, []string{"timeout_ms", "100 to 60000", "leave it out"}},
		{"timeout_ms zero in a patch", "PATCH", epURL, `{"timeout_ms":0}`, []string{"timeout_ms", "100 to 60000"}},
		{"url too long", "POST", eps, `{"url":"` + long + `"}`, []string{"url", "2048"}},
		{"invalid header name", "POST", eps, `{"url":"` + rc.URL + `","headers":{"X Bad":"1"}}`, []string{"X Bad", "not a valid HTTP header name"}},
		{"invalid header value", "PATCH", epURL, `{"headers":{"X-Ok":"a\nb"}}`, []string{"X-Ok", "invalid value", "CR, LF"}},
		{"reserved header", "PATCH", epURL, `{"headers":{"webhook-id":"x"}}`, []string{"webhook-id", "reserved"}},
		{"batch events not an array", "POST", "/v1/tenants/t/events/batch", `{"events":{}}`, []string{"events", "array"}},
		{"batch item type a number", "POST", "/v1/tenants/t/events/batch", `{"events":[{"type":1,"payload":{}}]}`, []string{"events[0]", "type", "string"}},
		{"grace_seconds a string", "POST", epURL + "/rotate-secret", `{"grace_seconds":"1d"}`, []string{"grace_seconds", "whole number"}},
		{"event type schema a string", "POST", "/v1/event-types", `{"name":"x.y","description":7}`, []string{"description", "string"}},
		{"unknown field", "PATCH", "/v1/tenants/t", `{"colour":"red"}`, []string{"unknown field", "colour"}},
	}
	for _, c := range cases {
		token := tok
		if strings.HasPrefix(c.path, "/v1/event-types") || c.path == "/v1/tenants" || c.path == "/v1/tenants/t" {
			token = testAdmin
		}
		var out struct {
			Error struct{ Code, Message string }
		}
		var body any
		if c.body != "" {
			body = c.body
		}
		got := call(t, c.method, a.url+c.path, token, body, &out)
		msg := out.Error.Message
		if got != 400 || out.Error.Code != "invalid" {
			t.Errorf("%s: %d %s %q, want 400 invalid", c.name, got, out.Error.Code, msg)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q does not contain %q", c.name, msg, w)
			}
		}
		if m := goSyntax.FindString(msg); m != "" {
			t.Errorf("%s: message %q shows Go internals (%q)", c.name, msg, m)
		}
	}
	// Nothing changed.
	var got struct {
		URL           string
		Headers       map[string]string
		RetrySchedule []float64 `json:"retry_schedule"`
		TimeoutMS     int       `json:"timeout_ms"`
	}
	a.must(t, 200, "GET", epURL, tok, nil, &got)
	if got.URL != rc.URL || len(got.Headers) != 0 || len(got.RetrySchedule) != 0 || got.TimeoutMS != 0 {
		t.Fatalf("bad requests changed the endpoint: %+v", got)
	}
	// The documented forms still pass: a one-second delay, a duration
	// string, an omitted timeout.
	a.must(t, 200, "PATCH", epURL, tok, `{"retry_schedule":[1,"90s","2h"],"timeout_ms":100}`, nil)
	a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "retry_schedule": []any{"1s"}})
}

// TestMethodNotAllowed: a path that exists answers another method with 405,
// an Allow header and the JSON error body; an unknown path stays 404; the
// Bearer scheme is matched without regard to case.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	cases := []struct{ method, path, allow string }{
		{"DELETE", "/v1/tenants", "GET, HEAD, POST"},
		{"PUT", "/v1/tenants/t", "GET, HEAD, PATCH, DELETE"},
		{"GET", "/v1/tenants/t/endpoints/ep_x/rotate-secret", "POST"},
		{"POST", "/v1/tenants/t/deliveries/d1", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
		{"DELETE", "/v1/event-types", "GET, HEAD, POST"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, a.url+c.path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != c.allow || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d Allow %q %s, want 405 Allow %q JSON", c.method, c.path, resp.StatusCode,
				resp.Header.Get("Allow"), resp.Header.Get("Content-Type"), c.allow)
		}
		var out struct {
			Error struct{ Code, Message string }
		}
		if got := call(t, c.method, a.url+c.path, tok, nil, &out); got != 405 || out.Error.Code != "method_not_allowed" ||
			!strings.Contains(out.Error.Message, c.method) {
			t.Errorf("%s %s: %d %+v", c.method, c.path, got, out.Error)
		}
	}
	var out struct{ Error struct{ Code string } }
	if got := call(t, "GET", a.url+"/v1/nothing", tok, nil, &out); got != 404 || out.Error.Code != "not_found" {
		t.Errorf("unknown path: %d %s, want 404", got, out.Error.Code)
	}
	for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
		req, _ := http.NewRequest("GET", a.url+"/v1/tenants/t", nil)
		req.Header.Set("Authorization", scheme+" "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("scheme %q: %d, want 200", scheme, resp.StatusCode)
		}
	}
	req, _ := http.NewRequest("GET", a.url+"/v1/tenants/t", nil)
	req.Header.Set("Authorization", "Basic "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("Basic scheme: %d, want 401", resp.StatusCode)
	}
}

// TestCommittedEndpointChangeAnswered: when the engine cannot reload after
// an endpoint change was committed (here: it has stopped), the change is
// still answered as made, so a client does not retry it and create a
// second endpoint.
func TestCommittedEndpointChangeAnswered(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	if err := a.engine.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL}) // 201
	a.must(t, 200, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"description": "changed"}, nil)
	a.must(t, 200, "POST", "/v1/tenants/t/endpoints/"+ep.ID+"/rotate-secret", tok, map[string]any{}, nil)
	var list struct {
		Data []struct{ ID, Description string }
	}
	a.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &list)
	if len(list.Data) != 1 || list.Data[0].ID != ep.ID || list.Data[0].Description != "changed" {
		t.Fatalf("endpoints after the changes: %+v", list.Data)
	}
	a.must(t, 204, "DELETE", "/v1/tenants/t/endpoints/"+ep.ID, tok, nil, nil)
	a.must(t, 404, "GET", "/v1/tenants/t/endpoints/"+ep.ID, tok, nil, nil)
}

// TestStorageErrorStatus: a storage fault that does not clear by itself
// (here: the database opened with another data key) is answered 500, not
// 503 "storage unavailable", which would invite retries that can never
// succeed. (TestStorageFull shows a full disk answered 503.)
func TestStorageErrorStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "hookd.db")
	right, err := seal.LoadOrCreate(path + ".key")
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, path, right)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateEndpoint(ctx, &hookd.Endpoint{ID: "ep", TenantID: "t", URL: "http://127.0.0.1/x", Profile: "standard",
		EventTypes: []string{"*"}, Ordering: "none", Secrets: []hookd.Secret{{Value: "whsec_x"}}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	wrong, err := seal.LoadOrCreate(filepath.Join(dir, "wrong.key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(ctx, path, wrong)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	api := &httpapi.Server{Store: st, AdminTokenHash: httpapi.HashToken(testAdmin), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv := httptest.NewServer(api.Handler())
	defer srv.Close()
	var out struct {
		Error struct{ Code, Message string }
	}
	got := call(t, "GET", srv.URL+"/v1/tenants/t/endpoints/ep", testAdmin, nil, &out)
	if got != 500 || out.Error.Code != "internal" || strings.Contains(out.Error.Message, "key") {
		t.Fatalf("endpoint read with a wrong data key: %d %+v, want 500 internal (the cause logged, not shown)", got, out.Error)
	}
	// What does not touch the secrets still works.
	if got := call(t, "GET", srv.URL+"/v1/tenants/t", testAdmin, nil, nil); got != 200 {
		t.Fatalf("tenant read: %d", got)
	}
}
