package control_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// BenchmarkCheckEvent is the check of one event before its commit: a type
// outside the catalog (allowed, as hookd bench publishes) and a catalog
// type with its schema.
//
//	go test ./control -run '^$' -bench CheckEvent -benchmem
func BenchmarkCheckEvent(b *testing.B) {
	bu := setup(b)
	bu.svc.AllowUnknownTypes = true
	payload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 964)})
	ctx := hookd.NewContextWithTenant(b.Context(), "t")
	b.Run("unknown", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev := &hookd.Event{Type: "bench.event", ID: "ev-1", Payload: payload}
			if _, err := bu.svc.CheckEvent(ctx, "t", ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unknown/no-id", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ev := &hookd.Event{Type: "bench.event", Payload: payload}
			if _, err := bu.svc.CheckEvent(ctx, "t", ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCheckEventCatalog is the same check of a catalog type's own
// example, validated against its schema (and its known values).
func BenchmarkCheckEventCatalog(b *testing.B) {
	bu := setup(b)
	ctx := hookd.NewContextWithTenant(b.Context(), "t")
	for _, name := range []string{"lean:entity.created", "lean:payment.updated", "weavr:linkedAccountWatch", "weavr:paymentRunWatch"} {
		b.Run(name, func(b *testing.B) {
			t, err := bu.svc.Resolve(ctx, name, "")
			if err != nil {
				b.Skip(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(t.Example)))
			for b.Loop() {
				ev := &hookd.Event{Type: name, ID: "ev-1", Payload: t.Example}
				if _, err := bu.svc.CheckEvent(ctx, "t", ev); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCheckEventCustom is the check of a ~1 KB payload of a custom
// type whose schema asks for an object and nothing more, as a publisher
// that registers its own types may have.
func BenchmarkCheckEventCustom(b *testing.B) {
	bu := setup(b)
	ctx := hookd.NewContextWithTenant(b.Context(), "t")
	if err := bu.svc.CreateEventType(ctx, &hookd.EventType{Name: "acme.thing", Schema: []byte(`{"type":"object"}`)}); err != nil {
		b.Fatal(err)
	}
	payload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 964)})
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		ev := &hookd.Event{Type: "acme.thing", ID: "ev-1", Payload: payload}
		if _, err := bu.svc.CheckEvent(ctx, "t", ev); err != nil {
			b.Fatal(err)
		}
	}
}
