package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestGracefulShutdown sends SIGTERM to the real binary while attempts are
// in flight: it stops taking requests, lets the attempts in flight finish
// (they are not cut off and sent again), exits 0 within the drain timeout,
// and a restart on the same file delivers whatever was still queued.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and signals the real binary")
	}
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "term.db")
	var mu sync.Mutex
	arrived := map[string]int{}
	finished := map[string]int{}
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		id := r.Header.Get("webhook-id")
		mu.Lock()
		arrived[id]++
		mu.Unlock()
		time.Sleep(400 * time.Millisecond) // in flight when the signal comes
		w.WriteHeader(http.StatusOK)
		mu.Lock()
		finished[id]++
		mu.Unlock()
	})
	p := serve(t, "--db", db, "--drain-timeout", "5s")
	a := &testApp{url: p.url}
	tok := a.tenant(t, "g")
	a.endpoint(t, "g", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	const n = 100 // more than the 64 an endpoint has in flight: some wait in the queue
	evs := make([]map[string]any, n)
	for i := range evs {
		evs[i] = map[string]any{"type": "x.y", "id": fmt.Sprintf("g-%d", i), "payload": map[string]any{}}
	}
	a.must(t, 202, "POST", "/v1/tenants/g/events/batch", tok, map[string]any{"events": evs}, nil)
	eventually(t, 5*time.Second, "attempts in flight", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(arrived) >= 32
	})

	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := p.cmd.Wait()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("hookd exited with %v after SIGTERM", err)
	}
	if took > 5*time.Second+10*time.Second { // the drain, and room for a loaded machine
		t.Fatalf("shutdown took %v with a 5 s drain timeout", took)
	}
	if _, err := http.Get(p.url + "/healthz"); err == nil {
		t.Fatal("hookd still answers after it exited")
	}
	mu.Lock()
	inFlight, cut := len(arrived), 0
	for id := range arrived {
		if finished[id] == 0 {
			cut++
		}
	}
	mu.Unlock()
	if cut > 0 {
		t.Fatalf("%d attempts in flight did not finish before hookd exited", cut)
	}

	// A restart sends what was still queued; nothing is lost.
	serve(t, "--db", db)
	eventually(t, 10*time.Second, "every event delivered after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(finished) == n
	})
	mu.Lock()
	dups := 0
	for _, c := range arrived {
		dups += c - 1
	}
	mu.Unlock()
	t.Logf("SIGTERM with %d attempts in flight: exit 0 after %v; %d sent after the restart; %d sent twice",
		inFlight, took.Round(time.Millisecond), n-inFlight, dups)
	if dups > 0 {
		t.Fatalf("%d deliveries that finished before the shutdown were sent again", dups)
	}
}
