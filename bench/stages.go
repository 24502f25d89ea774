package bench

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
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
// histograms' resolution: a bound, not a measurement), and their mean
// (the histograms' sums: a measurement).
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
		count, sum, buckets := mergeBuckets(byName[s.metric])
		if count == 0 {
			continue
		}
		fmt.Fprintf(&b, "  %-36s %8d  p50 <= %-8s p99 <= %-8s mean %.2f ms\n", s.name, count,
			bound(buckets, count, 0.50), bound(buckets, count, 0.99), 1000*sum/float64(count))
	}
	return b.String(), nil
}

// mergeBuckets adds up the histograms of a family's label sets: their
// counts, sums (seconds) and buckets.
func mergeBuckets(ms []*dto.Metric) (uint64, float64, map[float64]uint64) {
	var count uint64
	var sum float64
	buckets := map[float64]uint64{}
	for _, m := range ms {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		count += h.GetSampleCount()
		sum += h.GetSampleSum()
		for _, bk := range h.GetBucket() {
			buckets[bk.GetUpperBound()] += bk.GetCumulativeCount()
		}
	}
	return count, sum, buckets
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
	return strconv.FormatFloat(math.Round(best*1e6)/1e3, 'f', -1, 64) + "ms"
}
