package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// errOut is the API's error body.
type errOut struct {
	Error struct {
		Code    string
		Message string
		Details json.RawMessage
	}
}

// TestHeaderValueControlCharacters: a custom header's value with a control
// character other than tab (which no HTTP request may carry, so that every
// attempt of every delivery would fail before it is sent) is refused on
// create and on PATCH, and changes nothing; a tab is a header's text, and
// is sent.
func TestHeaderValueControlCharacters(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	for _, v := range []string{"a\x01b", "a\x7fb", "\x1b[31m", "a\vb"} {
		var out errOut
		a.must(t, 400, "POST", "/v1/tenants/t/endpoints", tok, map[string]any{"url": rc.URL, "headers": map[string]string{"X-A": v}}, &out)
		if out.Error.Code != "invalid" || string(out.Error.Details) == "[]" {
			t.Errorf("%q: error %+v, want invalid naming headers", v, out.Error)
		}
	}
	var list struct{ Data []endpointResp }
	a.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("refused headers created %d endpoints", len(list.Data))
	}
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "headers": map[string]string{"X-A": "a\tb"}})
	a.must(t, 400, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"headers": map[string]string{"X-A": "a\x01b"}}, nil)
	a.must(t, 202, "POST", "/v1/tenants/t/events", tok, map[string]any{"type": "a.b", "payload": map[string]any{}}, nil)
	if got := rc.wait(t, 10*time.Second).header.Get("X-A"); got != "a\tb" {
		t.Fatalf("X-A sent as %q, want the tab kept", got)
	}
}

// TestSourceBasicAuthUsernameColon: a source's basic_auth username may not
// hold a colon (RFC 7617: the first colon of the credentials ends the
// user-id), for a sender could never present it: every request would be
// refused. Create and PATCH refuse it and change nothing; the password may
// hold colons, and a sender presenting it is accepted.
func TestSourceBasicAuthUsernameColon(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	var out errOut
	a.must(t, 400, "POST", "/v1/tenants/t/sources", tok, map[string]any{"name": "link", "profile": "linkmoney",
		"basic_auth": map[string]string{"username": "ops:eu", "password": "pw"}}, &out)
	if out.Error.Code != "invalid" || !strings.Contains(string(out.Error.Details), "basic_auth") {
		t.Errorf("error %+v, want invalid naming basic_auth", out.Error)
	}
	var list struct{ Data []map[string]any }
	a.must(t, 200, "GET", "/v1/tenants/t/sources", tok, nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("a refused source was created: %v", list.Data)
	}
	var src struct {
		ID        string `json:"id"`
		IngestURL string `json:"ingest_url"`
	}
	a.must(t, 201, "POST", "/v1/tenants/t/sources", tok, map[string]any{"name": "link", "profile": "linkmoney",
		"basic_auth": map[string]string{"username": "ops", "password": "p:w"}}, &src)
	a.must(t, 400, "PATCH", "/v1/tenants/t/sources/"+src.ID, tok, map[string]any{"name": "renamed",
		"basic_auth": map[string]string{"username": "ops:eu", "password": "pw"}}, nil)
	ingest := func(user, pass string) int {
		req, _ := http.NewRequest("POST", src.IngestURL, strings.NewReader(`{"id":"9b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d","creationTime":"2026-01-02T15:04:05.123","eventType":"customer.created","metadata":{"resourceId":"c1","resourceType":"customer"}}`))
		req.SetBasicAuth(user, pass)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := ingest("ops", "p:w"); st != 200 {
		t.Fatalf("ingest with the source's credentials: %d, want 200", st)
	}
	var got struct{ Name string }
	a.must(t, 200, "GET", "/v1/tenants/t/sources/"+src.ID, tok, nil, &got)
	if got.Name != "link" {
		t.Fatalf("a refused PATCH renamed the source to %q", got.Name)
	}
}

// TestEndpointPatchEmptyProfile: in a PATCH, as in a create, an empty
// profile is the default one, stored and shown as "standard", not as a
// profile "" outside the documented ones (that signs as standard all the
// same).
func TestEndpointPatchEmptyProfile(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "profile": "linkmoney"})
	path := "/v1/tenants/t/endpoints/" + ep.ID
	var got struct{ Profile string }
	a.must(t, 200, "PATCH", path, tok, `{"profile":""}`, &got)
	if got.Profile != "standard" {
		t.Errorf("PATCH answered profile %q, want standard", got.Profile)
	}
	a.must(t, 200, "GET", path, tok, nil, &got)
	if got.Profile != "standard" {
		t.Errorf("read profile %q, want standard", got.Profile)
	}
	var list struct{ Data []struct{ Profile string } }
	a.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &list)
	if len(list.Data) != 1 || list.Data[0].Profile != "standard" {
		t.Errorf("listed %+v, want one standard endpoint", list.Data)
	}
}

// TestSourcesListOldestFirst: sources list oldest first, as documented,
// also those created in the same millisecond (here all of them: the
// clock stands still), as tokens do; and pages of one walk them in that
// order.
func TestSourcesListOldestFirst(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.clock = fixedClock{time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)} })
	tok := a.tenant(t, "t")
	var made []string
	for i := range 12 {
		var src struct{ ID string }
		a.must(t, 201, "POST", "/v1/tenants/t/sources", tok, map[string]any{"name": fmt.Sprint("s", i), "profile": "linkmoney"}, &src)
		made = append(made, src.ID)
	}
	var list struct{ Data []struct{ ID string } }
	a.must(t, 200, "GET", "/v1/tenants/t/sources", tok, nil, &list)
	var got []string
	for _, s := range list.Data {
		got = append(got, s.ID)
	}
	if !slices.Equal(got, made) {
		t.Fatalf("sources listed in the order\n%v\nwant the order they were made\n%v", got, made)
	}
	got = nil
	for after := ""; ; {
		var page struct {
			Data    []struct{ ID string }
			HasMore bool `json:"has_more"`
			Next    string
		}
		a.must(t, 200, "GET", "/v1/tenants/t/sources?limit=5&after="+after, tok, nil, &page)
		for _, s := range page.Data {
			got = append(got, s.ID)
		}
		if !page.HasMore {
			break
		}
		after = page.Next
	}
	if !slices.Equal(got, made) {
		t.Fatalf("pages walked the sources in the order\n%v\nwant\n%v", got, made)
	}
}

// TestEndpointURLEmptyPort: a URL whose port is empty ("http://host:/x",
// valid, the scheme's port, as a browser reads it) is stored without the
// colon, so that delivery dials the scheme's port: kept as given, the
// transport dialled the host "127.0.0.1:" (a name lookup of it, that
// failed) or "[[::1]:]:80", and every attempt failed. Create and PATCH
// alike; nothing is published, so nothing is dialled here.
func TestEndpointURLEmptyPort(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	cases := map[string]string{
		"http://127.0.0.1:/x":   "http://127.0.0.1/x",
		"https://[::1]:/x?a=1":  "https://[::1]/x?a=1",
		"http://LOCALHOST.:/x":  "http://LOCALHOST./x",
		"http://2130706433:/x":  "http://127.0.0.1/x",
		"http://127.0.0.1:80/x": "http://127.0.0.1:80/x",
	}
	for in, want := range cases {
		ep := a.endpoint(t, "t", tok, map[string]any{"url": in})
		if ep.URL != want {
			t.Errorf("created with %s: stored %s, want %s", in, ep.URL, want)
		}
		var got endpointResp
		a.must(t, 200, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"url": in}, &got)
		if got.URL != want {
			t.Errorf("patched to %s: stored %s, want %s", in, got.URL, want)
		}
	}
}

// TestEndpointURLSpaces: a space in an endpoint URL's path or query is
// stored percent-encoded, as a browser reads it, and the receiver gets
// the request at that URL: kept as given, a space in the query went into
// the request line as it was ("POST /hook?a b HTTP/1.1"), which a server
// refuses (400), so every attempt failed.
func TestEndpointURLSpaces(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	var uri = make(chan string, 10)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		uri <- r.RequestURI
		w.WriteHeader(204)
	})
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL + "/a hook?team=pay ments&x=1"})
	if want := rc.URL + "/a%20hook?team=pay%20ments&x=1"; ep.URL != want {
		t.Errorf("stored %s, want %s", ep.URL, want)
	}
	var res struct{ Deliveries []struct{ ID string } }
	a.must(t, 202, "POST", "/v1/tenants/t/endpoints/"+ep.ID+"/test", tok, nil, &res)
	select {
	case got := <-uri:
		if want := "/a%20hook?team=pay%20ments&x=1"; got != want {
			t.Fatalf("the receiver was asked for %s, want %s", got, want)
		}
	case <-time.After(10 * time.Second):
		var d struct {
			LastStatus int    `json:"last_status"`
			LastError  string `json:"last_error"`
		}
		a.must(t, 200, "GET", "/v1/tenants/t/deliveries/"+res.Deliveries[0].ID, tok, nil, &d)
		t.Fatalf("the receiver got nothing; the delivery: status %d, error %q", d.LastStatus, d.LastError)
	}
}

// TestSourceHeaderKeyValue: a source's header_key value that no request
// can carry as it is (spaces or tabs around it, which a server trims from
// a header's value, or a control character) is refused on create and
// PATCH, for every request would be refused; a value a sender can send is
// accepted, and so is the request that carries it.
func TestSourceHeaderKeyValue(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	for _, v := range []string{" k3y", "k3y ", "k3y\t", "k\x01y", "k\ny"} {
		var out errOut
		a.must(t, 400, "POST", "/v1/tenants/t/sources", tok, map[string]any{"name": "link", "profile": "linkmoney",
			"header_key": map[string]string{"name": "X-Key", "value": v}}, &out)
		if !strings.Contains(string(out.Error.Details), "header_key") {
			t.Errorf("%q: error %+v, want one naming header_key", v, out.Error)
		}
	}
	var src struct {
		ID        string `json:"id"`
		IngestURL string `json:"ingest_url"`
	}
	a.must(t, 201, "POST", "/v1/tenants/t/sources", tok, map[string]any{"name": "link", "profile": "linkmoney",
		"header_key": map[string]string{"name": "X-Key", "value": "k 3y"}}, &src)
	a.must(t, 400, "PATCH", "/v1/tenants/t/sources/"+src.ID, tok, map[string]any{"header_key": map[string]string{"name": "X-Key", "value": "k3y "}}, nil)
	req, _ := http.NewRequest("POST", src.IngestURL, strings.NewReader(`{"id":"9b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d","creationTime":"2026-01-02T15:04:05.123","eventType":"customer.created","metadata":{"resourceId":"c1","resourceType":"customer"}}`))
	req.Header.Set("X-Key", "k 3y")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest with the source's header key: %d, want 200", resp.StatusCode)
	}
}

// TestEndpointURLLengthAsStored: the 2048-byte bound holds for the URL as
// stored, after its spaces are encoded and an address's odd spelling
// dotted: a URL that fits only as given is refused, rather than stored
// longer than the bound, where every later PATCH of the endpoint, of any
// field, was refused for it.
func TestEndpointURLLengthAsStored(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "t")
	for _, prefix := range []string{"http://127.0.0.1/a b", "http://127.1/ab"} {
		u := prefix + strings.Repeat("c", 2048-len(prefix))
		var out errOut
		if st := call(t, "POST", a.url+"/v1/tenants/t/endpoints", tok, map[string]any{"url": u}, &out); st != 400 ||
			!strings.Contains(out.Error.Message, "2048") {
			t.Errorf("%s…: %d %+v, want 400 naming the bound", prefix, st, out.Error)
			var list struct{ Data []endpointResp }
			a.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &list)
			for _, ep := range list.Data {
				if st := call(t, "PATCH", a.url+"/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"description": "x"}, nil); st != 200 {
					t.Errorf("stored %d bytes; a PATCH of its description: %d", len(ep.URL), st)
				}
				a.must(t, 204, "DELETE", "/v1/tenants/t/endpoints/"+ep.ID, tok, nil, nil)
			}
		}
	}
	ep := a.endpoint(t, "t", tok, map[string]any{"url": "http://127.0.0.1/a b" + strings.Repeat("c", 2000)})
	a.must(t, 200, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"description": "x"}, nil)
}
