// Package delivery is hookd's engine: it commits published events with their
// deliveries in group commits, sends each delivery to its endpoint in the
// endpoint's wire format, retries on the profile's schedule and records
// every attempt. The store is the truth; memory is the fast path: a delivery
// just committed is handed to its endpoint's queue directly, and the store is
// read back only for retries, overflow and work other nodes left behind.
package delivery

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// Config tunes the engine. The zero value of each field means its default;
// a negative DisableAfter, Retention or PublishWait means never.
type Config struct {
	// Node names this process in the store's ownership records.
	Node  string
	Clock hookd.Clock
	// Rand returns a number in [0,1) for retry jitter.
	Rand func() float64
	// Client makes the requests; nil means one on a Transport, without
	// the egress guard (serve's has it).
	Client *http.Client
	// Profiles returns the profile of a name ("" = default).
	Profiles func(name string) (hookd.Profile, error)
	Logger   *slog.Logger
	// Observer, if set, is told of every attempt and commit (metrics,
	// traces).
	Observer Observer

	QueueSize    int           // deliveries held in memory per endpoint (2048)
	MaxHeld      int           // deliveries held in memory in all (200,000)
	MaxHeldBytes int64         // their cost in all, payload and 1 KiB each (16 MiB; see jobCost)
	MaxInFlight  int           // concurrent requests per endpoint (64)
	MaxBatch     int           // rows per group commit (2000)
	Writers      int           // concurrent group-commit writers (1)
	PollInterval time.Duration // how often the store is asked for due work (1 s)
	// RefreshInterval is how often the endpoints version is checked to
	// reload the endpoint cache (1 s).
	RefreshInterval time.Duration
	// DisableAfter is how long an endpoint fails continuously before it
	// is disabled (5 days; negative: never, though a 410 still does),
	// checked at each attempt and every tenth of it (see upkeep).
	DisableAfter time.Duration
	// Retention is how long attempts, finished deliveries and their
	// events are kept (30 days; negative: for ever, nothing is purged),
	// purged every tenth of it (see upkeep).
	Retention     time.Duration
	RetryAfterMax time.Duration // longest Retry-After honoured (1 h)
	HeartbeatTTL  time.Duration // a node silent this long is dead (30 s)
	// ResultsWait is how long a batch of attempt results alone waits
	// for a publish to share its commit, on a store several nodes share
	// (2 ms; see writer). On an exclusive store results do not wait.
	ResultsWait time.Duration
	// PublishWait is how long a batch of publishes waits for more before
	// its commit when other live nodes share the store and this node's
	// last commit of publishes held more than one (1 ms when 0; negative:
	// never; see writer). A lone node, or a quiet one, never waits.
	PublishWait time.Duration
	// ResponseDrain is how much of a response body is read past the
	// recorded excerpt so the connection can be reused (64 KiB).
	ResponseDrain int64
}

func (c *Config) defaults() {
	if c.Node == "" {
		c.Node = "node-" + uuid.NewString()[:8]
	}
	if c.Clock == nil {
		c.Clock = hookd.SystemClock{}
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	if c.Client == nil {
		c.Client = &http.Client{Transport: &Transport{}, CheckRedirect: NoRedirect}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	setDefault(&c.QueueSize, 2048)
	setDefault(&c.MaxHeld, 200_000)
	setDefault(&c.MaxHeldBytes, 16<<20)
	setDefault(&c.MaxInFlight, 64)
	setDefault(&c.MaxBatch, 2000)
	setDefault(&c.Writers, 1)
	setDefault(&c.PollInterval, time.Second)
	setDefault(&c.RefreshInterval, time.Second)
	if c.DisableAfter == 0 { // negative: never
		c.DisableAfter = 5 * 24 * time.Hour
	}
	if c.Retention == 0 { // negative: for ever
		c.Retention = 30 * 24 * time.Hour
	}
	setDefault(&c.RetryAfterMax, hookd.DefaultRetryAfterMax)
	setDefault(&c.HeartbeatTTL, 30*time.Second)
	setDefault(&c.ResultsWait, 2*time.Millisecond)
	if c.PublishWait == 0 {
		c.PublishWait = time.Millisecond
	}
	setDefault(&c.ResponseDrain, 64<<10)
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// Waker is a store that can wake the other nodes on it at once
// (PostgreSQL's LISTEN/NOTIFY), so that work one node leaves in the store
// does not wait for another's poll.
type Waker interface {
	Notify(ctx context.Context) error
	Listen(ctx context.Context) (<-chan struct{}, error)
}

// NoRedirect is an http.Client CheckRedirect that never follows redirects:
// a 3xx is the endpoint's answer, and a failure.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Engine delivers events. Start it, publish through it, Stop it.
type Engine struct {
	store hookd.Queue
	cfg   Config
	log   *slog.Logger
	// disabling holds the endpoint (*hookd.Endpoint) of each disable an
	// attempt asked for (*hookd.EndpointHealth), until its commit says
	// whether it disabled the endpoint: only then is the operational event
	// published (not when another change disabled it first).
	disabling sync.Map
	// exclusive: this node is the only one on its store (as the store
	// declares): at start it takes back everything any earlier process
	// held, and it shares nothing with other nodes.
	exclusive bool
	// peers: other nodes with a live heartbeat share the store (counted
	// at start and at every refresh).
	peers atomic.Bool

	writes chan *writeOp
	kick   chan struct{}
	due    *dueTimes       // when this node's retries fall due, for the poller
	wake   <-chan struct{} // other nodes announced work or changes
	notify chan struct{}   // announce to the other nodes

	reloadMu sync.Mutex // one reload at a time, so an older snapshot never replaces a newer one
	stopped  bool       // under reloadMu: Stop has closed the writer
	// closeMu is read-held by every send to writes, and held by Stop to
	// close it: no send can meet a closed channel.
	closeMu   sync.RWMutex
	closed    bool // under closeMu: writes is closed
	mu        sync.Mutex
	tenants   map[string][]*hookd.Endpoint // enabled and disabled endpoints per tenant
	queues    map[string]*queue            // per endpoint id
	version   int64
	held      atomic.Int64 // deliveries held in memory (queued, reserved or in flight)
	heldBytes atomic.Int64 // their cost (see jobCost), against MaxHeldBytes
	// starved is set when a claim found no room in MaxHeldBytes; the job
	// that frees enough asks for the next claim.
	starved atomic.Bool
	// claimCost is the mean cost of a job of the last claim (before the
	// first, of the first delivery published): the next claim asks for as
	// many as the room left in MaxHeldBytes takes.
	claimCost atomic.Int64
	accepting atomic.Bool

	ctx    context.Context // cancelled by Stop after the drain
	cancel context.CancelFunc
	// wctx bounds the writers' commits; cancelled when Stop's context
	// ends before they have flushed.
	wctx     context.Context
	wcancel  context.CancelFunc
	sending  sync.WaitGroup // attempts in flight
	active   atomic.Int64   // queues with workers (queue.spawn)
	bg       sync.WaitGroup // poller, refresher, housekeeping, upkeep
	writerWG sync.WaitGroup
	// unflushed: a writer gave up on its last commit when Stop closed
	// the writes.
	unflushed atomic.Bool
	stats     Stats
	commits   commitClock
}

// Stats are the engine's counters, for /metrics.
type Stats struct {
	Published, Delivered, Failed, Retried, Attempts atomic.Int64
	Commits, CommittedRows                          atomic.Int64
}

// New returns an engine on a store's queue.
func New(store hookd.Queue, cfg Config) *Engine {
	cfg.defaults()
	return &Engine{
		store:     store,
		cfg:       cfg,
		log:       cfg.Logger,
		exclusive: store.Exclusive(),
		writes:    make(chan *writeOp, 4096),
		kick:      make(chan struct{}, 1),
		due:       newDueTimes(),
		notify:    make(chan struct{}, 1),
		tenants:   map[string][]*hookd.Endpoint{},
		queues:    map[string]*queue{},
	}
}

// Node is this engine's node name.
func (e *Engine) Node() string { return e.cfg.Node }

// Stats returns the engine's counters.
func (e *Engine) Stats() *Stats { return &e.stats }

// Held returns how many deliveries the engine holds in memory.
func (e *Engine) Held() int64 { return e.held.Load() }

// HeldBytes returns what the deliveries held in memory count against
// MaxHeldBytes.
func (e *Engine) HeldBytes() int64 { return e.heldBytes.Load() }

// holdBytes counts cost in the held bytes if it fits in MaxHeldBytes. One
// job always fits when nothing is held, however large its event.
func (e *Engine) holdBytes(cost int64) bool {
	for {
		cur := e.heldBytes.Load()
		if cur > 0 && cur+cost > e.cfg.MaxHeldBytes {
			return false
		}
		if e.heldBytes.CompareAndSwap(cur, cur+cost) {
			return true
		}
	}
}

// releaseBytes uncounts cost; once room for a claim worth making is free
// again after a claim found none, it asks for the next claim.
func (e *Engine) releaseBytes(cost int64) {
	if e.roomy(e.heldBytes.Add(-cost)) && e.starved.Load() && e.starved.CompareAndSwap(true, false) {
		e.Kick()
	}
}

// roomy reports whether, with held bytes held, a claim worth making fits:
// half of what one may take (claimShare), an eighth of MaxHeldBytes. (Not
// half of MaxHeldBytes, which a slow endpoint's share may keep from ever
// being free.)
func (e *Engine) roomy(held int64) bool {
	return held <= e.cfg.MaxHeldBytes-e.cfg.MaxHeldBytes/(2*claimShare)
}

// Start loads the endpoints, takes back work left by dead nodes and starts
// the writers, the poller and the background loops.
func (e *Engine) Start(ctx context.Context) error {
	now := e.cfg.Clock.Now()
	deadline := now.Add(-e.cfg.HeartbeatTTL)
	if e.exclusive {
		deadline = now.Add(time.Hour) // every other owner is a dead process
	}
	// A process that ran before under this name (killed, or stopped
	// before its last hand-backs were committed) may have left
	// deliveries owned by the name, which nothing holds in memory now.
	// Its heartbeat is made as old as can be, so that the rescue takes
	// them back with those of dead nodes; then this process beats.
	if err := e.store.Heartbeat(ctx, e.cfg.Node, time.UnixMilli(0)); err != nil {
		return err
	}
	if n, err := e.store.Rescue(ctx, "", deadline); err != nil {
		return err
	} else if n > 0 {
		e.log.Info("took back deliveries of stopped nodes", "count", n)
	}
	if err := e.store.Heartbeat(ctx, e.cfg.Node, now); err != nil {
		return err
	}
	e.countPeers(ctx, now)
	if err := e.Reload(ctx); err != nil {
		return err
	}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	// The store's wake-ups are listened for before anything is started,
	// so that a failure leaves no writer or loop behind.
	w, waker := e.store.(Waker)
	if waker {
		ch, err := w.Listen(e.ctx)
		if err != nil {
			e.cancel()
			return err
		}
		e.wake = ch
	}
	e.wctx, e.wcancel = context.WithCancel(context.Background())
	for range e.cfg.Writers {
		e.writerWG.Add(1)
		go e.writer()
	}
	if waker {
		e.bg.Add(1)
		go e.notifier(w)
	}
	e.accepting.Store(true)
	e.bg.Add(4)
	go e.poller()
	go e.refresher()
	go e.housekeeping()
	go e.upkeep()
	e.Kick()
	return nil
}

// Stop stops accepting publishes, lets attempts in flight finish until ctx
// ends, hands queued work back to the store and flushes the writers. The
// flush too is bounded by ctx: if the store cannot take the last results
// in time, Stop returns ctx's error; their deliveries stay pending in the
// store as this node's, and the next start (or another node, once this
// one's heartbeat is old) sends them again.
func (e *Engine) Stop(ctx context.Context) error {
	if !e.accepting.Swap(false) {
		return nil
	}
	// From ctx's end on, commits give up at once, so that no writer,
	// and no send waiting for one, outlasts ctx.
	defer context.AfterFunc(ctx, e.wcancel)()
	// Stop the loops and the queues from starting new attempts.
	e.mu.Lock()
	for _, q := range e.queues {
		q.close()
	}
	e.mu.Unlock()
	done := make(chan struct{})
	go func() { e.sending.Wait(); close(done) }()
	// Attempts still in flight are cut off a little before ctx ends (a
	// quarter of the time left, at most a second), so that their
	// hand-backs are still committed and another node sends them at once,
	// rather than after this node's heartbeat has expired.
	cut := ctx
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		cut, cancel = context.WithDeadline(ctx, d.Add(-min(time.Until(d)/4, time.Second)))
		defer cancel()
	}
	select {
	case <-done:
	case <-cut.Done():
		e.log.Warn("shutdown: attempts still in flight are cut off; they will be sent again")
	}
	e.cancel() // aborts what is still in flight
	<-done
	// The background loops end with e.ctx, but a store call of theirs
	// may wait for the database (a lock held elsewhere) past ctx.
	bgDone := make(chan struct{})
	go func() { e.bg.Wait(); close(bgDone) }()
	select {
	case <-bgDone:
	case <-ctx.Done():
	}
	// Hand back what was queued but not sent, so another node (or the next
	// start) takes it at once.
	var back []*job
	e.mu.Lock()
	for _, q := range e.queues {
		back = append(back, q.drain()...)
	}
	e.mu.Unlock()
	e.reloadMu.Lock()
	e.stopped = true // no reload reads the store from now on
	e.reloadMu.Unlock()
	if hs := e.handBack(back); len(hs) > 0 {
		e.enqueue(context.Background(), &writeOp{handBacks: hs})
	}
	e.closeMu.Lock()
	e.closed = true
	close(e.writes)
	e.closeMu.Unlock()
	flushed := make(chan struct{})
	go func() { e.writerWG.Wait(); close(flushed) }()
	select {
	case <-flushed:
		e.wcancel()
		if !e.unflushed.Load() {
			return nil
		}
		e.log.Warn("shutdown: the store did not take the last attempt results in time; their deliveries are sent again after a restart or by another node")
		return cmp.Or(ctx.Err(), errUnflushed)
	case <-ctx.Done():
		e.log.Warn("shutdown: the store did not take the last attempt results in time; their deliveries are sent again after a restart or by another node")
		return ctx.Err()
	}
}

// enqueue hands op to the writers. It answers ErrStopped once Stop has
// closed them (what op would record then stays in the store as it was:
// pending, to be taken back by the next start or another node), or ctx's
// error if ctx ends first.
func (e *Engine) enqueue(ctx context.Context, op *writeOp) error {
	e.closeMu.RLock()
	defer e.closeMu.RUnlock()
	if e.closed {
		return ErrStopped
	}
	select {
	case e.writes <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// announce tells the other nodes (if the store can) that there is work in
// the store or a change to see; announcements coalesce.
func (e *Engine) announce() {
	select {
	case e.notify <- struct{}{}:
	default:
	}
}

func (e *Engine) notifier(w Waker) {
	defer e.bg.Done()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-e.notify:
			if err := w.Notify(e.ctx); err != nil && e.ctx.Err() == nil {
				e.log.Warn("notify failed", "err", err)
			}
		}
	}
}

// Changed reloads the endpoint cache after a change made through this node
// and tells the other nodes to reload theirs.
func (e *Engine) Changed(ctx context.Context) error {
	err := e.Reload(ctx)
	e.announce()
	e.Kick()
	return err
}

// Kick asks the poller to look for due work now.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Reload reads every endpoint into the cache and points the queues at the
// new versions. The API calls it after it changes an endpoint.
func (e *Engine) Reload(ctx context.Context) error {
	dropped, err := e.reload(ctx)
	if len(dropped) > 0 {
		e.enqueue(context.Background(), &writeOp{handBacks: dropped})
	}
	return err
}

// reload does Reload's work; it returns, as hand-backs to the store, the jobs of the queues of deleted and disabled endpoints. A deleted
// endpoint's deliveries were canceled in the store, and handing them back
// changes nothing there; should one still be pending, it is claimed again
// rather than stranded in a queue that is gone.
func (e *Engine) reload(ctx context.Context) ([]hookd.HandBack, error) {
	// Reloads run one at a time: two interleaved, the one that read
	// first could apply its snapshot last, and a queue would be pointed
	// back at a version without its endpoint.
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if e.stopped {
		return nil, ErrStopped // the writer is gone
	}
	v, err := e.store.EndpointsVersion(ctx)
	if err != nil {
		return nil, err
	}
	eps, err := e.store.AllEndpoints(ctx)
	if err != nil {
		return nil, err
	}
	tenants := map[string][]*hookd.Endpoint{}
	byID := map[string]*hookd.Endpoint{}
	for _, ep := range eps {
		tenants[ep.TenantID] = append(tenants[ep.TenantID], ep)
		byID[ep.ID] = ep
	}
	var dropped []*job
	e.mu.Lock()
	e.tenants = tenants
	e.version = v
	for id, q := range e.queues {
		ep := byID[id]
		q.setEndpoint(ep)
		if ep == nil || ep.Disabled {
			// Deleted, or disabled (by hand or on another node):
			// what waits here goes back to the store at once, which
			// parks it while the endpoint is disabled.
			dropped = append(dropped, q.drain()...)
			if ep == nil && q.idle() {
				delete(e.queues, id)
			}
		}
	}
	e.mu.Unlock()
	return e.handBack(dropped), nil
}

// handBack gives jobs held in memory back to the store, due as they were,
// for any node to claim.
func (e *Engine) handBack(jobs []*job) []hookd.HandBack {
	if len(jobs) == 0 {
		return nil
	}
	now := e.cfg.Clock.Now()
	hs := make([]hookd.HandBack, len(jobs))
	for i, j := range jobs {
		hs[i] = hookd.HandBack{DeliveryID: j.d.ID, At: now, NextAttemptAt: *j.d.NextAttemptAt, Node: e.cfg.Node}
	}
	return hs
}

// queueFor returns the endpoint's queue, creating it; e.mu must be held.
func (e *Engine) queueFor(ep *hookd.Endpoint) *queue {
	q := e.queues[ep.ID]
	if q == nil {
		q = newQueue(e, ep)
		e.queues[ep.ID] = q
	}
	return q
}

func (e *Engine) refresher() {
	defer e.bg.Done()
	t := time.NewTicker(e.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		}
		e.refresh()
		// A node that joined is counted within a refresh.
		e.countPeers(e.ctx, e.cfg.Clock.Now())
	}
}

// refresh reloads the endpoint cache if the store's version moved.
func (e *Engine) refresh() {
	v, err := e.store.EndpointsVersion(e.ctx)
	if err != nil {
		return
	}
	e.mu.Lock()
	stale := v != e.version
	e.mu.Unlock()
	if stale {
		if err := e.Reload(e.ctx); err != nil && e.ctx.Err() == nil {
			e.log.Warn("endpoint reload failed", "err", err)
		}
	}
}

// housekeeping beats the node's heart and takes back the work of dead
// nodes.
func (e *Engine) housekeeping() {
	defer e.bg.Done()
	beat := time.NewTicker(e.cfg.HeartbeatTTL / 3)
	defer beat.Stop()
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-beat.C:
			now := e.cfg.Clock.Now()
			if err := e.store.Heartbeat(e.ctx, e.cfg.Node, now); err != nil {
				e.log.Warn("heartbeat failed", "err", err)
				continue
			}
			if !e.exclusive {
				if n, err := e.store.Rescue(e.ctx, e.cfg.Node, now.Add(-e.cfg.HeartbeatTTL)); err == nil && n > 0 {
					e.log.Info("took back deliveries of a dead node", "count", n)
					e.Kick()
				}
			}
		}
	}
}

// upkeep purges what is older than the retention, at start and then every
// sweepEvery of it, so that a row outlives the retention by about a tenth
// of it at most (plus the purge's own time), however short the retention;
// with a negative retention it never purges. It disables the endpoints
// failing for DisableAfter likewise (see disableFailing). It runs apart
// from the heartbeat: a long purge never makes this node look dead.
func (e *Engine) upkeep() {
	defer e.bg.Done()
	var purge, check <-chan time.Time // nil: never
	if e.cfg.Retention > 0 {
		t := time.NewTicker(sweepEvery(e.cfg.Retention))
		defer t.Stop()
		purge = t.C
		e.purge()
	}
	if e.cfg.DisableAfter > 0 {
		t := time.NewTicker(sweepEvery(e.cfg.DisableAfter))
		defer t.Stop()
		check = t.C
		e.disableFailing()
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-purge:
			e.purge()
		case <-check:
			e.disableFailing()
		}
	}
}

// disableFailing disables the endpoints failing continuously for
// DisableAfter. An attempt checks its own endpoint (queue.health), but an
// endpoint may get no more attempts: its deliveries ran out of retries,
// or nothing more was published to it. The failing-since of each endpoint
// is this node's (its queue's, else the cache's), which another node may
// have overtaken with a success, so the store disables only an endpoint it
// has failing since then or earlier (IfStillFailing), and only the node
// whose change disabled it publishes the operational event.
func (e *Engine) disableFailing() {
	now := e.cfg.Clock.Now()
	var hs []*hookd.EndpointHealth
	var eps []*hookd.Endpoint
	e.mu.Lock()
	for _, list := range e.tenants {
		for _, ep := range list {
			if ep.Disabled {
				continue
			}
			since := ep.FailingSince
			if q := e.queues[ep.ID]; q != nil {
				since = q.failing()
			}
			if since == nil || now.Sub(*since) < e.cfg.DisableAfter {
				continue
			}
			hs = append(hs, &hookd.EndpointHealth{EndpointID: ep.ID, FailingSince: since, At: now, Disable: true,
				IfStillFailing: true, DisabledReason: failingReason(*since)})
			eps = append(eps, ep)
		}
	}
	e.mu.Unlock()
	if len(hs) == 0 {
		return
	}
	if err := e.store.Apply(e.ctx, &hookd.Batch{Health: hs}); err != nil {
		if e.ctx.Err() == nil {
			e.log.Warn("auto-disable failed", "err", err)
		}
		return
	}
	var disabled []int
	e.mu.Lock()
	for i, h := range hs {
		if h.Disabled {
			disabled = append(disabled, i)
			if q := e.queues[h.EndpointID]; q != nil {
				q.disable(h.DisabledReason) // nothing more is sent while the reload comes
			}
		}
	}
	e.mu.Unlock()
	if len(disabled) == 0 {
		return
	}
	// Park what waits here and tell the other nodes.
	if err := e.Changed(e.ctx); err != nil && e.ctx.Err() == nil {
		e.log.Warn("endpoint reload failed", "err", err)
	}
	for _, i := range disabled {
		ep, h := eps[i], hs[i]
		e.log.Warn("endpoint disabled", "tenant", ep.TenantID, "endpoint", ep.ID, "reason", h.DisabledReason)
		e.emitDisabled(ep, h)
	}
}

// sweepEvery is how often a background check bound to a duration d runs: a
// tenth of d, at least every second, at most every 10 minutes.
func sweepEvery(d time.Duration) time.Duration {
	return min(10*time.Minute, max(time.Second, d/10))
}

// countPeers notes whether other nodes with a live heartbeat share the
// store (never on an exclusive one); a failed count leaves it as it was.
func (e *Engine) countPeers(ctx context.Context, now time.Time) {
	if e.exclusive {
		return
	}
	if n, err := e.store.Nodes(ctx, now.Add(-e.cfg.HeartbeatTTL)); err == nil {
		e.peers.Store(n > 1)
	}
}

func (e *Engine) purge() {
	n, err := e.store.Purge(e.ctx, e.cfg.Clock.Now().Add(-e.cfg.Retention))
	if err != nil && e.ctx.Err() == nil {
		e.log.Warn("purge failed", "err", err)
	} else if n > 0 {
		e.log.Info("purged rows past retention", "rows", n)
	}
}

// poller claims due work from the store: retries, overflow, and work that
// other nodes left behind.
func (e *Engine) poller() {
	defer e.bg.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	var deadline time.Time // when t fires
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-t.C:
		case <-e.kick:
		case <-e.wake:
			// Another node changed something or left work: look at
			// the endpoints first, then claim.
			e.refresh()
		case <-e.due.earlier:
			// A retry falls due before the timer, perhaps: sleep until
			// then, never past the timer's time (the poll's).
			if d := e.due.sleep(e.cfg.Clock.Now(), e.cfg.PollInterval); d > 0 {
				if at := time.Now().Add(d); at.Before(deadline) {
					t.Reset(d)
					deadline = at
				}
				continue
			}
		}
		// The times due when the claims begin are theirs to find; those
		// that fall due while they run are left for the next.
		claimAt := e.cfg.Clock.Now()
		for e.claimOnce() {
		}
		e.due.drop(claimAt)
		// Claims for retries come at most every dueGap, in groups.
		wait := max(e.due.sleep(e.cfg.Clock.Now(), e.cfg.PollInterval), min(dueGap, e.cfg.PollInterval))
		t.Reset(wait)
		deadline = time.Now().Add(wait)
	}
}

// claimBatch is the most deliveries one claim asks the store for.
const claimBatch = 1000

// firstClaimCost is the cost of a job guessed before anything was claimed
// or published.
const firstClaimCost = 16 << 10

// claimShare: one claim takes at most 1/claimShare of MaxHeldBytes (at
// the mean cost), so that an endpoint under its share of the room before a
// claim (queue.shares) holds at most that much more after it, whatever the
// claim gives it: alone, at most 3/4 of the room, and the rest is left to
// the others.
const claimShare = 4

// claimOnce claims one batch; it reports whether there may be more. The
// batch is as large as the room left in MaxHeldBytes takes at the mean cost
// of the last claim's jobs (see claimCost), up to a quarter of the room in
// all (claimShare), so a claim passes the bound by no more than its jobs
// exceed that mean. Endpoints that hold their share of the room are passed
// by.
func (e *Engine) claimOnce() bool {
	if e.held.Load() >= int64(e.cfg.MaxHeld-claimBatch) || !e.accepting.Load() {
		return false
	}
	room := e.cfg.MaxHeldBytes - e.heldBytes.Load()
	mean := e.claimCost.Load()
	if mean == 0 {
		mean = firstClaimCost
	}
	mean = max(mean, jobOverhead)
	batch := int(min(claimBatch, room/mean, max(1, e.cfg.MaxHeldBytes/claimShare/mean)))
	if batch < 1 {
		e.starved.Store(true)
		// A job that ended between the load and the store saw no
		// starvation to end: look again.
		if !e.roomy(e.heldBytes.Load()) || !e.starved.CompareAndSwap(true, false) {
			return false
		}
		batch = 1
	}
	var skip []string
	e.mu.Lock()
	for id, q := range e.queues {
		if q.fullStillOverflowing() {
			skip = append(skip, id)
		}
	}
	e.mu.Unlock()
	// The room is taken before the claim, so that publishes meanwhile do
	// not take it too; the claimed jobs' own cost replaces it after.
	taken := int64(batch) * mean
	e.heldBytes.Add(taken)
	defer e.releaseBytes(taken)
	jobs, err := e.store.Claim(e.ctx, e.cfg.Node, e.cfg.Clock.Now(), batch, skip)
	if err != nil {
		if e.ctx.Err() == nil {
			e.log.Warn("claim failed", "err", err)
		}
		return false
	}
	if len(jobs) == 0 {
		return false
	}
	e.mu.Lock()
	byID := map[string]*hookd.Endpoint{}
	for _, eps := range e.tenants {
		for _, ep := range eps {
			byID[ep.ID] = ep
		}
	}
	var orphans []hookd.HandBack
	var cost int64
	for _, j := range jobs {
		ep := byID[j.Delivery.EndpointID]
		if ep == nil {
			// Not in the cache yet (created on another node a moment
			// ago): hand it back for the next round.
			orphans = append(orphans, hookd.HandBack{DeliveryID: j.Delivery.ID, At: e.cfg.Clock.Now(),
				NextAttemptAt: *j.Delivery.NextAttemptAt, Node: e.cfg.Node})
			continue
		}
		jb := &job{d: j.Delivery, ev: j.Event, cost: jobCost(j.Event)}
		cost += jb.cost
		e.held.Add(1)
		e.heldBytes.Add(jb.cost)
		e.queueFor(ep).push(jb)
	}
	e.mu.Unlock()
	if n := len(jobs) - len(orphans); n > 0 {
		e.claimCost.Store(cost / int64(n))
	}
	if len(orphans) > 0 {
		e.enqueue(context.Background(), &writeOp{handBacks: orphans})
		// Load the endpoints they belong to before the next claim.
		if err := e.Reload(e.ctx); err != nil && e.ctx.Err() == nil {
			e.log.Warn("endpoint reload failed", "err", err)
		}
	}
	return len(jobs) == batch
}

// errUnflushed is Stop's answer when the writers gave up on their last
// commit before its context ended.
var errUnflushed = errors.New("the store did not take the last attempt results")

// ErrStopped is returned by Publish once Stop has begun.
var ErrStopped = &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "hookd is shutting down"}

// Publish stores events and their deliveries to every matching endpoint, and
// returns once they are committed to durable storage. Each event's
// CreatedAt and ID must be set. The returned Publish values carry the
// deliveries, or Existing for an id or idempotency key seen before. When
// only is set, the events go to that endpoint alone (an endpoint test).
//
// Each event's CreatedAt is cut to the millisecond, the precision the
// stores keep: the event held in memory for the fast path and the one read
// back from the store (retries, overflow, ordered claims, other nodes) are
// then the same, and so is every body built from it.
func (e *Engine) Publish(ctx context.Context, events []*hookd.Event, only string) ([]*hookd.Publish, error) {
	token := hookd.TokenCheckFromContext(ctx) // checked again by the commit
	var op *writeOp
	if len(events) == 1 {
		op = newSinglePublish(nil)
		op.pubs[0].Event, op.pubs[0].Token = events[0], token
	} else {
		pubs := make([]*hookd.Publish, len(events))
		for i, ev := range events {
			pubs[i] = &hookd.Publish{Event: ev, Token: token}
		}
		op = &writeOp{pubs: pubs, handoffs: make([][]handoff, len(pubs))}
	}
	op.only = only
	if err := e.publish(ctx, op); err != nil {
		return nil, err
	}
	return op.pubs, nil
}

// singlePublish is what the publish of one event allocates, in one piece
// (a publish's op, its slices and its delivery's hand-off are otherwise
// four small allocations on every request).
type singlePublish struct {
	op       writeOp
	pub      hookd.Publish
	pubs     [1]*hookd.Publish
	handoffs [1][]handoff
	handoff  [1]handoff
}

// newSinglePublish returns the op of the publish p alone (nil: of a
// Publish allocated with the op, to be filled in).
func newSinglePublish(p *hookd.Publish) *writeOp {
	s := &singlePublish{}
	if p == nil {
		p = &s.pub
	}
	s.pubs[0] = p
	s.handoffs[0] = s.handoff[:0]
	s.op.pubs, s.op.handoffs = s.pubs[:], s.handoffs[:]
	return &s.op
}

// Ingest publishes an event a source received with the request it came as
// (see hookd.Publish.Request): both are committed in the same group commit,
// one transaction, before it returns. A source taken from a node's memory
// is checked again by the commit (hookd.TokenCheckFromContext: its key),
// which refuses the publish with ErrUnknownToken if the source changed.
func (e *Engine) Ingest(ctx context.Context, ev *hookd.Event, r *hookd.SourceRequest) (*hookd.Publish, error) {
	p := &hookd.Publish{Event: ev, Request: r, Token: hookd.TokenCheckFromContext(ctx)}
	if err := e.publish(ctx, newSinglePublish(p)); err != nil {
		return nil, err
	}
	return p, nil
}

// publish fans op's publishes out, has them committed and waits for the
// commit.
func (e *Engine) publish(ctx context.Context, op *writeOp) error {
	if !e.accepting.Load() {
		return ErrStopped
	}
	for _, p := range op.pubs {
		p.Event.CreatedAt = time.UnixMilli(p.Event.CreatedAt.UnixMilli()).UTC()
	}
	op.done = make(chan error, 1)
	e.traceEvents(ctx, op.pubs)
	e.mu.Lock()
	err := e.fanOut(op)
	e.mu.Unlock()
	if err != nil {
		e.release(op)
		return err
	}
	if err := e.enqueue(ctx, op); err != nil {
		e.release(op)
		return err
	}
	select {
	case err = <-op.done:
		return err
	case <-ctx.Done():
		// The write goes on and its deliveries are sent; the caller
		// only stops waiting.
		return ctx.Err()
	}
}

// fanOut gives each event of op a delivery to every endpoint that wants it
// (or to op.only), from the endpoint cache, and reserves their places in
// the endpoints' queues; e.mu must be held. It may run again for the same
// op, after the release of its reservations, when the store says the cache
// was stale.
func (e *Engine) fanOut(op *writeOp) error {
	now := e.cfg.Clock.Now()
	op.version = e.version
	op.overflow, op.kick = nil, false
	for i, p := range op.pubs {
		ev := p.Event
		cost := jobCost(ev)
		e.claimCost.CompareAndSwap(0, cost)
		p.Deliveries, op.handoffs[i] = nil, op.handoffs[i][:0]
		for _, ep := range e.tenants[ev.TenantID] {
			if op.only != "" {
				if ep.ID != op.only {
					continue
				}
			} else if !ep.Wants(ev.Type) {
				continue
			}
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			nd := &newDelivery{due: now}
			d := &nd.d
			*d = hookd.Delivery{ID: deliveryID(id), TenantID: ev.TenantID, EventID: ev.ID, EndpointID: ep.ID,
				EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &nd.due, CreatedAt: now, UpdatedAt: now}
			if ep.Ordering == hookd.OrderingKey && ev.OrderingKey != "" {
				d.OrderingKey = ev.OrderingKey
			}
			switch q := e.queueFor(ep); {
			case ep.Disabled:
				d.Owner = hookd.Parked
			case d.OrderingKey != "":
				// Left in the store, and claimed when no earlier
				// delivery of its key is pending.
				op.kick = true
			case q.reserve(cost):
				d.Owner = e.cfg.Node
				op.handoffs[i] = append(op.handoffs[i], handoff{q: q, d: d, cost: cost})
			default:
				// No room in memory: it waits in the store, to be
				// claimed when the queue has drained (see commit).
				if n := len(op.overflow); n == 0 || op.overflow[n-1] != q {
					op.overflow = append(op.overflow, q)
				}
			}
			p.Deliveries = append(p.Deliveries, d)
		}
	}
	return nil
}

// newDelivery is a new delivery and the time its NextAttemptAt points to,
// allocated together.
type newDelivery struct {
	d   hookd.Delivery
	due time.Time
}

// deliveryID is "dlv_" and id as uuid.UUID.String writes it, made in one
// allocation (not two: the string, then the concatenation).
func deliveryID(id uuid.UUID) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 4+36)
	b = append(b, "dlv_"...)
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0xf])
	}
	return string(b)
}

// handoff is a delivery reserved a place in its endpoint's queue, to be
// pushed there once its publish is committed.
type handoff struct {
	q    *queue
	d    *hookd.Delivery
	cost int64
}

// handOver pushes the deliveries of a committed publish op to their queues
// (called by the writer after the commit).
func (e *Engine) handOver(op *writeOp) {
	for i, p := range op.pubs {
		if p.Existing != nil {
			for _, h := range op.handoffs[i] {
				h.q.unreserve(h.cost)
			}
			continue
		}
		e.stats.Published.Add(1)
		var body *eventBody
		if len(op.handoffs[i]) > 1 {
			body = &eventBody{}
		}
		for _, h := range op.handoffs[i] {
			e.held.Add(1)
			h.q.pushReserved(&job{d: h.d, ev: p.Event, cost: h.cost, body: body})
		}
	}
}

// release gives back the queue places of an op that was not committed.
func (e *Engine) release(op *writeOp) {
	for i, hs := range op.handoffs {
		for _, h := range hs {
			h.q.unreserve(h.cost)
		}
		op.handoffs[i] = nil
	}
}
