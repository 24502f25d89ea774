package control

import (
	"encoding/json"
	"strings"
	"testing"
)

var resourcePayloads = []string{
	`{"id":"pay_1","amount":10}`,
	`{"amount":10,"payment_id":"p-2","id":""}`,
	`{"id":5,"resourceId":"r-1"}`,
	`{"id":null,"customer_id":"c"}`,
	`{"id":"a","id":"b"}`,
	`{"id":"b","id":7}`,
	`{"i\u0064":"escaped name"}`,
	`{"id":"esc\"aped"}`,
	`{"id":"bad` + "\xff" + `utf8"}`,
	`{"id":"` + strings.Repeat("x", 257) + `","entity_id":"e"}`,
	`{"id":"` + strings.Repeat("x", 256) + `"}`,
	`{"nested":{"id":"no"},"accountId":"acc"}`,
	`{"ID":"case"}`,
	` {"transactionId" : "t" } `,
	`{}`, `[]`, `null`, `"id"`, `{"id":"x"} trailing`, `{"id":"x"`, `{"id":"x",}`, ``,
}

// FuzzResourceID: the one-pass resource id is encoding/json's.
func FuzzResourceID(f *testing.F) {
	for _, p := range resourcePayloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := resourceID(p), resourceIDSlow(p); got != want {
			t.Fatalf("resourceID(%q) = %q, encoding/json %q", p, got, want)
		}
	})
}

// TestResourceIDFast: the payloads providers send take the one pass.
func TestResourceIDFast(t *testing.T) {
	for _, p := range resourcePayloads[:6] {
		if _, ok := resourceIDFast([]byte(p)); !ok {
			t.Errorf("resourceIDFast gave up on %s", p)
		}
	}
}

// BenchmarkResourceID is the resource id of a ~1 KB payload, in one pass
// and by encoding/json.
//
//	go test ./control -run '^$' -bench ResourceID -benchmem
func BenchmarkResourceID(b *testing.B) {
	p, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 964)})
	b.Run("one-pass", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resourceID(p)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resourceIDSlow(p)
		}
	})
}
