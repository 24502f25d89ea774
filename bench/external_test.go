package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRelayAndRawReachTheSink: the null relay forwards every published
// event (single and batch) to every endpoint, signed, and the raw client
// posts every event to every endpoint; the sink's stats report each
// arrival once, with a time Latencies matches to its publish.
func TestRelayAndRawReachTheSink(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range []struct {
		name       string
		raw        bool
		batch, eps int
	}{{"relay single", false, 1, 2}, {"relay batch", false, 5, 1}, {"raw", true, 1, 2}} {
		t.Run(c.name, func(t *testing.T) {
			sk := NewSink(100)
			sink := httptest.NewServer(sk.Control())
			defer sink.Close()
			target := sink.URL
			if !c.raw {
				var fwd []string
				for e := range c.eps {
					fwd = append(fwd, sink.URL+"/e/"+string(rune('0'+e)))
				}
				relay := httptest.NewServer(NewRelay(ctx, fwd, 4))
				defer relay.Close()
				target = relay.URL
			}
			lr, err := Load(ctx, LoadOptions{N: 20, C: 3, Batch: c.batch, Size: 200, Target: target, Tenant: "t", Token: "x", Raw: c.raw, E: c.eps})
			if err != nil {
				t.Fatal(err)
			}
			if lr.Published != 20 || lr.Errors != 0 || len(lr.Sent) != 20 {
				t.Fatalf("published %d, errors %d, sent %d; want 20, 0, 20", lr.Published, lr.Errors, len(lr.Sent))
			}
			var st Stats
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				res, err := http.Get(sink.URL + "/_bench/stats?all=1")
				if err != nil {
					t.Fatal(err)
				}
				st = Stats{}
				json.NewDecoder(res.Body).Decode(&st)
				res.Body.Close()
				if st.Count >= int64(20*c.eps) || time.Now().After(deadline) {
					break
				}
			}
			if st.Count != int64(20*c.eps) || len(st.Arrivals) != 20*c.eps || st.Duplicates != 0 {
				t.Fatalf("sink: count %d, arrivals %d, duplicates %d; want %d, %d, 0", st.Count, len(st.Arrivals), st.Duplicates, 20*c.eps, 20*c.eps)
			}
			lat, first, last := Latencies(st.Arrivals, lr.Sent)
			if len(lat) != 20*c.eps || lat[0] < 0 || last.Before(first) {
				t.Fatalf("latencies: %d (first %v), want %d non-negative", len(lat), lat, 20*c.eps)
			}
		})
	}
}

// Random ids sort in no particular order, end in ev-i, and the sink's
// arrivals are matched with their publishes by that end, as ev-i's are.
func TestRandomEventIDs(t *testing.T) {
	const n = 200
	ids := make([]string, n)
	arrivals := map[string]int64{}
	sent := make([]int64, n)
	inOrder := 0
	for i := range n {
		ids[i] = EventID(i, true)
		if !strings.HasSuffix(ids[i], "-ev-"+strconv.Itoa(i)) || len(ids[i]) != 16+len("-ev-")+len(strconv.Itoa(i)) {
			t.Fatalf("random id %d: %q", i, ids[i])
		}
		if i > 0 && ids[i] > ids[i-1] {
			inOrder++
		}
		sent[i] = int64(1000 * (i + 1))
		arrivals["/e/0/"+ids[i]] = int64(1000*(i+1) + 500)
	}
	if inOrder > n*3/4 {
		t.Errorf("%d of %d random ids sort after the one before: they should not be in order", inOrder, n-1)
	}
	if got := EventID(7, false); got != "ev-7" {
		t.Errorf("EventID(7, false) = %q, want ev-7", got)
	}
	lat, first, last := Latencies(arrivals, sent)
	if len(lat) != n || lat[0] != 500 || lat[n-1] != 500 || first.UnixNano() != 1500 || last.UnixNano() != int64(1000*n+500) {
		t.Fatalf("latencies of random ids: %d, %v..%v, first %v, last %v", len(lat), lat[0], lat[len(lat)-1], first.UnixNano(), last.UnixNano())
	}
}
