package delivery

import (
	"testing"
	"time"
)

// TestNeedWorker: a waiting job gets a worker of its own while the
// endpoint has fewer than minShare, is not known to be near, or has less
// than its share of MaxInFlight among the endpoints with workers; past
// that, one more only when no job was taken or finished for stallWait.
func TestNeedWorker(t *testing.T) {
	now := time.Now()
	recent, stalled := now.Add(-time.Millisecond), now.Add(-stallWait)
	near := func(q *queue) { q.base, q.mean = 40*time.Microsecond, 3*time.Millisecond }
	cases := []struct {
		name     string
		active   int64
		workers  int
		progress time.Time
		pace     func(q *queue)
		want     bool
	}{
		{"fewer than minShare", 10, minShare - 1, recent, near, true},
		{"not timed yet", 10, 20, recent, func(*queue) {}, true},
		{"far: shortest attempt 2 ms", 10, 20, recent, func(q *queue) { q.base, q.mean = 2*time.Millisecond, 3*time.Millisecond }, true},
		{"far: slow on average", 10, 20, recent, func(q *queue) { q.base, q.mean = 40*time.Microsecond, nearMean }, true},
		{"near, within its share of 64 among 10", 10, 5, recent, near, true},
		{"near, its share of 64 among 10", 10, 6, recent, near, false},
		{"near, one endpoint: the whole 64", 1, 40, recent, near, true},
		{"near, share below minShare", 40, minShare, recent, near, false},
		{"near, its share, stalled", 10, 6, stalled, near, true},
		{"near by the current window", 10, 6, recent, func(q *queue) {
			q.base, q.mean, q.windowMin, q.windowN = 2*time.Millisecond, 3*time.Millisecond, 40*time.Microsecond, 3
		}, false},
	}
	for _, c := range cases {
		e := &Engine{cfg: Config{MaxInFlight: 64}}
		e.active.Store(c.active)
		q := &queue{e: e, workers: c.workers, busy: c.workers, progress: c.progress}
		c.pace(q)
		if got := q.needWorker(now); got != c.want {
			t.Errorf("%s: needWorker = %v, want %v", c.name, got, c.want)
		}
	}
	// A worker started for a stall counts as progress: the next waits
	// another stallWait.
	e := &Engine{cfg: Config{MaxInFlight: 64}}
	e.active.Store(10)
	q := &queue{e: e, workers: 6, busy: 6, progress: stalled}
	near(q)
	if !q.needWorker(now) || q.needWorker(now) || !q.needWorker(now.Add(stallWait)) {
		t.Fatal("a stalled near endpoint gets one worker each stallWait")
	}
}

// TestShortestAttemptWindow: the shortest attempt of a whole window of
// baseEvery replaces the last window's; the mean follows every attempt.
func TestShortestAttemptWindow(t *testing.T) {
	q := &queue{}
	q.timed(3 * time.Millisecond)
	for range baseEvery - 1 {
		q.timed(2 * time.Millisecond)
	}
	if q.base != 2*time.Millisecond || q.windowN != 0 || !(q.mean > 2*time.Millisecond && q.mean < 3*time.Millisecond) {
		t.Fatalf("after a window of 2 ms attempts: base %v, window %d, mean %v", q.base, q.windowN, q.mean)
	}
	if q.near() {
		t.Fatal("an endpoint whose shortest attempt took 2 ms is near")
	}
	q.timed(50 * time.Microsecond)
	if q.base != 2*time.Millisecond || q.windowN != 1 || !q.near() {
		t.Fatalf("after a 50 µs attempt: base %v, window %d, near %v; want near by the current window", q.base, q.windowN, q.near())
	}
}
