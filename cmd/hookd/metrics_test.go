package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads /metrics with the Prometheus text parser.
func (a *testApp) scrape(t *testing.T) scraped {
	t.Helper()
	res, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/metrics answered %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return scraped(fams)
}

type scraped map[string]*dto.MetricFamily

// find returns the series of a family whose labels include labels
// ("name=value" pairs), or nil.
func (s scraped) find(name string, labels ...string) *dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is a counter's or gauge's value, or a histogram's count; -1 when
// the series is absent.
func (s scraped) value(name string, labels ...string) float64 {
	m := s.find(name, labels...)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return -1
}

// want is one expected figure of a scrape.
type want struct {
	name   string
	labels []string
	value  float64
}

// mismatches lists the figures of s that differ from ws.
func (s scraped) mismatches(ws []want) []string {
	var out []string
	for _, w := range ws {
		if got := s.value(w.name, w.labels...); got != w.value {
			out = append(out, fmt.Sprintf("%s%v = %v, want %v", w.name, w.labels, got, w.value))
		}
	}
	return out
}

// eventuallyMetrics scrapes until every figure is as wanted (figures move
// as commits land and the backlog is read again), then returns the scrape.
func (a *testApp) eventuallyMetrics(t *testing.T, d time.Duration, ws []want) scraped {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		s := a.scrape(t)
		bad := s.mismatches(ws)
		if len(bad) == 0 {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics not as expected within %v:\n  %s", d, strings.Join(bad, "\n  "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMetricsFollowDeliveries publishes to a healthy, a failing (500) and a
// hanging endpoint on loopback and checks the scraped counters, histogram
// counts and gauges against what happened.
func TestMetricsFollowDeliveries(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "m")
	ok := newReceiver(t, nil)
	failing := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) })
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	hanging := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	hour := []float64{3600} // one retry, an hour on: it waits in the store
	a.endpoint(t, "m", tok, map[string]any{"url": ok.URL, "event_types": []string{"ok.*"}})
	failEP := a.endpoint(t, "m", tok, map[string]any{"url": failing.URL, "event_types": []string{"fail.*"}, "retry_schedule": hour})
	a.endpoint(t, "m", tok, map[string]any{"url": hanging.URL, "event_types": []string{"hang.*"}, "retry_schedule": hour,
		"timeout_ms": 200})
	publish := func(typ string) {
		a.must(t, 202, "POST", "/v1/tenants/m/events", tok, map[string]any{"type": typ, "payload": map[string]any{}}, nil)
	}
	for range 3 {
		publish("ok.done")
	}
	publish("fail.done")
	publish("fail.done")
	publish("hang.done")
	a.must(t, 400, "POST", "/v1/tenants/m/events", tok, map[string]any{"type": "", "payload": map[string]any{}}, nil)

	const events = "route=POST /v1/tenants/{tenant}/events"
	s := a.eventuallyMetrics(t, 15*time.Second, []want{
		{"hookd_attempts_total", []string{"profile=standard", "outcome=success"}, 3},
		{"hookd_attempts_total", []string{"profile=standard", "outcome=http_5xx"}, 2},
		{"hookd_attempts_total", []string{"profile=standard", "outcome=timeout"}, 1},
		{"hookd_attempt_duration_seconds", []string{"profile=standard", "outcome=success"}, 3},
		{"hookd_attempt_duration_seconds", []string{"profile=standard", "outcome=http_5xx"}, 2},
		{"hookd_attempt_duration_seconds", []string{"profile=standard", "outcome=timeout"}, 1},
		{"hookd_delivery_latency_seconds", []string{"profile=standard"}, 3},
		{"hookd_delivery_lag_seconds", nil, 6},
		{"hookd_deliveries_finished_total", []string{"result=succeeded"}, 3},
		{"hookd_deliveries_finished_total", []string{"result=failed"}, 0},
		{"hookd_deliveries_finished_total", []string{"result=canceled"}, 0},
		{"hookd_backlog_deliveries", []string{"state=scheduled"}, 3},
		{"hookd_backlog_deliveries", []string{"state=due"}, 0},
		{"hookd_backlog_deliveries", []string{"state=in_flight"}, 0},
		{"hookd_backlog_deliveries", []string{"state=parked"}, 0},
		{"hookd_backlog_oldest_due_seconds", nil, 0},
		{"hookd_endpoints", []string{"state=enabled"}, 3},
		{"hookd_endpoints", []string{"state=disabled"}, 0},
		{"hookd_http_requests_total", []string{events, "code=2xx"}, 6},
		{"hookd_http_requests_total", []string{events, "code=4xx"}, 1},
		{"hookd_http_request_duration_seconds", []string{events, "code=2xx"}, 6},
		{"hookd_publish_duration_seconds", []string{events}, 7},
		// Today's names, kept.
		{"hookd_events_published_total", nil, 6},
		{"hookd_deliveries_succeeded_total", nil, 3},
		{"hookd_deliveries_failed_total", nil, 0},
		{"hookd_retries_scheduled_total", nil, 3},
		{"hookd_deliveries_held", nil, 0},
		{"hookd_ready", nil, 1},
		{"hookd_commit_pending_seconds", nil, 0},
	})
	// Deleting the failing endpoint cancels its two deliveries, which
	// waited for their retry: they count as finished, canceled.
	a.must(t, 204, "DELETE", "/v1/tenants/m/endpoints/"+failEP.ID, tok, nil, nil)
	a.eventuallyMetrics(t, 15*time.Second, []want{
		{"hookd_deliveries_finished_total", []string{"result=canceled"}, 2},
		{"hookd_deliveries_finished_total", []string{"result=succeeded"}, 3},
		{"hookd_backlog_deliveries", []string{"state=scheduled"}, 1},
	})
	// Every commit is in both commit histograms and in the old counter;
	// the rows are at least the events, deliveries and attempt results.
	commits := s.value("hookd_commits_total")
	if commits < 1 || s.value("hookd_commit_rows") != commits || s.value("hookd_commit_duration_seconds") != commits {
		t.Errorf("commits %v, commit_rows count %v, commit_duration count %v: want equal and positive",
			commits, s.value("hookd_commit_rows"), s.value("hookd_commit_duration_seconds"))
	}
	if sum := s.find("hookd_commit_rows").Histogram.GetSampleSum(); sum < 18 {
		t.Errorf("commit rows sum %v, want at least 18 (6 events, 6 deliveries, 6 results)", sum)
	}
	// Histogram buckets are cumulative and end at the count.
	h := s.find("hookd_attempt_duration_seconds", "outcome=timeout").Histogram
	if b := h.Bucket[len(h.Bucket)-1]; b.GetCumulativeCount() > h.GetSampleCount() {
		t.Errorf("timeout histogram: last bucket %v above the count %v", b.GetCumulativeCount(), h.GetSampleCount())
	}
	// The runtime and process collectors.
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total"} {
		if s[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	// Labels are bounded: no tenant, endpoint, delivery or URL anywhere.
	var names []string
	for name, f := range s {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				switch l.GetName() {
				case "tenant", "endpoint", "url", "delivery", "event":
					t.Errorf("%s has an unbounded label %s", name, l.GetName())
				}
			}
		}
		if strings.HasPrefix(name, "hookd_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	t.Logf("hookd metrics: %s", strings.Join(names, " "))

	// The dashboard, the alert rules and the runbook name only metrics
	// that exist.
	docs, _ := filepath.Glob("../../docs/*")
	if len(docs) < 3 {
		t.Fatalf("docs: %v, want the dashboard, the alerts and the runbook", docs)
	}
	for _, doc := range docs {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range metricName.FindAllString(string(b), -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suffix); ok && s[b] != nil {
					base = b
				}
			}
			if s[base] == nil {
				t.Errorf("%s names %s, which /metrics does not have", filepath.Base(doc), name)
			}
		}
	}
}

var metricName = regexp.MustCompile(`\bhookd_[a-z_]+[a-z]`)

// TestMetricsFromTheStart: the first scrape of a node that has done nothing
// has every metric the product specification names, at zero, so that a
// dashboard or an alert sees a zero rather than no series.
func TestMetricsFromTheStart(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	s := a.scrape(t)
	for _, name := range []string{"hookd_events_published_total", "hookd_attempts_total", "hookd_attempt_duration_seconds",
		"hookd_delivery_latency_seconds", "hookd_delivery_lag_seconds", "hookd_deliveries_finished_total",
		"hookd_backlog_deliveries", "hookd_backlog_oldest_due_seconds", "hookd_endpoints", "hookd_publish_duration_seconds",
		"hookd_http_request_duration_seconds", "hookd_ingest_requests_total"} {
		if s[name] == nil {
			t.Errorf("the first scrape has no %s", name)
		}
	}
	const events = "route=POST /v1/tenants/{tenant}/events"
	var zeros []want
	for _, p := range []string{"standard", "lean", "linkmoney", "weavr"} {
		zeros = append(zeros, want{"hookd_attempts_total", []string{"profile=" + p, "outcome=success"}, 0},
			want{"hookd_attempt_duration_seconds", []string{"profile=" + p, "outcome=success"}, 0},
			want{"hookd_delivery_latency_seconds", []string{"profile=" + p}, 0})
	}
	// Each profile a source may have (hmac is a source's only) has its
	// accepted ingests at zero.
	for _, p := range hookd.SourceProfiles {
		zeros = append(zeros, want{"hookd_ingest_requests_total", []string{"profile=" + p, "result=accepted"}, 0})
	}
	zeros = append(zeros, want{"hookd_publish_duration_seconds", []string{events}, 0},
		want{"hookd_http_request_duration_seconds", []string{events, "code=2xx"}, 0},
		want{"hookd_http_requests_total", []string{events, "code=2xx"}, 0})
	if bad := s.mismatches(zeros); len(bad) > 0 {
		t.Errorf("the first scrape:\n  %s", strings.Join(bad, "\n  "))
	}
	// The Go client reads the same text.
	b, err := a.api("").Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil || fams["hookd_attempts_total"] == nil {
		t.Fatalf("the client's Metrics: %v, hookd_attempts_total there: %v", err, fams["hookd_attempts_total"] != nil)
	}
}

// TestMetricsBacklogWhileEndpointDown: an endpoint that stops answering
// holds its deliveries (in memory, and in the store once its queue is
// full); the backlog gauges show them and their age grows with the clock.
// Once the endpoint answers, everything is delivered and the backlog falls
// to zero.
func TestMetricsBacklogWhileEndpointDown(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	a := startApp(t, func(c *Config) { c.clock, c.maxInFlight, c.queueSize = clock, 1, 2 })
	tok := a.tenant(t, "b")
	up := make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-up:
		case <-r.Context().Done():
		}
		w.WriteHeader(204)
	})
	ep := a.endpoint(t, "b", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "timeout_ms": 60000})
	const n = 6
	for i := range n {
		a.must(t, 202, "POST", "/v1/tenants/b/events", tok, map[string]any{"type": "x.y", "id": fmt.Sprint("e", i),
			"payload": map[string]any{}}, nil)
	}
	// One request hangs; the rest wait in the queue or, past its two
	// places, in the store. All were due when published.
	held := func(s scraped) float64 {
		return s.value("hookd_backlog_deliveries", "state=in_flight") + s.value("hookd_backlog_deliveries", "state=due")
	}
	var s scraped
	eventually(t, 10*time.Second, "the backlog counts every delivery", func() bool {
		s = a.scrape(t)
		return held(s) == n && s.value("hookd_backlog_deliveries", "state=due") >= 1
	})
	if v := s.value("hookd_backlog_deliveries", "state=scheduled"); v != 0 {
		t.Errorf("scheduled %v, want 0", v)
	}
	age0 := s.value("hookd_backlog_oldest_due_seconds")
	clock.Add(30 * time.Second)
	age1 := a.scrape(t).value("hookd_backlog_oldest_due_seconds")
	clock.Add(60 * time.Second)
	s = a.scrape(t)
	age2 := s.value("hookd_backlog_oldest_due_seconds")
	if !(age1 >= 30 && age2 >= 90 && age2 > age1 && age1 > age0 && age2 < 3600) {
		t.Errorf("oldest due age %v, then %v after 30 s, %v after 90 s: want it to grow with the clock", age0, age1, age2)
	}
	if held(s) != n {
		t.Errorf("backlog %v after the clock moved, want %d", held(s), n)
	}

	close(up)
	a.eventuallyMetrics(t, 15*time.Second, []want{
		{"hookd_backlog_deliveries", []string{"state=due"}, 0},
		{"hookd_backlog_deliveries", []string{"state=in_flight"}, 0},
		{"hookd_backlog_deliveries", []string{"state=scheduled"}, 0},
		{"hookd_backlog_oldest_due_seconds", nil, 0},
		{"hookd_deliveries_finished_total", []string{"result=succeeded"}, n},
		{"hookd_attempts_total", []string{"profile=standard", "outcome=success"}, n},
	})
	if rc.count() != n {
		t.Errorf("%d requests arrived, want %d", rc.count(), n)
	}

	// Disabled by hand, the endpoint's new deliveries wait parked.
	a.must(t, 200, "POST", "/v1/tenants/b/endpoints/"+ep.ID+"/disable", tok, map[string]any{"reason": "maintenance"}, nil)
	for i := range 2 {
		a.must(t, 202, "POST", "/v1/tenants/b/events", tok, map[string]any{"type": "x.y", "id": fmt.Sprint("p", i),
			"payload": map[string]any{}}, nil)
	}
	a.eventuallyMetrics(t, 15*time.Second, []want{
		{"hookd_backlog_deliveries", []string{"state=parked"}, 2},
		{"hookd_backlog_deliveries", []string{"state=due"}, 0},
		{"hookd_backlog_deliveries", []string{"state=in_flight"}, 0},
		{"hookd_endpoints", []string{"state=enabled"}, 0},
		{"hookd_endpoints", []string{"state=disabled"}, 1},
	})
}

// TestMetricsBacklogTwoNodes: on PostgreSQL two nodes report the database's
// backlog (the same figures, whichever node took the publishes), and each
// its own in-flight share.
func TestMetricsBacklogTwoNodes(t *testing.T) {
	t.Parallel()
	db, key := testPostgres(t), randomKey()
	pg := func(c *Config) { c.DB, c.DataKey = db, key }
	a, b := startApp(t, pg), startApp(t, pg)
	tok := a.tenant(t, "two")
	failing := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) })
	a.endpoint(t, "two", tok, map[string]any{"url": failing.URL, "event_types": []string{"*"}, "retry_schedule": []float64{3600}})
	for i := range 4 {
		a.must(t, 202, "POST", "/v1/tenants/two/events", tok, map[string]any{"type": "x.y", "id": fmt.Sprint("a", i),
			"payload": map[string]any{}}, nil)
	}
	// A publish through b goes to the endpoint created through a (the
	// store refuses a fan-out from a stale endpoint cache).
	var p publishAnswer
	b.must(t, 202, "POST", "/v1/tenants/two/events", tok, map[string]any{"type": "x.y", "id": "b0", "payload": map[string]any{}}, &p)
	if len(p.Deliveries) != 1 {
		t.Fatalf("publish through b: %d deliveries, want 1", len(p.Deliveries))
	}
	backlog := []want{
		{"hookd_backlog_deliveries", []string{"state=scheduled"}, 5},
		{"hookd_backlog_deliveries", []string{"state=due"}, 0},
		{"hookd_backlog_deliveries", []string{"state=in_flight"}, 0},
		{"hookd_endpoints", []string{"state=enabled"}, 1},
	}
	sa := a.eventuallyMetrics(t, 15*time.Second, backlog)
	sb := b.eventuallyMetrics(t, 15*time.Second, backlog)
	// Attempts are counted where they were made: together, one each.
	attempts := sa.value("hookd_attempts_total", "outcome=http_5xx") + max(sb.value("hookd_attempts_total", "outcome=http_5xx"), 0)
	if attempts != 5 || failing.count() != 5 {
		t.Errorf("attempts counted %v on the two nodes, %d received, want 5", attempts, failing.count())
	}
}

// TestMetricsDeleteDuringAttempt: a delivery whose endpoint is deleted
// while its attempt is in flight is canceled (the store keeps it so, and
// the attempt's late answer changes nothing): it counts once in
// hookd_deliveries_finished_total, as canceled, not also as succeeded.
func TestMetricsDeleteDuringAttempt(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "m")
	inFlight, release := make(chan struct{}), make(chan struct{})
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		close(inFlight)
		<-release
		w.WriteHeader(http.StatusOK)
	})
	ep := a.endpoint(t, "m", tok, map[string]any{"url": rc.URL, "event_types": []string{"ok.*"}})
	var ev struct{ ID string }
	a.must(t, 202, "POST", "/v1/tenants/m/events", tok, map[string]any{"type": "ok.done", "payload": map[string]any{}}, &ev)
	select {
	case <-inFlight:
	case <-time.After(15 * time.Second):
		t.Fatal("the attempt never arrived")
	}
	a.must(t, 204, "DELETE", "/v1/tenants/m/endpoints/"+ep.ID, tok, nil, nil)
	close(release)
	s := a.eventuallyMetrics(t, 15*time.Second, []want{
		{"hookd_attempts_total", []string{"profile=standard", "outcome=success"}, 1},
		{"hookd_deliveries_finished_total", []string{"result=canceled"}, 1},
	})
	var got struct{ Deliveries []struct{ State string } }
	a.must(t, 200, "GET", "/v1/tenants/m/events/"+ev.ID, tok, nil, &got)
	if len(got.Deliveries) != 1 || got.Deliveries[0].State != "canceled" {
		t.Fatalf("the event's deliveries: %+v; want one, canceled", got.Deliveries)
	}
	if n := s.value("hookd_deliveries_finished_total", "result=succeeded"); n != 0 {
		t.Errorf("hookd_deliveries_finished_total{result=succeeded} = %v, want 0: the canceled delivery counted twice", n)
	}
}
