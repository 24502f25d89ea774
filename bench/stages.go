package bench

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// stageMetrics are the histograms of hookd's /metrics that time the stages
// between a publish and its arrival, in the order a delivery meets them.
var stageMetrics = []struct{ metric, name string }{
	{"hookd_publish_duration_seconds", "publish answered (commit included)"},
	{"hookd_commit_duration_seconds", "group commit (one fsync)"},
	{"hookd_delivery_lag_seconds", "due to attempt start"},
	{"hookd_attempt_duration_seconds", "attempt (HTTP request)"},
	{"hookd_delivery_latency_seconds", "publish to success"},
}

// Stages reads the /metrics of hookd nodes (their URLs) and describes, one
// line per stage, how many times it was timed on all of them and the
// bucket bounds under which half and 99 % of those times fell (the
// histograms' resolution: a bound, not a measurement).
func Stages(urls ...string) (string, error) {
	byName := map[string][]*dto.Metric{}
	for _, u := range urls {
		res, err := http.Get(strings.TrimSuffix(u, "/") + "/metrics")
		if err != nil {
			return "", err
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(res.Body)
		res.Body.Close()
		if err != nil {
			return "", fmt.Errorf("%s/metrics: %w", u, err)
		}
		for name, f := range fams {
			byName[name] = append(byName[name], f.GetMetric()...)
		}
	}
	var b strings.Builder
	for _, s := range stageMetrics {
		count, buckets := mergeBuckets(byName[s.metric])
		if count == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-36s %8d  p50 <= %-8s p99 <= %s\n", s.name, count,
			bound(buckets, count, 0.50), bound(buckets, count, 0.99))
	}
	return b.String(), nil
}

// mergeBuckets adds up the histograms of a family's label sets.
func mergeBuckets(ms []*dto.Metric) (uint64, map[float64]uint64) {
	var count uint64
	buckets := map[float64]uint64{}
	for _, m := range ms {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		count += h.GetSampleCount()
		for _, bk := range h.GetBucket() {
			buckets[bk.GetUpperBound()] += bk.GetCumulativeCount()
		}
	}
	return count, buckets
}

// bound returns the smallest bucket bound under which the fraction q of
// count observations fell, as a duration.
func bound(buckets map[float64]uint64, count uint64, q float64) string {
	best := math.Inf(1)
	for ub, c := range buckets {
		if float64(c) >= q*float64(count) && ub < best {
			best = ub
		}
	}
	if math.IsInf(best, 1) {
		return "+Inf"
	}
	ms := best * 1000
	if ms < 1 {
		return fmt.Sprintf("%.1fms", ms)
	}
	return fmt.Sprintf("%.0fms", ms)
}
