package delivery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestPublishesWaitWithPeers: on a store another live node shares, once
// a commit of publishes held more than one, a publish waits for more
// before its commit (PublishWait, here a minute: the commit comes when
// MaxBatch rows have gathered); a quiet node's publish (its last commit
// held one), a lone node's and one with a negative PublishWait (never)
// are committed at once.
func TestPublishesWaitWithPeers(t *testing.T) {
	for _, tc := range []struct {
		peer bool
		wait time.Duration
	}{{true, time.Minute}, {false, time.Minute}, {true, -1}} {
		peer, waits := tc.peer, tc.peer && tc.wait > 0
		t.Run(fmt.Sprintf("peer=%v,wait=%v", tc.peer, tc.wait), func(t *testing.T) {
			t.Parallel()
			st := &applyLog{Database: openPostgres(t)}
			if peer {
				// setupOn's clock starts here; the other node beat then.
				at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				if err := st.Heartbeat(context.Background(), "node-other", at); err != nil {
					t.Fatal(err)
				}
			}
			// A publish of one event with its one delivery is two rows:
			// MaxBatch 4 ends a batch at two such publishes.
			b := setupOn(t, st, 200, nil, func(c *delivery.Config) { c.PublishWait, c.MaxBatch = tc.wait, 4 })
			publish := func(ids ...string) <-chan error {
				done := make(chan error, 1)
				var evs []*hookd.Event
				for _, id := range ids {
					evs = append(evs, &hookd.Event{ID: id, TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()})
				}
				go func() {
					_, err := b.engine.Publish(context.Background(), evs, "")
					done <- err
				}()
				return done
			}
			answered := func(done <-chan error, what string) {
				t.Helper()
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
				case <-time.After(20 * time.Second):
					t.Fatalf("%s: not answered within 20 s", what)
				}
			}
			// Quiet: one publish at a time, each committed at once.
			answered(publish("q1"), "a first publish")
			answered(publish("q2"), "a publish after a commit of one")
			// Busy: a commit of two publishes, then their results.
			answered(publish("b1", "b2"), "a publish of two events")
			for _, id := range []string{"b1", "b2"} {
				b.waitDelivery(t, deliveryOf(t, st, id), func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
			}
			first := publish("w1")
			if !waits {
				answered(first, "a publish that does not wait")
				answered(publish("w2"), "the next publish")
			} else {
				second := publish("w2")
				answered(first, "the publish that waited")
				answered(second, "the publish it waited for")
			}
			st.mu.Lock()
			defer st.mu.Unlock()
			var pubs []int
			for _, n := range st.batches {
				if n[0] > 0 {
					pubs = append(pubs, n[0])
				}
			}
			want := []int{1, 1, 2, 1, 1} // q1, q2, b1+b2, w1, w2
			if waits {
				want = []int{1, 1, 2, 2} // w1 waited for w2
			}
			if fmt.Sprint(pubs) != fmt.Sprint(want) {
				t.Fatalf("publishes per commit %v, want %v", pubs, want)
			}
		})
	}
}

// deliveryOf returns the id of the one delivery of the event id.
func deliveryOf(t *testing.T, st hookd.Database, eventID string) string {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), "t", hookd.DeliveryFilter{EventID: eventID})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries of %s: %v, %v", eventID, ds, err)
	}
	return ds[0].ID
}
