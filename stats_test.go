package hookd_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestStatsQueryDefaults(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	for _, tc := range []struct {
		window time.Duration
		want   time.Duration
	}{{time.Hour, time.Minute}, {24 * time.Hour, time.Hour}, {7 * 24 * time.Hour, 3 * time.Hour}, {30 * 24 * time.Hour, 12 * time.Hour}} {
		q := hookd.StatsQuery{Since: now.Add(-tc.window)}
		q.Defaults(now)
		if err := q.Validate(); err != nil {
			t.Errorf("window %s: %v", tc.window, err)
		}
		if !q.Until.Equal(now) || q.Interval != tc.want {
			t.Errorf("window %s: until %s interval %s, want %s and %s", tc.window, q.Until, q.Interval, now, tc.want)
		}
	}
	var q hookd.StatsQuery
	q.Defaults(now)
	if q.Until.Sub(q.Since) != 24*time.Hour {
		t.Errorf("default window %s, want 24h", q.Until.Sub(q.Since))
	}
}

func TestParseStatsQuery(t *testing.T) {
	q, err := hookd.ParseStatsQuery(url.Values{"since": {"2026-01-01T00:00:00Z"}, "until": {"2026-01-02T00:00:00+01:00"}, "interval": {"3600"}})
	if err != nil {
		t.Fatal(err)
	}
	if q.Interval != time.Hour || q.Until.Sub(q.Since) != 23*time.Hour {
		t.Errorf("parsed %+v", q)
	}
	if q, err = hookd.ParseStatsQuery(url.Values{"interval": {"15m"}}); err != nil || q.Interval != 15*time.Minute {
		t.Errorf("interval 15m: %+v, %v", q, err)
	}
	for _, v := range []url.Values{{"since": {"yesterday"}}, {"until": {"1700000000"}}, {"interval": {"-5m"}}, {"interval": {"often"}},
		// Seconds past the largest Duration, which wrapped around: the
		// first to 60s, the second to a negative Duration.
		{"interval": {"36028797018964028"}}, {"interval": {"9223372037"}}} {
		_, err := hookd.ParseStatsQuery(v)
		if hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("%v: error %v, want invalid", v, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	dc := []hookd.DurationCount{{10, 98}, {20, 1}, {500, 1}}
	if p := hookd.Percentile(dc, 50); p != 10 {
		t.Errorf("p50 = %d", p)
	}
	if p := hookd.Percentile(dc, 99); p != 20 {
		t.Errorf("p99 = %d", p)
	}
	if p := hookd.Percentile(dc, 100); p != 500 {
		t.Errorf("p100 = %d", p)
	}
	if p := hookd.Percentile(nil, 99); p != 0 {
		t.Errorf("p99 of nothing = %d", p)
	}
}
