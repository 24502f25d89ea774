package portal

import (
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestChartAttemptsByOutcome: the chart splits each bucket's attempts into
// the accepted ones (one per delivery that succeeded there) and the failed
// rest, and says the totals in its title.
func TestChartAttemptsByOutcome(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	st := &hookd.Stats{Buckets: []hookd.StatsBucket{
		{Start: t0, StatsTotals: hookd.StatsTotals{Succeeded: 2, Failed: 1, Attempts: 6, P50MS: 3, P99MS: 9}},
		{Start: t0.Add(time.Hour)},
		{Start: t0.Add(2 * time.Hour), StatsTotals: hookd.StatsTotals{Succeeded: 1, Attempts: 1, P50MS: 2, P99MS: 2}},
	}, Totals: hookd.StatsTotals{Succeeded: 3, Failed: 1, Attempts: 7, P50MS: 3, P99MS: 9}}
	svg := string(drawCharts(st, "24h"))
	if !strings.Contains(svg, "<title>Over 24h: 3 succeeded, 1 failed, 7 attempts (3 accepted, 4 failed), p50 3 ms, p99 9 ms</title>") {
		t.Errorf("title: %.300s", svg)
	}
	for _, want := range []string{"Attempts by outcome (max 6)", ">accepted<", ">failed<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	// Accepted bars in two buckets, failed attempts' bar in one; each
	// colour once more in the legend.
	if n := strings.Count(svg, `fill="#37b24d"/>`); n != 2+1 {
		t.Errorf("%d accepted bars, want 2 (and the legend's)", n-1)
	}
	if n := strings.Count(svg, `fill="#f08c00"/>`); n != 1+1 {
		t.Errorf("%d failed-attempt bars, want 1 (and the legend's)", n-1)
	}
}
