package delivery

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
)

// Observer is told what the engine does, for metrics and traces. Its
// methods run on the engine's hot paths: they must be quick and must not
// block.
type Observer interface {
	// Attempted is called once per attempt whose result is known (not one
	// cut off by shutdown), before the result is committed.
	Attempted(a *AttemptInfo)
	// Committed is called after each group commit, successful or not.
	Committed(c *CommitInfo)
	// TraceContext returns the trace context to store with the events
	// published under ctx (a W3C traceparent), or "" for none.
	TraceContext(ctx context.Context) string
}

// AttemptInfo describes one attempt for an Observer. Its pointers are the
// engine's own values: read them, never keep or change them.
type AttemptInfo struct {
	Endpoint *hookd.Endpoint
	Delivery *hookd.Delivery
	Event    *hookd.Event
	Attempt  *hookd.Attempt // N, Status, ErrorClass, Error
	Profile  string         // the profile's name, never ""
	Outcome  string         // see Outcome
	State    string         // the delivery's state after the attempt
	// Due is when the delivery was due; Start and End bound the request,
	// by the engine's clock.
	Due, Start, End time.Time
}

// CommitInfo describes one group commit for an Observer.
type CommitInfo struct {
	Duration  time.Duration // by the monotonic clock
	Rows      int           // publishes, deliveries, results and health changes
	Publishes []*hookd.Publish
	Err       error
}

// Attempt outcomes, the values of the outcome label of the attempt metrics.
const (
	OutcomeSuccess = "success"
	Outcome3xx     = "http_3xx" // a redirect, which is not followed
	Outcome4xx     = "http_4xx"
	Outcome5xx     = "http_5xx"
	OutcomeOther   = "http_other" // a status outside 200-599
	OutcomeTimeout = hookd.ClassTimeout
	OutcomeConnect = hookd.ClassConnect
	OutcomeTLS     = hookd.ClassTLS
	OutcomeBlocked = hookd.ClassBlocked
)

// Outcome names the outcome of an attempt: success, the class of a non-2xx
// status, or the error class of an attempt that got no answer.
func Outcome(a *hookd.Attempt) string {
	if a.Status == 0 {
		if a.ErrorClass == "" || a.ErrorClass == hookd.ClassStatus {
			return OutcomeConnect
		}
		return a.ErrorClass
	}
	switch {
	case hookd.Success(a.Status):
		return OutcomeSuccess
	case a.Status >= 300 && a.Status < 400:
		return Outcome3xx
	case a.Status >= 400 && a.Status < 500:
		return Outcome4xx
	case a.Status >= 500 && a.Status < 600:
		return Outcome5xx
	}
	return OutcomeOther
}

// observeAttempt logs an attempt (failures at warn, successes at debug)
// and tells the observer.
func (e *Engine) observeAttempt(ep *hookd.Endpoint, prof hookd.Profile, j *job, a *hookd.Attempt, r *hookd.Result, due time.Time) {
	outcome := Outcome(a)
	level := slog.LevelWarn
	if outcome == OutcomeSuccess {
		level = slog.LevelDebug
	}
	if e.log.Enabled(e.ctx, level) {
		e.log.LogAttrs(e.ctx, level, "attempt", slog.String("tenant", j.d.TenantID), slog.String("endpoint", ep.ID),
			slog.String("delivery", j.d.ID), slog.Int("attempt", a.N), slog.String("outcome", outcome),
			slog.Int("status", a.Status), slog.Int64("duration_ms", a.DurationMS), slog.String("state", r.State),
			slog.String("error", a.Error))
	}
	if e.cfg.Observer == nil {
		return
	}
	e.cfg.Observer.Attempted(&AttemptInfo{Endpoint: ep, Delivery: j.d, Event: j.ev, Attempt: a, Profile: prof.Name(),
		Outcome: outcome, State: r.State, Due: due, Start: a.At, End: r.At})
}

// commitClock tracks the commit in progress, for readiness: a writer whose
// commit has been pending for long is stuck.
type commitClock struct {
	since atomic.Int64 // monotonic start of the commit in progress, in ns since base; 0: none
	// failed is when the last commit that held publishes failed, in ns
	// since base; 0 when it succeeded (or none has failed).
	failed atomic.Int64
}

var base = time.Now()

func (c *commitClock) begin() time.Time {
	now := time.Now()
	c.since.Store(int64(max(now.Sub(base), 1)))
	return now
}

func (c *commitClock) end() { c.since.Store(0) }

// CommitPending returns how long the group commit in progress has been
// running (0 when none is).
func (e *Engine) CommitPending() time.Duration {
	s := e.commits.since.Load()
	if s == 0 {
		return 0
	}
	return time.Since(base) - time.Duration(s)
}

// PublishesFailing reports whether the last group commit that held
// publishes failed (no later one has succeeded), and how long ago.
func (e *Engine) PublishesFailing() (time.Duration, bool) {
	f := e.commits.failed.Load()
	if f == 0 {
		return 0, false
	}
	return time.Since(base) - time.Duration(f), true
}

// observeCommit tells the observer about a commit that began at start.
func (e *Engine) observeCommit(start time.Time, b *hookd.Batch, err error) {
	e.commits.end()
	if len(b.Publishes) > 0 {
		if err != nil {
			e.commits.failed.Store(int64(max(time.Since(base), 1)))
		} else {
			e.commits.failed.Store(0)
		}
	}
	if e.cfg.Observer == nil {
		return
	}
	rows := len(b.Results) + len(b.HandBacks) + len(b.Health)
	for _, p := range b.Publishes {
		rows += 1 + len(p.Deliveries)
	}
	e.cfg.Observer.Committed(&CommitInfo{Duration: time.Since(start), Rows: rows, Publishes: b.Publishes, Err: err})
}

// traceEvents stores the trace context of ctx with the events of pubs that
// have none.
func (e *Engine) traceEvents(ctx context.Context, pubs []*hookd.Publish) {
	if e.cfg.Observer == nil {
		return
	}
	tc := e.cfg.Observer.TraceContext(ctx)
	if tc == "" {
		return
	}
	for _, p := range pubs {
		if p.Event.TraceContext == "" {
			p.Event.TraceContext = tc
		}
	}
}

// OldestQueued returns when the longest-waiting delivery held in this
// node's queues (not yet being sent) was due; false when none is queued.
func (e *Engine) OldestQueued() (time.Time, bool) {
	var oldest time.Time
	found := false
	e.mu.Lock()
	qs := make([]*queue, 0, len(e.queues))
	for _, q := range e.queues {
		qs = append(qs, q)
	}
	e.mu.Unlock()
	for _, q := range qs {
		q.mu.Lock()
		for _, j := range q.jobs[q.head:] {
			if d := j.d.NextAttemptAt; d != nil && (!found || d.Before(oldest)) {
				oldest, found = *d, true
			}
		}
		q.mu.Unlock()
	}
	return oldest, found
}

// Observers tells each of several observers in turn.
type Observers []Observer

// Attempted implements Observer.
func (os Observers) Attempted(a *AttemptInfo) {
	for _, o := range os {
		o.Attempted(a)
	}
}

// Committed implements Observer.
func (os Observers) Committed(c *CommitInfo) {
	for _, o := range os {
		o.Committed(c)
	}
}

// TraceContext implements Observer: the first trace context given.
func (os Observers) TraceContext(ctx context.Context) string {
	for _, o := range os {
		if tc := o.TraceContext(ctx); tc != "" {
			return tc
		}
	}
	return ""
}
