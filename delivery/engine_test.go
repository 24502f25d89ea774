package delivery_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type bundle struct {
	store  hookd.Database
	engine *delivery.Engine
	clock  *fakeClock
	hits   chan time.Time // the fake time of each request
	ids    chan string    // the webhook-id of each request

	mu         sync.Mutex
	answer     func(*http.Request) int // when set, the status of each request
	retryAfter string                  // when set, the Retry-After of each answer
}

// openStore opens a store on a fresh SQLite file, closed when the test
// ends (after the engine's cleanup, registered later, has stopped it).
func openStore(t *testing.T) *sqlite.Store {
	t.Helper()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "h.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// setup starts an engine on a real SQLite file with a fake clock, and a
// loopback endpoint that answers status for every request.
func setup(t *testing.T, status int, ep func(*hookd.Endpoint)) *bundle {
	return setupWith(t, status, ep, nil)
}

func setupWith(t *testing.T, status int, ep func(*hookd.Endpoint), cfg func(*delivery.Config)) *bundle {
	t.Helper()
	return setupOn(t, openStore(t), status, ep, cfg)
}

// setupOn is setupWith on the store given.
func setupOn(t *testing.T, st hookd.Database, status int, ep func(*hookd.Endpoint), cfg func(*delivery.Config)) *bundle {
	t.Helper()
	ctx := context.Background()
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := &bundle{store: st, clock: clock, hits: make(chan time.Time, 100), ids: make(chan string, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := status
		b.mu.Lock()
		if b.answer != nil {
			code = b.answer(r)
		}
		if b.retryAfter != "" {
			w.Header().Set("Retry-After", b.retryAfter)
		}
		b.mu.Unlock()
		b.hits <- clock.Now()
		select {
		case b.ids <- r.Header.Get("webhook-id"): // for the tests that read them
		default:
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	secret, _ := profile.Standard{}.NewSecret()
	e := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: srv.URL, Profile: "standard", EventTypes: []string{"*"},
		Ordering: "none", Secrets: []hookd.Secret{{Value: secret}}, CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if ep != nil {
		ep(e)
	}
	if err := st.CreateEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	reg := profile.New(nil)
	// Randomness 0 adds no jitter: each delay is the schedule's own.
	c := delivery.Config{Clock: clock, Rand: func() float64 { return 0 },
		Profiles: reg.Get, PollInterval: 10 * time.Millisecond, DisableAfter: 5 * 24 * time.Hour}
	if cfg != nil {
		cfg(&c)
	}
	b.engine = delivery.New(st, c)
	if err := b.engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.engine.Stop(ctx)
	})
	return b
}

func (b *bundle) publish(t *testing.T, id string) *hookd.Delivery {
	t.Helper()
	ev := &hookd.Event{ID: id, TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
	pubs, err := b.engine.Publish(context.Background(), []*hookd.Event{ev}, "")
	if err != nil {
		t.Fatal(err)
	}
	return pubs[0].Deliveries[0]
}

// next waits for the next request and returns its fake time.
func (b *bundle) next(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-b.hits:
		return at
	case <-time.After(5 * time.Second):
		t.Fatal("no attempt arrived")
		return time.Time{}
	}
}

// waitDelivery waits until the stored delivery satisfies cond.
func (b *bundle) waitDelivery(t *testing.T, id string, cond func(*hookd.Delivery) bool) *hookd.Delivery {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := b.store.Delivery(context.Background(), "t", id)
		if err == nil && cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s never reached the state wanted: %+v", id, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRetrySchedule walks the standard schedule with a fake clock: each
// retry comes exactly its delay after the previous try (the injected
// randomness adds no jitter), and after the last one the delivery fails.
func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	b := setup(t, 500, nil)
	d := b.publish(t, "e1")
	start := b.clock.Now()
	if at := b.next(t); !at.Equal(start) {
		t.Fatalf("first try at %v, want %v", at, start)
	}
	schedule := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, delay := range schedule {
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == i+1 && d.NextAttemptAt != nil })
		want := b.clock.Now().Add(delay)
		if !got.NextAttemptAt.Equal(want) {
			t.Fatalf("retry %d due %v, want %v", i+1, got.NextAttemptAt, want)
		}
		b.clock.Add(delay - time.Millisecond)
		select {
		case <-b.hits:
			t.Fatalf("retry %d came before its time", i+1)
		case <-time.After(50 * time.Millisecond):
		}
		b.clock.Add(time.Millisecond)
		if at := b.next(t); !at.Equal(want) {
			t.Fatalf("retry %d at %v, want %v", i+1, at, want)
		}
	}
	got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateFailed })
	if got.Attempts != 8 || got.LastStatus != 500 {
		t.Fatalf("final delivery %+v", got)
	}
	as, err := b.store.Attempts(context.Background(), d.ID)
	if err != nil || len(as) != 8 || as[7].ErrorClass != hookd.ClassStatus {
		t.Fatalf("attempts %d %v", len(as), err)
	}
}

// TestDisableAfterContinuousFailure: an endpoint failing for 5 days is
// disabled with its reason; a success in between resets the clock.
func TestDisableAfterContinuousFailure(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	b := setup(t, 503, func(e *hookd.Endpoint) {
		e.RetrySchedule = []hookd.Duration{hookd.Duration(day), hookd.Duration(day), hookd.Duration(day),
			hookd.Duration(day), hookd.Duration(day), hookd.Duration(day), hookd.Duration(day)}
	})
	d := b.publish(t, "e1")
	b.next(t)
	for i := 1; i <= 5; i++ {
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == i })
		ep, _ := b.store.Endpoint(context.Background(), "t", "ep")
		if ep.Disabled {
			t.Fatalf("disabled after %d days of failure", i-1)
		}
		b.clock.Add(day)
		b.next(t)
	}
	var ep *hookd.Endpoint
	deadline := time.Now().Add(5 * time.Second)
	for {
		ep, _ = b.store.Endpoint(context.Background(), "t", "ep")
		if ep.Disabled || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !ep.Disabled || ep.DisabledReason == "" || ep.FailingSince == nil {
		t.Fatalf("endpoint after 5 days of failure: %+v", ep)
	}
	// The delivery waits (parked), it is not lost.
	got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == 6 })
	if got.State != hookd.StateParked || got.NextAttemptAt != nil {
		t.Fatalf("delivery of the disabled endpoint is %s, due %v; want parked", got.State, got.NextAttemptAt)
	}
	b.clock.Add(2 * day)
	select {
	case <-b.hits:
		t.Fatal("a disabled endpoint was tried")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestPolicyJitter: jitter only lengthens a delay, by up to its fraction.
func TestPolicyJitter(t *testing.T) {
	p := hookd.Policy{Schedule: []time.Duration{100 * time.Second}, Jitter: 0.2}
	now := time.Now()
	for _, c := range []struct {
		rnd  float64
		want time.Duration
	}{{0, 100 * time.Second}, {0.5, 110 * time.Second}, {0.999999, 120 * time.Second}} {
		d, ok := p.NextDelay(1, now, now, now, c.rnd)
		if !ok || d < c.want-time.Second || d > c.want+time.Second || d < 100*time.Second {
			t.Errorf("rnd %v: %v, want about %v and never below 100s", c.rnd, d, c.want)
		}
	}
	if _, ok := p.NextDelay(2, now, now, now, 0.5); ok {
		t.Error("a try past the schedule")
	}
	lean := hookd.Policy{Schedule: []time.Duration{time.Minute, 2 * time.Minute}, FromFirst: true}
	if d, _ := lean.NextDelay(2, now, now.Add(time.Minute), now.Add(70*time.Second), 0); d != 50*time.Second {
		t.Errorf("from-first delay %v, want 50s", d)
	}
}

// TestCustomScheduleJitter: an endpoint's own retry_schedule takes the
// profile's jitter, which only lengthens its delays: with the lowest random
// number the retry is due exactly its delay after the try, with the highest
// at most 20 % later (standard's jitter), never earlier.
func TestCustomScheduleJitter(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		rnd    float64
		lo, hi time.Duration
	}{{0, 10 * time.Second, 10 * time.Second}, {0.999, 10 * time.Second, 12 * time.Second}} {
		b := setupWith(t, http.StatusServiceUnavailable, func(e *hookd.Endpoint) {
			e.RetrySchedule = []hookd.Duration{hookd.Duration(10 * time.Second), hookd.Duration(time.Minute)}
		}, func(cfg *delivery.Config) { cfg.Rand = func() float64 { return c.rnd } })
		d := b.publish(t, "e1")
		at := b.next(t)
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 && d.NextAttemptAt != nil })
		if wait := got.NextAttemptAt.Sub(at); wait < c.lo || wait > c.hi {
			t.Errorf("rnd %v: first retry due %v after the try, want %v to %v", c.rnd, wait, c.lo, c.hi)
		}
	}
}

// TestBoundedMemory: with room for 4 deliveries in memory, a backlog of 300
// waits in the store and is delivered in full; memory never holds more than
// the queue's room plus one claim batch.
func TestBoundedMemory(t *testing.T) {
	t.Parallel()
	b := setupWith(t, 200, nil, func(c *delivery.Config) { c.QueueSize, c.MaxInFlight = 4, 1 })
	const n = 300
	evs := make([]*hookd.Event, n)
	for i := range evs {
		evs[i] = &hookd.Event{ID: fmt.Sprintf("e%d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
	}
	if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
		t.Fatal(err)
	}
	maxHeld := int64(0)
	for i := range n {
		select {
		case <-b.hits:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d delivered", i, n)
		}
		maxHeld = max(maxHeld, b.engine.Held())
	}
	if maxHeld > 4+1000 {
		t.Fatalf("held %d deliveries in memory", maxHeld)
	}
	ds, err := b.store.Deliveries(context.Background(), "t", hookd.DeliveryFilter{State: hookd.StatePending})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(ds) > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		ds, _ = b.store.Deliveries(context.Background(), "t", hookd.DeliveryFilter{State: hookd.StatePending})
	}
	if len(ds) != 0 {
		t.Fatalf("%d deliveries still pending", len(ds))
	}
	t.Logf("300 deliveries through a queue of 4: at most %d held in memory", maxHeld)
}

// TestWeavrRetryRule: a Weavr endpoint's 400 and 401 are final, while 408,
// 409, 425, 500 and 503 are retried on Weavr's schedule (10 s, 60 s,
// 6 min, 36 min, 3.6 h), then the delivery fails.
func TestWeavrRetryRule(t *testing.T) {
	t.Parallel()
	weavr := func(e *hookd.Endpoint) {
		secret, _ := profile.Weavr{}.NewSecret()
		e.Profile, e.Secrets = "weavr", []hookd.Secret{{Value: secret}}
	}
	for _, code := range []int{400, 401} {
		b := setup(t, code, weavr)
		d := b.publish(t, "final")
		b.next(t)
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
		if got.State != hookd.StateFailed || got.Attempts != 1 {
			t.Fatalf("%d: delivery %s after %d attempts, want failed after 1", code, got.State, got.Attempts)
		}
		b.clock.Add(time.Hour)
		select {
		case <-b.hits:
			t.Fatalf("%d was retried", code)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, code := range []int{408, 409, 425, 503} {
		b := setup(t, code, weavr)
		d := b.publish(t, "again")
		b.next(t)
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 })
		if want := b.clock.Now().Add(10 * time.Second); got.State != hookd.StatePending || !got.NextAttemptAt.Equal(want) {
			t.Fatalf("%d: delivery %s, next try %v; want pending, due %v", code, got.State, got.NextAttemptAt, want)
		}
	}
	b := setup(t, 500, weavr)
	d := b.publish(t, "schedule")
	b.next(t)
	for i, delay := range []time.Duration{10 * time.Second, time.Minute, 6 * time.Minute, 36 * time.Minute, 216 * time.Minute} {
		got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.Attempts == i+1 && d.NextAttemptAt != nil })
		if want := b.clock.Now().Add(delay); !got.NextAttemptAt.Equal(want) {
			t.Fatalf("retry %d due %v, want %v", i+1, got.NextAttemptAt, want)
		}
		b.clock.Add(delay)
		b.next(t)
	}
	got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending })
	if got.State != hookd.StateFailed || got.Attempts != 6 {
		t.Fatalf("after the schedule: %s with %d attempts, want failed with 6", got.State, got.Attempts)
	}
}

// TestOrderedByKey: on an endpoint with ordering "key", events that share a
// key arrive in publish order, one at a time; when one fails, the later
// ones of its key wait for its retry, while other keys and events without
// a key go on.
func TestOrderedByKey(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) { testOrderedByKey(t, open(t)) })
}

func testOrderedByKey(t *testing.T, st hookd.Database) {
	b := setupOn(t, st, 200, func(e *hookd.Endpoint) { e.Ordering = hookd.OrderingKey }, nil)
	tries := map[string]int{}
	b.mu.Lock()
	b.answer = func(r *http.Request) int {
		id := r.Header.Get("webhook-id")
		tries[id]++
		if id == "a1" && tries[id] == 1 {
			return 500
		}
		return 200
	}
	b.mu.Unlock()
	var evs []*hookd.Event
	for _, e := range [][2]string{{"a1", "A"}, {"a2", "A"}, {"b1", "B"}, {"a3", "A"}, {"b2", "B"}, {"n1", ""}} {
		evs = append(evs, &hookd.Event{ID: e[0], TenantID: "t", Type: "a.b", Payload: []byte(`{}`), OrderingKey: e[1], CreatedAt: b.clock.Now()})
	}
	if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
		t.Fatal(err)
	}
	var got []string
	collect := func(n int) {
		t.Helper()
		for range n {
			select {
			case id := <-b.ids:
				got = append(got, id)
			case <-time.After(5 * time.Second):
				t.Fatalf("only %v arrived", got)
			}
		}
	}
	// a1 fails; key B and the keyless event go on; a2 and a3 wait.
	collect(4)
	select {
	case id := <-b.ids:
		t.Fatalf("%s arrived while a1 waits for its retry (so far %v)", id, got)
	case <-time.After(200 * time.Millisecond):
	}
	b.clock.Add(5 * time.Second) // a1's retry is due
	collect(3)
	var keyA, keyB []string
	for _, id := range got {
		switch id[0] {
		case 'a':
			keyA = append(keyA, id)
		case 'b':
			keyB = append(keyB, id)
		}
	}
	if strings.Join(keyA, " ") != "a1 a1 a2 a3" || strings.Join(keyB, " ") != "b1 b2" || !slices.Contains(got[:4], "n1") {
		t.Fatalf("arrival order %v: key A %v, key B %v; want a1 a1 a2 a3, b1 b2, and n1 before a1's retry", got, keyA, keyB)
	}
}

// TestOverflowClaimedWithoutPolling: deliveries that find their endpoint's
// queue full wait in the store and are claimed as the queue drains, more
// than one claim's worth of them, not at the next poll (an hour away
// here): every one arrives.
func TestOverflowClaimedWithoutPolling(t *testing.T) {
	t.Parallel()
	b := setupWith(t, 200, nil, func(c *delivery.Config) { c.QueueSize, c.MaxInFlight, c.PollInterval = 64, 8, time.Hour })
	time.Sleep(50 * time.Millisecond) // past the poller's first look
	const batches, size = 3, 1000     // more than a claim takes at once (1000)
	arrived := make(chan int)
	go func() {
		n := 0
		for n < batches*size {
			select {
			case <-b.hits:
				n++
			case <-time.After(10 * time.Second):
				// Nothing more is coming: the rest wait for a poll an
				// hour away (10 s leaves room for a slow machine).
				arrived <- n
				return
			}
		}
		arrived <- n
	}()
	for i := range batches {
		var evs []*hookd.Event
		for k := range size {
			evs = append(evs, &hookd.Event{ID: fmt.Sprintf("o-%d-%d", i, k), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()})
		}
		if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := <-arrived; n != batches*size {
		t.Fatalf("%d of %d deliveries arrived; the rest wait in the store unclaimed (held %d, %d bytes)", n, batches*size, b.engine.Held(), b.engine.HeldBytes())
	}
}

// TestHeldBytesBounded: with room for about ten 4 KB deliveries in memory
// (MaxHeldBytes), a backlog of 400 waits in the store and is delivered in
// full without a poll (the next is an hour away): each claim takes what
// the room allows and the deliveries that free it ask for the next. The
// events of an ordering key arrive in publish order, and the bytes held
// never pass the bound by more than a claim's overshoot (here, wide).
func TestHeldBytesBounded(t *testing.T) {
	t.Parallel()
	const budget, n = 50 << 10, 400
	b := setupWith(t, 200, func(e *hookd.Endpoint) { e.Ordering = hookd.OrderingKey },
		func(c *delivery.Config) { c.MaxHeldBytes, c.MaxInFlight, c.PollInterval = budget, 4, time.Hour })
	var most int64
	b.mu.Lock()
	b.answer = func(*http.Request) int {
		most = max(most, b.engine.HeldBytes())
		return 200
	}
	b.mu.Unlock()
	time.Sleep(50 * time.Millisecond) // past the poller's first look
	payload := []byte(`{"pad":"` + strings.Repeat("x", 4000) + `"}`)
	for i := 0; i < n; i += 100 {
		var evs []*hookd.Event
		for k := i; k < i+100; k++ {
			ev := &hookd.Event{ID: fmt.Sprintf("e%03d", k), TenantID: "t", Type: "a.b", Payload: payload, CreatedAt: b.clock.Now()}
			if k%4 == 0 {
				ev.OrderingKey = "K"
			}
			evs = append(evs, ev)
		}
		if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
			t.Fatal(err)
		}
	}
	var keyed []string
	seen := map[string]bool{}
	for len(seen) < n {
		select {
		case <-b.hits:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of %d delivered; the rest wait in the store unclaimed", len(seen), n)
		}
		select {
		case id := <-b.ids:
			seen[id] = true
			var k int
			fmt.Sscanf(id, "e%d", &k)
			if k%4 == 0 {
				keyed = append(keyed, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a request without its id")
		}
	}
	if !slices.IsSorted(keyed) || len(keyed) != n/4 {
		t.Errorf("the events of key K arrived as %v, want all %d in publish order", keyed, n/4)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if most > 2*budget {
		t.Errorf("held %d bytes of deliveries in memory, bound %d", most, budget)
	}
	t.Logf("%d deliveries of 4 KB with room for %d bytes: at most %d held", n, budget, most)
}
