// Package bench is hookd's benchmark harness: a loopback sink that records
// each delivery's arrival, a load generator that publishes through the Go
// client, latency percentiles, and readings of the process's memory and
// CPU time. It measures a hookd it is given the URLs of; `hookd bench`
// starts one in-process (or points at a running one) and prints the result.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd/client"
)

// Options are one run's settings.
type Options struct {
	N, C, E, Size, Batch int
	// Rate is a steady publish rate in events/s; 0 publishes as fast as
	// the publishers can.
	Rate float64
	// Targets are the URLs of the hookd nodes; publishers are spread
	// over them. Token is an admin token.
	Targets []string
	Token   string
	Profile string
	// Ingest sends the events as signed Lean webhooks to a Lean source's
	// ingest URL instead of publishing them through the events API.
	Ingest bool
	// RandomIDs gives each event an id and an idempotency key that begin
	// with 16 random hex digits, as publishers that make random ids (a
	// UUIDv4) do, instead of ev-N (see EventID).
	RandomIDs bool
	// Faults adds, beside the o.E healthy endpoints, the faulty
	// endpoints of FaultEndpoints, served by the sink: the latencies
	// stay the healthy endpoints'. The run then also waits (within
	// Timeout) until the faulty receivers have got what FaultsDone
	// asks.
	Faults bool
	// Timeout bounds the wait for deliveries after the last publish.
	Timeout time.Duration
	// Progress, when set, gets a line a second while the run lasts.
	Progress io.Writer
}

// Result is what a run measured.
type Result struct {
	Published              int
	PublishDur             time.Duration
	Deliveries, Expected   int
	DeliverDur             time.Duration // first to last arrival
	P50, P99, Max          time.Duration // publish to arrival
	Duplicates, PublishErr int
	PeakRSS                int64 // bytes, of the whole process; 0 when unknown
	// Commits and Rows are the group commits of the nodes and the rows
	// they wrote, CommitTime their wall time summed; the caller that runs
	// the nodes fills them in (CommitTime may stay 0: unknown).
	Commits, Rows int64
	CommitTime    time.Duration
	// Faults is the requests each faulty receiver got (with
	// Options.Faults), by FaultKinds.
	Faults map[string]int64
}

// Setup describes the installation a result was measured on, for Print.
type Setup struct {
	DB    string // "sqlite" or "postgres"
	Nodes int
}

// Print writes the result readably, with the run's settings.
func (r *Result) Print(w io.Writer, o Options, s Setup) {
	mode := "single"
	if o.Ingest {
		mode = "ingest (signed Lean webhooks)"
	} else if o.Batch > 1 {
		mode = fmt.Sprintf("batch %d", o.Batch)
	}
	rate := "max"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%.0f/s", o.Rate)
	}
	faults := ""
	if o.Faults {
		faults = " faults=" + strings.Join(FaultKinds, ",")
	}
	fmt.Fprintf(w, "events=%d endpoints=%d%s publishers=%d publish=%s rate=%s size=%dB db=%s nodes=%d\n", o.N, o.E, faults, o.C, mode, rate, o.Size, s.DB, max(s.Nodes, 1))
	fmt.Fprintf(w, "  publish rate      %10.0f events/s (%d published, %d errors, %.2fs)\n",
		float64(r.Published)/r.PublishDur.Seconds(), r.Published, r.PublishErr, r.PublishDur.Seconds())
	fmt.Fprintf(w, "  deliveries/s      %10.0f (%d of %d, first to last arrival %.2fs)\n",
		float64(r.Deliveries)/r.DeliverDur.Seconds(), r.Deliveries, r.Expected, r.DeliverDur.Seconds())
	fmt.Fprintf(w, "  publish->arrival  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", millis(r.P50), millis(r.P99), millis(r.Max))
	fmt.Fprintf(w, "  duplicates        %10d\n", r.Duplicates)
	if o.Faults {
		fmt.Fprintf(w, "  faulty endpoints  %s\n", r.FaultLine())
	}
	if r.Commits > 0 {
		fmt.Fprintf(w, "  group commits     %10d (%.1f rows each: events, results)", r.Commits, float64(r.Rows)/float64(r.Commits))
		if r.CommitTime > 0 {
			fmt.Fprintf(w, ", %.2f ms each", millis(r.CommitTime)/float64(r.Commits))
		}
		fmt.Fprintln(w)
	}
	if r.PeakRSS > 0 {
		fmt.Fprintf(w, "  peak RSS          %10.1f MiB (whole bench process: hookd, publishers and sink)\n", float64(r.PeakRSS)/(1<<20))
	}
}

// FaultLine says what the faulty receivers got: the requests of each, and
// their endpoints' timeout.
func (r *Result) FaultLine() string {
	var b strings.Builder
	for i, k := range FaultKinds {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %d", k, r.Faults[k])
	}
	fmt.Fprintf(&b, " requests (timeout_ms %d, retried after 1 s and 2 s)", FaultTimeoutMS)
	return b.String()
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Sink is the loopback receiver: it records when each event reached each
// endpoint (by the request path), and counts repeats.
type Sink struct {
	mu       sync.Mutex
	arrivals map[string]time.Time // path + "/" + event id
	first    time.Time
	last     time.Time
	dups     int
	count    atomic.Int64
	faults   *faultReceivers // under FaultPrefix, served by Control
}

// NewSink returns a sink with room for n arrivals.
func NewSink(n int) *Sink {
	return &Sink{arrivals: make(map[string]time.Time, n), faults: newFaultReceivers()}
}

// Faults is the requests each faulty receiver (FaultKinds) has got so far.
func (s *Sink) Faults() map[string]int64 { return s.faults.snapshot() }

// ServeHTTP records an arrival and answers 204.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	now := time.Now()
	id := r.Header.Get("Webhook-Id")
	if id == "" {
		id = r.Header.Get("Call-Ref")
	}
	key := r.URL.Path + "/" + id
	s.mu.Lock()
	if _, ok := s.arrivals[key]; ok {
		s.dups++
	} else {
		s.arrivals[key] = now
		s.count.Add(1)
		if s.first.IsZero() {
			s.first = now
		}
		s.last = now
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Count is the number of distinct arrivals so far.
func (s *Sink) Count() int64 { return s.count.Load() }

// Run creates a tenant with o.E endpoints on a loopback sink, publishes
// o.N events to them and waits for the deliveries.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Batch < 1 {
		o.Batch = 1
	}
	if len(o.Targets) == 0 {
		return nil, fmt.Errorf("bench: no target")
	}
	sk := NewSink(o.N * o.E)
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ssrv := &http.Server{Handler: sk.Control()}
	go ssrv.Serve(sln)
	defer ssrv.Close()

	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
	api := client.New(o.Targets[0], o.Token, client.WithHTTPClient(hc), client.WithUserAgent("hookd-bench"))
	tenant := "bench-" + randomHex(4)
	if _, err := api.CreateTenant(ctx, client.TenantCreate{ID: tenant, Name: "bench"}); err != nil {
		return nil, err
	}
	tok, err := api.CreateToken(ctx, tenant, client.TokenCreate{Name: "bench"})
	if err != nil {
		return nil, err
	}
	for i := range o.E {
		ep := client.EndpointCreate{URL: fmt.Sprintf("http://%s/e/%d", sln.Addr(), i), EventTypes: []string{"*"}, Profile: o.Profile}
		if _, err := api.WithToken(tok.Token).CreateEndpoint(ctx, tenant, ep); err != nil {
			return nil, err
		}
	}
	if o.Faults {
		for _, ep := range FaultEndpoints("http://"+sln.Addr().String(), o.Profile) {
			if _, err := api.WithToken(tok.Token).CreateEndpoint(ctx, tenant, ep); err != nil {
				return nil, err
			}
		}
	}

	var ingestURL string
	if o.Ingest {
		src, err := api.WithToken(tok.Token).CreateSource(ctx, tenant, client.SourceCreate{Name: "bench", Profile: "lean", Secrets: []string{LeanSecret}})
		if err != nil {
			return nil, err
		}
		ingestURL = src.IngestURL
	}

	payload, err := json.Marshal(Payload(o.Size))
	if err != nil {
		return nil, err
	}
	sent := make([]time.Time, o.N) // when each event's publish began
	expected := o.N * o.E
	stopProgress := progress(o.Progress, sk, expected)
	pubStart := time.Now()
	errs := publishAll(o.N, o.C, o.Batch, o.Rate, sent, func(w int) func(first, n int) int {
		// Publishers are spread over the nodes.
		if o.Ingest {
			return leanPoster(ctx, hc, onTarget(ingestURL, o.Targets[w%len(o.Targets)]), payload, o.RandomIDs)
		}
		api := client.New(o.Targets[w%len(o.Targets)], tok.Token, client.WithHTTPClient(hc), client.WithUserAgent("hookd-bench"))
		return publisher(ctx, api, tenant, payload, o.RandomIDs)
	})
	pubDur := time.Since(pubStart)
	deadline := time.Now().Add(o.Timeout)
	for int(sk.Count()) < expected-errs*o.E && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	for o.Faults && !FaultsDone(sk.Faults(), o.N-errs) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(5 * time.Millisecond)
	}
	stopProgress()

	sk.mu.Lock()
	defer sk.mu.Unlock()
	var lat []time.Duration
	for key, at := range sk.arrivals {
		i := strings.LastIndex(key, "ev-")
		n, err := strconv.Atoi(key[i+3:])
		if err != nil || n >= o.N {
			continue
		}
		lat = append(lat, at.Sub(sent[n]))
	}
	sortDurations(lat)
	r := &Result{Published: o.N - errs, PublishDur: pubDur, Deliveries: len(sk.arrivals), Expected: expected,
		DeliverDur: sk.last.Sub(sk.first), Duplicates: sk.dups, PublishErr: errs, PeakRSS: PeakRSS()}
	if o.Faults {
		r.Faults = sk.Faults()
	}
	r.P50, r.P99, r.Max = Percentile(lat, 50), Percentile(lat, 99), Percentile(lat, 100)
	return r, nil
}

// Percentile returns the p-th percentile (0 to 100) of sorted durations:
// the value below which p % of them lie; 0 for none.
func Percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)*p/100, len(sorted)-1)]
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// progress writes a line a second to w while the run lasts; nil writes
// nothing.
func progress(w io.Writer, sk *Sink, expected int) func() {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintln(w)
				return
			case <-t.C:
				fmt.Fprintf(w, "\r  %5.0fs  delivered %d of %d", time.Since(start).Seconds(), sk.Count(), expected)
			}
		}
	}()
	return func() { close(done) }
}

// Payload returns an event payload of about size bytes as JSON.
func Payload(size int) map[string]any {
	pad := max(size-60, 0)
	return map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", pad)}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// PeakRSS reads the process's peak resident set (VmHWM) on Linux; 0
// elsewhere.
func PeakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
				return n << 10
			}
		}
	}
	return 0
}
