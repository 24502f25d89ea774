package bench

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestStages: the stage lines add up two nodes' histograms (over their
// label sets), give the bucket bounds of p50 and p99 and the mean from
// the sums; a stage no node timed has no line.
func TestStages(t *testing.T) {
	var urls []string
	for _, times := range [][]float64{{0.001, 0.002}, {0.003, 0.006}} {
		reg := prometheus.NewRegistry()
		h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookd_publish_duration_seconds",
			Buckets: []float64{0.0025, 0.005, 0.01}}, []string{"route"})
		reg.MustRegister(h)
		for i, s := range times {
			h.WithLabelValues([]string{"/a", "/b"}[i%2]).Observe(s)
		}
		srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	out, err := Stages(urls...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one stage line, got:\n%s", out)
	}
	// 4 times, 2 at or under 2.5 ms, 3 under 5 ms, all under 10 ms; mean 3 ms.
	for _, want := range []string{"publish answered (commit included)", " 4 ", "p50 <= 2.5ms", "p99 <= 10ms", "mean 3.00 ms"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("stage line %q lacks %q", lines[0], want)
		}
	}
}
