package control_test

import (
	"context"
	"encoding/json"
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
