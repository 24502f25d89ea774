package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"os"
	"slices"
	"time"
)

// writePlot draws a run as SVG, by hand (no chart library): deliveries/s
// over time on the left, the publish-to-arrival latency distribution (the
// share of deliveries that arrived within a time) on the right.
func writePlot(file, title string, r *extResult) error {
	const w, h, pad = 960, 380, 56
	pw := (w - 3*pad) / 2 // panel width
	ph := h - 2*pad - 10
	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", w, h, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", pad, html.EscapeString(title))

	// Deliveries per second, in buckets of a tenth of the run (at least 100 ms).
	arr := slices.Clone(r.Arrival)
	slices.SortFunc(arr, func(a, b time.Time) int { return a.Compare(b) })
	var xs, ys []float64
	if len(arr) > 1 {
		span := arr[len(arr)-1].Sub(arr[0])
		bucket := max(100*time.Millisecond, span/60)
		counts := make([]int, int(span/bucket)+1)
		for _, t := range arr {
			counts[int(t.Sub(arr[0])/bucket)]++
		}
		for i, c := range counts {
			xs = append(xs, (time.Duration(i)*bucket + bucket/2).Seconds())
			ys = append(ys, float64(c)/bucket.Seconds())
		}
	}
	panel(&b, pad, pad+10, pw, ph, xs, ys, 0, "seconds since the first arrival", "deliveries/s",
		fmt.Sprintf("%.0f deliveries/s overall", r.rate()))

	// The latency distribution: share of deliveries within x ms, up to p99.9.
	xs, ys = nil, nil
	if n := len(r.Lat); n > 0 {
		top := r.Lat[min(n-1, n*999/1000)]
		for i := 0; i <= 200; i++ {
			x := time.Duration(float64(top) * float64(i) / 200)
			k, _ := slices.BinarySearch(r.Lat, x+1)
			xs = append(xs, millis(x))
			ys = append(ys, 100*float64(k)/float64(n))
		}
	}
	panel(&b, 2*pad+pw, pad+10, pw, ph, xs, ys, 100, "publish to arrival, ms (to p99.9)", "% of deliveries",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms", millis(r.P50), millis(r.P99)))
	b.WriteString("</svg>\n")
	return os.WriteFile(file, b.Bytes(), 0o644)
}

// panel draws axes with ticks and a polyline of the points; the y axis
// ends at top if it is set (a share in per cent ends at 100), else at a
// round value above the largest y.
func panel(b *bytes.Buffer, x0, y0, pw, ph int, xs, ys []float64, top float64, xlabel, ylabel, note string) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", x0, y0, pw, ph)
	xmax, ymax := 1.0, 1.0
	for i := range xs {
		xmax, ymax = max(xmax, xs[i]), max(ymax, ys[i])
	}
	xmax, ymax = nice(xmax), nice(ymax*1.05)
	if top > 0 {
		ymax = top
	}
	for i := 0; i <= 4; i++ {
		xv, yv := xmax*float64(i)/4, ymax*float64(i)/4
		px := x0 + pw*i/4
		py := y0 + ph - ph*i/4
		fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#eee"/>`+"\n", x0, py, x0+pw, py)
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", px, y0+ph+16, num(xv))
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", x0-4, py+4, num(yv))
	}
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", x0+pw/2, y0+ph+34, html.EscapeString(xlabel))
	fmt.Fprintf(b, `<text x="%d" y="%d">%s</text>`+"\n", x0, y0-6, html.EscapeString(ylabel))
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="#0b7285">%s</text>`+"\n", x0+pw-6, y0+16, html.EscapeString(note))
	if len(xs) == 0 {
		return
	}
	b.WriteString(`<polyline fill="none" stroke="#0b7285" stroke-width="2" points="`)
	for i := range xs {
		fmt.Fprintf(b, "%.1f,%.1f ", float64(x0)+float64(pw)*xs[i]/xmax, float64(y0+ph)-float64(ph)*ys[i]/ymax)
	}
	b.WriteString("\"/>\n")
}

// nice rounds v up to 1, 2 or 5 times a power of ten.
func nice(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func num(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gk", math.Round(v/100)/10)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
