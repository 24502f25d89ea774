package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestPanelTop: a share in per cent is drawn on an axis that ends at 100
// (its top tick), and a curve that reaches 100 % reaches the top of the
// panel; without a top the axis ends at a round value above the largest y.
func TestPanelTop(t *testing.T) {
	var b bytes.Buffer
	panel(&b, 0, 0, 400, 200, []float64{0, 10}, []float64{0, 100}, 100, "ms", "% of deliveries", "")
	s := b.String()
	if !strings.Contains(s, `text-anchor="end">100</text>`) || strings.Contains(s, `text-anchor="end">200</text>`) {
		t.Errorf("the per-cent axis does not end at 100:\n%s", s)
	}
	if !strings.Contains(s, `400.0,0.0 "`) {
		t.Errorf("100 %% is not drawn at the top of the panel:\n%s", s)
	}
	b.Reset()
	panel(&b, 0, 0, 400, 200, []float64{0, 10}, []float64{0, 100}, 0, "s", "deliveries/s", "")
	if s := b.String(); !strings.Contains(s, `text-anchor="end">200</text>`) {
		t.Errorf("without a top, 100 (×1.05) does not round up to 200:\n%s", s)
	}
}
