package postgres

import "testing"

// TestWakeCoalesces: wake never blocks the listener, and any number of
// notifications while the reader is busy leave exactly one wake-up.
func TestWakeCoalesces(t *testing.T) {
	ch := make(chan struct{}, 1)
	for range 100 {
		wake(ch)
	}
	if n := len(ch); n != 1 {
		t.Fatalf("%d wake-ups waiting, want 1", n)
	}
	<-ch
	wake(ch)
	if n := len(ch); n != 1 {
		t.Fatalf("after a read: %d wake-ups waiting, want 1", n)
	}
}
