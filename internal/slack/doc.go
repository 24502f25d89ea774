// Package slack widens the timer slack of hookd's threads, so that the Go
// runtime's sysmon thread wakes less often.
//
// sysmon sleeps 20 µs between looks while it keeps finding work: under
// load every group commit's cgo call (SQLite's statements and the fsync)
// outlasts 20 µs while no P is idle, sysmon takes the P back, and each
// take resets its back-off. So it wakes thousands of times a second, and
// the P hand-offs it makes cost more (docs/performance.md "The writer yields after
// answering": about a tenth of the serve process's CPU). A timer slack of
// 1 ms lets the kernel coalesce those sleeps: sysmon wakes a tenth as
// often, and a commit's cgo call keeps its P for its short length.
//
// The slack is set in a C constructor, which runs when the process starts,
// before the Go runtime starts its threads: a thread's slack is inherited
// by the threads it creates, and the slack of another thread may only be
// changed with CAP_SYS_NICE. Every thread so has it, and every timer of
// the process may fire up to the slack late; hookd's timers are retries,
// timeouts and polls of seconds, and a few of milliseconds (a result's
// wait for a publish on a shared store, a queue's recheck), none on the
// path of a delivery. HOOKD_TIMER_SLACK_NS sets another slack in
// nanoseconds; 0, or a value that is not a number, leaves the slack the
// process was started with (the kernel's 50 µs unless its parent changed
// it). Without cgo, or off Linux, nothing changes.
package slack
