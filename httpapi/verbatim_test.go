package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/hookd/hookd"
)

// TestVerbatim: payloads come back as they were given, in order, whatever
// an answer holds around them; one a page left out, and one with no
// payload, leave valid JSON.
func TestVerbatim(t *testing.T) {
	evs := []*hookd.Event{
		{ID: "a", Payload: json.RawMessage("{ \"x\" : \"<&>\" }")},
		{ID: "b"},
		{ID: "c", Payload: json.RawMessage(`[1 ,2]`)},
		{ID: "d", Payload: json.RawMessage(`{}`)},
	}
	var v verbatim
	shown := v.events(evs)
	if evs[0].Payload[0] != '{' || shown[1] != evs[1] {
		t.Fatalf("the events were changed, or one with no payload was copied")
	}
	b, err := v.marshal(map[string]any{"data": shown[:3], "note": "payload"})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"payload":{ "x" : "<&>" },`)) || !json.Valid(b) {
		t.Fatalf("answer %s", b)
	}
	var got struct {
		Data []struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != 3 || string(got.Data[1].Payload) != "null" || string(got.Data[2].Payload) != `[1 ,2]` {
		t.Fatalf("decoded %+v from %s", got, b)
	}
}
