package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBadInput: each invalid request gets a clear 4xx with an error body and
// changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.MaxBody = 4 << 10 })
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	big := `{"type":"a.b","payload":{"x":"` + strings.Repeat("x", 5<<10) + `"}}`

	cases := []struct {
		name, method, path, token string
		body                      any
		want                      int
		code                      string
	}{
		{"malformed JSON", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","payload":`, 400, "invalid"},
		{"trailing data", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","payload":{}} {}`, 400, "invalid"},
		{"unknown field", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","payload":{},"colour":1}`, 400, "invalid"},
		{"payload not an object", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","payload":[1]}`, 400, "invalid"},
		{"payload not UTF-8", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","payload":{"name":"Ann` + "\xff" + `"}}`, 400, "invalid"},
		{"batch payload not UTF-8", "POST", "/v1/tenants/t/events/batch", tok, `{"events":[{"type":"a.b","payload":{"name":"` + "\xff" + `"}}]}`, 400, "invalid"},
		{"type given twice", "POST", "/v1/tenants/t/events", tok, `{"type":"customer.created","type":"a.b","payload":{}}`, 400, "invalid"},
		{"batch event's key given twice", "POST", "/v1/tenants/t/events/batch", tok, `{"events":[{"type":"a.b","payload":{},"type":"c.d"}]}`, 400, "invalid"},
		{"endpoint url given twice", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `/a","url":"` + rc.URL + `/b"}`, 400, "invalid"},
		{"missing type", "POST", "/v1/tenants/t/events", tok, `{"payload":{}}`, 400, "invalid"},
		{"bad event id", "POST", "/v1/tenants/t/events", tok, `{"type":"a.b","id":"has space","payload":{}}`, 400, "invalid"},
		{"operational type published", "POST", "/v1/tenants/t/events", tok, `{"type":"hookd.endpoint.disabled","payload":{}}`, 400, "invalid"},
		{"operational type registered", "POST", "/v1/event-types", testAdmin, `{"name":"hookd.mine","schema":{"type":"object"}}`, 400, "invalid"},
		// GET /v1/event-types/{type} could not show them: the path is cleaned.
		{"type named .", "POST", "/v1/event-types", testAdmin, `{"name":"."}`, 400, "invalid"},
		{"type named ..", "POST", "/v1/event-types", testAdmin, `{"name":".."}`, 400, "invalid"},
		{"oversize body", "POST", "/v1/tenants/t/events", tok, big, 413, "payload_too_large"},
		{"no token", "POST", "/v1/tenants/t/events", "", `{"type":"a.b","payload":{}}`, 401, "unauthorized"},
		{"wrong token", "POST", "/v1/tenants/t/events", "hkt_nope", `{"type":"a.b","payload":{}}`, 401, "unauthorized"},
		{"tenant token on admin route", "POST", "/v1/tenants", tok, `{"name":"x"}`, 403, "forbidden"},
		{"tenant token lists tenants", "GET", "/v1/tenants", tok, nil, 403, "forbidden"},
		{"another tenant's path", "POST", "/v1/tenants/other/events", tok, `{"type":"a.b","payload":{}}`, 404, "not_found"},
		{"unknown tenant (admin)", "POST", "/v1/tenants/nobody/events", testAdmin, `{"type":"a.b","payload":{}}`, 404, "not_found"},
		{"non-http URL", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"ftp://127.0.0.1/x"}`, 400, "invalid"},
		{"private target", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"http://10.1.2.3/hook"}`, 400, "invalid"},
		{"metadata address", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"http://169.254.169.254/latest"}`, 400, "invalid"},
		{"v4-mapped loopback outside allow", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"http://[::ffff:192.168.0.1]/"}`, 400, "invalid"},
		{"unknown profile", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `","profile":"nope"}`, 400, "invalid"},
		{"bad secret", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `","secret":"short"}`, 400, "invalid"},
		{"reserved header", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `","headers":{"webhook-signature":"x"}}`, 400, "invalid"},
		{"bad ordering", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `","ordering":"fifo"}`, 400, "invalid"},
		{"bad timeout", "POST", "/v1/tenants/t/endpoints", tok, `{"url":"` + rc.URL + `","timeout_ms":5}`, 400, "invalid"},
		{"bad limit", "GET", "/v1/tenants/t/events?limit=0", tok, nil, 400, "invalid"},
		{"bad state filter", "GET", "/v1/tenants/t/deliveries?state=lost", tok, nil, 400, "invalid"},
		{"patch with bad URL", "PATCH", "/v1/tenants/t/endpoints/" + ep.ID, tok, `{"url":"gopher://x"}`, 400, "invalid"},
		{"unknown endpoint", "GET", "/v1/tenants/t/endpoints/ep_nope", tok, nil, 404, "not_found"},
		{"recover without since", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/recover", tok, `{}`, 400, "invalid"},
		{"batch too large", "POST", "/v1/tenants/t/events/batch", tok, `{"events":[]}`, 400, "invalid"},
		{"unknown route", "GET", "/v1/nothing", tok, nil, 404, "not_found"},
		// Routes that take no body refuse one that is not {}.
		{"enable with a malformed body", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/enable", tok, `[[[`, 400, "invalid"},
		{"enable with a field", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/enable", tok, `{"force":true}`, 400, "invalid"},
		{"retry with a malformed body", "POST", "/v1/tenants/t/deliveries/dl_nope/retry", tok, "\xff", 400, "invalid"},
		{"enable with null is enable without a body", "POST", "/v1/tenants/t/endpoints/nope/enable", tok, "null", 404, "not_found"},
	}
	a.must(t, 200, "POST", "/v1/tenants/t/endpoints/"+ep.ID+"/disable", tok, nil, nil)
	for _, c := range cases {
		var out struct {
			Error struct{ Code, Message string }
		}
		got := call(t, c.method, a.url+c.path, c.token, c.body, &out)
		if got != c.want || out.Error.Code != c.code || out.Error.Message == "" {
			t.Errorf("%s: %d %+v, want %d %s", c.name, got, out.Error, c.want, c.code)
		}
	}
	// A 401 names the scheme it wants (RFC 6750).
	if res, err := http.Get(a.url + "/v1/tenants/t/events"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != 401 || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("no token: %d, WWW-Authenticate %q", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	}
	// Nothing changed: one endpoint (unchanged), no events, no tenant added.
	var eps struct{ Data []endpointResp }
	a.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &eps)
	if len(eps.Data) != 1 || eps.Data[0].URL != rc.URL || !eps.Data[0].Disabled {
		t.Fatalf("endpoints changed: %+v", eps.Data)
	}
	var evs struct{ Data []json.RawMessage }
	a.must(t, 200, "GET", "/v1/tenants/t/events", tok, nil, &evs)
	if len(evs.Data) != 0 {
		t.Fatalf("%d events stored by bad requests", len(evs.Data))
	}
	var ts struct{ Data []json.RawMessage }
	a.must(t, 200, "GET", "/v1/tenants", testAdmin, nil, &ts)
	if len(ts.Data) != 1 {
		t.Fatalf("%d tenants", len(ts.Data))
	}
	if rc.count() != 0 {
		t.Fatalf("bad requests caused %d webhooks", rc.count())
	}
}

// TestEndpointErrorDetails: an endpoint's refused url, profile or
// event_types entry, and any other refused field or query parameter,
// answers an error whose details name it (its JSON name, with a list
// entry's index), not an empty list.
func TestEndpointErrorDetails(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.AllowUnknownTypes = false })
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	a.must(t, 201, "POST", "/v1/event-types", testAdmin, map[string]any{"name": "order.placed", "schema": map[string]any{"type": "object"}}, nil)
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		detail                   string
	}{
		{"no url", "POST", "/v1/tenants/t/endpoints", `{"event_types":["*"]}`, 400, "url"},
		{"non-http url", "POST", "/v1/tenants/t/endpoints", `{"url":"ftp://127.0.0.1/x"}`, 400, "url"},
		{"private target", "POST", "/v1/tenants/t/endpoints", `{"url":"http://10.1.2.3/hook"}`, 400, "url"},
		{"patch with bad url", "PATCH", "/v1/tenants/t/endpoints/" + ep.ID, `{"url":"gopher://x"}`, 400, "url"},
		{"unknown profile", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","profile":"nope"}`, 400, "profile"},
		{"unknown type", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","event_types":["payment.*","order.nope"]}`, 422, "event_types[1]"},
		{"bad pattern", "PATCH", "/v1/tenants/t/endpoints/" + ep.ID, `{"event_types":["pay*"]}`, 422, "event_types[0]"},
		// The body's own refusals name the field too.
		{"unknown field", "POST", "/v1/tenants/t/events", `{"type":"a.b","payload":{},"colour":1}`, 400, "colour"},
		{"wrong JSON type", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","rate_limit_per_s":"fast"}`, 400, "rate_limit_per_s"},
		{"bad time", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/recover", `{"since":"yesterday"}`, 400, "since"},
		// And every other refusal of a field or a query parameter.
		{"since after until", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/recover", `{"since":"2030-01-01T00:00:00Z","until":"2029-01-01T00:00:00Z"}`, 400, "since"},
		{"grace too long", "POST", "/v1/tenants/t/endpoints/" + ep.ID + "/rotate-secret", `{"grace_seconds":99999999}`, 400, "grace_seconds"},
		{"list limit", "GET", "/v1/tenants/t/events?limit=0", "", 400, "limit"},
		{"delivery state", "GET", "/v1/tenants/t/deliveries?state=lost", "", 400, "state"},
		{"events' delivery", "GET", "/v1/tenants/t/events?delivery=lost", "", 400, "delivery"},
		{"deliveries' cursor", "GET", "/v1/tenants/t/deliveries?after=zzz", "", 400, "after"},
		{"feed limit", "GET", "/v1/tenants/t/endpoints/" + ep.ID + "/feed?limit=5000", "", 400, "limit"},
		{"token life", "POST", "/v1/tenants/t/tokens", `{"expires_in":99999999}`, 400, "expires_in"},
		{"missing type", "POST", "/v1/tenants/t/events", `{"payload":{}}`, 400, "type"},
		{"unknown published type", "POST", "/v1/tenants/t/events", `{"type":"order.nope","payload":{}}`, 422, "type"},
		{"long ordering key", "POST", "/v1/tenants/t/events", `{"type":"order.placed","ordering_key":"` + strings.Repeat("k", 257) + `","payload":{}}`, 400, "ordering_key"},
		{"bad event id", "POST", "/v1/tenants/t/events", `{"type":"order.placed","id":"has space","payload":{}}`, 400, "id"},
		{"empty batch", "POST", "/v1/tenants/t/events/batch", `{"events":[]}`, 400, "events"},
		{"source without name", "POST", "/v1/tenants/t/sources", `{"profile":"lean","secrets":["abcdefgh12"]}`, 400, "name"},
		{"tenant id", "POST", "/v1/tenants", `{"id":"has space","name":"x"}`, 400, "id"},
		// Custom headers: a reserved one spelt with "_", which CGI-style
		// receivers read as "-"; a connection's own; one given twice.
		{"reserved header with _", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","headers":{"Webhook_Signature":"x"}}`, 400, "headers"},
		{"profile header with _", "PATCH", "/v1/tenants/t/endpoints/" + ep.ID, `{"headers":{"lean_signature":"x"}}`, 400, "headers"},
		{"content type with _", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","headers":{"Content_Type":"text/plain"}}`, 400, "headers"},
		{"hop-by-hop header", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","headers":{"TE":"trailers"}}`, 400, "headers"},
		{"expect header", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","headers":{"Expect":"100-continue"}}`, 400, "headers"},
		{"header given twice", "POST", "/v1/tenants/t/endpoints", `{"url":"` + rc.URL + `","headers":{"X-Dup":"1","x-dup":"2"}}`, 400, "headers"},
	} {
		var out struct {
			Error struct {
				Code, Message string
				Details       []struct{ Path, Rule, Message string }
			}
		}
		token := tok
		if c.path == "/v1/tenants" || strings.HasSuffix(c.path, "/tokens") {
			token = testAdmin
		}
		got := call(t, c.method, a.url+c.path, token, c.body, &out)
		if got != c.status || len(out.Error.Details) != 1 || out.Error.Details[0].Path != c.detail || out.Error.Details[0].Message == "" {
			t.Errorf("%s: %d %+v, want %d with one detail naming %s", c.name, got, out.Error, c.status, c.detail)
		}
	}
}

// TestTenantIsolation: every tenant route with another tenant's token and
// ids answers 404 and reads or changes nothing.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tokA := a.tenant(t, "alpha")
	tokB := a.tenant(t, "beta")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "alpha", tokA, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	var pub struct {
		ID         string
		Deliveries []struct{ ID string }
	}
	a.must(t, 202, "POST", "/v1/tenants/alpha/events", tokA, map[string]any{"type": "a.b", "payload": map[string]any{}}, &pub)
	rc.wait(t, 5*time.Second)
	d := pub.Deliveries[0].ID

	routes := []struct{ method, path, body string }{
		{"GET", "/v1/tenants/alpha", ""},
		{"GET", "/v1/tenants/alpha/endpoints", ""},
		{"POST", "/v1/tenants/alpha/endpoints", `{"url":"` + rc.URL + `"}`},
		{"GET", "/v1/tenants/alpha/endpoints/" + ep.ID, ""},
		{"PATCH", "/v1/tenants/alpha/endpoints/" + ep.ID, `{"description":"x"}`},
		{"DELETE", "/v1/tenants/alpha/endpoints/" + ep.ID, ""},
		{"POST", "/v1/tenants/alpha/endpoints/" + ep.ID + "/rotate-secret", `{}`},
		{"POST", "/v1/tenants/alpha/endpoints/" + ep.ID + "/enable", ""},
		{"POST", "/v1/tenants/alpha/endpoints/" + ep.ID + "/recover", `{"since":"2020-01-01T00:00:00Z"}`},
		{"POST", "/v1/tenants/alpha/endpoints/" + ep.ID + "/test", `{}`},
		{"POST", "/v1/tenants/alpha/events", `{"type":"a.b","payload":{}}`},
		{"POST", "/v1/tenants/alpha/events/batch", `{"events":[{"type":"a.b","payload":{}}]}`},
		{"GET", "/v1/tenants/alpha/events", ""},
		{"GET", "/v1/tenants/alpha/events/" + pub.ID, ""},
		{"GET", "/v1/tenants/alpha/deliveries", ""},
		{"GET", "/v1/tenants/alpha/deliveries/" + d, ""},
		{"POST", "/v1/tenants/alpha/deliveries/" + d + "/retry", ""},
		// beta's own paths with alpha's ids.
		{"GET", "/v1/tenants/beta/endpoints/" + ep.ID, ""},
		{"PATCH", "/v1/tenants/beta/endpoints/" + ep.ID, `{"description":"x"}`},
		{"DELETE", "/v1/tenants/beta/endpoints/" + ep.ID, ""},
		{"POST", "/v1/tenants/beta/endpoints/" + ep.ID + "/rotate-secret", `{}`},
		{"POST", "/v1/tenants/beta/endpoints/" + ep.ID + "/enable", ""},
		{"POST", "/v1/tenants/beta/endpoints/" + ep.ID + "/recover", `{"since":"2020-01-01T00:00:00Z"}`},
		{"POST", "/v1/tenants/beta/endpoints/" + ep.ID + "/test", `{}`},
		{"GET", "/v1/tenants/beta/events/" + pub.ID, ""},
		{"GET", "/v1/tenants/beta/deliveries/" + d, ""},
		{"POST", "/v1/tenants/beta/deliveries/" + d + "/retry", ""},
	}
	for _, r := range routes {
		var body any
		if r.body != "" {
			body = r.body
		}
		var out struct{ Error struct{ Code string } }
		if got := call(t, r.method, a.url+r.path, tokB, body, &out); got != 404 || out.Error.Code != "not_found" {
			t.Errorf("%s %s with beta's token: %d %s, want 404", r.method, r.path, got, out.Error.Code)
		}
	}
	for _, r := range []struct{ method, path string }{
		{"PATCH", "/v1/tenants/alpha"}, {"DELETE", "/v1/tenants/alpha"}, {"POST", "/v1/tenants/alpha/tokens"},
		{"POST", "/v1/event-types"},
	} {
		if got := call(t, r.method, a.url+r.path, tokB, `{}`, nil); got != 403 {
			t.Errorf("admin route %s %s with a tenant token: %d, want 403", r.method, r.path, got)
		}
	}
	// Nothing of alpha changed.
	var got endpointResp
	a.must(t, 200, "GET", "/v1/tenants/alpha/endpoints/"+ep.ID, tokA, nil, &got)
	if got.Disabled || got.URL != rc.URL {
		t.Fatalf("alpha's endpoint changed: %+v", got)
	}
	var evs struct{ Data []json.RawMessage }
	a.must(t, 200, "GET", "/v1/tenants/alpha/events", tokA, nil, &evs)
	if len(evs.Data) != 1 {
		t.Fatalf("alpha has %d events", len(evs.Data))
	}
	var eps struct{ Data []json.RawMessage }
	a.must(t, 200, "GET", "/v1/tenants/beta/endpoints", tokB, nil, &eps)
	if len(eps.Data) != 0 {
		t.Fatal("beta got an endpoint")
	}
	if rc.count() != 1 {
		t.Fatalf("alpha's endpoint got %d requests, want 1", rc.count())
	}
}
