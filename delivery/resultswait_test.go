package delivery_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// applyLog is a store that notes what each group commit holds.
type applyLog struct {
	hookd.Database
	mu      sync.Mutex
	batches [][2]int // publishes and results of each Apply
}

func (s *applyLog) Apply(ctx context.Context, b *hookd.Batch) error {
	s.mu.Lock()
	s.batches = append(s.batches, [2]int{len(b.Publishes), len(b.Results)})
	s.mu.Unlock()
	return s.Database.Apply(ctx, b)
}

// TestResultsWaitForPublish: on a shared store, attempt results alone
// wait for the next publish and are committed with it, not in a commit of
// their own; the last, with no publish after it, is committed by Stop.
// Every result is stored.
func TestResultsWaitForPublish(t *testing.T) {
	t.Parallel()
	st := &applyLog{Database: openPostgres(t)}
	b := setupOn(t, st, 200, nil, func(c *delivery.Config) { c.ResultsWait = time.Minute })
	var ids []string
	for i := range 10 {
		d := b.publish(t, fmt.Sprintf("ev%d", i))
		ids = append(ids, d.ID)
		b.next(t) // its attempt was made: its result is on its way to the writer
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.engine.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	batches := st.batches
	st.mu.Unlock()
	results := 0
	for i, n := range batches {
		results += n[1]
		if n[0] == 0 && i < len(batches)-1 {
			t.Fatalf("commit %d of %d held %d results and no publish (commits: %v)", i+1, len(batches), n[1], batches)
		}
	}
	if results != 10 {
		t.Fatalf("%d results committed, want 10 (commits: %v)", results, batches)
	}
	for _, id := range ids {
		d, err := st.Delivery(context.Background(), "t", id)
		if err != nil || d.State != hookd.StateSucceeded {
			t.Fatalf("delivery %s: %+v, %v; want succeeded", id, d, err)
		}
	}
}

// TestResultsAloneCommitted: with no publish to wait for, results are
// committed once ResultsWait has passed.
func TestResultsAloneCommitted(t *testing.T) {
	t.Parallel()
	b := setupOn(t, openPostgres(t), 200, nil, func(c *delivery.Config) { c.ResultsWait = 50 * time.Millisecond })
	d := b.publish(t, "ev")
	b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
}

// TestOrderedResultsDoNotWait: the result that finishes an ordered
// delivery is committed at once, so the next of its key is claimed and
// sent without waiting for a publish.
func TestOrderedResultsDoNotWait(t *testing.T) {
	t.Parallel()
	b := setupOn(t, openPostgres(t), 200, func(e *hookd.Endpoint) { e.Ordering = hookd.OrderingKey },
		func(c *delivery.Config) { c.ResultsWait = time.Hour })
	var evs []*hookd.Event
	for i := range 3 {
		evs = append(evs, &hookd.Event{ID: fmt.Sprintf("a%d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`),
			OrderingKey: "A", CreatedAt: b.clock.Now()})
	}
	if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		select {
		case id := <-b.ids:
			if want := fmt.Sprintf("a%d", i); id != want {
				t.Fatalf("arrival %d: %s, want %s", i, id, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 3 ordered deliveries arrived", i)
		}
	}
}
