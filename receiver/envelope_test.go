package receiver

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzEnvelope: whenever fastEnvelope decodes a body, json.Unmarshal
// decodes it without error into the same struct; and it decodes the
// common shapes (the seeds below marked so) rather than giving up.
func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"type":"payment.created","message":"A payment was created.","payload":{"id":"p1","amount":10.17},"timestamp":"2024-01-01T00:00:00.000000Z","event_id":"e1"}`,
		`{"type":"t","data":[1,2],"timestamp":"x","extra":{"a":[null,true]}}`,
		`{"id":"i","creationTime":"2023-12-08T17:30:42.505","eventType":"payment.succeeded","metadata":{"k":"v"}}`,
		`{"type":"linkedAccountWatch","payload":{"id":"x"}}`,
		`{"Type":"t"}`, `{"type":"a","type":"b"}`, `{"type":"\u0041"}`, `{"type":1}`, `{"type":null}`, `null`, `[]`,
		`{"payload":null}`, `{"payload":"s"}`, ` {"type" : "t" } `, `{"type":"t"} x`, `{"typ\u0065":"t"}`,
		`{"tyPE":"x","type":"y"}`, `{"ſ":1}`, `{"É":"é"}`, `{"type":"t","payload":{"a":1},"payload":[2]}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var lean, fastLean LeanEnvelope
		checkEnvelope(t, body, &lean, &fastLean, str("type", &fastLean.Type), str("message", &fastLean.Message),
			raw("payload", &fastLean.Payload), str("timestamp", &fastLean.Timestamp), str("event_id", &fastLean.EventID))
		type standard struct {
			Type      string          `json:"type"`
			Timestamp string          `json:"timestamp"`
			Data      json.RawMessage `json:"data"`
		}
		var std, fastStd standard
		checkEnvelope(t, body, &std, &fastStd, str("type", &fastStd.Type), str("timestamp", &fastStd.Timestamp),
			raw("data", &fastStd.Data))
		type linkMoney struct {
			ID           string          `json:"id"`
			CreationTime string          `json:"creationTime"`
			EventType    string          `json:"eventType"`
			Metadata     json.RawMessage `json:"metadata"`
		}
		var lm, fastLM linkMoney
		checkEnvelope(t, body, &lm, &fastLM, str("id", &fastLM.ID), str("creationTime", &fastLM.CreationTime),
			str("eventType", &fastLM.EventType), raw("metadata", &fastLM.Metadata))
	})
}

func checkEnvelope[T any](t *testing.T, body []byte, want, got *T, fields ...envelopeField) {
	t.Helper()
	if !fastEnvelope(body, fields) {
		return
	}
	if err := json.Unmarshal(body, want); err != nil {
		t.Fatalf("fastEnvelope decoded %q, json.Unmarshal: %v", body, err)
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("%q: fastEnvelope %+v, json.Unmarshal %+v", body, *got, *want)
	}
}

// TestEnvelopeFastPath: the bodies providers send take the fast path, and
// what json.Unmarshal would read differently does not.
func TestEnvelopeFastPath(t *testing.T) {
	var env LeanEnvelope
	fields := []envelopeField{str("type", &env.Type), str("message", &env.Message), raw("payload", &env.Payload),
		str("timestamp", &env.Timestamp), str("event_id", &env.EventID)}
	body := `{"type":"results.ready","message":"Results are ready.","payload":{"id":"r1","status":"OK"},` +
		`"timestamp":"2024-05-01T10:00:00.123456Z","event_id":"ev_1","unknown":[1,{"x":null}]}`
	if !fastEnvelope([]byte(body), fields) {
		t.Fatalf("fastEnvelope gave up on %s", body)
	}
	if env.Type != "results.ready" || string(env.Payload) != `{"id":"r1","status":"OK"}` || env.EventID != "ev_1" {
		t.Errorf("decoded %+v", env)
	}
	for _, b := range []string{`{"TYPE":"x"}`, `{"type":"a\nb"}`, `{"type":"\u0041"}`, `{"type":null}`, `{"type":1}`,
		`{"type":"x"} {}`, `{"type":"x",}`, `{"` + "\u212a" + `":1}`, `null`, ``} {
		env = LeanEnvelope{}
		if fastEnvelope([]byte(b), fields) {
			t.Errorf("fastEnvelope decoded %s as %+v: json.Unmarshal must decide", b, env)
		}
	}
	// Giving up half way leaves the fields as they were, for
	// json.Unmarshal to fill.
	env = LeanEnvelope{}
	if fastEnvelope([]byte(`{"type":"t","payload":{"a":1},"message":"\u0041"}`), fields) || env.Type != "" || env.Payload != nil {
		t.Errorf("fastEnvelope gave up but set %+v", env)
	}
}

// BenchmarkParse reads a ~1 KB Lean webhook's envelope, as a Lean source's
// ingest does for every request.
//
//	go test ./receiver -run '^$' -bench Parse -benchmem
func BenchmarkParse(b *testing.B) {
	payload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 900)})
	body := []byte(`{"type":"payment.updated","message":"A payment was updated.","payload":` + string(payload) +
		`,"timestamp":"2024-05-01T10:00:00.123456Z","event_id":"8f2e0c7e-6f9b-4a53-9d3e-2a1c6b1f0e11"}`)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(Lean, nil, body); err != nil {
			b.Fatal(err)
		}
	}
}
