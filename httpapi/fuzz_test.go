package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/hookd/hookd"
)

// FuzzPublishDecode feeds arbitrary bodies to the publish decoding and
// validation: it must never panic, and what it accepts must be a well-formed
// event whose payload is a JSON object copied byte for byte from the body.
func FuzzPublishDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"payment.created","payload":{"id":"p1","amount":10.17}}`,
		`{"type":"a.b","id":"evt-1","ordering_key":"k","payload":{ "x" : [1,2,{"y":null}] }}`,
		`{"type":"a.b","payload":[]}`,
		`{"type":"","payload":{}}`,
		`{"type":"a.b","payload":{}} trailing`,
		`{"type":"a.b","payload":{},"unknown":1}`,
		`{"type":"a\u0000b","payload":{}}`,
		`{"type":"a.b","id":"../../etc","payload":{}}`,
		`{`,
	} {
		f.Add([]byte(s))
	}
	s := &Server{Clock: hookd.SystemClock{}, AllowUnknownTypes: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", "/v1/tenants/t/events", bytes.NewReader(body))
		r.SetPathValue("tenant", "t")
		var in eventIn
		if err := decode(r, &in); err != nil {
			if hookd.ErrorCode(err) != hookd.EINVALID {
				t.Fatalf("decode error with code %s: %v", hookd.ErrorCode(err), err)
			}
			return
		}
		ev := in.event()
		if _, err := s.control().CheckEvent(r.Context(), r.PathValue("tenant"), ev); err != nil {
			if c := hookd.ErrorCode(err); c != hookd.EINVALID && c != hookd.EUNPROCESSABLE {
				t.Fatalf("CheckEvent error with code %s: %v", c, err)
			}
			return
		}
		if ev.Type == "" || ev.ID == "" || ev.TenantID != "t" {
			t.Fatalf("accepted a malformed event %+v", ev)
		}
		if !json.Valid(ev.Payload) || ev.Payload[0] != '{' || !bytes.Contains(body, ev.Payload) {
			t.Fatalf("payload %q is not a JSON object copied from the body", ev.Payload)
		}
		if !hookd.ValidTypeName(ev.Type) || hookd.CheckID("id", ev.ID) != nil {
			t.Fatalf("accepted type %q id %q", ev.Type, ev.ID)
		}
	})
}
