package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/hookd/hookd"
)

// TestPublishAnswer: the publish routes' answers are json.Marshal's bytes
// of the same values, or left to it.
func TestPublishAnswer(t *testing.T) {
	refs := []hookd.DeliveryRef{{ID: "dlv_0190f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", EndpointID: "ep_1"}, {ID: "dlv_2", EndpointID: "ep_2"}}
	results := []*hookd.PublishResult{
		{ID: "ev-1", Deliveries: refs[:1]},
		{ID: "ev-1", Deliveries: refs},
		{ID: "ev-1", Deliveries: []hookd.DeliveryRef{}},
		{ID: "ev-1"},
		{ID: "ev-1", Deliveries: refs, Duplicate: true},
		{ID: "", Deliveries: refs[:1]},
		{ID: "ev-1", Deliveries: refs, Warnings: []hookd.Detail{{Path: "/x", Rule: "enum", Message: "not a known value"}}},
		{ID: "ev-1", Warnings: []hookd.Detail{}},
		{ID: "ev<1>&", Deliveries: refs},
		{ID: `ev"1\`, Deliveries: refs},
		{ID: "évé", Deliveries: refs},
		{ID: "ev\u2028", Deliveries: refs},
		{ID: "ev\x7f\x01", Deliveries: refs},
		{ID: "ev-1", Deliveries: []hookd.DeliveryRef{{ID: "d", EndpointID: "<ep>"}}},
	}
	fast := 0
	for _, r := range results {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got, ok := publishAnswer(r); ok {
			fast++
			if string(got) != string(want) {
				t.Errorf("%+v: %s, json.Marshal %s", r, got, want)
			}
		}
	}
	if fast != 7 {
		t.Errorf("%d answers encoded without json.Marshal, want 7", fast)
	}
	batches := [][]batchResult{
		{{PublishResult: results[0]}},
		{{PublishResult: results[0]}, {PublishResult: results[4]}, {PublishResult: results[3]}},
		{},
		{{PublishResult: results[0]}, {Error: errorBody(hookd.Errorf(hookd.EINVALID, "type is required"))}},
		{{PublishResult: results[6]}},
		{{PublishResult: results[8]}},
		{{}},
		nil,
	}
	fast = 0
	for _, out := range batches {
		want, err := json.Marshal(map[string]any{"data": out})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got, ok := batchAnswer(out); ok {
			fast++
			if string(got) != string(want) {
				t.Errorf("%+v: %s, json.Marshal %s", out, got, want)
			}
		}
	}
	if fast != 3 {
		t.Errorf("%d batch answers encoded without json.Marshal, want 3", fast)
	}
}

// BenchmarkPublishAnswer is a publish's answer (one delivery) encoded by
// json.Marshal and without it.
func BenchmarkPublishAnswer(b *testing.B) {
	r := &hookd.PublishResult{ID: "ev-12345", Deliveries: []hookd.DeliveryRef{{ID: "dlv_0190f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b", EndpointID: "ep_0190f1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"}}}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m, _ := json.Marshal(r)
			_ = append(m, '\n') // as writeJSON does
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			publishAnswer(r)
		}
	})
}

// TestIngestAnswer: an ingest's answer is json.Marshal's bytes, or left
// to it.
func TestIngestAnswer(t *testing.T) {
	fast := 0
	for _, in := range []*hookd.Ingested{
		{EventID: "evt_1", Type: "lean:payment.created"},
		{EventID: "evt_1", Type: "lean:payment.created", Duplicate: true},
		{EventID: "evt_1", Type: "x.y", Invalid: "unknown event type \"x.y\""},
		{EventID: "evt_1", Type: "x.y", Invalid: "amount: must be a number"},
		{EventID: "", Type: ""},
		{EventID: "evt<1>", Type: "x.y"},
	} {
		want, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		if got, ok := ingestAnswer(in); ok {
			fast++
			if string(got) != string(want) {
				t.Errorf("%+v: %s, json.Marshal %s", in, got, want)
			}
		}
	}
	if fast != 4 {
		t.Errorf("%d answers encoded without json.Marshal, want 4", fast)
	}
}
