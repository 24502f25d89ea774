package delivery_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// The engine's behaviour toward endpoints: isolation, 410, redirects, rate
// limits and fault classes, on the engine and a real store (both stores
// where the store takes part), without the HTTP API in between.

// recorder is a loopback endpoint that counts its requests and keeps
// their ids, bodies and arrival times (real time).
type recorder struct {
	*httptest.Server
	n      atomic.Int64
	mu     sync.Mutex
	ids    []string
	bodies [][]byte
	at     []time.Time
}

// newRecorder starts an endpoint; handle, when set, answers each request
// (after it is recorded); otherwise it answers 200.
func newRecorder(t *testing.T, handle func(w http.ResponseWriter, r *http.Request)) *recorder {
	t.Helper()
	rc := &recorder{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body = make([]byte, 0, 512)
			buf := make([]byte, 512)
			for {
				n, err := r.Body.Read(buf)
				body = append(body, buf[:n]...)
				if err != nil {
					break
				}
			}
		}
		rc.mu.Lock()
		rc.ids = append(rc.ids, r.Header.Get("webhook-id"))
		rc.bodies = append(rc.bodies, body)
		rc.at = append(rc.at, time.Now())
		rc.mu.Unlock()
		rc.n.Add(1)
		if handle != nil {
			handle(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *recorder) count() int { return int(rc.n.Load()) }

// addEndpoint creates an endpoint of tenant "t" on the bundle's store and
// reloads the engine's cache.
func (b *bundle) addEndpoint(t *testing.T, id, url string, mod func(*hookd.Endpoint)) *hookd.Endpoint {
	t.Helper()
	secret, _ := profile.Standard{}.NewSecret()
	e := &hookd.Endpoint{ID: id, TenantID: "t", URL: url, Profile: "standard", EventTypes: []string{"*"},
		Ordering: "none", Secrets: []hookd.Secret{{Value: secret}}, CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now()}
	if mod != nil {
		mod(e)
	}
	ctx := context.Background()
	if err := b.store.CreateEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := b.engine.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (b *bundle) publishType(t *testing.T, id, typ string) {
	t.Helper()
	ev := &hookd.Event{ID: id, TenantID: "t", Type: typ, Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
	if _, err := b.engine.Publish(context.Background(), []*hookd.Event{ev}, ""); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds, failing after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// only subscribes the bundle's own endpoint to nothing the test publishes.
func only(types ...string) func(*hookd.Endpoint) {
	return func(e *hookd.Endpoint) { e.EventTypes = types }
}

// TestIsolation: an endpoint that holds every request does not delay a
// healthy one, and holds no more requests than its in-flight bound.
func TestIsolation(t *testing.T) {
	t.Parallel()
	b := setup(t, http.StatusOK, only("none.*"))
	release := make(chan struct{})
	defer close(release)
	hang := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	ok := newRecorder(t, nil)
	b.addEndpoint(t, "hang", hang.URL, func(e *hookd.Endpoint) { e.TimeoutMS = 60000 })
	b.addEndpoint(t, "ok", ok.URL, nil)
	const n = 300
	evs := make([]*hookd.Event, n)
	for i := range evs {
		evs[i] = &hookd.Event{ID: fmt.Sprintf("e%d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: b.clock.Now()}
	}
	for i := 0; i < n; i += 50 {
		if _, err := b.engine.Publish(context.Background(), evs[i:i+50], ""); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 20*time.Second, "the healthy endpoint got every event", func() bool { return ok.count() == n })
	if h := hang.count(); h == 0 || h > 64 {
		t.Fatalf("the hanging endpoint holds %d requests, want between 1 and its in-flight bound 64", h)
	}
}

// TestGoneDisablesEndpoint: a 410 disables the endpoint with a reason that
// names it, publishes hookd.endpoint.disabled to the endpoint subscribed to
// it (and to no other), and parks later events, which are delivered once
// the endpoint is enabled again.
func TestGoneDisablesEndpoint(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		ctx := context.Background()
		b := setupOn(t, open(t), http.StatusGone, nil, nil)
		ops := newRecorder(t, nil)
		b.addEndpoint(t, "ops", ops.URL, func(e *hookd.Endpoint) { e.EventTypes = []string{hookd.EndpointDisabled} })
		b.publishType(t, "first", "a.b")
		b.next(t)
		var ep *hookd.Endpoint
		eventually(t, 5*time.Second, "endpoint disabled", func() bool {
			var err error
			ep, err = b.store.Endpoint(ctx, "t", "ep")
			return err == nil && ep.Disabled
		})
		if !strings.Contains(ep.DisabledReason, "410") {
			t.Fatalf("disabled with reason %q, want one naming the 410", ep.DisabledReason)
		}

		eventually(t, 5*time.Second, "the operational event delivered", func() bool { return ops.count() == 1 })
		var op struct {
			Type string `json:"type"`
			Data struct {
				EndpointID string `json:"endpoint_id"`
				Reason     string `json:"reason"`
			} `json:"data"`
		}
		ops.mu.Lock()
		err := json.Unmarshal(ops.bodies[0], &op)
		ops.mu.Unlock()
		if err != nil || op.Type != hookd.EndpointDisabled || op.Data.EndpointID != "ep" || !strings.Contains(op.Data.Reason, "410") {
			t.Fatalf("operational event %+v (%v)", op, err)
		}
		evs, err := b.store.Events(ctx, "t", hookd.EventFilter{Type: hookd.EndpointDisabled})
		if err != nil || len(evs) != 1 {
			t.Fatalf("operational events stored: %d (%v), want 1", len(evs), err)
		}
		// The payload is what the catalog lists for the type
		// (GET /v1/event-types/hookd.endpoint.disabled).
		cat, err := catalog.New()
		if err != nil {
			t.Fatal(err)
		}
		et, ok := cat.Lookup(hookd.EndpointDisabled)
		if !ok {
			t.Fatalf("the catalog lacks %s", hookd.EndpointDisabled)
		}
		if err := cat.Validate(et, evs[0].Payload); err != nil {
			t.Fatalf("the published payload %s fails the catalog's schema: %v", evs[0].Payload, err)
		}
		ds, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EventID: evs[0].ID})
		if err != nil || len(ds) != 1 || ds[0].EndpointID != "ops" {
			t.Fatalf("the operational event's deliveries: %+v (%v), want one, to the subscriber", ds, err)
		}

		// Later events wait, parked, while the endpoint is disabled.
		b.publishType(t, "later", "a.b")
		later, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EventID: "later", EndpointID: "ep"})
		if err != nil || len(later) != 1 {
			t.Fatalf("deliveries of the later event: %d (%v)", len(later), err)
		}
		b.waitDelivery(t, later[0].ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateParked })
		select {
		case <-b.hits:
			t.Fatal("a disabled endpoint got a request")
		case <-time.After(100 * time.Millisecond):
		}

		b.mu.Lock()
		b.answer = func(*http.Request) int { return http.StatusOK }
		b.mu.Unlock()
		ep.Disabled, ep.DisabledReason, ep.FailingSince, ep.UpdatedAt = false, "", nil, b.clock.Now()
		if err := b.store.SaveEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
		if err := b.engine.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		b.next(t)
		d := b.waitDelivery(t, later[0].ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
		if d.Attempts != 1 {
			t.Fatalf("the later event took %d attempts, want 1", d.Attempts)
		}
	})
}

// TestRedirectNotFollowed: a redirect is the endpoint's answer, a failure
// recorded with its status, and the engine does not follow it.
func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	target := newRecorder(t, nil)
	b := setup(t, http.StatusOK, only("none.*"))
	redir := newRecorder(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, target.URL, http.StatusFound) })
	b.addEndpoint(t, "redir", redir.URL, func(e *hookd.Endpoint) { e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Hour)} })
	b.publishType(t, "r1", "a.b")
	ds, err := b.store.Deliveries(context.Background(), "t", hookd.DeliveryFilter{EndpointID: "redir"})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %d (%v)", len(ds), err)
	}
	d := b.waitDelivery(t, ds[0].ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 })
	if d.LastStatus != http.StatusFound || d.State != hookd.StatePending {
		t.Fatalf("after a redirect: %s, last status %d; want pending (a failure to retry), 302", d.State, d.LastStatus)
	}
	if target.count() != 0 {
		t.Fatal("the redirect was followed")
	}
}

// TestRateLimit: an endpoint's rate_limit_per_s spaces its requests, on
// one node (in memory) and on a shared store (slots in the database). Only
// the limit's side is asserted: a slow machine sends slower, never faster.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		b := setupOn(t, open(t), http.StatusOK, only("none.*"), func(c *delivery.Config) { c.Clock = hookd.SystemClock{} })
		rc := newRecorder(t, nil)
		const limit, n = 50, 26
		b.addEndpoint(t, "rl", rc.URL, func(e *hookd.Endpoint) { e.RateLimit = limit })
		evs := make([]*hookd.Event, n)
		for i := range evs {
			evs[i] = &hookd.Event{ID: fmt.Sprintf("e%d", i), TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: time.Now()}
		}
		if _, err := b.engine.Publish(context.Background(), evs, ""); err != nil {
			t.Fatal(err)
		}
		eventually(t, 20*time.Second, "every request", func() bool { return rc.count() == n })
		rc.mu.Lock()
		span := rc.at[n-1].Sub(rc.at[0])
		rc.mu.Unlock()
		// n requests at most limit a second take (n-1)/limit s; a little
		// is allowed for the first request's own delay in arriving.
		if want := time.Duration(n-1) * time.Second / limit; span < want-50*time.Millisecond {
			t.Fatalf("%d requests within %v: faster than %d/s (at least %v)", n, span, limit, want)
		}
	})
}

// faults are misbehaving endpoints, with what the engine must make of one
// event sent to each: its final state, attempts and last error class.
var faults = []struct {
	name     string
	handle   func(w http.ResponseWriter, r *http.Request)
	state    string
	attempts int
	class    string
	// timeout is the endpoint's, in ms: short where the fault is the
	// wait (hang, slow-body), long where the endpoint answers at once
	// and only a loaded machine could make it late (it must not turn a
	// reset or a 500 into a timeout).
	timeout int
}{
	{"500", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, hookd.StateFailed, 2, hookd.ClassStatus, 30000},
	{"hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, hookd.StateFailed, 2, hookd.ClassTimeout, 500},
	{"reset", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST
		}
		c.Close()
	}, hookd.StateFailed, 2, hookd.ClassConnect, 30000},
	{"slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}, hookd.StateSucceeded, 1, hookd.ClassNone, 500},
	{"mid-headers", func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer c.Close()
		buf.WriteString("HTTP/1.1 200 OK\r\nX-Partial: 1\r\n")
		buf.Flush()
		io.Copy(io.Discard, c) // until the client gives up and closes
	}, hookd.StateFailed, 2, hookd.ClassTimeout, 500},
	{"200-after-delay", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(200)
	}, hookd.StateSucceeded, 1, hookd.ClassNone, 30000},
}

// TestFaultSuite: a healthy endpoint beside five misbehaving ones, and one
// that holds every request it gets until the test ends, gets every event
// while all of the held requests are still unanswered: no endpoint waits
// for another's (an order, not a time bound). Each faulty endpoint is
// retried (or not) as its profile says, and its attempts carry the right
// error class. Latency figures belong to hookd bench: the test asserts
// behaviour only.
func TestFaultSuite(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		ctx := context.Background()
		b := setupOn(t, open(t), http.StatusOK, only("f.*"), nil)
		for _, f := range faults {
			rc := newRecorder(t, f.handle)
			b.addEndpoint(t, f.name, rc.URL, func(e *hookd.Endpoint) {
				e.EventTypes, e.TimeoutMS, e.RetrySchedule = []string{"f.*", "one.*"}, f.timeout, []hookd.Duration{hookd.Duration(time.Second)}
			})
		}
		// held answers nothing until the test ends (cleanups run last
		// registered first: before its server and the engine stop).
		release := make(chan struct{})
		held := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		t.Cleanup(func() { close(release) })
		b.addEndpoint(t, "held", held.URL, func(e *hookd.Endpoint) {
			e.EventTypes, e.TimeoutMS, e.RetrySchedule = []string{"f.*"}, 600_000, []hookd.Duration{hookd.Duration(time.Hour)}
		})
		const n = 50
		for i := range n {
			b.publishType(t, fmt.Sprintf("f%d", i), "f.x")
			time.Sleep(2 * time.Millisecond)
		}
		for range n {
			select {
			case <-b.ids:
			case <-time.After(60 * time.Second):
				t.Fatal("the healthy endpoint did not get every event")
			}
			<-b.hits
		}
		// Every event reached the healthy endpoint while the held
		// endpoint has answered none of its requests.
		hd, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EndpointID: "held"})
		if err != nil || len(hd) != n {
			t.Fatalf("the held endpoint's deliveries: %d (%v), want %d", len(hd), err, n)
		}
		for _, d := range hd {
			if d.Attempts != 0 {
				t.Fatalf("delivery %s to the held endpoint has %d attempts finished before the healthy endpoint got every event; want none", d.ID, d.Attempts)
			}
		}
		// And it was sent to: its requests are in flight, unanswered.
		eventually(t, 60*time.Second, "a request at the held endpoint", func() bool { return held.count() > 0 })

		// One event to each faulty endpoint alone: its first try, then the
		// retry (due 1 s later on the injected clock), and the classes.
		b.publishType(t, "probe", "one.x")
		ds, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EventID: "probe"})
		if err != nil || len(ds) != len(faults) {
			t.Fatalf("the probe's deliveries: %d (%v), want %d", len(ds), err, len(faults))
		}
		byEndpoint := map[string]string{}
		for _, d := range ds {
			byEndpoint[d.EndpointID] = d.ID
		}
		for _, f := range faults {
			b.waitDelivery(t, byEndpoint[f.name], func(d *hookd.Delivery) bool { return d.Attempts == 1 })
		}
		b.clock.Add(time.Second)
		for _, f := range faults {
			d := b.waitDelivery(t, byEndpoint[f.name], func(d *hookd.Delivery) bool {
				return d.State == f.state && d.Attempts == f.attempts
			})
			as, err := b.store.Attempts(ctx, d.ID)
			if err != nil || len(as) != f.attempts {
				t.Fatalf("%s: %d attempts stored (%v), want %d", f.name, len(as), err, f.attempts)
			}
			if got := as[len(as)-1].ErrorClass; got != f.class {
				t.Errorf("%s: error class %q, want %q", f.name, got, f.class)
			}
		}
	})
}

// TestAnswerCutInCharacter: an answer whose byte 4096 is inside a
// multi-byte character is recorded up to the last whole character before
// it: valid UTF-8, never more than the 4 KiB excerpt (a U+FFFD for the cut
// character would make it 4098 bytes).
func TestAnswerCutInCharacter(t *testing.T) {
	t.Parallel()
	head := strings.Repeat("a", hookd.ResponseExcerptLimit-1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, head+"€ and more") // € is 3 bytes: bytes 4096 to 4098
	}))
	t.Cleanup(srv.Close)
	b := setup(t, http.StatusOK, only("none.*"))
	b.addEndpoint(t, "cut", srv.URL, nil)
	ctx := context.Background()
	b.publishType(t, "e1", "a.b")
	ds, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EventID: "e1"})
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries: %d (%v)", len(ds), err)
	}
	b.waitDelivery(t, ds[0].ID, func(d *hookd.Delivery) bool { return d.Attempts == 1 })
	as, err := b.store.Attempts(ctx, ds[0].ID)
	if err != nil || len(as) != 1 {
		t.Fatalf("attempts: %+v (%v)", as, err)
	}
	if got := as[0].Response; got != head {
		t.Fatalf("excerpt of %d bytes (valid UTF-8: %v) ending %q; want the %d bytes before the cut character",
			len(got), utf8.ValidString(got), got[max(0, len(got)-8):], len(head))
	}
}

// TestLongAnswerKeepsConnection: an answer longer than the recorded
// excerpt is recorded cut at the limit, read to its end, and its
// connection carries the next deliveries.
func TestLongAnswerKeepsConnection(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	long := strings.Repeat("a", 5*hookd.ResponseExcerptLimit)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, long)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	b := setup(t, http.StatusOK, only("none.*"))
	b.addEndpoint(t, "long", srv.URL, nil)
	ctx := context.Background()
	for i := range 3 {
		id := fmt.Sprintf("e%d", i)
		b.publishType(t, id, "a.b")
		ds, err := b.store.Deliveries(ctx, "t", hookd.DeliveryFilter{EventID: id})
		if err != nil || len(ds) != 1 {
			t.Fatalf("deliveries of %s: %d (%v)", id, len(ds), err)
		}
		d := b.waitDelivery(t, ds[0].ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
		as, err := b.store.Attempts(ctx, d.ID)
		if err != nil || len(as) != 1 || len(as[0].Response) != hookd.ResponseExcerptLimit {
			t.Fatalf("attempts of %s: %+v (%v), want one with an excerpt of %d bytes", id, as, err, hookd.ResponseExcerptLimit)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("%d connections for 3 deliveries in turn, want 1", n)
	}
}

// TestGoneAfterDisableByHand: a 410 that comes back for an endpoint
// disabled by hand while the attempt was in flight fails the delivery but
// publishes no hookd.endpoint.disabled: the commit did not disable the
// endpoint (it was already), and the event is published only once a commit
// has. (Before, it was published before the commit, whatever it found.)
func TestGoneAfterDisableByHand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setupOn(t, openStore(t), http.StatusGone, nil, nil)
	ops := newRecorder(t, nil)
	b.addEndpoint(t, "ops", ops.URL, func(e *hookd.Endpoint) { e.EventTypes = []string{hookd.EndpointDisabled} })
	b.mu.Lock()
	b.answer = func(*http.Request) int {
		// Disabled in the store while this attempt is in flight, as by
		// hand on another node: this engine's cache does not know yet.
		ep, err := b.store.Endpoint(ctx, "t", "ep")
		if err == nil {
			ep.Disable("by hand")
			err = b.store.SaveEndpoint(ctx, ep)
		}
		if err != nil {
			t.Error(err)
		}
		return http.StatusGone
	}
	b.mu.Unlock()
	d := b.publish(t, "e1")
	if got := b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State != hookd.StatePending }); got.State != hookd.StateFailed {
		t.Fatalf("delivery %s, want failed", got.State)
	}
	ep, err := b.store.Endpoint(ctx, "t", "ep")
	if err != nil || !ep.Disabled || ep.DisabledReason != "by hand" {
		t.Fatalf("endpoint %+v (%v), want disabled by hand", ep, err)
	}
	evs, err := b.store.Events(ctx, "t", hookd.EventFilter{Type: hookd.EndpointDisabled})
	if err != nil || len(evs) != 0 {
		t.Fatalf("operational events: %d (%v), want none", len(evs), err)
	}
}
