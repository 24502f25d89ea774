package hookd

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"
)

// Bounds of a stats query: a window of at most MaxStatsWindow cut into at
// most MaxStatsBuckets buckets of at least MinStatsInterval, so that any
// query reads a bounded range of the attempts index and answers a bounded
// document.
const (
	MaxStatsWindow   = 90 * 24 * time.Hour
	MaxStatsBuckets  = 1000
	MinStatsInterval = time.Minute
)

// StatsQuery selects the window of an endpoint's stats: [Since, Until) in
// buckets of Interval. Zero values take defaults (see Defaults).
type StatsQuery struct {
	Since, Until time.Time
	Interval     time.Duration
}

// statsIntervals are the bucket widths a query without an interval gets:
// the smallest that cuts the window into at most 60 buckets.
var statsIntervals = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour,
	3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// Defaults fills the zero fields at now: Until now, Since 24 hours before
// Until, Interval the smallest of 1m, 5m, 15m, 1h, 3h, 6h, 12h, 24h that
// makes at most 60 buckets. Since and Until are truncated to the
// millisecond, as the store keeps times.
func (q *StatsQuery) Defaults(now time.Time) {
	if q.Until.IsZero() {
		q.Until = now
	}
	if q.Since.IsZero() {
		q.Since = q.Until.Add(-24 * time.Hour)
	}
	q.Since, q.Until = q.Since.Truncate(time.Millisecond).UTC(), q.Until.Truncate(time.Millisecond).UTC()
	if q.Interval == 0 {
		w := q.Until.Sub(q.Since)
		q.Interval = statsIntervals[len(statsIntervals)-1]
		for _, iv := range statsIntervals {
			if w <= 60*iv {
				q.Interval = iv
				break
			}
		}
	}
}

// Validate checks a query whose defaults are filled.
func (q *StatsQuery) Validate() error {
	var ds []Detail
	switch w := q.Until.Sub(q.Since); {
	case w <= 0:
		ds = append(ds, Detail{Path: "since", Rule: "before_until", Message: "since must be before until (until defaults to now)"})
	case w > MaxStatsWindow:
		ds = append(ds, Detail{Path: "since", Rule: "max_window", Message: "the window from since to until must be at most 90 days (2160h)"})
	case q.Interval < MinStatsInterval || q.Interval%time.Second != 0:
		ds = append(ds, Detail{Path: "interval", Rule: "min", Message: "interval must be at least 1m, in whole seconds (90s, 5m, 1h)"})
	case q.BucketCount() > MaxStatsBuckets:
		ds = append(ds, Detail{Path: "interval", Rule: "max_buckets", Message: "interval must cut the window into at most 1000 buckets"})
	}
	if len(ds) > 0 {
		return &Error{Code: EINVALID, Message: "invalid stats query: " + ds[0].Message, Details: ds}
	}
	return nil
}

// BucketCount is how many buckets cut the window of a query whose
// defaults are filled, the last one short when the interval does not
// divide the window; one for an interval as wide as the window or wider.
// Counted without w+Interval-1, which overflows for an interval near the
// largest Duration.
func (q *StatsQuery) BucketCount() int64 {
	w := q.Until.Sub(q.Since)
	n := int64(w / q.Interval)
	if w%q.Interval != 0 {
		n++
	}
	return n
}

// Stats are the figures of an endpoint over a window, in buckets and in
// total. A delivery counts as succeeded or failed in the bucket of the
// attempt that left it so (one retried by hand after that counts again
// when it ends again); attempts and latencies count every attempt made in
// the bucket.
type Stats struct {
	Buckets []StatsBucket `json:"buckets"`
	Totals  StatsTotals   `json:"totals"`
}

// StatsBucket is one interval of Stats, from Start.
type StatsBucket struct {
	Start time.Time `json:"start"`
	StatsTotals
}

// StatsTotals are the counts and attempt latency percentiles (nearest
// rank, whole milliseconds; 0 when there was no attempt) of a window.
type StatsTotals struct {
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	Attempts  int64 `json:"attempts"`
	P50MS     int64 `json:"p50_ms"`
	P99MS     int64 `json:"p99_ms"`
}

// StatsService answers the stats of an endpoint.
type StatsService interface {
	// EndpointStats answers the stats of one endpoint of the tenant
	// (ErrNotFound for another tenant's) over the query's window.
	EndpointStats(ctx context.Context, tenantID, id string, q StatsQuery) (*Stats, error)
}

// DurationCount is how many attempts of a bucket took DurationMS: the
// form in which a store hands over a bucket's latencies, so a window of
// many attempts costs as many rows as there are distinct durations.
type DurationCount struct {
	DurationMS int64
	Count      int64
}

// Percentile returns the nearest-rank p-th percentile (1 <= p <= 100) of
// the durations counted in dc, which must be sorted by DurationMS; 0 when
// there are none.
func Percentile(dc []DurationCount, p int64) int64 {
	var n int64
	for _, d := range dc {
		n += d.Count
	}
	if n == 0 {
		return 0
	}
	rank := max((n*p+99)/100, 1) // ceil(n*p/100)
	var seen int64
	for _, d := range dc {
		seen += d.Count
		if seen >= rank {
			return d.DurationMS
		}
	}
	return dc[len(dc)-1].DurationMS
}

// ParseStatsQuery reads a stats query from URL parameters: since and until
// as RFC 3339 times, interval as a duration ("5m", "1h") or a number of
// seconds. Absent ones stay zero, for Defaults.
func ParseStatsQuery(v url.Values) (StatsQuery, error) {
	var q StatsQuery
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		s := v.Get(f.name)
		if s == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return q, &Error{Code: EINVALID, Message: f.name + " must be an RFC 3339 time, like 2025-03-01T12:00:00Z",
				Details: []Detail{{Path: f.name, Rule: "rfc3339", Message: "not an RFC 3339 time: " + s}}}
		}
		*f.to = t
	}
	if s := v.Get("interval"); s != "" {
		d, err := time.ParseDuration(s)
		if n, nerr := strconv.ParseInt(s, 10, 64); nerr == nil {
			d, err = time.Duration(n)*time.Second, nil
			if n > int64(math.MaxInt64/time.Second) {
				d = 0 // more seconds than a Duration holds: n*time.Second wraps around
			}
		}
		if err != nil || d <= 0 {
			return q, &Error{Code: EINVALID, Message: "interval must be a duration like 5m or 1h, or a number of seconds",
				Details: []Detail{{Path: "interval", Rule: "duration", Message: "not a positive duration: " + s}}}
		}
		q.Interval = d
	}
	return q, nil
}
