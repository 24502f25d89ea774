package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestRateLimitedStops: an endpoint limited to 2 requests a second has 40
// deliveries, most of them with workers waiting for their request slots
// (up to 20 s away). Once the endpoint is disabled, or deleted, no more
// requests are sent (one already past its check is allowed for), and the
// waiting deliveries are let go at once, not when their slots come:
// parked for a disabled endpoint, canceled for a deleted one, and none
// held in memory. Before, each waiting worker sent its request at its
// slot, with the endpoint as it was before the wait.
func TestRateLimitedStops(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"disable", "delete"} {
		t.Run(how, func(t *testing.T) {
			onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
				testRateLimitedStops(t, open(t), how)
			})
		})
	}
}

func testRateLimitedStops(t *testing.T, st hookd.Database, how string) {
	ctx := context.Background()
	b := setupOn(t, st, http.StatusOK, func(e *hookd.Endpoint) { e.RateLimit = 2 }, nil)
	const n = 40
	evs := make([]*hookd.Event, n)
	for i := range evs {
		evs[i] = &hookd.Event{ID: fmt.Sprintf("e%02d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
	}
	pubs, err := b.engine.Publish(ctx, evs, "")
	if err != nil {
		t.Fatal(err)
	}
	b.next(t)
	b.next(t) // the second request, half a second later: the others wait for their slots
	switch how {
	case "disable":
		ep, err := b.store.Endpoint(ctx, "t", "ep")
		if err != nil {
			t.Fatal(err)
		}
		ep.Disabled, ep.DisabledReason, ep.UpdatedAt = true, "by hand", b.clock.Now()
		if err := b.store.SaveEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
	case "delete":
		if _, err := b.store.DeleteEndpoint(ctx, "t", "ep", b.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.engine.Changed(ctx); err != nil {
		t.Fatal(err)
	}
	sent := 2 + len(b.hits)
	eventually(t, 10*time.Second, "no delivery held in memory", func() bool {
		return b.engine.Held() == 0 && b.engine.HeldBytes() == 0 && delivery.QueueBytes(b.engine) == 0
	})
	want := map[string]string{"disable": hookd.StateParked, "delete": hookd.StateCanceled}[how]
	for _, p := range pubs {
		b.waitDelivery(t, p.Deliveries[0].ID, func(d *hookd.Delivery) bool {
			return d.State == want || d.State == hookd.StateSucceeded
		})
	}
	time.Sleep(2 * time.Second) // four more slots of the limit
	if got := 2 + len(b.hits); got > sent+1 {
		t.Fatalf("%d requests after the endpoint was %sd (%d before)", got-sent, how, sent)
	}
}

// TestRateLimitedEnabledAgain: the request slots taken by deliveries that
// stopped waiting when their endpoint was disabled are given back when it
// is enabled again, in memory and in the store (shared by nodes): the next
// request comes at the endpoint's rate, not after every abandoned slot (at
// 1/s, 39 of them here).
func TestRateLimitedEnabledAgain(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		ctx := context.Background()
		b := setupOn(t, open(t), http.StatusOK, func(e *hookd.Endpoint) { e.RateLimit = 1 }, nil)
		evs := make([]*hookd.Event, 40)
		for i := range evs {
			evs[i] = &hookd.Event{ID: fmt.Sprintf("e%02d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
		}
		if _, err := b.engine.Publish(ctx, evs, ""); err != nil {
			t.Fatal(err)
		}
		b.next(t) // at once; the others wait for their slots, up to 39 s ahead
		set := func(disabled bool) {
			ep, err := b.store.Endpoint(ctx, "t", "ep")
			if err != nil {
				t.Fatal(err)
			}
			ep.Disabled, ep.DisabledReason, ep.UpdatedAt = disabled, "", b.clock.Now()
			if disabled {
				ep.DisabledReason = "by hand"
			}
			if err := b.store.SaveEndpoint(ctx, ep); err != nil {
				t.Fatal(err)
			}
			if err := b.engine.Changed(ctx); err != nil {
				t.Fatal(err)
			}
		}
		set(true)
		eventually(t, 10*time.Second, "no delivery held in memory", func() bool { return b.engine.Held() == 0 })
		for len(b.hits) > 0 {
			<-b.hits // one whose slot had come as it was disabled
		}
		set(false)
		select {
		case <-b.hits:
		case <-time.After(10 * time.Second):
			t.Fatal("no request within 10 s of the endpoint enabled again: its abandoned slots were kept")
		}
	})
}
