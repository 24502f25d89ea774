package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hookd/hookd/internal/jsonscan"
)

// publishBodies are bodies of both publish routes: the common shapes the
// fast path takes, every malformed or unusual body the API's tests send,
// and the corners of encoding/json's behaviour the fast path leaves to it.
var publishBodies = []string{
	`{"type":"payment.created","payload":{"id":"p1","amount":10.17}}`,
	`{"type":"a.b","id":"evt-1","ordering_key":"k","payload":{ "x" : [1,2,{"y":null}] }}`,
	"\t\r\n {\"type\" : \"a.b\" ,\n\"payload\":{\"a\":[true,false,null,-0.5e+3,0,1E9,\"\\u00e9\\n\\\"\"]}}  \n",
	`{"payload":{"id":"pay_123","amount":1017,"currency":"AED","note":"xxxx"},"type":"bench.event","id":"ev-1"}`,
	`{"type":"a.b","payload":{"é":"ü","s":"\u2028<>&"}}`,
	`{"type":"a.é","payload":{}}`,
	`{"type":"a.b","payload":{"bad utf8":"` + "\xff\xfe" + `"}}`,
	`{"type":"a` + "\xff" + `b","payload":{}}`,
	`{}`,
	` `,
	``,
	`{"type":"a.b","payload":[]}`,
	`{"type":"a.b","payload":[1]}`,
	`{"type":"a.b","payload":null}`,
	`{"type":"a.b","payload":"x"}`,
	`{"type":"","payload":{}}`,
	`{"type":null,"payload":{}}`,
	`{"type":1,"payload":{}}`,
	`{"type":"a.b","payload":{}} trailing`,
	`{"type":"a.b","payload":{}} {}`,
	`{"type":"a.b","payload":{}}}`,
	`{"type":"a.b","payload":{}}]`,
	`{"type":"a.b","payload":{},"unknown":1}`,
	`{"type":"a.b","payload":{},"colour":1}`,
	`{"TYPE":"a.b","Payload":{}}`,
	`{"type":"a.b","type":"c.d","payload":{}}`,
	`{"type":1,"type":"c.d","payload":{}}`,
	`{"type":"a.b","payload":{"x":1},"payload":{"y":2}}`,
	`{"type":"a\u0000b","payload":{}}`,
	`{"type":"a\"b","payload":{}}`,
	`{"ty\u0070e":"a.b","payload":{}}`,
	"{\"type\":\"a\tb\",\"payload\":{}}",
	`{"type":"a.b","id":"../../etc","payload":{}}`,
	`{"type":"a.b","id":"has space","payload":{}}`,
	`{"type":"a.b","idempotency_key":"k","payload":{}}`,
	`{"type":"a.b","payload":`,
	`{"type":"a.b","payload":{`,
	`{"type":"a.b" "payload":{}}`,
	`{"type":"a.b",}`,
	`{"type":"a.b","payload":{"a":01}}`,
	`{"type":"a.b","payload":{"a":1.}}`,
	`{"type":"a.b","payload":{"a":.5}}`,
	`{"type":"a.b","payload":{"a":-}}`,
	`{"type":"a.b","payload":{"a":1e}}`,
	`{"type":"a.b","payload":{"a":"\x"}}`,
	`{"type":"a.b","payload":{"a":"\u12"}}`,
	`{"type":"a.b","payload":{"a":tru}}`,
	`{"type":"a.b","payload":{"a":[1,]}}`,
	`{"type":"a.b","payload":{"a" 1}}`,
	`{"type":"hookd.endpoint.disabled","payload":{}}`,
	`{`,
	`[1,2]`,
	`"x"`,
	`null`,
	`{"events":[]}`,
	`{"events":{}}`,
	`{"events":null}`,
	`{"events":[{"type":1,"payload":{}}]}`,
	`{"events":[{"type":"a.b","payload":{"x":1}},{"type":"c.d","id":"e2","ordering_key":"k","idempotency_key":"i","payload":{}}]}`,
	`{"events":[{}]}`,
	`{"events":[{"type":"a.b","payload":{}},]}`,
	`{"events":[{"type":"a.b","payload":{}}],"events":[{"type":"c.d"}]}`,
	`{"events":[{"type":"a.b","id":"x","payload":{}}],"events":[{"type":"c.d","payload":{}}]}`,
	`{"events":[{"type":"a.b","payload":{}}],"more":1}`,
	`{"events":[{"type":"a.b","payload":{},"colour":1}]}`,
	`{"events":[{"type":"a.b","payload":{}}]} x`,
	`{"Events":[{"type":"a.b","payload":{}}]}`,
	`{"events":[1]}`,
	`{"events":[{"type":"a.b","payload":{}}`,
	` {"events" : [ {"type":"a.b","payload":{}} , {"payload":{"n":[[[]]]},"type":"x.y"} ] } `,
}

// TestPublishFastPath: on every body, the publish routes' decoding (the
// fast path, and decodeBody where it gives up) returns what decodeBody
// alone returns: the same values, or the same error message.
func TestPublishFastPath(t *testing.T) {
	for _, body := range publishBodies {
		checkFastPath(t, []byte(body))
	}
	// The shapes the publishers send take the fast path.
	for _, body := range []string{publishBodies[0], publishBodies[1], publishBodies[2], publishBodies[3], publishBodies[4]} {
		var in publishIn
		if !fastPublish([]byte(body), &in) {
			t.Errorf("fastPublish gave up on %s", body)
		}
	}
	var in batchIn
	if !fastBatch([]byte(publishBodies[len(publishBodies)-1]), &in) || len(in.Events) != 2 {
		t.Errorf("fastBatch gave up on a batch of two: %+v", in)
	}
}

// checkFastPath compares the fast path with decodeBody on body, for both
// publish routes.
func checkFastPath(t *testing.T, body []byte) {
	t.Helper()
	var fast, slow publishIn
	errFast := decodeFast(bodyRequest(body), &fast, func(b []byte) bool { return fastPublish(b, &fast) })
	errSlow := decode(bodyRequest(body), &slow)
	sameDecode(t, body, fast, slow, errFast, errSlow)
	var fastB, slowB batchIn
	errFast = decodeFast(bodyRequest(body), &fastB, func(b []byte) bool { return fastBatch(b, &fastB) })
	errSlow = decode(bodyRequest(body), &slowB)
	sameDecode(t, body, fastB, slowB, errFast, errSlow)
}

func sameDecode(t *testing.T, body []byte, fast, slow any, errFast, errSlow error) {
	t.Helper()
	if fmt.Sprint(errFast) != fmt.Sprint(errSlow) {
		t.Fatalf("%q into %T: error %v, decodeBody's %v", body, fast, errFast, errSlow)
	}
	if errSlow == nil && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: decoded %+v, decodeBody %+v", body, fast, slow)
	}
}

func bodyRequest(body []byte) *http.Request {
	return httptest.NewRequest("POST", "/v1/tenants/t/events", bytes.NewReader(body))
}

// FuzzPublishFastPath: whatever the body, the fast path agrees with
// decodeBody.
func FuzzPublishFastPath(f *testing.F) {
	for _, b := range publishBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFastPath(t, body)
	})
}

// TestPublishFastPathDepth: a payload nested as deep as encoding/json
// allows, and one level deeper, is decoded as decodeBody decodes it.
func TestPublishFastPathDepth(t *testing.T) {
	for _, n := range []int{jsonscan.MaxDepth - 3, jsonscan.MaxDepth - 2, jsonscan.MaxDepth - 1, jsonscan.MaxDepth} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		o := []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
		for _, p := range [][]byte{b, o} {
			checkFastPath(t, append(append([]byte(`{"type":"a.b","payload":{"x":`), p...), "}}"...))
			checkFastPath(t, append(append([]byte(`{"events":[{"type":"a.b","payload":{"x":`), p...), "}}]}"...))
		}
	}
}

// BenchmarkPublishDecode is the decoding of a publish body as the bench's
// publishers send it (a ~1 KB payload; a batch of 100 of them), by the
// fast path and by decodeBody alone.
//
//	go test ./httpapi -run '^$' -bench PublishDecode -benchmem
func BenchmarkPublishDecode(b *testing.B) {
	payload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 964)})
	one, _ := json.Marshal(map[string]any{"type": "bench.event", "id": "ev-1", "payload": json.RawMessage(payload)})
	evs := make([]map[string]any, 100)
	for i := range evs {
		evs[i] = map[string]any{"type": "bench.event", "id": fmt.Sprintf("ev-%d", i), "idempotency_key": fmt.Sprintf("ev-%d", i), "payload": json.RawMessage(payload)}
	}
	batch, _ := json.Marshal(map[string]any{"events": evs})
	// The same with its note in a script that is not ASCII (two bytes a
	// character), whose UTF-8 the fast path checks.
	utfPayload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("é", 482)})
	utf, _ := json.Marshal(map[string]any{"type": "bench.event", "id": "ev-1", "payload": json.RawMessage(utfPayload)})
	run := func(name string, body []byte, fast func([]byte) bool, v any) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			r := bodyRequest(body)
			rd := bytes.NewReader(body)
			r.Body = io.NopCloser(rd)
			for b.Loop() {
				rd.Reset(body)
				if err := decodeFast(r, v, fast); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	never := func([]byte) bool { return false }
	var in publishIn
	var bin batchIn
	run("single/decodeBody", one, never, &in)
	run("single/fast", one, func(b []byte) bool { return fastPublish(b, &in) }, &in)
	run("single-utf8/fast", utf, func(b []byte) bool { return fastPublish(b, &in) }, &in)
	run("batch100/decodeBody", batch, never, &bin)
	run("batch100/fast", batch, func(b []byte) bool { return fastBatch(b, &bin) }, &bin)
}

// TestPublishPayloadInBody: a single publish's payload stays in its body
// (capacity cut, so an append cannot write into the body) when the body is
// little more than the payload, and is copied out of a body that holds
// much besides it (the engine weighs a held event by its payload).
func TestPublishPayloadInBody(t *testing.T) {
	payload := `{"note":"` + strings.Repeat("x", 1000) + `"}`
	// within reports whether p is b's bytes: a change to b shows in p.
	within := func(p, b []byte) bool {
		at := bytes.Index(b, []byte(payload))
		b[at+2] = 'N'
		defer func() { b[at+2] = 'n' }()
		return p[2] == 'N'
	}
	for _, c := range []struct {
		name, body string
		kept       bool
	}{
		{"plain", `{"type":"a.b","id":"ev_1","payload":` + payload + `}`, true},
		{"padded", `{"type":"a.b","payload":` + payload + strings.Repeat(" ", 2*maxSlack) + `}`, false},
	} {
		b := append([]byte(nil), c.body...)
		var in publishIn
		if !fastPublish(b, &in) {
			t.Fatalf("%s: not read by the fast path", c.name)
		}
		if string(in.Payload) != payload {
			t.Fatalf("%s: payload %.40q", c.name, in.Payload)
		}
		if got := within(in.Payload, b); got != c.kept {
			t.Errorf("%s: payload in the body = %v, want %v", c.name, got, c.kept)
		}
		if c.kept && cap(in.Payload) != len(in.Payload) {
			t.Errorf("%s: payload's capacity %d, its length %d", c.name, cap(in.Payload), len(in.Payload))
		}
	}
	// A batch's payloads are copied, whatever the body.
	b := []byte(`{"events":[{"type":"a.b","payload":` + payload + `}]}`)
	var in batchIn
	if !fastBatch(b, &in) || len(in.Events) != 1 || within(in.Events[0].Payload, b) {
		t.Errorf("a batch's payload was not copied out of its body")
	}
}
