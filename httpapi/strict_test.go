package httpapi

import (
	"bytes"
	"encoding/json"
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

// TestBodyKeyOnce: a key given twice in an object of a request (the
// publish body, a batch and its events, an endpoint and its headers),
// also in another case or escaped, is refused naming the key; inside a
// value kept as JSON (an event's payload, a type's schema, a tenant's
// metadata) it is the caller's, kept byte for byte.
func TestBodyKeyOnce(t *testing.T) {
	type eventType struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
	}
	for _, c := range []struct {
		body string
		v    any
		path string
		key  string
	}{
		{`{"type":"customer.created","type":"nope","payload":{}}`, &publishIn{}, "$.type", `"type"`},
		{`{"type":"customer.created","payload":{},"Type":"nope"}`, &publishIn{}, "$.Type", `"type" and "Type"`},
		{`{"ty\u0070e":"customer.created","type":"nope","payload":{}}`, &publishIn{}, "$.type", `"type"`},
		{`{"type":"a.b","payload":{"x":1},"payload":{"y":2}}`, &publishIn{}, "$.payload", `"payload"`},
		{`{"type":"a.b","id":"e1","payload":{},"id":"e2"}`, &publishIn{}, "$.id", `"id"`},
		{`{"events":[{"type":"a.b","payload":{}}],"events":[]}`, &batchIn{}, "$.events", `"events"`},
		{`{"events":[{"type":"a.b","payload":{}},{"type":"a.b","idempotency_key":"1","payload":{},"idempotency_key":"2"}]}`, &batchIn{}, "$.events[1].idempotency_key", `"idempotency_key"`},
		{`{"url":"http://127.0.0.1/a","url":"http://127.0.0.1/b"}`, &hookd.EndpointUpdate{}, "$.url", `"url"`},
		{`{"url":"http://127.0.0.1/a","headers":{"X-A":"1","X-A":"2"}}`, &hookd.EndpointUpdate{}, `$.headers["X-A"]`, `"X-A"`},
		{`{"name":"n","name":"m"}`, &hookd.Tenant{}, "$.name", `"name"`},
	} {
		msg, path := refusal(t, c.body, c.v)
		if path != c.path || !strings.Contains(msg, "gives the key ") || !strings.Contains(msg, c.key) {
			t.Errorf("%q: %q at %s, want %s naming the key %s", c.body, msg, path, c.path, c.key)
		}
	}
	// The caller's JSON, kept as given.
	var in publishIn
	body := `{"type":"a.b","payload":{"x":1,"x":2,"X":{"y":[{"z":1,"z":2}]}}}`
	if err := decodeFast(bodyRequest([]byte(body)), &in, func(b []byte) bool { return fastPublish(b, &in) }); err != nil ||
		string(in.Payload) != `{"x":1,"x":2,"X":{"y":[{"z":1,"z":2}]}}` {
		t.Fatalf("a payload's own repeated keys: %s, %v", in.Payload, err)
	}
	var et eventType
	if err := decode(bodyRequest([]byte(`{"name":"a.b","schema":{"type":"object","type":"object"}}`)), &et); err != nil {
		t.Fatalf("a schema's own repeated keys: %v", err)
	}
	var ten hookd.Tenant
	if err := decode(bodyRequest([]byte(`{"name":"n","metadata":{"plan":"a","plan":"b"}}`)), &ten); err != nil {
		t.Fatalf("metadata's own repeated keys: %v", err)
	}
	// Headers that differ in case are two keys of the JSON object (the
	// endpoint's rules judge them).
	var u hookd.EndpointUpdate
	if err := decode(bodyRequest([]byte(`{"headers":{"X-A":"1","x-a":"2"}}`)), &u); err != nil {
		t.Fatalf("headers in two cases: %v", err)
	}
}

// FuzzKeyOnce holds checkJSON's repeated keys, on the publish bodies, to a
// reading by encoding/json's own tokens: a body that decodes is refused
// for a repeated key exactly when a key names a field its object named
// already (whatever the case, escapes decoded), at the top or in a batch's
// event, never inside a payload.
func FuzzKeyOnce(f *testing.F) {
	for _, b := range publishBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(`{"events":[{"type":"a.b","TYPE":"c","payload":{"a":1,"a":2}}]}`))
	f.Add([]byte(`{"type":"a.b","payload":{"x":{"x":1,"x":2}},"Payload":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&publishIn{}, &batchIn{}} {
			err := decode(bodyRequest(body), v)
			var he *hookd.Error
			refused := errors.As(err, &he) && len(he.Details) == 1 && he.Details[0].Rule == "duplicate_key"
			if err != nil && !refused {
				continue // refused for another reason, checked before keys
			}
			_, batch := v.(*batchIn)
			dec := json.NewDecoder(bytes.NewReader(body))
			if want := repeatsKey(t, dec, batch); refused != want {
				t.Fatalf("%q into %T: %v; encoding/json's tokens find a repeated key: %v", body, v, err, want)
			}
		}
	})
}

// repeatsKey reads the object dec is at, a batch or an event, and reports
// whether one of its fields is named twice.
func repeatsKey(t *testing.T, dec *json.Decoder, batch bool) bool {
	fields := []string{"type", "payload", "id", "ordering_key", "idempotency_key"}
	if batch {
		fields = []string{"events"}
	}
	if tok, err := dec.Token(); err != nil || tok == nil {
		return false // null
	} else if tok != json.Delim('{') {
		t.Fatalf("not an object: %v %v", tok, err)
	}
	seen := map[string]bool{}
	repeated := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		key := tok.(string)
		field := ""
		for _, f := range fields {
			if strings.EqualFold(f, key) {
				field = f
			}
		}
		repeated = repeated || seen[field]
		seen[field] = true
		if field == "events" {
			if tok, err := dec.Token(); err != nil || tok == nil {
				continue // null
			} else if tok != json.Delim('[') {
				t.Fatalf("events: %v %v", tok, err)
			}
			for dec.More() {
				repeated = repeatsKey(t, dec, false) || repeated
			}
			dec.Token() // ]
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	dec.Token() // }
	return repeated
}
