package control

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// TestTypeFilterIsSubscription: for every pattern an endpoint may hold, a
// list's ?type= with it selects exactly the event types an endpoint
// subscribed to it receives (as the engine matches them, Endpoint.Wants,
// after checkEventTypes stored it), over every catalog type, hookd's
// operational types and an unknown one.
func TestTypeFilterIsSubscription(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{Catalog: cat, AllowUnknownTypes: true}
	types := append([]string{"order.created", "payment", "paymentXcreated"}, hookd.OperationalTypes...)
	for _, et := range cat.Types() {
		types = append(types, et.Name)
	}
	patterns := []string{"*", "hookd.*", "order.*", "lean:entity.created", "weavr:linkedAccountWatch"}
	for _, name := range types {
		wire := hookd.WireType(name)
		patterns = append(patterns, name, wire)
		for i := range len(wire) {
			if wire[i] == '.' {
				patterns = append(patterns, wire[:i+1]+"*")
			}
		}
	}
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)

	selects := func(f hookd.EventFilter, typ string) bool {
		if len(f.Types)+len(f.Prefixes) > 0 && !slices.Contains(f.Types, typ) &&
			!slices.ContainsFunc(f.Prefixes, func(p string) bool { return strings.HasPrefix(typ, p) }) {
			return false
		}
		return f.NotPrefix == "" || !strings.HasPrefix(typ, f.NotPrefix)
	}
	for _, p := range patterns {
		f, err := s.typeFilter(p)
		if err != nil {
			t.Fatalf("?type=%s: %v", p, err)
		}
		stored, err := s.checkEventTypes(context.Background(), []string{p}, nil)
		if err != nil {
			t.Fatalf("event_types [%s]: %v", p, err)
		}
		ep := &hookd.Endpoint{EventTypes: stored}
		for _, typ := range types {
			want := ep.Wants(typ)
			if got := selects(f, typ); got != want {
				t.Errorf("?type=%s on an event of type %s: selected %v; an endpoint with event_types %v receives it: %v", p, typ, got, stored, want)
			}
		}
	}
}
