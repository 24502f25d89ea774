package delivery_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// TestRetriesOnTimeBetweenPolls: a retry is claimed when it falls due, not
// at the next poll. With polls 30 s apart and a schedule of 1 s, 1 s, the
// three tries come about a second apart (before, the second came with the
// poll, 30 s after the first); never sooner than the schedule.
func TestRetriesOnTimeBetweenPolls(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		b := setupOn(t, open(t), 500, func(e *hookd.Endpoint) {
			e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second), hookd.Duration(time.Second)}
		}, func(c *delivery.Config) {
			c.Clock, c.PollInterval = hookd.SystemClock{}, 30*time.Second
		})
		d := b.publish(t, "e1")
		var at []time.Time
		for range 3 {
			select {
			case <-b.hits:
				at = append(at, time.Now())
			case <-time.After(20 * time.Second):
				t.Fatalf("try %d did not come within 20 s of the one before (tries so far at %v)", len(at)+1, at)
			}
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < 900*time.Millisecond || gap > 15*time.Second {
				t.Errorf("try %d came %v after the one before; want about 1 s (the schedule), well before the next poll", i+1, gap)
			}
		}
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
		if got.State != hookd.StateFailed || got.Attempts != 3 {
			t.Fatalf("after the schedule: %s after %d tries; want failed after 3", got.State, got.Attempts)
		}
	})
}

// slowClaim is a store whose claims take 50 ms, as a large one does.
type slowClaim struct{ hookd.Database }

func (s slowClaim) Claim(ctx context.Context, node string, now time.Time, max int, skip []string) ([]*hookd.Job, error) {
	time.Sleep(50 * time.Millisecond)
	return s.Database.Claim(ctx, node, now, max, skip)
}

// TestRetryDueDuringAClaim: a retry that falls due while the claim for
// another runs is claimed after it, not at the next poll (30 s here). Two
// deliveries 15 ms apart each fail once and are retried a second later.
func TestRetryDueDuringAClaim(t *testing.T) {
	t.Parallel()
	var n atomic.Int32
	b := setupOn(t, slowClaim{openStore(t)}, 500, func(e *hookd.Endpoint) {
		e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second)}
	}, func(c *delivery.Config) { c.Clock, c.PollInterval = hookd.SystemClock{}, 30*time.Second })
	b.mu.Lock()
	b.answer = func(*http.Request) int {
		if n.Add(1) <= 2 {
			return 500
		}
		return 200
	}
	b.mu.Unlock()
	b.publish(t, "e1")
	time.Sleep(15 * time.Millisecond)
	b.publish(t, "e2")
	for got := range 4 {
		select {
		case <-b.hits:
		case <-time.After(15 * time.Second):
			t.Fatalf("%d tries within the schedule, want 4 (each delivery's first and its retry)", got)
		}
	}
}

// lateCommit is a store whose first commit of a retry comes late, as one
// held up by a slow disk, a lock or a store that was away does: only once
// the retry is due, and only after a claim that began then has looked for
// work (and missed it, not yet committed); that claim ends after the
// commit.
type lateCommit struct {
	hookd.Database
	engine    atomic.Pointer[delivery.Engine]
	armed     atomic.Bool // the late commit has begun
	kicked    atomic.Bool // the claim it waits for is asked for
	claimed   chan struct{}
	committed chan struct{}
}

func (s *lateCommit) Apply(ctx context.Context, b *hookd.Batch) error {
	var due time.Time
	for _, r := range b.Results {
		if r.State == hookd.StatePending {
			due = r.NextAttemptAt
		}
	}
	if due.IsZero() || !s.armed.CompareAndSwap(false, true) {
		return s.Database.Apply(ctx, b)
	}
	time.Sleep(time.Until(due) + 100*time.Millisecond)
	s.kicked.Store(true)
	s.engine.Load().Kick()
	<-s.claimed
	err := s.Database.Apply(ctx, b)
	close(s.committed)
	return err
}

func (s *lateCommit) Claim(ctx context.Context, node string, now time.Time, max int, skip []string) ([]*hookd.Job, error) {
	jobs, err := s.Database.Claim(ctx, node, now, max, skip)
	if s.kicked.CompareAndSwap(true, false) {
		close(s.claimed)
		<-s.committed
		time.Sleep(200 * time.Millisecond) // the writer notes the retry's time meanwhile
	}
	return jobs, err
}

// TestRetryCommittedLateDuringAClaim: a retry whose result is committed
// only after it fell due, while a claim that began after its time runs
// (and looked before the commit), is claimed at once after that claim,
// not at the next poll (30 s here).
func TestRetryCommittedLateDuringAClaim(t *testing.T) {
	t.Parallel()
	st := &lateCommit{Database: openStore(t), claimed: make(chan struct{}), committed: make(chan struct{})}
	var n atomic.Int32
	b := setupOn(t, st, 500, func(e *hookd.Endpoint) {
		e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second)}
	}, func(c *delivery.Config) { c.Clock, c.PollInterval = hookd.SystemClock{}, 30*time.Second })
	st.engine.Store(b.engine)
	b.mu.Lock()
	b.answer = func(*http.Request) int {
		if n.Add(1) == 1 {
			return 500
		}
		return 200
	}
	b.mu.Unlock()
	d := b.publish(t, "e1")
	for got := range 2 {
		select {
		case <-b.hits:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d tries within 10 s, want 2 (the first and its retry, due 1 s after it)", got)
		}
	}
	if got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending }); got.State != hookd.StateSucceeded {
		t.Fatalf("delivery %s, want succeeded", got.State)
	}
}
