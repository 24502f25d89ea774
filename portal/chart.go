package portal

import (
	"bytes"
	"fmt"
	"html"
	"time"

	"github.com/hookd/hookd"
)

// Chart geometry, in SVG user units.
const (
	chartW   = 720
	chartH   = 160
	chartPad = 36
)

// drawCharts draws an endpoint's stats as one SVG: deliveries succeeded
// and failed per bucket (stacked bars) with attempts as a line, the
// attempts by outcome (stacked: accepted, the attempt that ended each
// succeeded delivery; failed, every other, a non-2xx answer or none), and
// the attempts' p50 and p99 latency. Colours are attributes, not styles, so
// the strict CSP needs no exception; every text is escaped.
func drawCharts(st *hookd.Stats, rangeKey string) []byte {
	var b bytes.Buffer
	total := 3*chartH + 4*chartPad + 24
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" font-family="system-ui, sans-serif" font-size="11">`,
		chartW, total, chartW, total)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(fmt.Sprintf("Over %s: %d succeeded, %d failed, %d attempts (%d accepted, %d failed), p50 %d ms, p99 %d ms",
		rangeKey, st.Totals.Succeeded, st.Totals.Failed, st.Totals.Attempts, min(st.Totals.Succeeded, st.Totals.Attempts),
		st.Totals.Attempts-min(st.Totals.Succeeded, st.Totals.Attempts), st.Totals.P50MS, st.Totals.P99MS)))
	n := len(st.Buckets)
	if n == 0 {
		b.WriteString(`</svg>`)
		return b.Bytes()
	}
	plotW := float64(chartW - 2*chartPad)
	bw := plotW / float64(n)
	x := func(i int) float64 { return chartPad + float64(i)*bw }

	// Deliveries.
	top := float64(chartPad)
	var maxD int64 = 1
	for _, k := range st.Buckets {
		maxD = max(maxD, k.Succeeded+k.Failed, k.Attempts)
	}
	y := func(v int64) float64 { return top + chartH - float64(v)/float64(maxD)*chartH }
	axes(&b, top, fmt.Sprintf("Deliveries (max %d)", maxD))
	for i, k := range st.Buckets {
		if k.Succeeded > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2b8a3e"/>`, x(i)+0.5, y(k.Succeeded), max(bw-1, 0.5), top+chartH-y(k.Succeeded))
		}
		if k.Failed > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#c92a2a"/>`, x(i)+0.5, y(k.Succeeded+k.Failed), max(bw-1, 0.5), y(k.Succeeded)-y(k.Succeeded+k.Failed))
		}
	}
	line(&b, st.Buckets, func(k hookd.StatsBucket) float64 { return y(k.Attempts) }, x, bw, "#495057", "4 2")
	legend(&b, top-8, [][2]string{{"#2b8a3e", "succeeded"}, {"#c92a2a", "failed"}, {"#495057", "attempts"}})

	// Attempts by outcome: each succeeded delivery counts, in its bucket,
	// the attempt that was accepted; every other attempt there failed.
	top = 2*chartPad + chartH + 12
	var maxA int64 = 1
	for _, k := range st.Buckets {
		maxA = max(maxA, k.Attempts)
	}
	ya := func(v int64) float64 { return top + chartH - float64(v)/float64(maxA)*chartH }
	axes(&b, top, fmt.Sprintf("Attempts by outcome (max %d)", maxA))
	for i, k := range st.Buckets {
		ok := min(k.Succeeded, k.Attempts)
		if ok > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#37b24d"/>`, x(i)+0.5, ya(ok), max(bw-1, 0.5), top+chartH-ya(ok))
		}
		if bad := k.Attempts - ok; bad > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f08c00"/>`, x(i)+0.5, ya(k.Attempts), max(bw-1, 0.5), ya(ok)-ya(k.Attempts))
		}
	}
	legend(&b, top-8, [][2]string{{"#37b24d", "accepted"}, {"#f08c00", "failed"}})

	// Latency.
	top = 3*chartPad + 2*chartH + 24
	var maxL int64 = 1
	for _, k := range st.Buckets {
		maxL = max(maxL, k.P99MS)
	}
	yl := func(v int64) float64 { return top + chartH - float64(v)/float64(maxL)*chartH }
	axes(&b, top, fmt.Sprintf("Latency, ms (max %d)", maxL))
	line(&b, st.Buckets, func(k hookd.StatsBucket) float64 { return yl(k.P50MS) }, x, bw, "#1971c2", "")
	line(&b, st.Buckets, func(k hookd.StatsBucket) float64 { return yl(k.P99MS) }, x, bw, "#e8590c", "")
	legend(&b, top-8, [][2]string{{"#1971c2", "p50"}, {"#e8590c", "p99"}})

	// Time labels: first and last bucket.
	layout := "15:04"
	if st.Buckets[n-1].Start.Sub(st.Buckets[0].Start) > 36*time.Hour {
		layout = "Jan 2"
	}
	for _, yy := range []float64{chartPad + chartH + 13, 2*chartPad + 2*chartH + 25, top + chartH + 13} {
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" fill="#495057">%s</text>`, chartPad, yy, st.Buckets[0].Start.UTC().Format(layout))
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end" fill="#495057">%s UTC</text>`, chartW-chartPad, yy, st.Buckets[n-1].Start.UTC().Format(layout))
	}
	b.WriteString(`</svg>`)
	return b.Bytes()
}

func axes(b *bytes.Buffer, top float64, title string) {
	fmt.Fprintf(b, `<text x="%d" y="%.0f" font-weight="600" fill="#212529">%s</text>`, chartPad, top-8, html.EscapeString(title))
	fmt.Fprintf(b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#adb5bd"/>`, chartPad, top+chartH, chartW-chartPad, top+chartH)
	fmt.Fprintf(b, `<line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#dee2e6"/>`, chartPad, top, chartW-chartPad, top)
}

func line(b *bytes.Buffer, ks []hookd.StatsBucket, y func(hookd.StatsBucket) float64, x func(int) float64, bw float64, colour, dash string) {
	b.WriteString(`<polyline fill="none" stroke-width="1.5" stroke="` + colour + `"`)
	if dash != "" {
		b.WriteString(` stroke-dasharray="` + dash + `"`)
	}
	b.WriteString(` points="`)
	for i, k := range ks {
		fmt.Fprintf(b, "%.1f,%.1f ", x(i)+bw/2, y(k))
	}
	b.WriteString(`"/>`)
}

func legend(b *bytes.Buffer, y float64, items [][2]string) {
	x := chartW - chartPad - 90*len(items)
	for _, it := range items {
		fmt.Fprintf(b, `<rect x="%d" y="%.0f" width="10" height="10" fill="%s"/><text x="%d" y="%.0f" fill="#212529">%s</text>`,
			x, y-9, it[0], x+14, y, it[1])
		x += 90
	}
}
