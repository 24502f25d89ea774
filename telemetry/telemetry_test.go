package telemetry

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestStatusClass(t *testing.T) {
	for in, want := range map[int]string{0: "2xx", 200: "2xx", 202: "2xx", 301: "3xx", 404: "4xx", 503: "5xx", 99: "99", 600: "600"} {
		if got := statusClass(in); got != want {
			t.Errorf("statusClass(%d) = %q, want %q", in, got, want)
		}
	}
}

// TestInstrumentRoutes: requests are counted by the pattern the mux
// matched, not the path, and publishes are timed again.
func TestInstrumentRoutes(t *testing.T) {
	m := NewMetrics(MetricsOptions{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tenants/{tenant}/events", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) })
	mux.HandleFunc("GET /v1/tenants/{tenant}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") })
	h := m.Instrument(mux)
	for _, r := range []*http.Request{
		httptest.NewRequest("POST", "/v1/tenants/a/events", nil),
		httptest.NewRequest("POST", "/v1/tenants/b/events", nil),
		httptest.NewRequest("GET", "/v1/tenants/a", nil),
		httptest.NewRequest("GET", "/nowhere", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mt := range fams["hookd_http_requests_total"].Metric {
		var route, code string
		for _, l := range mt.Label {
			if l.GetName() == "route" {
				route = l.GetValue()
			} else {
				code = l.GetValue()
			}
		}
		got[route+" "+code] = mt.Counter.GetValue()
	}
	want := map[string]float64{"POST /v1/tenants/{tenant}/events 2xx": 2, "GET /v1/tenants/{tenant} 2xx": 1, "none 4xx": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("hookd_http_requests_total %s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if n := fams["hookd_publish_duration_seconds"].Metric[0].Histogram.GetSampleCount(); n != 2 {
		t.Errorf("publish duration count %d, want 2", n)
	}
}

// TestAttemptedSeries: each attempt counts in its profile's and outcome's
// series, and a finished delivery in its state's, however often the same
// series are met; a series of a profile appears only once an attempt
// counts in it (no latency of a profile without a success).
func TestAttemptedSeries(t *testing.T) {
	m := NewMetrics(MetricsOptions{})
	now := time.Now()
	attempt := func(profile, outcome, state string) {
		m.Attempted(&delivery.AttemptInfo{Endpoint: &hookd.Endpoint{ID: "ep"}, Delivery: &hookd.Delivery{ID: "d"},
			Event: &hookd.Event{CreatedAt: now.Add(-time.Second)}, Attempt: &hookd.Attempt{N: 1},
			Profile: profile, Outcome: outcome, State: state, Due: now, Start: now, End: now.Add(time.Millisecond)})
	}
	for range 3 {
		attempt("standard", delivery.OutcomeSuccess, hookd.StateSucceeded)
	}
	attempt("lean", delivery.Outcome5xx, hookd.StatePending)
	attempt("lean", delivery.Outcome5xx, hookd.StatePending)
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	labels := func(mt interface{ GetLabel() []*dto.LabelPair }) string {
		var l []string
		for _, p := range mt.GetLabel() {
			l = append(l, p.GetName()+"="+p.GetValue())
		}
		return strings.Join(l, ",")
	}
	got := map[string]float64{}
	for _, name := range []string{"hookd_attempts_total", "hookd_deliveries_finished_total"} {
		for _, mt := range fams[name].GetMetric() {
			got[name+"{"+labels(mt)+"}"] = mt.GetCounter().GetValue()
		}
	}
	for _, name := range []string{"hookd_attempt_duration_seconds", "hookd_delivery_latency_seconds"} {
		for _, mt := range fams[name].GetMetric() {
			got[name+"{"+labels(mt)+"}"] = float64(mt.GetHistogram().GetSampleCount())
		}
	}
	want := map[string]float64{
		"hookd_attempts_total{outcome=success,profile=standard}":           3,
		"hookd_attempts_total{outcome=http_5xx,profile=lean}":              2,
		"hookd_deliveries_finished_total{result=succeeded}":                3,
		"hookd_deliveries_finished_total{result=failed}":                   0, // made at the start
		"hookd_deliveries_finished_total{result=canceled}":                 0, // made at the start
		"hookd_attempt_duration_seconds{outcome=success,profile=standard}": 3,
		"hookd_attempt_duration_seconds{outcome=http_5xx,profile=lean}":    2,
		"hookd_delivery_latency_seconds{profile=standard}":                 3,
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

// BenchmarkAttempted is the metrics' cost per attempt on the engine's
// path: compare with the CPU time per delivery hookd bench reports.
func BenchmarkAttempted(b *testing.B) {
	m := NewMetrics(MetricsOptions{})
	now := time.Now()
	info := &delivery.AttemptInfo{Endpoint: &hookd.Endpoint{ID: "ep"}, Delivery: &hookd.Delivery{ID: "d"},
		Event: &hookd.Event{CreatedAt: now.Add(-time.Second)}, Attempt: &hookd.Attempt{N: 1, Status: 200},
		Profile: "standard", Outcome: "success", State: hookd.StateSucceeded, Due: now, Start: now, End: now.Add(time.Millisecond)}
	for b.Loop() {
		m.Attempted(info)
	}
}

// BenchmarkInstrument is the metrics' cost per API request (the handler
// itself does nothing).
func BenchmarkInstrument(b *testing.B) {
	m := NewMetrics(MetricsOptions{})
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/tenants/{tenant}/events", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) })
	bare, wrapped := http.Handler(mux), m.Instrument(mux)
	r := httptest.NewRequest("POST", "/v1/tenants/a/events", nil)
	w := httptest.NewRecorder()
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			bare.ServeHTTP(w, r)
		}
	})
	b.Run("instrumented", func(b *testing.B) {
		for b.Loop() {
			wrapped.ServeHTTP(w, r)
		}
	})
}
