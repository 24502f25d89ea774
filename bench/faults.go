package bench

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// The fault scenario (`hookd bench -faults`): beside the healthy endpoint
// (the sink's /e/0), the same tenant has endpoints subscribed to the same
// events whose receivers misbehave. They are served by the sink, under
// FaultPrefix, and count the requests they get.

// FaultKinds are the faulty receivers: one that holds every request until
// hookd's timeout ends it, one that answers 500 at once, and one that
// answers 200 and then sends its body a byte every 20 ms, without end.
var FaultKinds = []string{"hang", "500", "slow-body"}

// FaultPrefix is the path under which the sink serves the faulty receivers:
// FaultPrefix + kind.
const FaultPrefix = "/fault/"

// FaultTimeoutMS is the faulty endpoints' timeout_ms: how long hookd waits
// for the hanging and the slow receiver.
const FaultTimeoutMS = 2000

// FaultRetrySchedule is the faulty endpoints' retry schedule: short, so
// that a run of a few seconds sees the failed attempts retried.
var FaultRetrySchedule = []hookd.Duration{hookd.Duration(time.Second), hookd.Duration(2 * time.Second)}

// FaultEndpoints are the faulty endpoints to create for a sink at base
// (http://host:port), one per FaultKinds, subscribed to every event.
func FaultEndpoints(base, profile string) []client.EndpointCreate {
	var eps []client.EndpointCreate
	for _, k := range FaultKinds {
		eps = append(eps, client.EndpointCreate{URL: strings.TrimSuffix(base, "/") + FaultPrefix + k, EventTypes: []string{"*"},
			Profile: profile, Description: "bench fault: " + k, TimeoutMS: FaultTimeoutMS, RetrySchedule: FaultRetrySchedule})
	}
	return eps
}

// faultReceivers serve the faulty receivers and count their requests.
type faultReceivers struct {
	counts map[string]*atomic.Int64 // by kind; the map is never written after it is made
}

func newFaultReceivers() *faultReceivers {
	f := &faultReceivers{counts: map[string]*atomic.Int64{}}
	for _, k := range FaultKinds {
		f.counts[k] = new(atomic.Int64)
	}
	return f
}

// snapshot is the requests each faulty receiver has got so far.
func (f *faultReceivers) snapshot() map[string]int64 {
	m := make(map[string]int64, len(f.counts))
	for k, c := range f.counts {
		m[k] = c.Load()
	}
	return m
}

// ServeHTTP serves FaultPrefix + kind.
func (f *faultReceivers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := strings.TrimPrefix(r.URL.Path, FaultPrefix)
	c, ok := f.counts[kind]
	if !ok {
		http.NotFound(w, r)
		return
	}
	c.Add(1)
	io.Copy(io.Discard, r.Body) // read to its end: the server then sees the client go away
	switch kind {
	case "hang":
		// Until hookd gives up and closes the connection (or a minute
		// passes: no timeout of the bench's is that long).
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
			w.WriteHeader(http.StatusNoContent)
		}
	case "500":
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"bench fault"}`)
	case "slow-body":
		w.WriteHeader(http.StatusOK)
		fl, _ := w.(http.Flusher)
		for {
			if _, err := w.Write([]byte("x")); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

// FaultsDone says whether the faulty receivers have got what a run waits
// for before it ends: as many requests as events were published at the one
// that answers 500 (its first attempts come at once; retries count too),
// and a request at each of the others.
func FaultsDone(got map[string]int64, published int) bool {
	for _, k := range FaultKinds {
		want := int64(1)
		if k == "500" {
			want = int64(published)
		}
		if got[k] < want {
			return false
		}
	}
	return true
}
