package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkPublishPath is the publish request's own path, in-process: the
// API's handler (metrics, authentication by a tenant token, the body's
// decoding, the control plane, the engine's fan-out and its hand-off to
// the group-commit writer and back, the answer), called by 32 goroutines
// as the bench's publishers call it, with one endpoint (a loopback sink)
// receiving every event. No HTTP server reads the requests: what net/http
// costs is left out. Besides ns/op (the group commit's fsync sets it) it
// reports the process's CPU per publish (getrusage; the writer's commits
// and the deliveries' requests and the sink's answers included).
//
//	go test ./cmd/hookd -run '^$' -bench PublishPath -benchtime 20000x -count 3
func BenchmarkPublishPath(b *testing.B) {
	var got atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(sink.Close)
	c := &Config{DB: "sqlite:" + filepath.Join(b.TempDir(), "hookd.db"), Addr: "127.0.0.1:0", AdminToken: testAdmin,
		MaxBody: 256 << 10, MaxBatch: 1000, Retention: time.Hour, DisableAfter: time.Hour, DrainTimeout: time.Second,
		PollInterval: 50 * time.Millisecond, LogLevel: "warn", AllowUnknownTypes: true, EgressAllow: "127.0.0.0/8"}
	a, serve, tok := benchApp(b, c)
	serve("POST", "/v1/tenants/acme/endpoints", tok, fmt.Sprintf(`{"url":%q,"event_types":["*"]}`, sink.URL))
	payload, _ := json.Marshal(map[string]any{"id": "pay_123", "amount": 1017, "currency": "AED", "note": strings.Repeat("x", 964)})
	body := fmt.Sprintf(`{"type":"bench.event","payload":%s}`, payload)

	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ReportAllocs()
	b.SetParallelism(16) // 32 publishers on 2 Ps
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", "/v1/tenants/acme/events", strings.NewReader(body))
			req.RemoteAddr = "127.0.0.1:1"
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			a.srv.Handler.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Errorf("publish: status %d: %s", w.Code, w.Body)
				return
			}
		}
	})
	b.StopTimer()
	for deadline := time.Now().Add(time.Minute); got.Load() < int64(b.N) && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := time.Duration(after.Utime.Nano()+after.Stime.Nano()-before.Utime.Nano()-before.Stime.Nano()) * time.Nanosecond
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
}
