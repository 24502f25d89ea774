//go:build cgo && linux

package slack_test

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd/internal/slack"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// TestEveryThreadHasTheSlack: the constructor ran before the runtime
// started its threads, so each of them, sysmon among them, has the 1 ms
// slack (this test process was started without HOOKD_TIMER_SLACK_NS).
func TestEveryThreadHasTheSlack(t *testing.T) {
	if os.Getenv("HOOKD_TIMER_SLACK_NS") != "" {
		t.Skip("HOOKD_TIMER_SLACK_NS is set for this run")
	}
	if got := slack.Current(); got != time.Millisecond {
		t.Fatalf("this thread's timer slack is %v, want 1ms", got)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) < 2 {
		t.Fatalf("%d threads: the runtime's own (sysmon) is missing", len(tasks))
	}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/" + task.Name() + "/timerslack_ns")
		if err != nil {
			continue // the thread has ended
		}
		if ns := strings.TrimSpace(string(b)); ns != "1000000" {
			t.Errorf("thread %s has a timer slack of %s ns, want 1000000", task.Name(), ns)
		}
	}
}

// TestSlackFromEnvironment runs this test binary again, from a thread
// whose slack is 3 ms (a child inherits it), with HOOKD_TIMER_SLACK_NS
// unset, set, zero and not a number: 1 ms, the value, and the inherited 3
// ms for the last two.
func TestSlackFromEnvironment(t *testing.T) {
	if os.Getenv("HOOKD_SLACK_CHILD") != "" {
		fmt.Printf("slack=%d\n", slack.Current())
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 3_000_000, 0); errno != 0 {
		t.Fatal(errno)
	}
	defer syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1_000_000, 0)
	for _, c := range []struct {
		env  string
		want time.Duration
	}{
		{"", time.Millisecond},
		{"250000", 250 * time.Microsecond},
		{"0", 3 * time.Millisecond},
		{"1ms", 3 * time.Millisecond},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSlackFromEnvironment$")
		cmd.Env = append(os.Environ(), "HOOKD_SLACK_CHILD=1", "HOOKD_TIMER_SLACK_NS="+c.env)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("HOOKD_TIMER_SLACK_NS=%q: %v", c.env, err)
		}
		m := regexp.MustCompile(`slack=(\d+)`).FindSubmatch(out)
		if m == nil {
			t.Fatalf("HOOKD_TIMER_SLACK_NS=%q: the child printed %q", c.env, out)
		}
		ns, err := strconv.ParseInt(string(m[1]), 10, 64)
		if err != nil {
			t.Fatalf("HOOKD_TIMER_SLACK_NS=%q: the child printed %q", c.env, out)
		}
		if got := time.Duration(ns); got != c.want {
			t.Errorf("HOOKD_TIMER_SLACK_NS=%q: the child's slack is %v, want %v", c.env, got, c.want)
		}
	}
}
