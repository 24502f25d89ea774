package delivery

import (
	"sync"
	"time"

	"github.com/hookd/hookd"
)

// job is one delivery held in memory to be tried.
type job struct {
	d  *hookd.Delivery
	ev *hookd.Event
	// cost is what it counts against the engine's MaxHeldBytes.
	cost int64
	// body, when set, is shared by the jobs of ev's other deliveries
	// published with this one.
	body *eventBody
}

// eventBody is the request body of an event that goes to several
// endpoints, built once for those of one profile (a profile's body
// depends on the event alone; see hookd.Profile.Body) rather than once
// for each.
type eventBody struct {
	mu     sync.Mutex
	bodies []profileBody
}

type profileBody struct {
	prof string // the profile it was built by
	body []byte // read, never written, by the attempts that share it
}

// bodyOf returns the body of j's event in p's format: the one built
// already for another delivery of the event in the same format, or a new
// one.
func bodyOf(p hookd.Profile, j *job) ([]byte, error) {
	eb := j.body
	if eb == nil {
		return p.Body(j.ev)
	}
	name := p.Name()
	eb.mu.Lock()
	defer eb.mu.Unlock()
	for _, b := range eb.bodies {
		if b.prof == name {
			return b.body, nil
		}
	}
	body, err := p.Body(j.ev)
	if err == nil {
		eb.bodies = append(eb.bodies, profileBody{name, body})
	}
	return body, err
}

// jobOverhead is what a job holds besides its event's payload: the
// delivery and the event with their ids, the job itself, and its share
// of the queue.
const jobOverhead = 1 << 10

// jobCost is what a delivery of ev counts against MaxHeldBytes, so that a
// backlog of large events is held in fewer deliveries and the rest waits
// in the store. An event that goes to several endpoints counts once for
// each: a bound, not a measurement.
func jobCost(ev *hookd.Event) int64 { return int64(len(ev.Payload)) + jobOverhead }

// queue holds one endpoint's deliveries in memory and runs its attempts
// with bounded concurrency. A hanging endpoint fills only its own queue and
// its own workers; the others go on.
type queue struct {
	e *Engine

	mu       sync.Mutex
	ep       *hookd.Endpoint // nil once deleted
	jobs     []*job
	head     int
	reserved int
	bytes    int64 // the cost of its deliveries reserved, queued and in flight (see shares)
	workers  int   // running workers, busy or about to look for a job
	busy     int   // workers making an attempt
	// The endpoint's pace, for needWorker: the shortest attempt of the
	// last whole window of attempts (0: none yet) and of the current
	// one, the attempts in the current window, their moving mean, when a
	// worker last took or finished a job, and a timer that looks again
	// while waiting jobs are left to the busy workers.
	base, windowMin, mean time.Duration
	windowN               int
	progress              time.Time
	recheck               *time.Timer
	armed                 bool
	closed                bool
	overflowed            bool // deliveries were committed to the store for lack of room here
	// Health: when the current run of failures began (nil: healthy).
	failingSince *time.Time
	// halt is closed when the endpoint is disabled or deleted, to end the
	// waits for request slots (made when a wait first asks for it).
	halt chan struct{}
	// Rate limit: the next request slot, and how many of the slots
	// reserved in the store are left (several nodes).
	slotMu    sync.Mutex
	nextSlot  time.Time
	slotsLeft int
}

func newQueue(e *Engine, ep *hookd.Endpoint) *queue {
	q := &queue{e: e, ep: ep}
	q.failingSince = ep.FailingSince
	return q
}

func (q *queue) queued() int { return len(q.jobs) - q.head }

// holding is how many deliveries the queue holds: reserved, queued and in
// flight (q.mu held).
func (q *queue) holding() int { return q.queued() + q.reserved + q.busy }

// shares is the number of parts the engine's room in memory (MaxHeldBytes
// and MaxHeld) is divided into for this queue (q.mu held): one for each
// other endpoint with work (workers), one for this one, and one for an
// endpoint to come. A slow endpoint's backlog so never takes all the room,
// and the deliveries of the others do not wait in the store behind it
// (the claims pass an endpoint that has its share by). Alone, an endpoint
// may hold half of the room; beside k others, 1/(k+2).
func (q *queue) shares() int64 {
	n := q.e.active.Load() + 2
	if q.workers > 0 {
		n-- // counted among the active
	}
	return n
}

// overShare reports whether the queue, with a delivery of cost more,
// would hold more than its share (q.mu held). A queue that holds nothing
// may always take one.
func (q *queue) overShare(cost int64) bool {
	n := q.shares()
	return q.bytes > 0 && ((q.bytes+cost)*n > q.e.cfg.MaxHeldBytes || int64(q.holding()+1)*n > int64(q.e.cfg.MaxHeld))
}

// full reports whether a claim must pass the queue by (q.mu held): it has
// QueueSize deliveries waiting, or its share of the room.
func (q *queue) full() bool {
	n := q.shares()
	return q.queued()+q.reserved >= q.e.cfg.QueueSize || q.bytes*n >= q.e.cfg.MaxHeldBytes ||
		int64(q.holding())*n >= int64(q.e.cfg.MaxHeld)
}

// drained reports whether a queue that overflowed has room again for
// what waits in the store (q.mu held): half its deliveries waiting and
// half its share of the room, so that a claim brings a batch worth it.
func (q *queue) drained() bool {
	n := 2 * q.shares()
	return q.queued()+q.reserved < q.e.cfg.QueueSize/2 && q.bytes*n < q.e.cfg.MaxHeldBytes &&
		int64(q.holding())*n < int64(q.e.cfg.MaxHeld)
}

// reserve takes a place for a delivery about to be committed, of the given
// cost; false when the queue is full or has its share of the room in
// memory, or the engine holds as many bytes as it may, and the delivery
// then waits in the store. The cost counts in the engine's held bytes
// from now on.
func (q *queue) reserve(cost int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed || q.queued()+q.reserved >= q.e.cfg.QueueSize || q.e.held.Load()+int64(q.reserved) >= int64(q.e.cfg.MaxHeld) ||
		q.overShare(cost) || !q.e.holdBytes(cost) {
		return false
	}
	q.reserved++
	q.bytes += cost
	return true
}

// overflowStored notes that deliveries which found no room here are now
// committed to the store; it reports whether there is room for them
// already (the caller then has them claimed at once). Otherwise next asks
// for the claim once the queue has drained.
func (q *queue) overflowStored() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.drained() {
		q.overflowed = false
		return true
	}
	q.overflowed = true
	return false
}

// unreserve gives back a place that reserve took, with its cost.
func (q *queue) unreserve(cost int64) {
	q.mu.Lock()
	q.reserved--
	q.bytes -= cost
	q.mu.Unlock()
	q.e.releaseBytes(cost)
}

// fullStillOverflowing reports whether the queue is full or has its share
// of the room, so a claim must pass it by; it then counts as overflowed:
// what the claim leaves in the store for it is claimed once the queue has
// drained (see next).
func (q *queue) fullStillOverflowing() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.full() {
		q.overflowed = true
		return true
	}
	return false
}

func (q *queue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.queued() == 0 && q.reserved == 0 && q.workers == 0
}

// pushReserved adds a delivery that reserved its place (and its cost).
func (q *queue) pushReserved(j *job) {
	q.mu.Lock()
	q.reserved--
	q.add(j)
	q.mu.Unlock()
}

// push adds a claimed delivery (the claim already respected the room and
// counted its cost in the engine's held bytes).
func (q *queue) push(j *job) {
	q.mu.Lock()
	q.bytes += j.cost
	q.add(j)
	q.mu.Unlock()
}

func (q *queue) add(j *job) {
	q.jobs = append(q.jobs, j)
	q.spawn()
}

// Near endpoints: one whose shortest recent attempt took less than
// nearBase, and its attempts less than nearMean on average, answers from
// close by (this machine, its network) and at once, and the time its
// attempts take beyond that is mostly this machine's CPU, shared with the
// receiver. More requests in flight to it add goroutines and
// connections on both sides, more CPU for each delivery, not more
// deliveries (docs/performance.md "Workers at the endpoint's pace"). So the near
// endpoints with work share one endpoint's MaxInFlight between them,
// each at least minShare, while their attempts keep ending; the others
// keep MaxInFlight each.
const (
	nearBase  = time.Millisecond
	nearMean  = 20 * time.Millisecond
	minShare  = 4
	baseEvery = 256 // attempts per window of the shortest attempt
	// stallWait: with no job taken or finished for this long, the
	// attempts in flight are slow now, and a waiting job gets a worker.
	stallWait = 5 * time.Millisecond
)

// spawn starts workers for the waiting jobs (q.mu held), up to the
// endpoint's MaxInFlight. A worker busy with an attempt takes no job until
// it ends, so only the others count against the jobs waiting: a job
// starts at once while a slot is free (no head-of-line wait), within its
// share for a near endpoint.
func (q *queue) spawn() {
	if q.closed {
		return
	}
	var now time.Time // read once, and only when a worker may be wanted
	for q.workers < q.e.cfg.MaxInFlight && q.workers-q.busy < q.queued() {
		if now.IsZero() {
			now = time.Now()
		}
		if !q.needWorker(now) {
			q.armRecheck()
			return
		}
		if q.workers == 0 {
			q.e.active.Add(1)
		}
		q.workers++
		q.e.sending.Add(1)
		go q.work()
	}
}

// needWorker reports whether a waiting job that no idle worker will take
// gets a worker of its own: always, unless the endpoint is near and has
// its share of workers. Then only when none of them has taken or finished
// a job for stallWait (its attempts are slow now), one more worker each
// stallWait.
func (q *queue) needWorker(now time.Time) bool {
	if q.workers < minShare || !q.near() || q.workers < q.e.cfg.MaxInFlight/max(int(q.e.active.Load()), 1) {
		return true
	}
	if now.Sub(q.progress) >= stallWait {
		q.progress = now
		return true
	}
	return false
}

// near reports whether one of the endpoint's last baseEvery attempts at
// least, and of those since, took less than nearBase, and its attempts
// take less than nearMean on average.
func (q *queue) near() bool {
	return q.mean < nearMean && ((q.base > 0 && q.base < nearBase) || (q.windowN > 0 && q.windowMin < nearBase))
}

// armRecheck has spawn run again in stallWait (q.mu held), so that jobs
// left to busy workers whose attempts then stall get workers of their
// own.
func (q *queue) armRecheck() {
	if q.armed {
		return
	}
	q.armed = true
	if q.recheck == nil {
		q.recheck = time.AfterFunc(stallWait, func() {
			q.mu.Lock()
			q.armed = false
			q.spawn()
			q.mu.Unlock()
		})
		return
	}
	q.recheck.Reset(stallWait)
}

// next pops the next job, or returns nil when the worker should exit;
// with started set the worker has just finished an attempt begun then,
// of a job of cost done. It returns the time it took the job.
func (q *queue) next(started time.Time, done int64) (*job, *hookd.Endpoint, time.Time) {
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.progress = now
	if !started.IsZero() {
		q.busy--
		q.bytes -= done
		q.timed(now.Sub(started))
	}
	if q.closed || q.queued() == 0 {
		q.workers--
		if q.workers == 0 {
			q.e.active.Add(-1)
		}
		// The attempts in flight count in the queue's share: it may
		// drain only as its last ones end.
		q.roomAgain()
		return nil, nil, now
	}
	q.busy++
	j := q.jobs[q.head]
	q.jobs[q.head] = nil
	q.head++
	if q.head == len(q.jobs) {
		q.jobs, q.head = q.jobs[:0], 0
	} else if q.head > 1024 && q.head > len(q.jobs)/2 {
		q.jobs = append(q.jobs[:0], q.jobs[q.head:]...)
		q.head = 0
	}
	q.roomAgain()
	return j, q.ep, now
}

// roomAgain asks for a claim once a queue that overflowed has drained (q.mu
// held): the deliveries that waited in the store can come.
func (q *queue) roomAgain() {
	if q.overflowed && !q.closed && q.drained() {
		q.overflowed = false
		q.e.Kick()
	}
}

// timed counts an attempt that took d in the window of the endpoint's
// shortest attempt (q.mu held).
func (q *queue) timed(d time.Duration) {
	if q.mean == 0 {
		q.mean = d
	} else {
		q.mean += (d - q.mean) / 16
	}
	if q.windowN == 0 || d < q.windowMin {
		q.windowMin = d
	}
	if q.windowN++; q.windowN == baseEvery {
		q.base, q.windowN = q.windowMin, 0
	}
}

func (q *queue) work() {
	defer q.e.sending.Done()
	var started time.Time
	var done int64
	for {
		j, ep, now := q.next(started, done)
		if j == nil {
			return
		}
		started = now
		q.e.attempt(q, ep, j)
		q.e.held.Add(-1)
		q.e.releaseBytes(j.cost)
		done = j.cost
	}
}

// setEndpoint points the queue at a new version of its endpoint, or nil
// when it was deleted.
func (q *queue) setEndpoint(ep *hookd.Endpoint) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ep != nil && q.ep != nil && q.ep.Disabled && !ep.Disabled {
		q.failingSince = nil // enabled again: a fresh start
	}
	q.point(ep)
}

// disable marks the in-memory endpoint disabled so its queued deliveries
// are parked instead of sent; the store is updated by the caller.
func (q *queue) disable(reason string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ep == nil || q.ep.Disabled {
		return
	}
	c := *q.ep
	c.Disabled, c.DisabledReason = true, reason
	q.point(&c)
}

// point sets the queue's endpoint (q.mu held). When it is disabled or
// deleted, the waits for request slots end (halt).
func (q *queue) point(ep *hookd.Endpoint) {
	was, stopped := halted(q.ep), halted(ep)
	if was != stopped && q.halt != nil {
		if stopped {
			close(q.halt)
		}
		q.halt = nil // the next wait makes one for the endpoint as it is
	}
	if stopped && !was {
		// The waits end unsent, so the request slots they were given are
		// free again: the first request after the endpoint is enabled
		// takes a slot from then, not after every abandoned one. (The
		// store frees those reserved there when the endpoint is enabled.)
		q.slotMu.Lock()
		q.nextSlot, q.slotsLeft = time.Time{}, 0
		q.slotMu.Unlock()
	}
	q.ep = ep
}

// halted reports whether an endpoint takes no requests: deleted (nil) or
// disabled.
func halted(ep *hookd.Endpoint) bool { return ep == nil || ep.Disabled }

// awaitSlot waits until at, when the delivery's request slot comes, and
// returns the endpoint as it is then. The wait ends early when the engine
// stops, and when the endpoint is disabled or deleted: the delivery is not
// to be sent, and at a low rate its slot may be minutes away.
func (q *queue) awaitSlot(at time.Time) *hookd.Endpoint {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	for {
		q.mu.Lock()
		ep := q.ep
		if q.halt == nil {
			q.halt = make(chan struct{})
			if halted(ep) {
				close(q.halt)
			}
		}
		halt := q.halt
		q.mu.Unlock()
		if halted(ep) {
			return ep
		}
		select {
		case <-t.C:
			return q.endpoint()
		case <-q.e.ctx.Done():
			return q.endpoint()
		case <-halt:
			// Disabled or deleted, or, if enabled again by now, the
			// slot is still to come.
		}
	}
}

// endpoint returns the endpoint as the queue has it now (nil: deleted).
func (q *queue) endpoint() *hookd.Endpoint {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.ep
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}

// drain removes and returns the jobs not yet started.
func (q *queue) drain() []*job {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := append([]*job(nil), q.jobs[q.head:]...)
	q.jobs, q.head = nil, 0
	q.e.held.Add(-int64(len(out)))
	for _, j := range out {
		q.bytes -= j.cost
		q.e.releaseBytes(j.cost)
	}
	return out
}

// slot returns how long to wait before the next request to respect the
// endpoint's rate limit. Slots are handed out in order, so the rate holds
// however many workers ask. When several nodes share the store, slots are
// reserved there, a tenth of a second's worth at a time, so the limit is
// the endpoint's and not each node's.
func (q *queue) slot(ep *hookd.Endpoint, now time.Time) (time.Duration, error) {
	if ep.RateLimit <= 0 {
		return 0, nil
	}
	q.slotMu.Lock()
	defer q.slotMu.Unlock()
	interval := time.Second / time.Duration(ep.RateLimit)
	if q.e.exclusive {
		at := q.nextSlot
		if at.Before(now) {
			at = now
		}
		q.nextSlot = at.Add(interval)
		return at.Sub(now), nil
	}
	// Reserved slots that have passed unused are lost: the limit is never
	// exceeded, at worst briefly undershot.
	for q.slotsLeft > 0 && q.nextSlot.Add(interval).Before(now) {
		q.nextSlot = q.nextSlot.Add(interval)
		q.slotsLeft--
	}
	if q.slotsLeft == 0 {
		n := max(1, ep.RateLimit/10)
		first, err := q.e.store.ReserveSlots(q.e.ctx, ep.ID, n, interval, now)
		if err != nil {
			return 0, err
		}
		q.nextSlot, q.slotsLeft = first, n
	}
	at := q.nextSlot
	q.nextSlot = at.Add(interval)
	q.slotsLeft--
	if at.Before(now) {
		return 0, nil
	}
	return at.Sub(now), nil
}

// health records the outcome of an attempt and returns the change to store,
// if any: the endpoint started failing, recovered, or must be disabled (on a
// 410, or after failing continuously for after, unless after is negative).
func (q *queue) health(ok, gone bool, now time.Time, after time.Duration) *hookd.EndpointHealth {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ep == nil {
		return nil
	}
	if ok {
		if q.failingSince == nil {
			return nil
		}
		q.failingSince = nil
		return &hookd.EndpointHealth{EndpointID: q.ep.ID, At: now}
	}
	var h *hookd.EndpointHealth
	if q.failingSince == nil {
		t := now
		q.failingSince = &t
		h = &hookd.EndpointHealth{EndpointID: q.ep.ID, FailingSince: &t, At: now}
	}
	if q.ep.Disabled {
		return h
	}
	switch {
	case gone:
		return &hookd.EndpointHealth{EndpointID: q.ep.ID, FailingSince: q.failingSince, At: now,
			Disable: true, DisabledReason: "the endpoint answered 410 Gone"}
	case after > 0 && now.Sub(*q.failingSince) >= after: // negative: never
		return &hookd.EndpointHealth{EndpointID: q.ep.ID, FailingSince: q.failingSince, At: now, Disable: true,
			DisabledReason: failingReason(*q.failingSince)}
	}
	return h
}

// failing returns when the endpoint's current run of failures began, as
// this node saw it (nil: healthy).
func (q *queue) failing() *time.Time {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failingSince
}

// failingReason is the reason an endpoint failing since then is disabled.
func failingReason(since time.Time) string {
	return "failing continuously since " + since.UTC().Format(time.RFC3339)
}
