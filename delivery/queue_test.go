package delivery_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// holdingReceiver answers no request until the test releases them: it
// reports each arrival and how many requests it holds at most at once.
type holdingReceiver struct {
	*httptest.Server
	arrived chan string // webhook-id of each request, as it arrives
	release chan struct{}
	all     chan struct{} // closed by releaseAll
	once    sync.Once

	mu      sync.Mutex
	held    int
	maxHeld int
}

func newHoldingReceiver(t *testing.T) *holdingReceiver {
	h := &holdingReceiver{arrived: make(chan string, 1000), release: make(chan struct{}, 1000), all: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.held++
		h.maxHeld = max(h.maxHeld, h.held)
		h.mu.Unlock()
		h.arrived <- r.Header.Get("webhook-id")
		select {
		case <-h.release:
		case <-h.all:
		case <-r.Context().Done():
		}
		h.mu.Lock()
		h.held--
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	// Answer whatever is still held before the server closes.
	t.Cleanup(func() {
		h.releaseAll()
		h.Close()
	})
	return h
}

// releaseAll answers every request held and every later one at once.
func (h *holdingReceiver) releaseAll() { h.once.Do(func() { close(h.all) }) }

// wait returns the id of the next request to arrive, or fails after 10 s
// (a bound that only catches a request that is not sent at all).
func (h *holdingReceiver) wait(t *testing.T, what string) string {
	t.Helper()
	select {
	case id := <-h.arrived:
		return id
	case <-time.After(10 * time.Second):
		t.Fatalf("%s: no request arrived while the others are held", what)
		return ""
	}
}

// TestNoHeadOfLineWait: with a receiver that holds every request, events
// published one at a time are each sent while the earlier ones are still
// held (a waiting delivery starts as soon as a slot is free, not when a
// busy attempt ends): all of them are in flight at once. With 4 slots the
// fifth waits, and is sent as soon as one answer frees a slot.
func TestNoHeadOfLineWait(t *testing.T) {
	t.Parallel()
	h := newHoldingReceiver(t)
	b := setupWith(t, 200, func(e *hookd.Endpoint) { e.URL = h.URL; e.TimeoutMS = 60_000 },
		func(c *delivery.Config) { c.MaxInFlight = 4 })
	// Answer the held requests before the engine stops (cleanups run
	// last registered first).
	t.Cleanup(func() {
		for range 5 {
			h.release <- struct{}{}
		}
	})
	for i := range 4 {
		id := fmt.Sprintf("e%d", i)
		b.publish(t, id)
		if got := h.wait(t, id); got != id {
			t.Fatalf("request for %s arrived, want %s", got, id)
		}
	}
	b.publish(t, "e4")
	select {
	case id := <-h.arrived:
		t.Fatalf("%s sent with the endpoint's 4 slots busy", id)
	case <-time.After(200 * time.Millisecond):
	}
	h.release <- struct{}{} // one answer: a slot is free
	if got := h.wait(t, "e4"); got != "e4" {
		t.Fatalf("request for %s arrived, want e4", got)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.maxHeld != 4 {
		t.Fatalf("at most %d requests in flight at once, want the endpoint's 4", h.maxHeld)
	}
}

// TestNearEndpointsStallGetWorkers: four endpoints on a receiver that
// answers at once are near (their attempts take well under a millisecond
// on loopback) and share MaxInFlight, each keeping at least 4 workers
// while their attempts end. When the receiver then holds every request,
// the jobs left waiting behind the held ones still get workers of their
// own, up to each endpoint's MaxInFlight: all 8 events of each endpoint
// end up in flight at once.
func TestNearEndpointsStallGetWorkers(t *testing.T) {
	t.Parallel()
	var holding atomic.Bool // answer at once while the endpoints are timed
	hold := make(chan struct{})
	var answered, held atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if holding.Load() {
			held.Add(1)
			select {
			case <-hold:
			case <-r.Context().Done():
			}
		} else {
			answered.Add(1)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	b := setupWith(t, 200, func(e *hookd.Endpoint) { e.URL = srv.URL + "/0"; e.TimeoutMS = 60_000 },
		func(c *delivery.Config) { c.MaxInFlight = 8 })
	t.Cleanup(func() { close(hold) }) // before the engine stops (cleanups run last registered first)
	for i := 1; i < 4; i++ {
		b.addEndpoint(t, fmt.Sprintf("ep%d", i), fmt.Sprintf("%s/%d", srv.URL, i), func(e *hookd.Endpoint) { e.TimeoutMS = 60_000 })
	}
	for i := range 25 {
		d := b.publish(t, fmt.Sprintf("warm%d", i))
		b.waitDelivery(t, d.ID, func(d *hookd.Delivery) bool { return d.State == hookd.StateSucceeded })
	}
	// Every warm-up delivery answered (4 endpoints each), so that only
	// the 32 below are held.
	eventually(t, 10*time.Second, "100 warm-up requests answered", func() bool { return answered.Load() == 100 })
	holding.Store(true)
	for i := range 8 {
		b.publish(t, fmt.Sprintf("e%d", i))
	}
	eventually(t, 10*time.Second, "32 requests held at once", func() bool { return held.Load() == 32 })
}
