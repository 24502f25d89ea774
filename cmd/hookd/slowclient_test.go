package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSlowClients: a client that sends its headers, or its body, a byte at a
// time is cut off at the server's timeouts, and meanwhile other requests
// are answered as usual.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.readHeaderTimeout, c.readTimeout = 300*time.Millisecond, 600*time.Millisecond })
	tok := a.tenant(t, "s")
	addr := strings.TrimPrefix(a.url, "http://")

	slow := func(what, head, body string) {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		closed := make(chan time.Duration, 1)
		go func() {
			io.Copy(io.Discard, conn) // returns when the server hangs up
			closed <- time.Since(start)
		}()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(15 * time.Second)
		for i := 0; ; i++ {
			select {
			case took := <-closed:
				// Cut off at 600 ms; 5 s is a bound a loaded
				// machine meets, and far below an unbounded hold.
				if took > 5*time.Second {
					t.Fatalf("%s: held for %v", what, took)
				}
				return
			case <-tick.C:
				conn.Write([]byte{body[i%len(body)]}) // one byte at a time, never finishing
				if i == 10 {
					// Meanwhile the server answers others.
					a.must(t, 200, "GET", "/v1/tenants/s/events", tok, nil, nil)
				}
			case <-deadline:
				t.Fatalf("%s: the server still holds the connection after 15 s", what)
			}
		}
	}
	slow("slow headers", "GET /healthz HTTP/1.1\r\n", "X-Slow: aaaaaaaaaaaa\r\n")
	slow("slow body", "POST /v1/tenants/s/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+tok+
		"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", `{"type":"a.b","payload":{"x":"`)
	var evs struct{ Data []any }
	a.must(t, 200, "GET", "/v1/tenants/s/events", tok, nil, &evs)
	if len(evs.Data) != 0 {
		t.Fatalf("the cut-off publish stored %d events", len(evs.Data))
	}
}
