package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/control"
)

func TestEventTypes(t *testing.T) {
	b := setup(t)
	ctx := context.Background()

	all, err := b.svc.EventTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(b.cat.Types()) || len(all) == 0 {
		t.Fatalf("%d types, the catalog has %d", len(all), len(b.cat.Types()))
	}
	// A qualified name of a type one provider alone defines finds it.
	got, err := b.svc.EventType(ctx, "lean:entity.created")
	if err != nil || got.Name != "entity.created" {
		t.Fatalf("lean:entity.created: %+v, %v", got, err)
	}
	_, err = b.svc.EventType(ctx, "no.such.type")
	code(t, err, hookd.ENOTFOUND)

	// Refused: hookd's prefix, a built-in name.
	code(t, b.svc.CreateEventType(ctx, &hookd.EventType{Name: "hookd.mine"}), hookd.EINVALID)
	code(t, b.svc.CreateEventType(ctx, &hookd.EventType{Name: "entity.created"}), hookd.ECONFLICT)

	order := &hookd.EventType{Name: "order.created", Description: "an order"}
	if err := b.svc.CreateEventType(ctx, order); err != nil {
		t.Fatal(err)
	}
	if !order.Custom || string(order.Schema) != `{"type":"object"}` || order.CreatedAt != b.clock.Now().UnixMilli() {
		t.Errorf("created %+v: want custom, any object, created now", order)
	}
	stored, err := b.store.EventTypes(ctx)
	if err != nil || len(stored) != 1 || stored[0].Name != "order.created" {
		t.Fatalf("stored %v, %v", stored, err)
	}
	if got, err := b.svc.EventType(ctx, "order.created"); err != nil || !got.Custom {
		t.Fatalf("order.created: %+v, %v", got, err)
	}
	code(t, b.svc.CreateEventType(ctx, &hookd.EventType{Name: "order.created"}), hookd.ECONFLICT)
}

// TestOperationalEventTypes: hookd's operational types are listed and
// read like the catalog's others (provider hookd, a schema, an example);
// an endpoint subscribes to them and a test send carries their example;
// tenants still may not publish them, and a provider's webhook naming one
// is taken as before, an unknown type of that provider.
func TestOperationalEventTypes(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	all, err := b.svc.EventTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hookd.OperationalTypes {
		i := slices.IndexFunc(all, func(et *hookd.EventType) bool { return et.Name == name })
		if i < 0 || all[i].Provider != "hookd" || len(all[i].Schema) == 0 || len(all[i].Example) == 0 {
			t.Fatalf("%s in the list: %d %+v, want it with provider hookd, a schema and an example", name, i, all)
		}
		got, err := b.svc.EventType(ctx, name)
		if err != nil || got.Name != name || string(got.Schema) != string(all[i].Schema) || string(got.Example) != string(all[i].Example) {
			t.Fatalf("EventType(%s): %+v, %v", name, got, err)
		}
	}
	op, _ := b.svc.EventType(ctx, hookd.EndpointDisabled)

	// Not publishable.
	res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{{Type: hookd.EndpointDisabled, Payload: op.Example}})
	if err != nil || len(res) != 1 || hookd.ErrorCode(res[0].Err) != hookd.EINVALID {
		t.Fatalf("a tenant's publish of %s: %+v, %v; want it refused (400)", hookd.EndpointDisabled, res, err)
	}

	// Subscribed to by name or prefix; a test send carries the example.
	for _, types := range [][]string{{hookd.EndpointDisabled}, {"hookd.*"}} {
		ep, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/ops"), EventTypes: &types}, "")
		if err != nil {
			t.Fatalf("an endpoint of %v: %v", types, err)
		}
		for _, typ := range []string{hookd.EndpointDisabled, ""} {
			if _, err := b.svc.TestEndpoint(ctx, "acme", ep.ID, typ); err != nil {
				t.Fatalf("test send %q to an endpoint of %v: %v", typ, types, err)
			}
			evs := events(t, b)
			var compact bytes.Buffer
			if err := json.Compact(&compact, op.Example); err != nil {
				t.Fatal(err)
			}
			if evs[0].Type != hookd.EndpointDisabled || !evs[0].Test || string(evs[0].Payload) != compact.String() {
				t.Fatalf("test send %q to an endpoint of %v: %s %s, want the example of %s", typ, types, evs[0].Type, evs[0].Payload, hookd.EndpointDisabled)
			}
		}
	}
}

// TestEventTypeOfAnotherNode: a custom type registered through another
// node (another Service on the same store, with its own catalog) is found
// here, and registering its name here is a conflict that takes the other
// node's type rather than this node's schema.
func TestEventTypeOfAnotherNode(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	other := &control.Service{Store: b.store, Engine: b.eng, Catalog: mustCatalog(t)}
	theirs := &hookd.EventType{Name: "invoice.paid", Schema: json.RawMessage(`{"type":"object","required":["id"]}`)}
	if err := other.CreateEventType(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	got, err := b.svc.EventType(ctx, "invoice.paid")
	if err != nil || string(got.Schema) != string(theirs.Schema) {
		t.Fatalf("invoice.paid here: %+v, %v", got, err)
	}

	shipped := &hookd.EventType{Name: "order.shipped", Schema: json.RawMessage(`{"type":"object","required":["a"]}`)}
	if err := other.CreateEventType(ctx, shipped); err != nil {
		t.Fatal(err)
	}
	third := &control.Service{Store: b.store, Engine: b.eng, Catalog: mustCatalog(t)}
	code(t, third.CreateEventType(ctx, &hookd.EventType{Name: "order.shipped", Schema: json.RawMessage(`{"type":"object"}`)}), hookd.ECONFLICT)
	got, err = third.EventType(ctx, "order.shipped")
	if err != nil || string(got.Schema) != string(shipped.Schema) {
		t.Fatalf("order.shipped after the conflict: %+v, %v; want the first node's schema", got, err)
	}
}

// TestEventTypeOfAnotherNodeAtOnce: a custom type registered through
// another node is usable here as soon as its registration was answered,
// also when this node read the store's custom types a moment before (for
// another type of the other node): it is found, and a publish naming it
// is validated and taken, not refused as an unknown type.
func TestEventTypeOfAnotherNodeAtOnce(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	other := &control.Service{Store: b.store, Engine: b.eng, Catalog: mustCatalog(t)}
	for _, name := range []string{"invoice.paid", "order.shipped"} {
		if err := other.CreateEventType(ctx, &hookd.EventType{Name: name,
			Schema: json.RawMessage(`{"type":"object","required":["id"]}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.EventType(ctx, name); err != nil {
			t.Fatalf("GET of %s here right after the other node registered it: %v", name, err)
		}
		res, err := b.svc.Publish(ctx, "acme", []*hookd.Event{{Type: name, Payload: json.RawMessage(`{"id":1}`)}})
		if err != nil || res[0].Err != nil {
			t.Fatalf("publish of %s here right after the other node registered it: %+v, %v", name, res[0], err)
		}
		res, err = b.svc.Publish(ctx, "acme", []*hookd.Event{{Type: name, Payload: json.RawMessage(`{}`)}})
		if err != nil {
			t.Fatal(err)
		}
		code(t, res[0].Err, hookd.EUNPROCESSABLE)
	}
}
