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

// TestNegativeMeansNever: with a negative Retention and DisableAfter
// (serve's --retention 0 and --disable-after 0), an endpoint failing for
// 1,000 days is not disabled, and its event, delivery and attempts are
// kept, while beside it an engine with a short retention and disable-after
// disables its endpoint and purges the same rows.
func TestNegativeMeansNever(t *testing.T) {
	t.Parallel()
	failing := func(e *hookd.Endpoint) { e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Hour)} }
	never := setupWith(t, http.StatusServiceUnavailable, failing, func(c *delivery.Config) { c.Retention, c.DisableAfter = -1, -1 })
	short := setupWith(t, http.StatusServiceUnavailable, failing, func(c *delivery.Config) { c.Retention, c.DisableAfter = 2*time.Second, time.Second })
	ctx := context.Background()
	ids := map[*bundle]string{}
	for _, b := range []*bundle{never, short} {
		d := b.publish(t, "old")
		ids[b] = d.ID
		b.next(t)
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 })
		b.clock.Add(1000 * 24 * time.Hour) // the retry is due, 1,000 days into the failure
		b.next(t)
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateFailed })
	}
	// The health change is committed with the attempt's result.
	if ep, err := never.store.Endpoint(ctx, "t", "ep"); err != nil || ep.Disabled {
		t.Fatalf("with DisableAfter negative, an endpoint failing for 1,000 days: %+v (%v), want enabled", ep, err)
	}
	if ep, err := short.store.Endpoint(ctx, "t", "ep"); err != nil || !ep.Disabled {
		t.Fatalf("with DisableAfter 1 s, an endpoint failing for 1,000 days: %+v (%v), want disabled", ep, err)
	}
	for _, b := range []*bundle{never, short} {
		b.clock.Add(3 * time.Second) // the last attempt too is past the short retention
	}
	eventually(t, 20*time.Second, "the short retention purged", func() bool { return short.gone(t, "old", ids[short]) })
	time.Sleep(2 * time.Second) // two more of the short retention's purges
	if !never.kept(t, "old", ids[never]) {
		t.Fatal("with Retention negative, the event, its delivery or its attempts were purged")
	}
}
