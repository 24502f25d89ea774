package delivery

import (
	"context"
	"runtime"
	"time"

	"github.com/hookd/hookd"
)

// writeOp is one unit of work for the group-commit writer: publishes that
// wait for their commit, or attempt results, hand-backs and health changes
// that do not.
type writeOp struct {
	pubs      []*hookd.Publish
	handoffs  [][]handoff
	results   []*hookd.Result
	handBacks []hookd.HandBack
	health    []*hookd.EndpointHealth
	done      chan error // nil: nobody waits

	only    string // publishes: the one endpoint they go to (a test)
	version int64  // publishes: the endpoints version their deliveries come from
	kick    bool   // claim after the commit: it adds or finishes an ordered delivery

	overflow []*queue // publishes: queues that had no room for a delivery, which waits in the store
}

func (op *writeOp) rows() int {
	n := len(op.results) + len(op.handBacks) + len(op.health)
	for _, p := range op.pubs {
		n += 1 + len(p.Deliveries)
		if p.Request != nil {
			n++
		}
	}
	return n
}

// writer commits whatever has gathered in one transaction: under load many
// publishes and results share one fsync. Results, hand-backs and health
// changes that fail to commit are kept and tried again with the next batch;
// publishes that fail are answered with the error (nothing was
// acknowledged).
func (e *Engine) writer() {
	defer e.writerWG.Done()
	carry := &writeOp{} // what the last batch failed to commit, publishes aside
	lastPubs := 0       // the publishes of the last commit that held any
	backoff := time.Duration(0)
	// apart: carry failed with an error that was not the store's
	// unavailability, so one of its rows may be one the store refuses
	// whatever the batch. It is then committed apart from the next
	// batches (isolate) until it has gone, so that such a row fails no
	// publish beside it. retryAt paces those tries.
	apart, retryAt := false, time.Time{}
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	for {
		op, ok := <-e.writes
		if !ok {
			if carry.rows() > 0 {
				if _, err := e.commit(nil, carry); err != nil {
					e.unflushed.Store(true) // Stop says so
				}
			}
			return
		}
		ops := []*writeOp{op}
		rows := op.rows()
		// On a shared store (PostgreSQL) a commit costs the server and
		// this node a fixed share whatever its rows, and on several
		// nodes a node's batches are small. So attempt results alone
		// (no one waits for them) wait a little for a publish to share
		// its commit rather than take one of their own, and, while
		// other nodes share the store and this one is busy, publishes
		// wait a little for more (patience). Results that finish an
		// ordered delivery never wait (the next of its key is claimed
		// after their commit), nor does a lone or quiet node's publish.
		lone := !e.exclusive && resultsAlone(op)
		patience := e.patience(op, lone, lastPubs)
		waiting := false
	gather:
		for rows < e.cfg.MaxBatch {
			var o *writeOp
			var ok bool
			select {
			case o, ok = <-e.writes:
			default:
				if patience == 0 {
					break gather
				}
				if !waiting {
					waiting = true
					wait.Reset(patience)
				}
				select {
				case o, ok = <-e.writes:
				case <-wait.C:
					waiting = false
					break gather
				}
			}
			if !ok {
				break gather
			}
			ops = append(ops, o)
			rows += o.rows()
			switch {
			case !plain(o):
				patience = 0 // it waits for nothing: commit now
			case lone && !resultsAlone(o):
				// A publish came: commit now, or, if publishes wait
				// here, go on gathering (the timer runs on).
				lone, patience = false, e.patience(o, false, lastPubs)
			}
		}
		if waiting {
			wait.Stop()
		}
		rest, pubs := carry, 0
		if apart {
			if carry.rows() > 0 && !time.Now().Before(retryAt) {
				carry = e.isolate(carry)
				backoff = min(max(2*backoff, 10*time.Millisecond), time.Second)
				retryAt = time.Now().Add(backoff)
			}
			apart = carry.rows() > 0
			rest = &writeOp{}
		}
		for _, o := range ops {
			rest.results = append(rest.results, o.results...)
			rest.handBacks = append(rest.handBacks, o.handBacks...)
			rest.health = append(rest.health, o.health...)
			pubs += len(o.pubs)
		}
		failed, err := e.commit(ops, rest)
		if err == nil && pubs > 0 {
			lastPubs = pubs
		}
		if apart {
			// carry waits apart; what this batch failed joins it.
			carry.results = append(carry.results, failed.results...)
			carry.handBacks = append(carry.handBacks, failed.handBacks...)
			carry.health = append(carry.health, failed.health...)
			continue
		}
		carry = failed
		if err != nil {
			if carry.rows() > 0 && hookd.ErrorCode(err) != hookd.EUNAVAILABLE {
				apart, retryAt = true, time.Time{}
				continue
			}
			if carry.rows() > 0 {
				// Give the fault time to clear before trying the
				// results again; failed publishes were answered.
				backoff = min(max(2*backoff, 10*time.Millisecond), time.Second)
				select {
				case <-time.After(backoff):
				case <-e.wctx.Done(): // Stop's deadline passed
				}
			}
			continue
		}
		backoff = 0
	}
}

// patience is how long a batch that begins with op waits for more
// before its commit: a batch of results alone on a shared store waits
// for a publish (ResultsWait); a batch of publishes waits for more
// (PublishWait) while other live nodes share the store and this node's
// last commit of publishes held more than one, so that under load each
// commit holds more rows and the server pays its fixed cost less often
// (README "Several nodes on PostgreSQL"); a quiet node's publish, one a
// lone node commits, or anything on an exclusive store does not wait.
func (e *Engine) patience(op *writeOp, lone bool, lastPubs int) time.Duration {
	switch {
	case lone:
		return e.cfg.ResultsWait
	case len(op.pubs) > 0 && plain(op) && lastPubs > 1 && e.peers.Load() && e.cfg.PublishWait > 0:
		return e.cfg.PublishWait
	}
	return 0
}

// plain reports whether op may wait for others to share its commit: not
// an ordered delivery's publish or result (the next of its key is
// claimed after the commit), a hand-back, a health change, or a write
// someone waits for other than a publish.
func plain(op *writeOp) bool {
	return !op.kick && len(op.handBacks) == 0 && len(op.health) == 0 && (op.done == nil || len(op.pubs) > 0)
}

// isolate commits c, rows the store refused in a batch, on its own, and
// if that fails for a reason other than the store's unavailability, each
// row in a commit of its own: it returns the rows that still fail, so
// that one row no store takes holds up only itself.
func (e *Engine) isolate(c *writeOp) *writeOp {
	left, err := e.commit(nil, c)
	if err == nil || hookd.ErrorCode(err) == hookd.EUNAVAILABLE || left.rows() <= 1 {
		return left
	}
	out := &writeOp{}
	for _, r := range left.results {
		if l, err := e.commit(nil, &writeOp{results: []*hookd.Result{r}}); err != nil {
			out.results = append(out.results, l.results...)
			out.handBacks = append(out.handBacks, l.handBacks...)
		}
	}
	for _, h := range left.handBacks {
		if l, err := e.commit(nil, &writeOp{handBacks: []hookd.HandBack{h}}); err != nil {
			out.handBacks = append(out.handBacks, l.handBacks...)
		}
	}
	for _, h := range left.health {
		if l, err := e.commit(nil, &writeOp{health: []*hookd.EndpointHealth{h}}); err != nil {
			out.health = append(out.health, l.health...)
		}
	}
	if out.rows() > 0 {
		e.log.Error("rows the store refuses on their own wait to be committed again", "results", len(out.results),
			"hand_backs", len(out.handBacks), "health", len(out.health))
	}
	return out
}

// commit applies the publishes of ops and rest's results, hand-backs and
// health changes in one batch. On failure it returns what is to be tried
// again with the next batch: rest's, and any hand-backs a reload added.
func (e *Engine) commit(ops []*writeOp, rest *writeOp) (*writeOp, error) {
	b := &hookd.Batch{Results: rest.results, HandBacks: rest.handBacks, Health: rest.health}
	for _, o := range ops {
		b.Publishes = append(b.Publishes, o.pubs...)
	}
	ctx, cancel := context.WithTimeout(e.wctx, 30*time.Second)
	start := e.commits.begin()
	err := e.apply(ctx, ops, b)
	cancel()
	e.observeCommit(start, b, err)
	if err != nil {
		e.log.Error("group commit failed", "err", err, "publishes", len(b.Publishes), "results", len(b.Results))
		for _, o := range ops {
			if o.done != nil {
				e.release(o)
				o.done <- err
			}
		}
		failed := &writeOp{results: b.Results, handBacks: b.HandBacks, health: b.Health}
		if !e.exclusive {
			failed.handBacks = e.unheld(ops, failed.handBacks)
		}
		return failed, err
	}
	e.due.note(b, e.cfg.Clock.Now())
	for _, h := range b.Health {
		if ep, ok := e.disabling.LoadAndDelete(h); ok && h.Disabled {
			go e.emitDisabled(ep.(*hookd.Endpoint), h) // a publish of its own, which waits for the writer
		}
	}
	if leftInStore(b) || disables(b) {
		// Other nodes should claim the work now, or stop sending to
		// an endpoint that was just disabled.
		e.announce()
	}
	kick := false
	for _, o := range ops {
		kick = kick || o.kick
		for _, q := range o.overflow {
			// Only now, with the deliveries committed, may a claim
			// find them: a claim asked for before would miss them.
			if q.overflowStored() {
				kick = true
			}
		}
	}
	if kick {
		e.Kick()
	}
	e.stats.Commits.Add(1)
	e.stats.CommittedRows.Add(int64(len(b.Publishes) + len(b.Results) + len(b.HandBacks)))
	for _, o := range ops {
		if revoked(o) {
			// Its token was revoked before the commit, which stored
			// nothing of it.
			e.release(o)
			if o.done != nil {
				o.done <- hookd.ErrUnknownToken
			}
			continue
		}
		if o.done != nil {
			o.done <- nil
		}
	}
	// The answers first, then the deliveries to their queues: readied by
	// this goroutine, the handlers and the workers wait on its P in the
	// order they were readied, and a publisher waiting for its answer is
	// the loop that brings the next commit's publishes; a delivery is
	// not sent sooner for being queued first while the P is busy. A
	// worker checks its endpoint as it is when it makes the attempt
	// (attempt), so an endpoint disabled or deleted right after the
	// answer is respected all the same (docs/performance.md "Answers before
	// deliveries").
	for _, o := range ops {
		if len(o.pubs) > 0 && !revoked(o) {
			e.handOver(o)
		}
	}
	if len(b.Publishes) > 0 {
		// Let the publishes just answered run before the next commit:
		// readied by this goroutine, they wait on its P, which the next
		// commit's cgo call or system calls (the fsync) would hold
		// until sysmon takes it back (20 µs and more, then sysmon polls
		// every 20 µs for a millisecond) or another P steals them. Run
		// now, they answer their clients and read the next requests, so
		// that the next commit gathers them: larger commits, fewer
		// wake-ups (docs/performance.md "The writer yields after answering").
		runtime.Gosched()
	}
	return &writeOp{}, nil
}

// apply commits b. On several nodes an endpoint may have been created or
// changed elsewhere since the cache this node fanned out from was loaded;
// the store then refuses the batch as stale, and its publishes are fanned
// out again from a fresh cache. So an event published anywhere after an
// endpoint change was answered goes to the endpoints as changed.
func (e *Engine) apply(ctx context.Context, ops []*writeOp, b *hookd.Batch) error {
	b.CheckVersion = !e.exclusive
	for try := 0; ; try++ {
		if b.CheckVersion {
			e.mu.Lock()
			for _, o := range ops {
				if len(o.pubs) > 0 && o.version != e.version {
					e.release(o)
					if err := e.fanOut(o); err != nil {
						e.mu.Unlock()
						return err
					}
				}
			}
			b.EndpointsVersion = e.version
			e.mu.Unlock()
		}
		err := e.store.Apply(ctx, b)
		if err != hookd.ErrStale {
			return err
		}
		if try == 4 {
			return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "endpoints keep changing; try again", Err: err}
		}
		dropped, err := e.reload(ctx)
		if err != nil {
			return err
		}
		b.HandBacks = append(b.HandBacks, dropped...)
	}
}

// unheld appends to hs hand-backs of the deliveries that the publishes of
// ops, whose commit failed, would have stored as this node's: on a store
// across the network the commit may have happened all the same (its answer
// lost with the connection), and those deliveries are in no queue here, so
// no node would send them while this one lives. Handed back with the next
// commit, they are claimed by any node; where the commit did not happen,
// the hand-backs change nothing. At most MaxBatch hand-backs are kept, so
// that a long outage does not grow the next commit without bound.
func (e *Engine) unheld(ops []*writeOp, hs []hookd.HandBack) []hookd.HandBack {
	now := e.cfg.Clock.Now()
	for _, o := range ops {
		for _, p := range o.pubs {
			for _, d := range p.Deliveries {
				if d.Owner == e.cfg.Node && len(hs) < e.cfg.MaxBatch {
					hs = append(hs, hookd.HandBack{DeliveryID: d.ID, At: now, NextAttemptAt: *d.NextAttemptAt, Node: e.cfg.Node})
				}
			}
		}
	}
	return hs
}

// revoked reports whether the commit refused op's publishes: the token
// they were made with was revoked (all of an op's publishes come from one
// request, made with one token).
func revoked(op *writeOp) bool {
	for _, p := range op.pubs {
		if p.Revoked {
			return true
		}
	}
	return false
}

// leftInStore reports whether a batch leaves work in the store for any node
// to claim now: deliveries that did not fit in memory, or handed back.
func leftInStore(b *hookd.Batch) bool {
	for _, p := range b.Publishes {
		for _, d := range p.Deliveries {
			if d.Owner == "" {
				return true
			}
		}
	}
	for _, h := range b.HandBacks {
		if h.Owner == "" {
			return true
		}
	}
	return false
}

// resultsAlone reports whether op holds attempt results and nothing else
// that should not wait: no publish, hand-back or health change, and no
// result that finishes an ordered delivery.
func resultsAlone(op *writeOp) bool {
	return len(op.pubs) == 0 && plain(op)
}

func disables(b *hookd.Batch) bool {
	for _, h := range b.Health {
		if h.Disable {
			return true
		}
	}
	return false
}
