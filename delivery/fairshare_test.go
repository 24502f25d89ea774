package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestSlowEndpointLeavesRoom: a slow endpoint (a receiver that holds every
// request until the test releases them) with a backlog of 10 KB events
// three times the engine's held-bytes budget cannot take the whole budget:
// a fast endpoint published to afterwards gets every one of its
// deliveries while the slow one still holds all its requests, whether they
// reserve their room at publish or are claimed from the store. Then the
// slow endpoint, released, gets all of its own.
func TestSlowEndpointLeavesRoom(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		const budget = 1 << 20
		// No poll (an hour away): what waits in the store is claimed when
		// room is made for it, not found later by a poll.
		b := setupOn(t, open(t), http.StatusOK, only("none.*"), func(c *delivery.Config) { c.MaxHeldBytes, c.PollInterval = budget, time.Hour })
		release := make(chan struct{})
		hold := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		once := sync.OnceFunc(func() { close(release) })
		t.Cleanup(once) // before the engine stops (cleanups run last registered first)
		fast := newRecorder(t, nil)
		b.addEndpoint(t, "slow", hold.URL, func(e *hookd.Endpoint) { e.EventTypes, e.TimeoutMS = []string{"slow.*"}, 60_000 })
		b.addEndpoint(t, "fast", fast.URL, func(e *hookd.Endpoint) { e.EventTypes = []string{"fast.*"} })

		time.Sleep(50 * time.Millisecond) // past the poller's first look
		payload := []byte(`{"pad":"` + strings.Repeat("x", 10_000) + `"}`)
		publish := func(typ string, n int) {
			for i := 0; i < n; i += 50 {
				evs := make([]*hookd.Event, 50)
				for k := range evs {
					evs[k] = &hookd.Event{ID: fmt.Sprintf("%s-%03d", typ, i+k), TenantID: "t", Type: typ, Payload: payload, CreatedAt: b.clock.Now()}
				}
				if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		const slowN, fastN = 300, 200 // 300 × 11 KB: three times the budget
		publish("slow.x", slowN)
		eventually(t, 20*time.Second, "the slow endpoint holds requests", func() bool { return hold.count() > 0 })
		publish("fast.x", fastN)
		deadline := time.Now().Add(30 * time.Second)
		for fast.count() != fastN {
			if time.Now().After(deadline) {
				t.Fatalf("the fast endpoint got %d of its %d deliveries while the slow one holds its requests (held: %d bytes of %d, %d deliveries)",
					fast.count(), fastN, b.engine.HeldBytes(), budget, b.engine.Held())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if n := hold.count(); n == 0 || n > 64 {
			t.Fatalf("the slow endpoint holds %d requests, want between 1 and its in-flight bound 64", n)
		}
		once()
		eventually(t, 60*time.Second, "the slow endpoint, released, got all its deliveries", func() bool { return hold.count() >= slowN })
		eventually(t, 10*time.Second, "nothing held in memory once all is delivered", func() bool {
			return b.engine.Held() == 0 && b.engine.HeldBytes() == 0 && delivery.QueueBytes(b.engine) == 0
		})
	})
}
