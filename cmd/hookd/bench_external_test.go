package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBenchExternal: `hookd bench --external` starts hookd serve, the
// publishers and the sink as processes of their own, every event arrives
// once, the serve process's CPU and memory are read, and --plot draws
// both charts. No figure is asserted: this proves the harness, not speed.
func TestBenchExternal(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "run.svg")
	out, err := exec.Command(binary(t), "bench", "--external", "--n", "40", "--c", "2", "--size", "200", "--timeout", "60s", "--plot", svg).CombinedOutput()
	if err != nil {
		t.Fatalf("bench --external: %v\n%s", err, out)
	}
	for _, want := range []string{`\(40 of 40,`, `duplicates\s+0\n`, `40 published, 0 errors`, `hookd process\s+\d+ µs CPU per delivery .* peak RSS [1-9]`,
		`machine\s+[1-9]\d* µs CPU per delivery, every process \(\d+ % of the machine idle\)`} {
		if !regexp.MustCompile(want).Match(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.HasPrefix(s, "<svg") || strings.Count(s, "<polyline") != 2 || !strings.Contains(s, "deliveries/s") {
		t.Errorf("plot is not two charts of the run:\n%.400s", s)
	}
}

// TestBenchIngest: the ingest scenario, in-process and --external: every
// signed Lean webhook is answered 200 and arrives once, as Standard
// Webhooks. No figure is asserted.
func TestBenchIngest(t *testing.T) {
	for _, args := range [][]string{{"bench", "--ingest"}, {"bench", "--external", "--ingest"}} {
		out, err := exec.Command(binary(t), append(args, "--n", "40", "--c", "2", "--size", "200", "--timeout", "60s")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		for _, want := range []string{`publish=ingest \(signed Lean webhooks\)`, `\(40 of 40,`, `duplicates\s+0\n`, `40 published, 0 errors`} {
			if !regexp.MustCompile(want).Match(out) {
				t.Errorf("%v: output lacks %s:\n%s", args, want, out)
			}
		}
	}
}

// TestMachineUse: the machine's CPU is read from /proc/stat and grows
// while a core is kept busy; per delivery and the idle share are computed
// from it.
func TestMachineUse(t *testing.T) {
	b0, i0, s0 := machineTimes()
	if b0 <= 0 {
		t.Skip("no /proc/stat")
	}
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
	}
	b1, i1, s1 := machineTimes()
	if b1 < b0 || i1 < i0 || s1 < s0 {
		t.Fatalf("machine times went back: busy %v -> %v, idle %v -> %v, steal %v -> %v", b0, b1, i0, i1, s0, s1)
	}
	if b1 == b0 {
		t.Fatalf("100 ms of a busy core added no busy time (%v)", b0)
	}
	m := machineUse{Busy: 3 * time.Second, Idle: time.Second}
	if got := perDelivery(m.Busy, 1000); math.Abs(got-3000) > 1e-9 {
		t.Errorf("perDelivery = %v µs, want 3000", got)
	}
	if got := m.idleShare(); math.Abs(got-25) > 1e-9 {
		t.Errorf("idleShare = %v %%, want 25", got)
	}
	if got := (machineUse{}).idleShare(); got != 0 {
		t.Errorf("idleShare of nothing = %v, want 0", got)
	}
}

// TestBenchFaults: the fault scenario, briefly, in-process and
// --external: in every round each run delivers every event to the healthy
// endpoint once, the run with the faults has its faulty receivers sent to
// (the one answering 500 at least once per event, the hanging and the
// slow one at least once), and the report has the medians and the ratio.
// No figure is held to a bound: latency belongs to the bench's report.
func TestBenchFaults(t *testing.T) {
	round := regexp.MustCompile(`(?m)^  round \d+  without faults p50 [\d.]+ ms p99 [\d.]+ ms \((\d+) of (\d+), (\d+) dup\)  with faults p50 [\d.]+ ms p99 [\d.]+ ms \((\d+) of (\d+), (\d+) dup; hang (\d+), 500 (\d+), slow-body (\d+) requests .*\)  p99 ratio [\d.]+$`)
	summary := regexp.MustCompile(`(?m)^healthy endpoint beside faulty ones: p99 [\d.]+ ms with faults, [\d.]+ ms without: ratio [\d.]+ \(goal <= 2: p99 within 2x of no faults\); p50 [\d.]+ and [\d.]+ ms: ratio [\d.]+$`)
	for _, c := range []struct {
		args   []string
		rounds int
	}{{[]string{"bench", "-faults"}, 2}, {[]string{"bench", "--external", "-faults"}, 1}} {
		args := append(c.args, "--n", "60", "--size", "200", "--rounds", strconv.Itoa(c.rounds), "--timeout", "60s")
		out, err := exec.Command(binary(t), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		rounds := round.FindAllStringSubmatch(string(out), -1)
		if len(rounds) != c.rounds || !summary.Match(out) {
			t.Fatalf("%v: %d round lines (want %d), summary %v:\n%s", args, len(rounds), c.rounds, summary.Match(out), out)
		}
		for _, m := range rounds {
			n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
			if n(1) != 60 || n(2) != 60 || n(3) != 0 || n(4) != 60 || n(5) != 60 || n(6) != 0 {
				t.Errorf("%v: the healthy endpoint's deliveries: %s", args, m[0])
			}
			if n(7) < 1 || n(8) < 60 || n(9) < 1 {
				t.Errorf("%v: the faulty receivers got hang %d, 500 %d, slow-body %d requests; want >= 1, >= 60, >= 1", args, n(7), n(8), n(9))
			}
		}
	}
}
