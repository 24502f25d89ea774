package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hookd/hookd/bench"
)

// benchOpts are one benchmark run's settings: the load, and the hookd it
// runs against (a running one at Target, or nodes started in-process).
type benchOpts struct {
	bench.Options
	Target, DB string
	Nodes      int
	Quiet      bool
	// NoMetrics runs the in-process nodes without metrics; with them,
	// /metrics is scraped every second during the run.
	NoMetrics bool
	// External runs hookd (serve), the publishers and the sink as
	// processes of their own; DebugAddr is the serve process's pprof,
	// where CPUProfile is fetched from for ProfileSeconds.
	External       bool
	DebugAddr      string
	CPUProfile     string
	ProfileSeconds int
	Rounds         int
	Plot           string
	// Backlog runs the backlog scenario once (with External): the N
	// events are published while the endpoints are disabled, then the
	// endpoints are enabled and the drain is measured.
	Backlog bool
}

func runBench(ctx context.Context, args []string) error {
	var o benchOpts
	var suite bool
	fs := newFlagSet("bench", args)
	fs.IntVar(&o.N, "n", 20000, "events to publish")
	fs.IntVar(&o.C, "c", 32, "concurrent publishers")
	fs.IntVar(&o.E, "e", 1, "endpoints (each gets every event)")
	fs.IntVar(&o.Size, "size", 1024, "payload size in bytes")
	fs.IntVar(&o.Batch, "batch", 1, "events per publish request (1: single publish)")
	fs.Float64Var(&o.Rate, "rate", 0, "steady publish rate in events/s (0: as fast as possible)")
	fs.StringVar(&o.Target, "target", "", "URL of a running hookd (default: start one in-process)")
	fs.StringVar(&o.Token, "token", "", "admin token of --target (default HOOKD_ADMIN_TOKEN)")
	fs.StringVar(&o.DB, "db", "", "database of the in-process hookd (default: a temporary SQLite file)")
	fs.StringVar(&o.Profile, "profile", "standard", "endpoint profile")
	fs.BoolVar(&o.Ingest, "ingest", false, "send the events as signed Lean webhooks to a Lean source's ingest URL instead of publishing them")
	fs.BoolVar(&o.RandomIDs, "random-ids", false, "give the events ids and idempotency keys in random order (16 random hex digits, then -ev-N), as publishers that make random ids do")
	fs.IntVar(&o.Nodes, "nodes", 1, "hookd nodes to run in-process on the --db (PostgreSQL for more than one)")
	fs.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up waiting for deliveries after this long")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (with --external: of the hookd serve process)")
	fs.BoolVar(&o.External, "external", false, "run hookd serve, the publishers and the sink as separate processes, as users run them")
	fs.StringVar(&o.DebugAddr, "debug-addr", "", "with --external: the serve process's --debug-addr (pprof)")
	fs.IntVar(&o.ProfileSeconds, "profile-seconds", 10, "with --external --cpuprofile: seconds of profile, from the start of publishing")
	fs.IntVar(&o.Rounds, "rounds", 3, "with --external -suite, and with -faults: interleaved rounds of each scenario and its ceiling (medians reported)")
	fs.StringVar(&o.Plot, "plot", "", "with --external: draw deliveries/s over time and the latency distribution of the run into this SVG file")
	fs.Var(negBool{&o.NoMetrics}, "metrics", "in-process nodes keep metrics, scraped every second (--metrics=false: no metrics)")
	cost := fs.Int("metrics-cost", 0, "run this many pairs of runs with and without metrics, interleaved, and report the medians and their ratio")
	fs.BoolVar(&o.Backlog, "backlog", false, "with --external: publish the -n events while the endpoints are disabled, then enable them and measure the drain and the peak RSS")
	fs.BoolVar(&suite, "suite", false, "run the reference scenarios: 20,000 events to 1 endpoint (published, and received as signed Lean webhooks), 2,000 to 10, 100 events/s for latency, and that beside faulty endpoints; on PostgreSQL also three nodes against one")
	faults := fs.Bool("faults", false, "the fault scenario: the healthy endpoint's latency beside endpoints of the same tenant and events that hang until their timeout (2 s), answer 500, send an endless slow body; -rounds interleaved pairs of runs with and without them, medians and the p99 ratio (default -n 500 -c 4 -rate 100)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.Token == "" {
		o.Token = os.Getenv("HOOKD_ADMIN_TOKEN") // read after parsing, so -h never prints it
	}
	o.Quiet = !isTerminal(os.Stderr) // progress on a terminal only, not into a pipe or a log
	if *faults {
		if suite || o.Backlog || *cost > 0 || o.Ingest {
			return errors.New("bench: -faults is a scenario of its own: not with -suite, -backlog, -metrics-cost or -ingest")
		}
		// The latency scenario's load unless told otherwise.
		if !set["n"] {
			o.N = 500
		}
		if !set["c"] {
			o.C = 4
		}
		if !set["rate"] {
			o.Rate = 100
		}
		return faultRounds(ctx, o, os.Stdout)
	}
	if o.External {
		if *cpuprofile != "" && o.DebugAddr == "" {
			o.DebugAddr = freeLoopback()
		}
		o.CPUProfile = *cpuprofile
		if suite {
			return externalSuite(ctx, o, os.Stdout)
		}
		return externalOnce(ctx, o, os.Stdout)
	}
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
		r, err := runBenchOnce(ctx, o)
		if err != nil {
			return err
		}
		r.Print(os.Stdout, o.Options, o.setup())
		return nil
	}
	scenarios := []bench.Options{
		{N: 20000, C: 32, E: 1, Batch: 1},
		{N: 20000, C: 32, E: 1, Batch: 1, Ingest: true},
		{N: 2000, C: 32, E: 10, Batch: 1},
		{N: 20000, C: 4, E: 1, Batch: 100},
		{N: 1000, C: 4, E: 1, Batch: 1, Rate: 100},
		{N: 500, C: 4, E: 1, Batch: 1, Rate: 100, Faults: true},
	}
	for _, s := range scenarios {
		so := o
		so.N, so.C, so.E, so.Batch, so.Rate, so.Ingest, so.Faults = s.N, s.C, s.E, s.Batch, s.Rate, s.Ingest, s.Faults
		r, err := runBenchOnce(ctx, so)
		if err != nil {
			return err
		}
		r.Print(os.Stdout, so.Options, so.setup())
	}
	return nil
}

func (o *benchOpts) setup() bench.Setup {
	db := "sqlite"
	if isPostgres(o.DB) {
		db = "postgres"
	}
	return bench.Setup{DB: db, Nodes: o.Nodes}
}

// runBenchOnce runs one benchmark against --target, or against nodes it
// starts in-process on --db (a temporary SQLite file by default).
func runBenchOnce(ctx context.Context, o benchOpts) (*bench.Result, error) {
	if !o.Quiet {
		o.Progress = os.Stderr
	}
	if o.Target != "" {
		o.Targets = []string{o.Target}
		return bench.Run(ctx, o.Options)
	}
	dir, err := os.MkdirTemp("", "hookd-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	o.Token = randomToken()
	db := o.DB
	if db == "" {
		db = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	dataKey := ""
	if isPostgres(db) {
		scoped, drop, err := bench.Schema(ctx, db)
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
	var apps []*app
	for range nodes {
		c := &Config{DB: db, Addr: "127.0.0.1:0", EgressAllow: "127.0.0.0/8", AdminToken: o.Token, DataKey: dataKey,
			MaxBody: 16 << 20, MaxBatch: 1000, AllowUnknownTypes: true, Retention: 24 * time.Hour,
			DisableAfter: 24 * time.Hour, DrainTimeout: 5 * time.Second, PollInterval: time.Second, NodeTTL: 30 * time.Second,
			NoMetrics: o.NoMetrics}
		a, err := start(ctx, c, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return nil, err
		}
		defer a.stop()
		apps = append(apps, a)
		o.Targets = append(o.Targets, "http://"+a.ln.Addr().String())
	}
	if !o.NoMetrics {
		defer bench.Scrape(o.Targets)()
	}
	r, err := bench.Run(ctx, o.Options)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		r.Commits += a.engine.Stats().Commits.Load()
		r.Rows += a.engine.Stats().CommittedRows.Load()
	}
	return r, nil
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
			cpu0 := bench.CPUTime()
			r, err := runBenchOnce(ctx, o)
			if err != nil {
				return err
			}
			rate := float64(r.Deliveries) / r.DeliverDur.Seconds()
			cpu := perDelivery(bench.CPUTime()-cpu0, r.Deliveries)
			label := "with metrics   "
			if off {
				label = "without metrics"
				without, cpuWithout = append(without, rate), append(cpuWithout, cpu)
			} else {
				with, cpuWith = append(with, rate), append(cpuWith, cpu)
			}
			fmt.Fprintf(w, "run %d %s %8.0f deliveries/s  %6.0f µs CPU per delivery (publish %6.0f events/s)\n", i+1, label,
				rate, cpu, float64(r.Published)/r.PublishDur.Seconds())
		}
	}
	mw, mo := bench.Median(with), bench.Median(without)
	fmt.Fprintf(w, "median deliveries/s: with metrics %.0f, without %.0f: with/without = %.3f\n", mw, mo, mw/mo)
	cw, co := bench.Median(cpuWith), bench.Median(cpuWithout)
	fmt.Fprintf(w, "median CPU per delivery: with metrics %.0f µs, without %.0f µs: with/without = %.3f\n", cw, co, cw/co)
	return nil
}

// faultRounds runs the fault scenario: rounds of two runs each, the
// healthy endpoint alone and beside the faulty endpoints (bench.FaultKinds),
// the order alternating from round to round so the machine's drift falls on
// both; in-process, or with o.External every part in a process of its own.
// It prints each round, the medians and the median ratio of the healthy
// endpoint's p99 with and without the faults, held against the goal of
// p99 within 2x.
func faultRounds(ctx context.Context, o benchOpts, w io.Writer) error {
	o.Quiet = true
	rounds := max(o.Rounds, 1)
	mode := "in-process"
	if o.External {
		mode = "--external"
	} else if o.Target != "" {
		mode = "--target"
	}
	fmt.Fprintf(w, "hookd bench -faults (%s): %d events at %s, %d publishers, to %d healthy endpoint(s); beside them %s (timeout_ms %d); db=%s, %d interleaved rounds, medians\n",
		mode, o.N, rateLabel(o.Rate), o.C, o.E, strings.Join(bench.FaultKinds, ", "), bench.FaultTimeoutMS, o.setup().DB, rounds)
	var p50n, p99n, p50f, p99f, ratio, ratio50 []float64
	for i := range rounds {
		order := []bool{false, true} // with faults?
		if i%2 == 1 {
			order = []bool{true, false}
		}
		var with, without *bench.Result
		for _, f := range order {
			so := o
			so.Options.Faults = f
			r, err := faultRun(ctx, so)
			if err != nil {
				return fmt.Errorf("round %d (faults %v): %w", i+1, f, err)
			}
			if f {
				with = r
			} else {
				without = r
			}
		}
		p50n, p99n = append(p50n, millis(without.P50)), append(p99n, millis(without.P99))
		p50f, p99f = append(p50f, millis(with.P50)), append(p99f, millis(with.P99))
		ratio = append(ratio, millis(with.P99)/max(millis(without.P99), 1e-3))
		ratio50 = append(ratio50, millis(with.P50)/max(millis(without.P50), 1e-3))
		fmt.Fprintf(w, "  round %d  without faults p50 %.2f ms p99 %.2f ms (%d of %d, %d dup)  with faults p50 %.2f ms p99 %.2f ms (%d of %d, %d dup; %s)  p99 ratio %.2f\n",
			i+1, millis(without.P50), millis(without.P99), without.Deliveries, without.Expected, without.Duplicates,
			millis(with.P50), millis(with.P99), with.Deliveries, with.Expected, with.Duplicates, with.FaultLine(), ratio[len(ratio)-1])
	}
	fmt.Fprintf(w, "healthy endpoint beside faulty ones: p99 %.2f ms with faults, %.2f ms without: ratio %.2f (goal <= 2: p99 within 2x of no faults); p50 %.2f and %.2f ms: ratio %.2f\n",
		bench.Median(p99f), bench.Median(p99n), bench.Median(ratio), bench.Median(p50f), bench.Median(p50n), bench.Median(ratio50))
	return nil
}

// faultRun is one run of the fault scenario, in-process or external.
func faultRun(ctx context.Context, o benchOpts) (*bench.Result, error) {
	if o.External {
		r, err := runExternal(ctx, o, extHookd, 0)
		if err != nil {
			return nil, err
		}
		return r.Result, nil
	}
	return runBenchOnce(ctx, o)
}

func rateLabel(rate float64) string {
	if rate <= 0 {
		return "full speed"
	}
	return fmt.Sprintf("%.0f/s", rate)
}

func randomToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}
