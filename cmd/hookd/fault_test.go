package main

import (
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"
)

// faults are the misbehaving receivers of the fault suite.
var faults = map[string]func(w http.ResponseWriter, r *http.Request, n int){
	"500": func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(500) },
	"hang": func(w http.ResponseWriter, r *http.Request, n int) {
		<-r.Context().Done()
	},
	"reset": func(w http.ResponseWriter, r *http.Request, n int) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST
		}
		c.Close()
	},
	"slow-body": func(w http.ResponseWriter, r *http.Request, n int) {
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
	},
	"200-after-delay": func(w http.ResponseWriter, r *http.Request, n int) {
		time.Sleep(300 * time.Millisecond)
		w.WriteHeader(200)
	},
}

// latencies publishes n events 5 ms apart and returns the sorted
// publish-to-arrival latencies at the healthy receiver.
func latencies(t *testing.T, a *testApp, tenant, tok string, healthy *recv, n int) []time.Duration {
	t.Helper()
	sent := make(map[string]time.Time, n)
	var mu sync.Mutex
	base := healthy.count()
	for i := range n {
		id := fmt.Sprintf("%s-%d-%d", tenant, base, i)
		mu.Lock()
		sent[id] = time.Now()
		mu.Unlock()
		a.must(t, 202, "POST", "/v1/tenants/"+tenant+"/events", tok, map[string]any{"type": "f.x", "id": id, "payload": map[string]any{}}, nil)
		time.Sleep(5 * time.Millisecond)
	}
	var out []time.Duration
	for range n {
		r := healthy.wait(t, 10*time.Second)
		mu.Lock()
		out = append(out, r.at.Sub(sent[r.header.Get("webhook-id")]))
		mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// TestFaultSuite: each misbehaving receiver is retried (or not) as its
// profile says, its attempts carry the right error class, and a healthy
// endpoint beside them gets every event, each well within a bound no
// faulty endpoint could hold it to. Latency figures belong to hookd bench:
// on a shared machine a ratio of them is noise, so the test asserts
// behaviour and only logs the p99.
func TestFaultSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	a := startApp(t, nil)
	tok := a.tenant(t, "f")
	healthy := newReceiver(t, nil)
	a.endpoint(t, "f", tok, map[string]any{"url": healthy.URL, "event_types": []string{"f.*"}})

	type faulty struct {
		rc *recv
		ep endpointResp
	}
	eps := map[string]faulty{}
	for name, fn := range faults {
		rc := newReceiver(t, fn)
		ep := a.endpoint(t, "f", tok, map[string]any{"url": rc.URL, "event_types": []string{"f.*", "one.*"},
			"timeout_ms": 500, "retry_schedule": []int{1}})
		eps[name] = faulty{rc, ep}
	}
	const n = 100
	l := latencies(t, a, "f", tok, healthy, n)
	t.Logf("healthy endpoint beside 5 faulty ones: %d events, p99 %v, max %v", len(l), l[len(l)*99/100], l[len(l)-1])
	if len(l) != n {
		t.Fatalf("the healthy endpoint got %d of %d events", len(l), n)
	}
	// 5 s is far beyond scheduling noise on a loaded machine, and far
	// below what 100 events held behind the faulty endpoints' 500 ms
	// timeouts and 1 s retries would take.
	if l[len(l)-1] > 5*time.Second {
		t.Errorf("an event reached the healthy endpoint %v after its publish", l[len(l)-1])
	}
	if healthy.count() != n {
		t.Errorf("the healthy endpoint got %d requests for %d events", healthy.count(), n)
	}

	// One event to each faulty endpoint alone: check retries and classes.
	a.must(t, 202, "POST", "/v1/tenants/f/events", tok, map[string]any{"type": "one.x", "id": "probe", "payload": map[string]any{}}, nil)
	want := map[string]struct {
		state, class string
		attempts     int
	}{
		"500":             {"failed", "non-2xx", 2},
		"hang":            {"failed", "timeout", 2},
		"reset":           {"failed", "connect", 2},
		"slow-body":       {"succeeded", "", 1},
		"200-after-delay": {"succeeded", "", 1},
	}
	for name, f := range eps {
		var ds struct {
			Data []struct {
				ID, State string
				N         int `json:"attempt_count"`
			}
		}
		w := want[name]
		eventually(t, 10*time.Second, name+" settled", func() bool {
			call(t, "GET", a.url+"/v1/tenants/f/deliveries?event=probe&endpoint="+f.ep.ID, tok, nil, &ds)
			return len(ds.Data) == 1 && ds.Data[0].State == w.state && ds.Data[0].N == w.attempts
		})
		var dl struct {
			Attempts []struct {
				ErrorClass string `json:"error_class"`
				Status     int
			}
		}
		a.must(t, 200, "GET", "/v1/tenants/f/deliveries/"+ds.Data[0].ID, tok, nil, &dl)
		if got := dl.Attempts[len(dl.Attempts)-1].ErrorClass; got != w.class {
			t.Errorf("%s: error class %q, want %q", name, got, w.class)
		}
	}
}
