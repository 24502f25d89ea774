package delivery_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// kept reports whether the event, its delivery and the delivery's attempts
// are all still in the store.
func (b *bundle) kept(t *testing.T, eventID, deliveryID string) bool {
	t.Helper()
	ctx := context.Background()
	if _, err := b.store.Event(ctx, "t", eventID); err != nil {
		return false
	}
	if _, err := b.store.Delivery(ctx, "t", deliveryID); err != nil {
		return false
	}
	as, err := b.store.Attempts(ctx, deliveryID)
	return err == nil && len(as) > 0
}

// gone reports whether the event, its delivery and its attempts have all
// been purged.
func (b *bundle) gone(t *testing.T, eventID, deliveryID string) bool {
	t.Helper()
	ctx := context.Background()
	if _, err := b.store.Event(ctx, "t", eventID); err == nil {
		return false
	}
	if _, err := b.store.Delivery(ctx, "t", deliveryID); err == nil {
		return false
	}
	as, err := b.store.Attempts(ctx, deliveryID)
	return err == nil && len(as) == 0
}

// TestShortRetentionPurged: with a retention of 2 s, a delivered event, its
// delivery and its attempt are purged soon after they are 2 s old (on the
// engine's clock), not at the next 10-minute purge: the purge runs every
// tenth of the retention, at least every second. The bound is wide (a
// purge every second, checked for 20 s); the 10-minute purge never meets
// it.
func TestShortRetentionPurged(t *testing.T) {
	t.Parallel()
	b := setupWith(t, http.StatusOK, nil, func(c *delivery.Config) { c.Retention = 2 * time.Second })
	d := b.publish(t, "old")
	b.next(t)
	b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
	if !b.kept(t, "old", d.ID) {
		t.Fatal("the event, its delivery or its attempt was purged before it was past the retention")
	}
	b.clock.Add(3 * time.Second) // past the retention: due for the next purge
	eventually(t, 20*time.Second, "the event past the retention purged", func() bool { return b.gone(t, "old", d.ID) })
}
