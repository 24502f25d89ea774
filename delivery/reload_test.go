package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// slowStore holds one AllEndpoints call, after it has read its snapshot,
// until the test lets it go: a reload overtaken by a newer one.
type slowStore struct {
	hookd.Queue
	armed   chan struct{} // closed by the test to hold the next call
	read    chan struct{} // closed once the held call has read
	release chan struct{} // closed by the test to let it return
	once    sync.Once
}

// Exclusive is false: the endpoint is created as on another node, so the
// engine runs as one node of a shared store (checking the endpoints
// version of each publish).
func (s *slowStore) Exclusive() bool { return false }

func (s *slowStore) AllEndpoints(ctx context.Context) ([]*hookd.Endpoint, error) {
	eps, err := s.Queue.AllEndpoints(ctx)
	select {
	case <-s.armed:
		held := false
		s.once.Do(func() { held = true })
		if held {
			close(s.read)
			<-s.release
		}
	default:
	}
	return eps, err
}

// TestReloadOvertaken: an endpoint is created (as on another node) while a
// reload that read the endpoints before it is still running. A publish to
// the new endpoint must not be lost when that older reload finishes: it
// may not point the endpoint's queue back at a snapshot without it and
// drop the queued deliveries.
func TestReloadOvertaken(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	slow := &slowStore{Queue: st, armed: make(chan struct{}), read: make(chan struct{}), release: make(chan struct{})}

	unblock := make(chan struct{})
	var mu sync.Mutex
	got := map[string]bool{}
	arrived := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-unblock // the first request holds the only slot; the second waits in the queue
		mu.Lock()
		got[r.Header.Get("webhook-id")] = true
		mu.Unlock()
		arrived <- struct{}{}
	}))
	defer srv.Close()
	var opened sync.Once
	open := func() { opened.Do(func() { close(unblock) }) }
	defer open()

	now := time.Now()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	e := delivery.New(slow, delivery.Config{Profiles: profile.New(nil).Get, MaxInFlight: 1, PollInterval: 10 * time.Millisecond})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Stop(ctx)
	}()

	// A reload reads the endpoints (none yet) and is held.
	close(slow.armed)
	go e.Reload(ctx)
	<-slow.read

	// The endpoint is created elsewhere; two events are published to it.
	secret, _ := profile.Standard{}.NewSecret()
	ep := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: srv.URL, Profile: "standard", EventTypes: []string{"*"},
		Ordering: "none", Secrets: []hookd.Secret{{Value: secret}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	published := make(chan error, 1)
	go func() {
		_, err := e.Publish(ctx, []*hookd.Event{
			{ID: "one", TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now},
			{ID: "two", TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now},
		}, "")
		published <- err
	}()
	time.Sleep(300 * time.Millisecond) // room for the publish to go ahead of the held reload

	// The old reload finishes; then the endpoint answers.
	close(slow.release)
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	open()
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(5 * time.Second):
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("received %v; a delivery published after the endpoint was created was lost", got)
		}
	}
}
