package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestEndpointAddressForms: an endpoint URL whose host spells a loopback
// address oddly is refused when loopback is not allowed, and, when it is,
// stored and delivered as 127.0.0.1; create and PATCH alike. No request
// reaches the receiver for a refused URL.
func TestEndpointAddressForms(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.URL, "http://"))
	forms := []string{"2130706433", "0x7f.1", "017700000001", "127.1", "0", "LOCALHOST.", "[::127.0.0.1]",
		"[2002:7f00:1::]", "127.0.0.1."}

	deny := startApp(t, func(c *Config) { c.EgressAllow = "" })
	tok := deny.tenant(t, "t")
	for _, h := range forms {
		var out struct {
			Error struct{ Code, Message string }
		}
		deny.must(t, 400, "POST", "/v1/tenants/t/endpoints", tok, map[string]any{"url": "http://" + h + ":" + port + "/hook"}, &out)
		if out.Error.Code != "invalid" || !strings.Contains(out.Error.Message, "url:") || !strings.Contains(out.Error.Message, "not allowed") {
			t.Errorf("%s: error %+v, want invalid url naming the refusal", h, out.Error)
		}
	}
	var list struct{ Data []endpointResp }
	deny.must(t, 200, "GET", "/v1/tenants/t/endpoints", tok, nil, &list)
	if len(list.Data) != 0 {
		t.Fatalf("refused URLs created %d endpoints", len(list.Data))
	}

	allow := startApp(t, nil) // 127.0.0.0/8 and ::1 allowed
	tok = allow.tenant(t, "t")
	ep := allow.endpoint(t, "t", tok, map[string]any{"url": "http://2130706433:" + port + "/hook"})
	if want := "http://127.0.0.1:" + port + "/hook"; ep.URL != want {
		t.Fatalf("stored URL %s, want %s", ep.URL, want)
	}
	for _, h := range []string{"[::127.0.0.1]", "[2002:7f00:1::]", "0"} {
		allow.must(t, 400, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"url": "http://" + h + ":" + port + "/hook"}, nil)
	}
	var got endpointResp
	allow.must(t, 200, "PATCH", "/v1/tenants/t/endpoints/"+ep.ID, tok, map[string]any{"url": "http://0x7f.1:" + port + "/v2"}, &got)
	if want := "http://127.0.0.1:" + port + "/v2"; got.URL != want {
		t.Fatalf("patched URL %s, want %s", got.URL, want)
	}
	if n := rc.count(); n != 0 {
		t.Fatalf("the receiver saw %d requests before any publish", n)
	}
	allow.must(t, 202, "POST", "/v1/tenants/t/events", tok, map[string]any{"type": "a.b", "payload": map[string]any{}}, nil)
	if r := rc.wait(t, 30*time.Second); r.path != "/v2" {
		t.Fatalf("delivered to %s, want /v2", r.path)
	}
}
