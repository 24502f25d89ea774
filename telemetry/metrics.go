// Package telemetry is what an operator watches hookd through: Prometheus
// metrics (the engine's attempts, deliveries and group commits as a
// delivery.Observer, the API's requests as HTTP middleware, the backlog
// read from the store, the Go runtime and process collectors) and
// OpenTelemetry traces from a publish to each attempt of its deliveries.
// Metric labels are bounded: never a tenant, endpoint or URL
// (per-endpoint figures are the stats API's job).
package telemetry

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsOptions configure the metrics.
type MetricsOptions struct {
	Store hookd.Store
	Clock hookd.Clock // the engine's clock, for backlog ages (system clock)
	// BacklogEvery is the shortest time between two backlog reads from
	// the store (2 s): scrapes in between get the figures last read.
	BacklogEvery time.Duration
	// PublishRoutes are the route patterns whose requests are publishes
	// (the two publish routes of the API).
	PublishRoutes []string
	// Profiles are the names of the wire formats: each gets its series
	// of successful attempts and latency at zero from the start, as each
	// profile a source may have (hookd.SourceProfiles, hmac among them)
	// gets its accepted ingests, so that every metric is on /metrics
	// before anything happens (an absent series is not a zero to a
	// dashboard or an alert).
	Profiles []string
}

// DefaultPublishRoutes are the API's publish routes.
var DefaultPublishRoutes = []string{"POST /v1/tenants/{tenant}/events", "POST /v1/tenants/{tenant}/events/batch"}

// Metrics holds hookd's metrics and their registry.
type Metrics struct {
	reg     *prometheus.Registry
	publish map[string]bool
	backlog *backlog

	seriesMu sync.RWMutex
	routes   map[routeClass]*routeSeries // the API's series, by route and status class
	// attemptSeries holds the engine's series (attemptKey →
	// *attemptSeries).
	attemptSeries sync.Map

	attempts     *prometheus.CounterVec
	attemptTime  *prometheus.HistogramVec
	latency      *prometheus.HistogramVec
	lag          prometheus.Histogram
	finished     *prometheus.CounterVec
	publishTime  *prometheus.HistogramVec
	commitRows   prometheus.Histogram
	commitTime   prometheus.Histogram
	commitErrors prometheus.Counter
	httpRequests *prometheus.CounterVec
	httpTime     *prometheus.HistogramVec
	ingests      *prometheus.CounterVec
}

var _ delivery.Observer = (*Metrics)(nil)

// NewMetrics returns the metrics, registered with the Go runtime and
// process collectors. Call Attach once the engine exists.
func NewMetrics(o MetricsOptions) *Metrics {
	if o.Clock == nil {
		o.Clock = hookd.SystemClock{}
	}
	if o.BacklogEvery <= 0 {
		o.BacklogEvery = 2 * time.Second
	}
	if o.PublishRoutes == nil {
		o.PublishRoutes = DefaultPublishRoutes
	}
	m := &Metrics{reg: prometheus.NewRegistry(), publish: map[string]bool{}, routes: map[routeClass]*routeSeries{}}
	for _, r := range o.PublishRoutes {
		m.publish[r] = true
	}
	m.attempts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookd_attempts_total",
		Help: "HTTP attempts made, by profile and outcome (success, http_4xx, http_5xx, http_3xx, http_other, timeout, connect, tls, blocked)."},
		[]string{"profile", "outcome"})
	m.attemptTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookd_attempt_duration_seconds",
		Help:    "Duration of an attempt's HTTP request, by profile and outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30}}, []string{"profile", "outcome"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookd_delivery_latency_seconds",
		Help:    "Time from publish to the successful attempt of a delivery, by profile.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 4 * 3600, 12 * 3600, 86400}},
		[]string{"profile"})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookd_delivery_lag_seconds",
		Help:    "Time from when a delivery was due to the start of its attempt: how far behind hookd runs.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600}})
	m.finished = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookd_deliveries_finished_total",
		Help: "Deliveries that reached a final state on this node, by result: succeeded or failed by an attempt, canceled by deleting their endpoint."},
		[]string{"result"})
	m.publishTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookd_publish_duration_seconds",
		Help:    "Time from a publish request's arrival to its answer (after the durable commit), by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route"})
	m.commitRows = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookd_commit_rows",
		Help:    "Rows (events, deliveries, attempt results, health changes) per group commit.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}})
	m.commitTime = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "hookd_commit_duration_seconds",
		Help:    "Duration of a group commit (one transaction, one fsync).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}})
	m.commitErrors = prometheus.NewCounter(prometheus.CounterOpts{Name: "hookd_commit_errors_total",
		Help: "Group commits that failed (their publishes were answered with an error)."})
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookd_http_requests_total",
		Help: "API requests, by route pattern and status class."}, []string{"route", "code"})
	m.httpTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hookd_http_request_duration_seconds",
		Help:    "API request duration, by route pattern and status class.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"route", "code"})
	m.ingests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hookd_ingest_requests_total",
		Help: "Requests to the sources' ingest URLs, by the source's profile (unknown: no such token) and result " +
			"(accepted, duplicate, rejected: sender, credentials, signature or a body over the limit; malformed, not_found, error)."}, []string{"profile", "result"})
	for _, r := range []string{hookd.StateSucceeded, hookd.StateFailed, hookd.StateCanceled} {
		m.finished.WithLabelValues(r)
	}
	for _, p := range o.Profiles {
		m.attempts.WithLabelValues(p, delivery.OutcomeSuccess)
		m.attemptTime.WithLabelValues(p, delivery.OutcomeSuccess)
		m.latency.WithLabelValues(p)
	}
	for _, p := range hookd.SourceProfiles {
		m.ingests.WithLabelValues(p, "accepted")
	}
	for _, r := range o.PublishRoutes {
		m.publishTime.WithLabelValues(r)
		m.series(r, http.StatusAccepted)
	}
	m.backlog = &backlog{store: o.Store, clock: o.Clock, every: o.BacklogEvery}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.attempts, m.attemptTime, m.latency, m.lag, m.finished, m.publishTime, m.commitRows, m.commitTime,
		m.commitErrors, m.httpRequests, m.httpTime, m.ingests)
	if o.Store != nil {
		m.reg.MustRegister(m.backlog)
	}
	return m
}

// Ingest counts one request to a source's ingest URL (control.IngestCounter).
func (m *Metrics) Ingest(profile, result string) {
	m.ingests.WithLabelValues(profile, result).Inc()
}

// Canceled implements control.CancelCounter: n deliveries canceled (their
// endpoint was deleted on this node).
func (m *Metrics) Canceled(n int) {
	m.finished.WithLabelValues(hookd.StateCanceled).Add(float64(n))
}

// Registry is the registry the metrics are in, for adding more.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Attach adds the engine's own figures: the counters /metrics has always
// had, under their names, and what the engine holds in memory.
func (m *Metrics) Attach(e *delivery.Engine) {
	st := e.Stats()
	counter := func(name, help string, v func() int64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v()) })
	}
	m.reg.MustRegister(
		counter("hookd_events_published_total", "Events committed.", st.Published.Load),
		counter("hookd_deliveries_succeeded_total", "Deliveries that succeeded.", st.Delivered.Load),
		counter("hookd_deliveries_failed_total", "Deliveries that failed for good.", st.Failed.Load),
		counter("hookd_retries_scheduled_total", "Retries scheduled after a failed attempt.", st.Retried.Load),
		counter("hookd_commits_total", "Group commits.", st.Commits.Load),
		counter("hookd_committed_rows_total", "Publishes and results committed.", st.CommittedRows.Load),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookd_deliveries_held", Help: "Deliveries held in memory."},
			func() float64 { return float64(e.Held()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookd_commit_pending_seconds",
			Help: "How long the group commit in progress has been running (0: none); /readyz fails past --stuck-after."},
			func() float64 { return e.CommitPending().Seconds() }),
	)
	m.backlog.mu.Lock()
	m.backlog.engine = e
	m.backlog.mu.Unlock()
}

// AddReadiness exports hookd_ready, 1 while ready() returns nil (checked
// at each scrape), so readiness can be alerted on from the metrics alone.
func (m *Metrics) AddReadiness(ready func(context.Context) error) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "hookd_ready",
		Help: "1 while this node is ready (store reachable, writer not stuck, publishes not failing; the reason is in /readyz), else 0."},
		func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if ready(ctx) != nil {
				return 0
			}
			return 1
		}))
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Attempted implements delivery.Observer.
func (m *Metrics) Attempted(a *delivery.AttemptInfo) {
	s := m.attemptSeriesOf(attemptKey{a.Profile, a.Outcome, a.State, a.Event != nil})
	s.attempts.Inc()
	s.time.Observe(seconds(a.End.Sub(a.Start)))
	m.lag.Observe(seconds(a.Start.Sub(a.Due)))
	if s.finished != nil {
		s.finished.Inc()
	}
	if s.latency != nil {
		s.latency.Observe(seconds(a.End.Sub(a.Event.CreatedAt)))
	}
}

// attemptSeries are the series an attempt counts in: looked up by their
// labels once, not on every attempt (four lookups, each a hash of the
// labels and a read lock, per attempt). There are few: a profile is one of
// the registry's, an outcome one of delivery's, a state one of three.
type attemptSeries struct {
	attempts prometheus.Counter
	time     prometheus.Observer
	finished prometheus.Counter  // nil: the delivery goes on
	latency  prometheus.Observer // nil: not a success with its event
}

// attemptKey is what selects an attempt's series.
type attemptKey struct {
	profile, outcome, state string
	event                   bool // the attempt's event is known
}

// attemptSeriesOf returns the series of k, made on first use; a series is
// made only for an attempt that counts in it, as before they were kept.
func (m *Metrics) attemptSeriesOf(k attemptKey) *attemptSeries {
	if s, ok := m.attemptSeries.Load(k); ok {
		return s.(*attemptSeries)
	}
	s := &attemptSeries{attempts: m.attempts.WithLabelValues(k.profile, k.outcome), time: m.attemptTime.WithLabelValues(k.profile, k.outcome)}
	switch k.state {
	case hookd.StateSucceeded:
		s.finished = m.finished.WithLabelValues(hookd.StateSucceeded)
		if k.event {
			s.latency = m.latency.WithLabelValues(k.profile)
		}
	case hookd.StateFailed:
		s.finished = m.finished.WithLabelValues(hookd.StateFailed)
	}
	m.attemptSeries.Store(k, s)
	return s
}

// Committed implements delivery.Observer.
func (m *Metrics) Committed(c *delivery.CommitInfo) {
	if c.Err != nil {
		m.commitErrors.Inc()
		return
	}
	m.commitRows.Observe(float64(c.Rows))
	m.commitTime.Observe(c.Duration.Seconds())
}

// TraceContext implements delivery.Observer: metrics trace nothing.
func (m *Metrics) TraceContext(context.Context) string { return "" }

// seconds is d in seconds, never negative (clocks of different nodes).
func seconds(d time.Duration) float64 { return max(d, 0).Seconds() }

// Instrument counts and times the requests next serves, by the route
// pattern the request matched (http.Request.Pattern, set by ServeMux) and
// the status class; publishes are timed again in their own histogram.
func (m *Metrics) Instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		d := time.Since(start).Seconds()
		route := r.Pattern
		if route == "" {
			route = "none"
		}
		s := m.series(route, sw.status)
		s.requests.Inc()
		s.time.Observe(d)
		if s.publish != nil {
			s.publish.Observe(d)
		}
	})
}

// routeSeries are the series a request of one route and status class
// counts in: looked up by their labels once, not on every request.
type routeSeries struct {
	requests prometheus.Counter
	time     prometheus.Observer
	publish  prometheus.Observer // nil: not a publish route
}

// routeClass keys the series of a route and status class (1-5; 0 for a
// status outside 100-599, whose series are not kept).
type routeClass struct {
	route string
	class int
}

// series returns the series of route and status, made on first use.
func (m *Metrics) series(route string, status int) *routeSeries {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	key := routeClass{route, status / 100}
	if status < 100 || status > 599 {
		key.class = 0
	} else {
		m.seriesMu.RLock()
		s := m.routes[key]
		m.seriesMu.RUnlock()
		if s != nil {
			return s
		}
	}
	code := statusClass(status)
	s := &routeSeries{requests: m.httpRequests.WithLabelValues(route, code), time: m.httpTime.WithLabelValues(route, code)}
	if m.publish[route] {
		s.publish = m.publishTime.WithLabelValues(route)
	}
	if key.class != 0 {
		m.seriesMu.Lock()
		m.routes[key] = s
		m.seriesMu.Unlock()
	}
	return s
}
