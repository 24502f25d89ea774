package delivery_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestDisableWithoutAttempts: an endpoint whose only delivery has run out
// of retries gets no more attempts, yet once it has been failing for
// DisableAfter (2 s on the injected clock) the periodic check disables it
// and publishes hookd.endpoint.disabled, once, to its subscriber.
func TestDisableWithoutAttempts(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		ctx := context.Background()
		b := setupOn(t, open(t), http.StatusServiceUnavailable,
			func(e *hookd.Endpoint) { e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second)} },
			func(c *delivery.Config) { c.DisableAfter = 2 * time.Second })
		ops := newRecorder(t, nil)
		b.addEndpoint(t, "ops", ops.URL, func(e *hookd.Endpoint) { e.EventTypes = []string{hookd.EndpointDisabled} })
		d := b.publish(t, "e1")
		b.next(t)
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 })
		b.clock.Add(time.Second) // the retry is due; failing for 1 s
		b.next(t)
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateFailed })
		time.Sleep(1500 * time.Millisecond) // a check or two, within DisableAfter
		if ep, err := b.store.Endpoint(ctx, "t", "ep"); err != nil || ep.Disabled {
			t.Fatalf("an endpoint failing for 1 s of 2 was disabled: %+v (%v)", ep, err)
		}

		b.clock.Add(5 * time.Second) // failing for 6 s, and no attempt to come
		var ep *hookd.Endpoint
		eventually(t, 20*time.Second, "the endpoint disabled", func() bool {
			var err error
			ep, err = b.store.Endpoint(ctx, "t", "ep")
			return err == nil && ep.Disabled
		})
		if !strings.Contains(ep.DisabledReason, "failing continuously since") {
			t.Fatalf("disabled with reason %q", ep.DisabledReason)
		}
		eventually(t, 10*time.Second, "the operational event delivered", func() bool { return ops.count() == 1 })
		time.Sleep(1500 * time.Millisecond) // more checks: the endpoint is disabled already
		evs, err := b.store.Events(ctx, "t", hookd.EventFilter{Type: hookd.EndpointDisabled})
		if err != nil || len(evs) != 1 || ops.count() != 1 {
			t.Fatalf("operational events: %d stored (%v), %d delivered; want 1", len(evs), err, ops.count())
		}
	})
}
