//go:build cgo && linux

package slack

/*
#include <stdlib.h>
#include <sys/prctl.h>

#define HOOKD_TIMER_SLACK_NS 1000000UL

// hookd_timer_slack runs when the process starts, before the Go runtime
// and its threads do: a thread's timer slack is inherited by the threads
// it creates, the runtime's sysmon thread among them, and a Go program's
// own code runs too late for that one (see the package comment).
__attribute__((constructor)) static void hookd_timer_slack(void) {
	unsigned long ns = HOOKD_TIMER_SLACK_NS;
	const char *v = getenv("HOOKD_TIMER_SLACK_NS");
	if (v != NULL && *v != '\0') {
		char *end;
		unsigned long n = strtoul(v, &end, 10);
		if (*end != '\0') {
			return; // not a number: the slack the process started with stays
		}
		ns = n;
	}
	if (ns > 0) {
		prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0);
	}
}

static long hookd_get_timer_slack(void) { return prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0); }
*/
import "C"

import "time"

// Current returns the calling thread's timer slack, as every thread of
// the process has it.
func Current() time.Duration { return time.Duration(C.hookd_get_timer_slack()) }
