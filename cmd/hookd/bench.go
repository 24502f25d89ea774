package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookd/hookd/client"
	"github.com/hookd/hookd/delivery"
	"github.com/jackc/pgx/v5"
)

// benchOpts are one benchmark run's settings.
type benchOpts struct {
	N, C, E, Size, Batch int
	Rate                 float64
	Target, Token, DB    string
	Profile              string
	Nodes                int
	Timeout              time.Duration
	Quiet                bool
	// NoMetrics runs the in-process nodes without metrics; with them,
	// /metrics is scraped every second during the run.
	NoMetrics bool
}

func runBench(ctx context.Context, args []string) error {
	var o benchOpts
	var suite bool
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.IntVar(&o.N, "n", 20000, "events to publish")
	fs.IntVar(&o.C, "c", 32, "concurrent publishers")
	fs.IntVar(&o.E, "e", 1, "endpoints (each gets every event)")
	fs.IntVar(&o.Size, "size", 1024, "payload size in bytes")
	fs.IntVar(&o.Batch, "batch", 1, "events per publish request (1: single publish)")
	fs.Float64Var(&o.Rate, "rate", 0, "steady publish rate in events/s (0: as fast as possible)")
	fs.StringVar(&o.Target, "target", "", "URL of a running hookd (default: start one in-process)")
	fs.StringVar(&o.Token, "token", os.Getenv("HOOKD_ADMIN_TOKEN"), "admin token of --target")
	fs.StringVar(&o.DB, "db", "", "database of the in-process hookd (default: a temporary SQLite file)")
	fs.StringVar(&o.Profile, "profile", "standard", "endpoint profile")
	fs.IntVar(&o.Nodes, "nodes", 1, "hookd nodes to run in-process on the --db (PostgreSQL for more than one)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up waiting for deliveries after this long")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.Var(negBool{&o.NoMetrics}, "metrics", "in-process nodes keep metrics, scraped every second (--metrics=false: no metrics)")
	cost := fs.Int("metrics-cost", 0, "run this many pairs of runs with and without metrics, interleaved, and report the medians and their ratio")
	fs.BoolVar(&suite, "suite", false, "run the reference scenarios: 20,000 events to 1 endpoint, 2,000 to 10, and 100 events/s for latency")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o.Quiet = !isTerminal(os.Stderr) // progress on a terminal only, not into a pipe or a log
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *cost > 0 {
		return metricsCost(ctx, o, *cost, os.Stdout)
	}
	if !suite {
		r, err := bench(ctx, o)
		if err != nil {
			return err
		}
		r.print(os.Stdout, o)
		return nil
	}
	scenarios := []benchOpts{
		{N: 20000, C: 32, E: 1, Batch: 1},
		{N: 2000, C: 32, E: 10, Batch: 1},
		{N: 20000, C: 4, E: 1, Batch: 100},
		{N: 1000, C: 4, E: 1, Batch: 1, Rate: 100},
	}
	for _, s := range scenarios {
		s.Size, s.Target, s.Token, s.DB, s.Profile, s.Timeout, s.Nodes, s.Quiet = o.Size, o.Target, o.Token, o.DB, o.Profile, o.Timeout, o.Nodes, o.Quiet
		r, err := bench(ctx, s)
		if err != nil {
			return err
		}
		r.print(os.Stdout, s)
	}
	return nil
}

type benchResult struct {
	published              int
	publishDur             time.Duration
	deliveries, expected   int
	deliverDur             time.Duration
	p50, p99, max          time.Duration
	duplicates, publishErr int
	peakRSS                int64
	commits, rows          int64 // group commits of the in-process nodes, and the rows they wrote
}

func (r *benchResult) print(w io.Writer, o benchOpts) {
	mode := "single"
	if o.Batch > 1 {
		mode = fmt.Sprintf("batch %d", o.Batch)
	}
	rate := "max"
	if o.Rate > 0 {
		rate = fmt.Sprintf("%.0f/s", o.Rate)
	}
	db := "sqlite"
	if isPostgres(o.DB) {
		db = "postgres"
	}
	fmt.Fprintf(w, "events=%d endpoints=%d publishers=%d publish=%s rate=%s size=%dB db=%s nodes=%d\n", o.N, o.E, o.C, mode, rate, o.Size, db, max(o.Nodes, 1))
	fmt.Fprintf(w, "  publish rate      %10.0f events/s (%d published, %d errors, %.2fs)\n",
		float64(r.published)/r.publishDur.Seconds(), r.published, r.publishErr, r.publishDur.Seconds())
	fmt.Fprintf(w, "  deliveries/s      %10.0f (%d of %d, first to last arrival %.2fs)\n",
		float64(r.deliveries)/r.deliverDur.Seconds(), r.deliveries, r.expected, r.deliverDur.Seconds())
	fmt.Fprintf(w, "  publish->arrival  p50 %.2f ms  p99 %.2f ms  max %.2f ms\n", ms(r.p50), ms(r.p99), ms(r.max))
	fmt.Fprintf(w, "  duplicates        %10d\n", r.duplicates)
	if r.commits > 0 {
		fmt.Fprintf(w, "  group commits     %10d (%.1f rows each: events, results)\n", r.commits, float64(r.rows)/float64(r.commits))
	}
	if r.peakRSS > 0 {
		fmt.Fprintf(w, "  peak RSS          %10.1f MiB (whole bench process: hookd, publishers and sink)\n", float64(r.peakRSS)/(1<<20))
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sink is the loopback receiver: it records when each event reached each
// endpoint.
type sink struct {
	mu       sync.Mutex
	arrivals map[string]time.Time // endpoint index + "/" + event id
	first    time.Time
	last     time.Time
	dups     int
	count    atomic.Int64
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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

func bench(ctx context.Context, o benchOpts) (*benchResult, error) {
	if o.Batch < 1 {
		o.Batch = 1
	}
	sk := &sink{arrivals: make(map[string]time.Time, o.N*o.E)}
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ssrv := &http.Server{Handler: sk}
	go ssrv.Serve(sln)
	defer ssrv.Close()

	targets, token := []string{o.Target}, o.Token
	var engines []*delivery.Engine // in-process nodes, for their counters
	if o.Target == "" {
		dir, err := os.MkdirTemp("", "hookd-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		token = randomToken()
		db := o.DB
		if db == "" {
			db = "sqlite:" + filepath.Join(dir, "bench.db")
		}
		dataKey := ""
		if isPostgres(db) {
			// A schema of its own, dropped afterwards, so runs do not
			// see each other's rows.
			scoped, drop, err := benchSchema(ctx, db)
			if err != nil {
				return nil, err
			}
			defer drop()
			db = scoped
			dataKey = randomKey()
		}
		nodes := max(o.Nodes, 1)
		if !isPostgres(db) && nodes > 1 {
			return nil, fmt.Errorf("--nodes needs a PostgreSQL --db: a SQLite file has one node")
		}
		targets = nil
		for range nodes {
			c := &Config{DB: db, Addr: "127.0.0.1:0", EgressAllow: "127.0.0.0/8", AdminToken: token, DataKey: dataKey,
				MaxBody: 16 << 20, MaxBatch: 1000, AllowUnknownTypes: true, Retention: 24 * time.Hour,
				DisableAfter: 24 * time.Hour, DrainTimeout: 5 * time.Second, PollInterval: time.Second, NodeTTL: 30 * time.Second,
				NoMetrics: o.NoMetrics}
			a, err := start(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return nil, err
			}
			defer a.stop()
			targets = append(targets, "http://"+a.ln.Addr().String())
			engines = append(engines, a.engine)
		}
	}
	target := targets[0]
	if o.Target == "" && !o.NoMetrics {
		stopScrape := scrapeEverySecond(targets)
		defer stopScrape()
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}
	api := client.New(target, token, client.WithHTTPClient(hc), client.WithUserAgent("hookd-bench"))
	tenant := "bench-" + randomToken()[:8]
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

	payload, err := json.Marshal(makePayload(o.Size))
	if err != nil {
		return nil, err
	}
	sent := make([]time.Time, o.N) // when each event's publish began
	reqs := make(chan int, o.C)
	var perr atomic.Int64
	var wg sync.WaitGroup
	pubStart := time.Now()
	for w := range o.C {
		wg.Add(1)
		// Publishers are spread over the nodes.
		api := client.New(targets[w%len(targets)], tok.Token, client.WithHTTPClient(hc), client.WithUserAgent("hookd-bench"))
		go func() {
			defer wg.Done()
			for first := range reqs {
				n := min(o.Batch, o.N-first)
				now := time.Now()
				for i := first; i < first+n; i++ {
					sent[i] = now
				}
				// The event ids double as idempotency keys: a retried
				// publish (after a 503) creates nothing twice.
				ev := func(i int) client.EventCreate {
					id := fmt.Sprintf("ev-%d", i)
					return client.EventCreate{Type: "bench.event", ID: id, IdempotencyKey: id, Payload: payload}
				}
				if o.Batch == 1 {
					if _, err := api.Publish(ctx, tenant, ev(first)); err != nil {
						perr.Add(1)
					}
					continue
				}
				evs := make([]client.EventCreate, n)
				for k := range n {
					evs[k] = ev(first + k)
				}
				res, err := api.PublishBatch(ctx, tenant, evs)
				if err != nil {
					perr.Add(int64(n))
					continue
				}
				for _, r := range res {
					if r.Err != nil {
						perr.Add(1)
					}
				}
			}
		}()
	}
	expected := o.N * o.E
	stopProgress := progress(sk, expected, o.Quiet)
	var tick *time.Ticker
	if o.Rate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) * float64(o.Batch) / o.Rate))
	}
	for i := 0; i < o.N; i += o.Batch {
		if tick != nil {
			<-tick.C
		}
		reqs <- i
	}
	close(reqs)
	wg.Wait()
	pubDur := time.Since(pubStart)
	if tick != nil {
		tick.Stop()
	}
	deadline := time.Now().Add(o.Timeout)
	for int(sk.count.Load()) < expected-int(perr.Load())*o.E && time.Now().Before(deadline) && ctx.Err() == nil {
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
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r := &benchResult{published: o.N - int(perr.Load()), publishDur: pubDur, deliveries: len(sk.arrivals), expected: expected,
		deliverDur: sk.last.Sub(sk.first), duplicates: sk.dups, publishErr: int(perr.Load()), peakRSS: peakRSS()}
	if len(lat) > 0 {
		r.p50, r.p99, r.max = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	}
	for _, e := range engines {
		r.commits += e.Stats().Commits.Load()
		r.rows += e.Stats().CommittedRows.Load()
	}
	return r, nil
}

// progress prints a line a second while the bench runs.
func progress(sk *sink, expected int, quiet bool) func() {
	done := make(chan struct{})
	if quiet {
		return func() {}
	}
	start := time.Now()
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintln(os.Stderr)
				return
			case <-t.C:
				fmt.Fprintf(os.Stderr, "\r  %5.0fs  delivered %d of %d", time.Since(start).Seconds(), sk.count.Load(), expected)
			}
		}
	}()
	return func() { close(done) }
}

func makePayload(size int) map[string]any {
	pad := max(size-60, 0)
	return map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", pad)}
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// peakRSS reads the process's peak resident set (VmHWM) on Linux.
func peakRSS() int64 {
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

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// benchSchema creates a fresh schema in the PostgreSQL database and returns
// the URL that uses it, and a function that drops it.
func benchSchema(ctx context.Context, db string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return "", nil, err
	}
	schema := "hookd_bench_" + randomToken()[:8]
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u, err := url.Parse(db)
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	}, nil
}

// scrapeEverySecond reads /metrics of every target once a second (as a
// Prometheus scraping fifteen times more often than usual would) until
// the returned function is called.
func scrapeEverySecond(targets []string) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			for _, u := range targets {
				if res, err := http.Get(u + "/metrics"); err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// metricsCost runs pairs of benchmarks with and without metrics, the order
// alternating from pair to pair so drift of the machine's speed falls on
// both, and prints each run, the medians and their ratio.
func metricsCost(ctx context.Context, o benchOpts, pairs int, w io.Writer) error {
	o.Quiet = true
	// Throughput on a shared machine drifts with the neighbours' load;
	// the CPU time the process spends per delivery drifts much less, so
	// both are reported.
	var with, without, cpuWith, cpuWithout []float64
	for i := range pairs {
		order := []bool{false, true} // NoMetrics
		if i%2 == 1 {
			order = []bool{true, false}
		}
		for _, off := range order {
			o.NoMetrics = off
			cpu0 := cpuTime()
			r, err := bench(ctx, o)
			if err != nil {
				return err
			}
			rate := float64(r.deliveries) / r.deliverDur.Seconds()
			cpu := (cpuTime() - cpu0).Seconds() * 1e6 / float64(max(r.deliveries, 1))
			label := "with metrics   "
			if off {
				label = "without metrics"
				without, cpuWithout = append(without, rate), append(cpuWithout, cpu)
			} else {
				with, cpuWith = append(with, rate), append(cpuWith, cpu)
			}
			fmt.Fprintf(w, "run %d %s %8.0f deliveries/s  %6.0f µs CPU per delivery (publish %6.0f events/s)\n", i+1, label,
				rate, cpu, float64(r.published)/r.publishDur.Seconds())
		}
	}
	mw, mo := median(with), median(without)
	fmt.Fprintf(w, "median deliveries/s: with metrics %.0f, without %.0f: with/without = %.3f\n", mw, mo, mw/mo)
	cw, co := median(cpuWith), median(cpuWithout)
	fmt.Fprintf(w, "median CPU per delivery: with metrics %.0f µs, without %.0f µs: with/without = %.3f\n", cw, co, cw/co)
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
