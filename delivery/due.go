package delivery

import (
	"container/heap"
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// maxDueTimes bounds the retry times a node keeps, and dueHorizon how far
// ahead they may be: beyond either the poll finds the rest, at most a
// PollInterval late, which a wait of more than a minute hardly notices.
const (
	maxDueTimes = 4096
	dueHorizon  = time.Minute
)

// dueGap is the least time between two claims the due times ask for, so
// that a failing endpoint's retries, each due at its own jittered time,
// are claimed in groups rather than one claim each.
const dueGap = 20 * time.Millisecond

// dueTimes keeps the times at which the deliveries this node committed for
// a later try fall due (a retry, a hand-back), so that the poller claims
// each at its time rather than at its next poll: with the default second
// between polls a retry scheduled 1 s after a try came up to 2 s after it.
// Only the times are kept, not the deliveries: the claim finds them, on
// whichever node comes first.
type dueTimes struct {
	mu      sync.Mutex
	times   minHeap       // unix nanoseconds
	earlier chan struct{} // a time earlier than every other was added
}

func newDueTimes() *dueTimes { return &dueTimes{earlier: make(chan struct{}, 1)} }

// note keeps the due times of a batch's pending results and its
// hand-backs to the queue (a parked delivery waits for its endpoint, not a
// time), committed at now, and tells the poller when one is now the
// earliest. A time already past is kept as now: a claim that began after
// it but looked before the commit did not find its delivery, and drop,
// after that claim, must not forget it.
func (d *dueTimes) note(b *hookd.Batch, now time.Time) {
	var ts []int64
	for _, r := range b.Results {
		if r.State == hookd.StatePending && soon(r.At, r.NextAttemptAt) {
			ts = append(ts, r.NextAttemptAt.UnixNano())
		}
	}
	for _, h := range b.HandBacks {
		if h.Owner == "" && soon(h.At, h.NextAttemptAt) {
			ts = append(ts, h.NextAttemptAt.UnixNano())
		}
	}
	if len(ts) == 0 {
		return
	}
	d.mu.Lock()
	first := false
	for _, t := range ts {
		if len(d.times) >= maxDueTimes {
			break
		}
		t = max(t, now.UnixNano())
		if t < d.times.min() {
			first = true
		}
		heap.Push(&d.times, t)
	}
	d.mu.Unlock()
	if first {
		select {
		case d.earlier <- struct{}{}:
		default:
		}
	}
}

// soon: a time due after at, within the horizon.
func soon(at, due time.Time) bool {
	return due.After(at) && due.Sub(at) <= dueHorizon
}

// sleep is how long the poller may sleep at now: until the earliest time
// to come, at most poll; 0 when one has come.
func (d *dueTimes) sleep(now time.Time, poll time.Duration) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.times) == 0 {
		return poll
	}
	// A millisecond more: the stores keep times to the millisecond.
	return min(poll, max(0, time.Duration(d.times[0]-now.UnixNano())+time.Millisecond))
}

// drop forgets the times that have come by now, after a claim: it found
// their deliveries, or another node's did, or they wait for their
// endpoint's room in memory, which asks for a claim when it frees.
func (d *dueTimes) drop(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for n := now.UnixNano(); len(d.times) > 0 && d.times[0] <= n; {
		heap.Pop(&d.times)
	}
}

// minHeap is a container/heap of unix nanoseconds, the earliest first.
type minHeap []int64

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int64)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// min is the earliest time, or the largest int64 when there is none.
func (h minHeap) min() int64 {
	if len(h) == 0 {
		return 1<<63 - 1
	}
	return h[0]
}
