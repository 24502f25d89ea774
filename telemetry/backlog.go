package telemetry

import (
	"context"
	"sync"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	backlogDesc = prometheus.NewDesc("hookd_backlog_deliveries",
		"Pending deliveries by state: due (waiting in the store, due now), scheduled (retries waiting for their time) and "+
			"parked (endpoint disabled) for the whole database; in_flight for this node (held in memory: queued or being sent).",
		[]string{"state"}, nil)
	oldestDesc = prometheus.NewDesc("hookd_backlog_oldest_due_seconds",
		"How long the longest-waiting due delivery not yet being sent has been due (0: none): the older of the "+
			"database's unclaimed work and this node's queues.", nil, nil)
	endpointsDesc = prometheus.NewDesc("hookd_endpoints", "Endpoints of the whole database by state (enabled, disabled).",
		[]string{"state"}, nil)
)

// backlog is a collector of the store's backlog figures. The store is read
// at most once per every, in the background: a scrape waits for a read
// for at most a second and otherwise gets the figures last read, so a slow
// database slows neither scrapes much nor delivery at all.
type backlog struct {
	store hookd.Store
	clock hookd.Clock
	every time.Duration

	mu      sync.Mutex
	engine  *delivery.Engine
	snap    *hookd.Backlog
	read    time.Time     // when snap was asked for (monotonic)
	running chan struct{} // closed when the read in progress ends
}

// Describe implements prometheus.Collector.
func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- backlogDesc
	ch <- oldestDesc
	ch <- endpointsDesc
}

// Collect implements prometheus.Collector.
func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	snap, eng := b.get()
	now := b.clock.Now()
	var oldest time.Duration
	if snap != nil {
		gauge := func(d *prometheus.Desc, v int64, state string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), state)
		}
		gauge(backlogDesc, snap.Due, "due")
		gauge(backlogDesc, snap.Scheduled, "scheduled")
		gauge(backlogDesc, snap.Parked, "parked")
		gauge(endpointsDesc, snap.EndpointsEnabled, "enabled")
		gauge(endpointsDesc, snap.EndpointsDisabled, "disabled")
		if !snap.OldestDue.IsZero() {
			oldest = now.Sub(snap.OldestDue)
		}
	}
	if eng != nil {
		ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(eng.Held()), "in_flight")
		if due, ok := eng.OldestQueued(); ok {
			oldest = max(oldest, now.Sub(due))
		}
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, seconds(oldest))
}

// get returns the latest figures, reading them again first if they are
// older than every.
func (b *backlog) get() (*hookd.Backlog, *delivery.Engine) {
	b.mu.Lock()
	if b.snap != nil && time.Since(b.read) < b.every {
		defer b.mu.Unlock()
		return b.snap, b.engine
	}
	done := b.running
	if done == nil {
		done = make(chan struct{})
		b.running = done
		b.read = time.Now()
		go b.refresh(done)
	}
	b.mu.Unlock()
	t := time.NewTimer(time.Second)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap, b.engine
}

func (b *backlog) refresh(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	snap, err := b.store.Backlog(ctx, b.clock.Now())
	b.mu.Lock()
	if err == nil {
		b.snap = snap
	}
	b.running = nil
	b.mu.Unlock()
	close(done)
}
