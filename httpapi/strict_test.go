package httpapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// refusal decodes body as the route reading into v does (the publish
// routes with their fast path) and returns its error's message and the
// path of its one detail.
func refusal(t *testing.T, body string, v any) (msg, path string) {
	t.Helper()
	var err error
	switch in := v.(type) {
	case *publishIn:
		err = decodeFast(bodyRequest([]byte(body)), in, func(b []byte) bool { return fastPublish(b, in) })
	case *batchIn:
		err = decodeFast(bodyRequest([]byte(body)), in, func(b []byte) bool { return fastBatch(b, in) })
	default:
		err = decode(bodyRequest([]byte(body)), v)
	}
	var he *hookd.Error
	if !errors.As(err, &he) || he.Code != hookd.EINVALID {
		t.Fatalf("%q into %T: %v, want an EINVALID error", body, v, err)
	}
	if len(he.Details) != 1 || he.Details[0].Message == "" || he.Details[0].Rule == "" {
		t.Fatalf("%q into %T: %q with details %+v, want one", body, v, he.Message, he.Details)
	}
	return he.Message, he.Details[0].Path
}

// TestBodyNotUTF8: a request body with bytes that are not UTF-8 (in a
// payload, another field's string, a key) is refused as malformed JSON
// naming the byte and the path, on the publish routes' fast path and
// elsewhere; the same bytes escaped as \u sequences are JSON's own.
func TestBodyNotUTF8(t *testing.T) {
	for _, c := range []struct {
		body string
		v    any
		path string
		msg  string
	}{
		{`{"type":"customer.created","payload":{"name":"Ann` + "\xff" + `"}}`, &publishIn{}, "$.payload.name", "at byte 50: invalid UTF-8 in a string at $.payload.name"},
		{`{"type":"a.b","payload":{"list":[1,"` + "\xe2\x82" + `"]}}`, &publishIn{}, "$.payload.list[1]", "in a string at $.payload.list[1]"},
		{`{"type":"a.b","payload":{"k` + "\xc3" + `":1}}`, &publishIn{}, "$.payload", "in a key of the object at $.payload"},
		{`{"type":"a.b` + "\xff" + `","payload":{}}`, &publishIn{}, "$.type", "in a string at $.type"},
		{`{"type":"a.b","ordering_key":"k` + "\xff" + `","payload":{"a":"\u00e9"}}`, &publishIn{}, "$.ordering_key", "$.ordering_key"},
		{`{"events":[{"type":"a.b","payload":{}},{"type":"a.b","payload":{"n":"` + "\xff" + `"}}]}`, &batchIn{}, "$.events[1].payload.n", "$.events[1].payload.n"},
		{`{"url":"http://127.0.0.1/","description":"caf` + "\xe9" + `"}`, &hookd.EndpointUpdate{}, "$.description", "$.description"},
		{`{"name":"n","metadata":{"x":"` + "\xff" + `"}}`, &hookd.Tenant{}, "$.metadata.x", "$.metadata.x"},
	} {
		msg, path := refusal(t, c.body, c.v)
		if path != c.path || !strings.HasPrefix(msg, "malformed JSON body at byte ") || !strings.Contains(msg, c.msg) {
			t.Errorf("%q: %q at %s, want %s naming %q", c.body, msg, path, c.path, c.msg)
		}
	}
	var in publishIn
	if err := decodeFast(bodyRequest([]byte(`{"type":"a.b","payload":{"name":"Ann\u00ff\udfff"}}`)), &in,
		func(b []byte) bool { return fastPublish(b, &in) }); err != nil || string(in.Payload) != `{"name":"Ann\u00ff\udfff"}` {
		t.Fatalf("escaped code points: %+v, %v", in, err)
	}
}
