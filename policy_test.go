package hookd_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// TestJitterOnlyLengthens: over many random draws, every delay of the
// profiles' schedules and of an endpoint's own schedule (which takes the
// profile's jitter) lies in [d, d*(1+Jitter)], so no retry comes before its
// time and the tries of a delivery span at least the whole schedule.
func TestJitterOnlyLengthens(t *testing.T) {
	t.Parallel()
	custom := profile.Standard{}.Policy()
	custom.Schedule = []time.Duration{time.Second, 3 * time.Second, time.Minute, 7 * 24 * time.Hour}
	policies := map[string]hookd.Policy{
		"standard":  profile.Standard{}.Policy(),
		"weavr":     profile.Weavr{}.Policy(),
		"linkmoney": profile.LinkMoney{}.Policy(),
		"custom":    custom,
	}
	wantJitter := map[string]float64{"standard": 0.2, "weavr": 0.1, "linkmoney": 0.2, "custom": 0.2}
	rng := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same draws every run
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for name, pol := range policies {
		if pol.Jitter != wantJitter[name] {
			t.Errorf("%s: jitter %v, want %v", name, pol.Jitter, wantJitter[name])
		}
		var sum time.Duration
		for _, d := range pol.Schedule {
			sum += d
		}
		for range 2000 {
			now := t0
			for tries := 1; ; tries++ {
				d, ok := pol.Retry(tries, 503, 0, t0, now, now, rng.Float64())
				if !ok {
					if tries != len(pol.Schedule)+1 {
						t.Fatalf("%s: %d tries, want %d", name, tries, len(pol.Schedule)+1)
					}
					break
				}
				sched := pol.Schedule[tries-1]
				if hi := sched + time.Duration(float64(sched)*pol.Jitter); d < sched || d > hi {
					t.Fatalf("%s: retry %d after %v, want %v to %v", name, tries, d, sched, hi)
				}
				now = now.Add(d)
			}
			if span := now.Sub(t0); span < sum {
				t.Fatalf("%s: tries span %v, less than the schedule's %v", name, span, sum)
			}
		}
	}
	// The extremes of the random number: exactly d, and at most d*(1+J).
	std := profile.Standard{}.Policy()
	if d, _ := std.NextDelay(1, t0, t0, t0, 0); d != 5*time.Second {
		t.Errorf("rnd 0: %v, want 5s", d)
	}
	if d, _ := std.NextDelay(1, t0, t0, t0, 0.999999); d <= 5*time.Second || d > 6*time.Second {
		t.Errorf("rnd ~1: %v, want just under 6s", d)
	}
}
