package delivery

import (
	"testing"

	"github.com/hookd/hookd"
)

// BenchmarkReserve: what a publish's delivery pays for its place in its
// endpoint's queue (fanOut's reserve), and its release, on one goroutine:
// the room checks of the fast path.
func BenchmarkReserve(b *testing.B) {
	cfg := Config{}
	cfg.defaults()
	e := &Engine{cfg: cfg, log: cfg.Logger}
	q := newQueue(e, &hookd.Endpoint{ID: "ep"})
	const cost = 2 << 10
	b.ReportAllocs()
	for b.Loop() {
		if !q.reserve(cost) {
			b.Fatal("no room")
		}
		q.unreserve(cost)
	}
}
