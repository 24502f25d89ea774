package delivery_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestManualRetryOneMoreAttempt: a delivery that ended (failed on a status
// its profile makes final, failed on a 410, failed after its whole
// schedule, or succeeded) and is requeued by hand (retry; recover does the
// same) gets one more attempt, as docs/api.md says: when that attempt
// fails too, the delivery is failed again, with no new schedule, and the
// endpoint gets no further request.
func TestManualRetryOneMoreAttempt(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		profile string
		first   int // the status of the tries before the requeue
		tries   int // how many there were
		mod     func(*hookd.Endpoint)
		state   string // the delivery's state after them
	}{
		{"weavr final 400", "weavr", http.StatusBadRequest, 1, nil, hookd.StateFailed},
		{"weavr final 429", "weavr", http.StatusTooManyRequests, 1, nil, hookd.StateFailed},
		{"standard 410", "standard", http.StatusGone, 1, nil, hookd.StateFailed},
		{"lean 410", "lean", http.StatusGone, 1, nil, hookd.StateFailed},
		{"standard schedule spent", "standard", http.StatusInternalServerError, 2,
			func(e *hookd.Endpoint) { e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second)} }, hookd.StateFailed},
		{"standard succeeded", "standard", http.StatusOK, 1, nil, hookd.StateSucceeded},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b := setup(t, c.first, func(e *hookd.Endpoint) {
				withProfile(c.profile)(e)
				if c.mod != nil {
					c.mod(e)
				}
			})
			d := b.publish(t, "e1")
			b.next(t)
			for i := 1; i < c.tries; i++ {
				got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == i && d.NextAttemptAt != nil })
				b.clock.Add(got.NextAttemptAt.Sub(b.clock.Now()))
				b.next(t)
			}
			b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == c.state && d.Attempts == c.tries })
			if ep, err := b.store.Endpoint(ctx, "t", "ep"); err == nil && ep.Disabled {
				// A 410 disabled it: enabled again, as before a recover.
				ep.Enable()
				ep.UpdatedAt = b.clock.Now()
				if err := b.store.SaveEndpoint(ctx, ep); err != nil {
					t.Fatal(err)
				}
				if err := b.engine.Reload(ctx); err != nil {
					t.Fatal(err)
				}
			}

			b.mu.Lock()
			b.answer = func(*http.Request) int { return http.StatusServiceUnavailable }
			b.mu.Unlock()
			if _, err := b.store.Requeue(ctx, "t", d.ID, b.clock.Now()); err != nil {
				t.Fatal(err)
			}
			b.engine.Kick()
			b.next(t)
			got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == c.tries+1 })
			if got.State != hookd.StateFailed || got.NextAttemptAt != nil {
				t.Fatalf("the requeued delivery failed its one more attempt and is %s, next try due %v; want failed, none",
					got.State, got.NextAttemptAt)
			}
			b.clock.Add(24 * time.Hour)
			select {
			case <-b.hits:
				t.Fatal("a requeued delivery was tried again after its one more attempt")
			case <-time.After(100 * time.Millisecond):
			}
		})
	}
}
