package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
