package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookd/hookd/client"
)

// Stats is what a sink reports on /_bench/stats: the distinct arrivals so
// far, the repeats, the requests each faulty receiver got, and (with
// ?all=1) each arrival's time in Unix nanoseconds by endpoint path and
// event id, so a process other than the sink's can compute latencies.
type Stats struct {
	Count      int64            `json:"count"`
	Duplicates int              `json:"duplicates"`
	Faults     map[string]int64 `json:"faults"`
	Arrivals   map[string]int64 `json:"arrivals,omitempty"`
}

// Control serves the sink with its control route GET /_bench/stats and
// the faulty receivers under FaultPrefix.
func (s *Sink) Control() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", s)
	mux.Handle(FaultPrefix, s.faults)
	mux.HandleFunc("GET /_bench/stats", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		st := Stats{Count: s.count.Load(), Duplicates: s.dups, Faults: s.faults.snapshot()}
		if r.URL.Query().Get("all") == "1" {
			st.Arrivals = make(map[string]int64, len(s.arrivals))
			for k, at := range s.arrivals {
				st.Arrivals[k] = at.UnixNano()
			}
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(st)
	})
	return mux
}

// EventID is the id of the bench's event i: ev-i, or with random 16
// random hex digits and -ev-i, which sort in no particular order, as
// random ids do, and still end in ev-i, by which the sink's arrivals are
// matched with the publishes.
func EventID(i int, random bool) string {
	if !random {
		return "ev-" + strconv.Itoa(i)
	}
	return fmt.Sprintf("%016x-ev-%d", rand.Uint64(), i)
}

// Latencies turns arrivals keyed by path and event id ("/e/0/ev-12") and
// the publish times of events by index (Unix nanoseconds) into sorted
// publish-to-arrival durations, and returns the first and last arrival.
func Latencies(arrivals map[string]int64, sent []int64) (lat []time.Duration, first, last time.Time) {
	var lo, hi int64
	for key, at := range arrivals {
		if lo == 0 || at < lo {
			lo = at
		}
		hi = max(hi, at)
		i := strings.LastIndex(key, "ev-")
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(key[i+3:])
		if err != nil || n < 0 || n >= len(sent) || sent[n] == 0 {
			continue
		}
		lat = append(lat, time.Duration(at-sent[n]))
	}
	sortDurations(lat)
	return lat, time.Unix(0, lo), time.Unix(0, hi)
}

// LoadOptions are a publishing process's settings.
type LoadOptions struct {
	N, C, Batch, Size int
	Rate              float64
	// Target is hookd's (or the null relay's) URL, with Token and Tenant;
	// several hookd nodes' URLs are separated by commas, and the
	// publishers spread over them in turn. With Raw, Target is an
	// endpoint URL of the sink and the load posts
	// signed deliveries to it directly, E endpoints ("/e/0".."/e/E-1")
	// each getting every event.
	Target, Token, Tenant string
	Raw                   bool
	E                     int
	// IngestURL, when set, is a Lean source's ingest URL: the load posts
	// signed Lean webhooks to it instead of publishing.
	IngestURL string
	// RandomIDs: see Options.RandomIDs.
	RandomIDs bool
}

// LoadResult is what a publishing process measured: Sent holds each
// event's publish time in Unix nanoseconds.
type LoadResult struct {
	Published, Errors int
	Start, End        int64
	Sent              []int64
}

// Load publishes o.N events (the same events Run publishes) and reports
// when each was sent.
func Load(ctx context.Context, o LoadOptions) (*LoadResult, error) {
	payload, err := json.Marshal(Payload(o.Size))
	if err != nil {
		return nil, err
	}
	sent := make([]time.Time, o.N)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
	var work func(w int) func(first, n int) int
	targets := strings.Split(o.Target, ",") // publishers are spread over the nodes
	switch {
	case o.Raw:
		work = func(int) func(first, n int) int { return rawPoster(ctx, hc, o, payload) }
	case o.IngestURL != "":
		work = func(w int) func(first, n int) int {
			return leanPoster(ctx, hc, onTarget(o.IngestURL, targets[w%len(targets)]), payload, o.RandomIDs)
		}
	default:
		work = func(w int) func(first, n int) int {
			api := client.New(targets[w%len(targets)], o.Token, client.WithHTTPClient(hc), client.WithUserAgent("hookd-bench"))
			return publisher(ctx, api, o.Tenant, payload, o.RandomIDs)
		}
	}
	start := time.Now()
	errs := publishAll(o.N, o.C, max(o.Batch, 1), o.Rate, sent, work)
	end := time.Now()
	r := &LoadResult{Published: o.N - errs, Errors: errs, Start: start.UnixNano(), End: end.UnixNano(), Sent: make([]int64, o.N)}
	for i, t := range sent {
		r.Sent[i] = t.UnixNano()
	}
	return r, nil
}

// publishAll hands the events 0..n-1 to c workers, batch at a time, at
// rate events/s (0: as fast as they go), noting when each batch was sent;
// it returns how many events were not published.
func publishAll(n, c, batch int, rate float64, sent []time.Time, work func(w int) func(first, n int) int) int {
	reqs := make(chan int, c)
	var perr atomic.Int64
	var wg sync.WaitGroup
	for w := range c {
		wg.Add(1)
		do := work(w)
		go func() {
			defer wg.Done()
			for first := range reqs {
				k := min(batch, n-first)
				now := time.Now()
				for i := first; i < first+k; i++ {
					sent[i] = now
				}
				perr.Add(int64(do(first, k)))
			}
		}()
	}
	var tick *time.Ticker
	if rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) * float64(batch) / rate))
		defer tick.Stop()
	}
	for i := 0; i < n; i += batch {
		if tick != nil {
			<-tick.C
		}
		reqs <- i
	}
	close(reqs)
	wg.Wait()
	return int(perr.Load())
}

// publisher publishes events first..first+n-1 through the Go client, one
// request or one batch, and returns how many failed.
func publisher(ctx context.Context, api *client.Client, tenant string, payload []byte, random bool) func(first, n int) int {
	// The event ids double as idempotency keys: a retried publish (after
	// a 503) creates nothing twice.
	ev := func(i int) client.EventCreate {
		id := EventID(i, random)
		return client.EventCreate{Type: "bench.event", ID: id, IdempotencyKey: id, Payload: payload}
	}
	return func(first, n int) int {
		if n == 1 {
			if _, err := api.Publish(ctx, tenant, ev(first)); err != nil {
				return 1
			}
			return 0
		}
		evs := make([]client.EventCreate, n)
		for k := range n {
			evs[k] = ev(first + k)
		}
		res, err := api.PublishBatch(ctx, tenant, evs)
		if err != nil {
			return n
		}
		bad := 0
		for _, r := range res {
			if r.Err != nil {
				bad++
			}
		}
		return bad
	}
}

// benchSecret is the null relay's and the raw client's signing key: the
// work of signing is what is measured, not the key.
var benchSecret = []byte("hookd-bench-secret-0123456789abcdef")

// signedPost posts body to url signed as Standard Webhooks are (HMAC-SHA256
// over id.timestamp.body), as hookd's standard profile does.
func signedPost(ctx context.Context, hc *http.Client, url, id string, body []byte) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, benchSecret)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Id", id)
	req.Header.Set("Webhook-Timestamp", ts)
	req.Header.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode >= 300 {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

// deliveryBody is the body the relay and the raw client send: the shape of
// hookd's standard profile.
func deliveryBody(typ string, payload []byte) []byte {
	b := append([]byte(`{"type":`), strconv.Quote(typ)...)
	b = append(b, `,"timestamp":"`...)
	b = time.Now().UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","data":`...)
	return append(append(b, payload...), '}')
}

// rawPoster posts each event straight to the sink's endpoints, signed: the
// ceiling of the HTTP work alone.
func rawPoster(ctx context.Context, hc *http.Client, o LoadOptions, payload []byte) func(first, n int) int {
	base := strings.TrimSuffix(o.Target, "/")
	return func(first, n int) int {
		bad := 0
		for i := first; i < first+n; i++ {
			body := deliveryBody("bench.event", payload)
			for e := range max(o.E, 1) {
				if signedPost(ctx, hc, fmt.Sprintf("%s/e/%d", base, e), fmt.Sprintf("ev-%d", i), body) != nil {
					bad++
					break
				}
			}
		}
		return bad
	}
}

// Relay is the null relay: it takes publishes as hookd's API does (single
// and batch), answers 202 at once, and forwards each event, signed, to
// every endpoint with a fixed number of workers; it stores nothing. It is
// the ceiling a store-and-forward service is held against.
type Relay struct {
	forward []string
	jobs    chan relayJob
	hc      *http.Client
}

type relayJob struct {
	id, typ string
	payload []byte
}

// NewRelay starts workers that forward to the endpoint URLs; they stop
// when ctx ends.
func NewRelay(ctx context.Context, forward []string, workers int) *Relay {
	r := &Relay{forward: forward, jobs: make(chan relayJob, 65536),
		hc: &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}}
	for range max(workers, 1) {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-r.jobs:
					body := deliveryBody(j.typ, j.payload)
					for _, u := range r.forward {
						signedPost(ctx, r.hc, u, j.id, body)
					}
				}
			}
		}()
	}
	return r
}

type relayEvent struct {
	ID      string          `json:"id"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// ServeHTTP accepts POST .../events and .../events/batch.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		// The client's setup calls are not the relay's business.
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(req.URL.Path, "/batch") {
		var in struct {
			Events []relayEvent `json:"events"`
		}
		if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var out bytes.Buffer
		out.WriteString(`{"data":[`)
		for i, ev := range in.Events {
			r.jobs <- relayJob{ev.ID, ev.Type, ev.Payload}
			if i > 0 {
				out.WriteByte(',')
			}
			fmt.Fprintf(&out, `{"id":%q}`, ev.ID)
		}
		out.WriteString(`]}`)
		w.WriteHeader(http.StatusAccepted)
		w.Write(out.Bytes())
		return
	}
	var ev relayEvent
	if err := json.NewDecoder(req.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.jobs <- relayJob{ev.ID, ev.Type, ev.Payload}
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, `{"id":%q}`, ev.ID)
}
