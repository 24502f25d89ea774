package delivery_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// deafStore is a shared store whose wake-ups cannot be listened for.
type deafStore struct{ hookd.Queue }

var errDeaf = errors.New("listen: connection refused")

func (deafStore) Exclusive() bool                                 { return false }
func (deafStore) Notify(context.Context) error                    { return nil }
func (deafStore) Listen(context.Context) (<-chan struct{}, error) { return nil, errDeaf }

// engineGoroutines counts the goroutines running one of the engine's loops.
func engineGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "delivery.(*Engine).writer") || strings.Contains(g, "delivery.(*Engine).notifier") ||
			strings.Contains(g, "delivery.(*Engine).poller") {
			n++
		}
	}
	return n
}

// TestStartListenFails: when the store's wake-ups cannot be listened for,
// Start returns the error and leaves no writer or loop running.
func TestStartListenFails(t *testing.T) {
	before := engineGoroutines()
	e := delivery.New(deafStore{openStore(t)}, delivery.Config{Profiles: profile.New(nil).Get, Writers: 2})
	if err := e.Start(context.Background()); !errors.Is(err, errDeaf) {
		t.Fatalf("Start: %v, want %v", err, errDeaf)
	}
	if n := engineGoroutines() - before; n != 0 {
		t.Fatalf("%d engine goroutines left running after a failed Start", n)
	}
}
