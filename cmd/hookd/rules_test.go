package main

import (
	"encoding/json"
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
