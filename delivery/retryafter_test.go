package delivery_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// withProfile sets an endpoint's profile and gives it a secret of that
// profile's format.
func withProfile(name string) func(*hookd.Endpoint) {
	return func(e *hookd.Endpoint) {
		p, err := profile.New(nil).Get(name)
		if err != nil {
			panic(err)
		}
		secret, _ := p.NewSecret()
		e.Profile, e.Secrets = name, []hookd.Secret{{Value: secret}}
	}
}

// walk follows a delivery's retries with the fake clock: after each try
// the next is due exactly delays[i] later (the injected randomness adds no
// jitter), and comes neither before nor after that time.
func (b *bundle) walk(t *testing.T, id string, delays []time.Duration) {
	t.Helper()
	for i, delay := range delays {
		got := b.waitDelivery(t, id, func(d *hookd.Delivery) bool { return d.Attempts == i+1 && d.NextAttemptAt != nil })
		want := b.clock.Now().Add(delay)
		if got.State != hookd.StatePending || !got.NextAttemptAt.Equal(want) {
			t.Fatalf("after try %d: %s, next try due %v; want pending, due %v (%v later)", i+1, got.State, got.NextAttemptAt, want, delay)
		}
		b.clock.Add(delay - time.Millisecond)
		select {
		case <-b.hits:
			t.Fatalf("try %d came before its time", i+2)
		case <-time.After(50 * time.Millisecond):
		}
		b.clock.Add(time.Millisecond)
		if at := b.next(t); !at.Equal(want) {
			t.Fatalf("try %d at %v, want %v", i+2, at, want)
		}
	}
}

// TestRetryAfterKeepsSchedule: an endpoint answering 503 with
// "Retry-After: 1" (what a load balancer sends during a deploy) is retried
// on its profile's whole schedule, 1 + len(schedule) tries, before the
// delivery fails: a short Retry-After neither shortens a wait nor spends
// the tries. Lean's times count from the first send (1, 2, 5, 10, 60 and
// 180 min after it).
func TestRetryAfterKeepsSchedule(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		profile string
		delays  []time.Duration // between one try and the next
	}{
		{"standard", []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}},
		{"lean", []time.Duration{time.Minute, time.Minute, 3 * time.Minute, 5 * time.Minute, 50 * time.Minute, 120 * time.Minute}},
		{"weavr", []time.Duration{10 * time.Second, time.Minute, 6 * time.Minute, 36 * time.Minute, 216 * time.Minute}},
		{"linkmoney", []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			t.Parallel()
			b := setup(t, http.StatusServiceUnavailable, withProfile(tc.profile))
			b.mu.Lock()
			b.retryAfter = "1"
			b.mu.Unlock()
			d := b.publish(t, "e1")
			b.next(t)
			b.walk(t, d.ID, tc.delays)
			got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
			if got.State != hookd.StateFailed || got.Attempts != 1+len(tc.delays) || got.LastStatus != 503 {
				t.Fatalf("after the schedule: %s after %d tries (last status %d); want failed after %d, 503",
					got.State, got.Attempts, got.LastStatus, 1+len(tc.delays))
			}
		})
	}
}

// TestRetryAfterLengthensWait: a Retry-After longer than the schedule's
// delay is honoured, up to the engine's bound (1 h), in seconds or as an
// HTTP date; a shorter one leaves the schedule's delay. The due times are
// the store's, so the standard profile's walk runs on both stores.
func TestRetryAfterLengthensWait(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		b := setupOn(t, open(t), http.StatusServiceUnavailable, nil, nil)
		n := 0
		b.mu.Lock()
		b.answer = func(*http.Request) int {
			n++
			b.retryAfter = map[int]string{
				1: "120",  // schedule 5 s: waits 2 min
				2: "7200", // schedule 5 min: waits the bound, 1 h
				// schedule 30 min: waits until the date, 45 min on
				3: b.clock.Now().Add(45 * time.Minute).Format(http.TimeFormat),
				4: "60", // schedule 2 h: the schedule's
			}[n]
			if n == 2 {
				return http.StatusTooManyRequests
			}
			return http.StatusServiceUnavailable
		}
		b.mu.Unlock()
		d := b.publish(t, "e1")
		b.next(t)
		b.walk(t, d.ID, []time.Duration{2 * time.Minute, time.Hour, 45 * time.Minute, 2 * time.Hour})
	})
	t.Run("lean", func(t *testing.T) {
		t.Parallel()
		b := setup(t, http.StatusServiceUnavailable, withProfile("lean"))
		b.mu.Lock()
		b.retryAfter = "600" // the first retry waits 10 min instead of 1
		b.mu.Unlock()
		d := b.publish(t, "e1")
		b.next(t)
		b.walk(t, d.ID, []time.Duration{10 * time.Minute})
	})
}

// TestRetryAfterHugeBounded: a Retry-After of more seconds than a
// time.Duration holds (delay-seconds is any run of digits) is a very long
// wait, so the engine's bound (1 h) is waited, not the schedule's 5 s as
// when the count of nanoseconds wrapped around or failed to parse.
func TestRetryAfterHugeBounded(t *testing.T) {
	t.Parallel()
	for _, ra := range []string{"9223372037", "99999999999999999999"} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			b := setup(t, http.StatusServiceUnavailable, nil)
			b.mu.Lock()
			b.retryAfter = ra
			b.mu.Unlock()
			d := b.publish(t, "e1")
			b.next(t)
			b.walk(t, d.ID, []time.Duration{time.Hour})
		})
	}
}

// TestLeanRetryAfterNoBurst: Lean's schedule counts from the first send
// (1, 2, 5, 10, 60 and 180 min after it). A Retry-After of 15 min on the
// first answer moves the second try past the 2, 5 and 10 min points; the
// tries after it keep the schedule's gaps (1, 3, 5, 50 and 120 min) rather
// than go out back to back, and the delivery still gets its seven tries.
func TestLeanRetryAfterNoBurst(t *testing.T) {
	t.Parallel()
	b := setup(t, http.StatusServiceUnavailable, withProfile("lean"))
	n := 0
	b.mu.Lock()
	b.answer = func(*http.Request) int {
		n++
		b.retryAfter = ""
		if n == 1 {
			b.retryAfter = "900"
		}
		return http.StatusServiceUnavailable
	}
	b.mu.Unlock()
	d := b.publish(t, "e1")
	b.next(t)
	b.walk(t, d.ID, []time.Duration{15 * time.Minute, time.Minute, 3 * time.Minute, 5 * time.Minute, 50 * time.Minute, 120 * time.Minute})
	got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
	if got.State != hookd.StateFailed || got.Attempts != 7 {
		t.Fatalf("after the schedule: %s after %d tries; want failed after 7", got.State, got.Attempts)
	}
}

// TestWeavrFinalWithRetryAfter: Weavr's 429 is final, with or without
// Retry-After; its 503 with Retry-After is retried.
func TestWeavrFinalWithRetryAfter(t *testing.T) {
	t.Parallel()
	for _, ra := range []string{"", "1", "30"} {
		b := setup(t, http.StatusTooManyRequests, withProfile("weavr"))
		b.mu.Lock()
		b.retryAfter = ra
		b.mu.Unlock()
		d := b.publish(t, "e1")
		b.next(t)
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
		if got.State != hookd.StateFailed || got.Attempts != 1 {
			t.Fatalf("429 with Retry-After %q: %s after %d tries, want failed after 1", ra, got.State, got.Attempts)
		}
		b.clock.Add(time.Hour)
		select {
		case <-b.hits:
			t.Fatalf("429 with Retry-After %q was retried", ra)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestPolicyRetry: the rule of hookd.Policy.Retry on its own.
func TestPolicyRetry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	weavr := profile.Weavr{}.Policy()
	lean := profile.Lean{}.Policy()
	std := profile.Standard{}.Policy()
	std.RetryAfterMax = 10 * time.Minute
	for _, c := range []struct {
		name             string
		pol              hookd.Policy
		tries            int
		status           int
		retryAfter       time.Duration
		first, sent, now time.Time // first try sent; the last sent and ended
		want             time.Duration
		ok               bool
	}{
		{"short Retry-After keeps the delay", std, 1, 503, time.Second, now, now, now, 5 * time.Second, true},
		{"long Retry-After lengthens it", std, 1, 503, 2 * time.Minute, now, now, now, 2 * time.Minute, true},
		{"bounded", std, 1, 503, 2 * time.Hour, now, now, now, 10 * time.Minute, true},
		{"no try left whatever Retry-After", std, 8, 503, time.Second, now, now, now, 0, false},
		{"weavr 429 final", weavr, 1, 429, time.Second, now, now, now, 0, false},
		{"weavr 503 retried", weavr, 1, 503, time.Minute, now, now, now, time.Minute, true},
		{"weavr no answer retried", weavr, 1, 0, 0, now, now, now, 10 * time.Second, true},
		{"lean from the first send", lean, 2, 503, time.Second, now, now.Add(time.Minute), now.Add(70 * time.Second), 50 * time.Second, true},
		{"lean late try: the gap to the next point waited", lean, 2, 503, 30 * time.Second, now, now.Add(3 * time.Minute), now.Add(3 * time.Minute), time.Minute, true},
		{"lean late try: a longer Retry-After waited", lean, 2, 503, 90 * time.Second, now, now.Add(3 * time.Minute), now.Add(3 * time.Minute), 90 * time.Second, true},
		{"default bound 1 h", profile.Lean{}.Policy(), 1, 503, 5 * time.Hour, now, now, now, time.Hour, true},
	} {
		d, ok := c.pol.Retry(c.tries, c.status, c.retryAfter, c.first, c.sent, c.now, 0) // 0: no jitter
		if d != c.want || ok != c.ok {
			t.Errorf("%s: Retry = %v, %v; want %v, %v", c.name, d, ok, c.want, c.ok)
		}
	}
}
