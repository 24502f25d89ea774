package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/profile"
)

// The deliveries' transport against real loopback servers, plain and TLS.

// connServer is a test server that counts the connections it accepted and
// those still open.
type connServer struct {
	*httptest.Server
	accepted, open atomic.Int64
}

func newConnServer(t *testing.T, useTLS bool, h http.HandlerFunc) *connServer {
	t.Helper()
	s := &connServer{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.accepted.Add(1)
			s.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.open.Add(-1)
		}
	}
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

// transportFor returns a transport that trusts s's certificate.
func transportFor(s *connServer) *Transport {
	tr := &Transport{}
	if s.Certificate() != nil {
		pool := x509.NewCertPool()
		pool.AddCert(s.Certificate())
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return tr
}

// post sends body to url and returns the status and the whole answer.
func post(ctx context.Context, c *http.Client, url, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// echo answers the request's body, with its length and host in headers.
func echo(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	w.Header().Set("X-Length", fmt.Sprint(r.ContentLength))
	w.Header().Set("X-Host", r.Host)
	w.Write(b)
}

// TestTransportKeepAlive: requests in turn to one host share one
// connection, plain and over TLS (ALPN http/1.1); each body arrives whole
// with its Content-Length, and the answer is read whole.
func TestTransportKeepAlive(t *testing.T) {
	t.Parallel()
	for _, useTLS := range []bool{false, true} {
		t.Run(fmt.Sprint("tls=", useTLS), func(t *testing.T) {
			t.Parallel()
			var proto atomic.Value
			s := newConnServer(t, useTLS, func(w http.ResponseWriter, r *http.Request) {
				if r.TLS != nil {
					proto.Store(r.TLS.NegotiatedProtocol)
				}
				if r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.ContentLength < 0 || len(r.TransferEncoding) > 0 {
					w.WriteHeader(400)
					return
				}
				echo(w, r)
			})
			tr := transportFor(s)
			c := &http.Client{Transport: tr, CheckRedirect: NoRedirect}
			for i := range 5 {
				body := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i*1000))
				status, got, err := post(t.Context(), c, s.URL+"/hook?x=1", body)
				if err != nil || status != 200 || got != body {
					t.Fatalf("request %d: %d %q %v", i, status, got, err)
				}
			}
			if n := s.accepted.Load(); n != 1 {
				t.Fatalf("%d connections for 5 requests in turn, want 1", n)
			}
			if useTLS && proto.Load() != "http/1.1" {
				t.Fatalf("ALPN protocol %q, want http/1.1", proto.Load())
			}
			if n := tr.idleCount(); n != 1 {
				t.Fatalf("%d idle connections, want 1", n)
			}
			tr.CloseIdleConnections()
			eventually(t, func() bool { return s.open.Load() == 0 })
		})
	}
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
	}
}

// TestTransportServerCloses: a server that closes the connection after
// each answer (Connection: close) gets each request on a new connection,
// and each succeeds; nothing is kept idle.
func TestTransportServerCloses(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		echo(w, r)
	})
	tr := transportFor(s)
	c := &http.Client{Transport: tr}
	for i := range 3 {
		if status, got, err := post(t.Context(), c, s.URL, "hi"); err != nil || status != 200 || got != "hi" {
			t.Fatalf("request %d: %d %q %v", i, status, got, err)
		}
	}
	if n := s.accepted.Load(); n != 3 {
		t.Fatalf("%d connections, want 3", n)
	}
	if n := tr.idleCount(); n != 0 {
		t.Fatalf("%d idle connections after Connection: close, want 0", n)
	}
}

// TestTransportClosedWhileIdle: a kept-alive connection the server closed
// while it was idle is not used again: the next request goes out on a new
// connection and succeeds.
func TestTransportClosedWhileIdle(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, echo)
	tr := transportFor(s)
	c := &http.Client{Transport: tr}
	if _, _, err := post(t.Context(), c, s.URL, "a"); err != nil {
		t.Fatal(err)
	}
	s.CloseClientConnections()
	// Wait until the close has reached the idle connection.
	eventually(t, func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for _, cs := range tr.idle {
			for _, cn := range cs {
				return !cn.open()
			}
		}
		return true
	})
	if status, got, err := post(t.Context(), c, s.URL, "b"); err != nil || status != 200 || got != "b" {
		t.Fatalf("after the server closed the idle connection: %d %q %v", status, got, err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}

// TestTransportFraming: chunked answers and answers with a length leave
// the connection reusable; an answer without either is read until the
// server closes; 1xx interim answers are skipped; an answer to a request
// that closes is not kept.
func TestTransportFraming(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			for i := range 3 {
				fmt.Fprintf(w, "part%d;", i)
				w.(http.Flusher).Flush() // no length known: chunked
			}
		case "/early-hints":
			w.Header().Set("Link", "</a.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusCreated)
			io.WriteString(w, "made")
		default:
			echo(w, r)
		}
	})
	c := &http.Client{Transport: transportFor(s)}
	for _, tc := range []struct{ path, body, want string }{
		{"/chunked", "", "part0;part1;part2;"},
		{"/length", "abc", "abc"},
		{"/early-hints", "", "made"},
		{"/chunked", "", "part0;part1;part2;"},
	} {
		if status, got, err := post(t.Context(), c, s.URL+tc.path, tc.body); err != nil || status/100 != 2 || got != tc.want {
			t.Fatalf("%s: %d %q %v, want %q", tc.path, status, got, err, tc.want)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}

	// Read until close: a raw server answering without a length.
	untilClose := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", false)
	tr := &Transport{}
	c = &http.Client{Transport: tr}
	for range 2 {
		if status, got, err := post(t.Context(), c, untilClose, "x"); err != nil || status != 200 || got != "until the end" {
			t.Fatalf("read until close: %d %q %v", status, got, err)
		}
	}
	if n := tr.idleCount(); n != 0 {
		t.Fatalf("%d idle connections after answers read until close, want 0", n)
	}
}

// TestTransportBadHeader: a header that would break the request's framing
// is refused before anything is sent.
func TestTransportBadHeader(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, echo)
	c := &http.Client{Transport: transportFor(s)}
	for _, h := range [][2]string{{"X-A", "1\r\nX-B: 2"}, {"X A", "1"}, {"X-A:", "1"}} {
		req, _ := http.NewRequest(http.MethodPost, s.URL, strings.NewReader("x"))
		req.Header[h[0]] = []string{h[1]}
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			t.Errorf("header %q: %q sent", h[0], h[1])
		}
	}
	if n := s.accepted.Load(); n != 0 {
		t.Fatalf("%d connections made for refused requests", n)
	}
}

// rawServer accepts connections, reads a request and writes answer as it
// is; then it closes the connection, or with hold says nothing more until
// the test ends. It returns the server's URL.
func rawServer(t *testing.T, answer string, hold bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
					return
				}
				io.WriteString(conn, answer)
				if hold {
					<-done
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// TestTransportTimeouts: an answer cut off in its headers or in its body
// by the request's deadline is a timeout (the body's error is the
// context's deadline, as the sender expects), and a cancellation ends a
// request in flight at once: nothing hangs.
func TestTransportTimeouts(t *testing.T) {
	t.Parallel()
	c := &http.Client{Transport: &Transport{}}
	midHeaders := rawServer(t, "HTTP/1.1 200 OK\r\nX-A: 1\r\n", true)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, _, err := post(ctx, c, midHeaders, "x")
	if err == nil || classify(err) != hookd.ClassTimeout {
		t.Fatalf("mid-headers: %v (class %q), want a timeout", err, classify(err))
	}

	midBody := rawServer(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nsome of it", true)
	ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	status, got, err := post(ctx, c, midBody, "x")
	if status != 200 || got != "some of it" || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("mid-body: %d %q %v, want 200, the part sent and the deadline", status, got, err)
	}

	// Cancellation (the engine's shutdown) while the answer is awaited.
	ctx, cancelNow := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, c, rawServer(t, "", true), "x")
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // most likely in flight by now; either way it must end
	cancelNow()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled request: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a canceled request still hangs")
	}
}

// TestTransportTLSUnknownAuthority: a certificate from an authority the
// client does not trust fails the attempt with class tls.
func TestTransportTLSUnknownAuthority(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, true, echo)
	c := &http.Client{Transport: &Transport{}} // the system's roots
	_, _, err := post(t.Context(), c, s.URL, "x")
	if err == nil || classify(err) != hookd.ClassTLS {
		t.Fatalf("%v (class %q), want class tls", err, classify(err))
	}
}

// TestTransportBlocked: through serve's dialer, a target the egress guard
// refuses is refused before any connection (class blocked).
func TestTransportBlocked(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, echo)
	guard, err := egress.New("")
	if err != nil {
		t.Fatal(err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: guard.Control}
	c := &http.Client{Transport: &Transport{DialContext: dialer.DialContext}}
	_, _, err = post(t.Context(), c, s.URL, "x")
	if !errors.Is(err, hookd.ErrBlocked) || classify(err) != hookd.ClassBlocked {
		t.Fatalf("%v (class %q), want class blocked", err, classify(err))
	}
	time.Sleep(50 * time.Millisecond)
	if n := s.accepted.Load(); n != 0 {
		t.Fatalf("a refused target accepted %d connections", n)
	}
}

// TestTransportIdleBound: many requests at once open as many connections;
// once answered, no more than MaxIdlePerHost stay open, and the next
// requests reuse those. The default bound keeps more connections to one
// host than several endpoints there have requests at once (300 here, past
// the 256 of before, which made 10 endpoints on one host redial).
func TestTransportIdleBound(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ n, bound, kept int }{{16, 3, 3}, {300, 0, 300}} {
		t.Run(fmt.Sprintf("%d-at-once-bound-%d", tc.n, tc.bound), func(t *testing.T) {
			t.Parallel()
			n := tc.n
			var arrived sync.WaitGroup
			arrived.Add(n)
			all := make(chan struct{})
			go func() { arrived.Wait(); close(all) }()
			var first atomic.Int64
			s := newConnServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				if first.Add(1) <= int64(n) {
					arrived.Done()
					<-all // hold until all n are in flight, each on its own connection
				}
				echo(w, r)
			})
			tr := transportFor(s)
			tr.MaxIdlePerHost = tc.bound
			c := &http.Client{Transport: tr}
			var wg sync.WaitGroup
			errs := make(chan error, n)
			for range n {
				wg.Go(func() {
					if _, _, err := post(t.Context(), c, s.URL, "x"); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if got := s.accepted.Load(); got != int64(n) {
				t.Fatalf("%d connections for %d requests at once, want %d", got, n, n)
			}
			if got := tr.idleCount(); got != tc.kept {
				t.Fatalf("%d idle connections, want %d", got, tc.kept)
			}
			eventually(t, func() bool { return s.open.Load() == int64(tc.kept) })
			for range 2 * tc.kept {
				if _, _, err := post(t.Context(), c, s.URL, "x"); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.accepted.Load(); got != int64(n) {
				t.Fatalf("%d connections after requests in turn, want still %d", got, n)
			}
		})
	}
}

// TestTransportIdleTimeout: a connection idle longer than IdleTimeout is
// closed.
func TestTransportIdleTimeout(t *testing.T) {
	t.Parallel()
	s := newConnServer(t, false, echo)
	tr := transportFor(s)
	tr.IdleTimeout = 50 * time.Millisecond
	c := &http.Client{Transport: tr}
	if _, _, err := post(t.Context(), c, s.URL, "x"); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { return s.open.Load() == 0 && tr.idleCount() == 0 })
}

// BenchmarkTransport: a 1 KB webhook POSTed over a kept-alive connection
// to a loopback server in this process (whose work is in the figures too),
// by Go's http.Transport and by the deliveries' Transport, 32 at a time.
func BenchmarkTransport(b *testing.B) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer s.Close()
	body := strings.Repeat("x", 1024)
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"net-http", &http.Transport{MaxIdleConnsPerHost: 256, ForceAttemptHTTP2: true}},
		{"delivery", &Transport{}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := &http.Client{Transport: tc.rt, CheckRedirect: NoRedirect}
			b.ReportAllocs()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/hook", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Webhook-Id", "msg_2k3j4h5g6f7d8s9a")
					resp, err := c.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					cancel()
				}
			})
			c.CloseIdleConnections()
		})
	}
}

// BenchmarkSend: one attempt's request as the engine makes it (body,
// headers and signature of a 1 KB event in the standard profile, the
// request, the answer's excerpt) and its observation, 32 at a time, to a
// loopback server in this process.
func BenchmarkSend(b *testing.B) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer s.Close()
	reg := profile.New(nil)
	prof, err := reg.Get("standard")
	if err != nil {
		b.Fatal(err)
	}
	secret, _ := profile.Standard{}.NewSecret()
	ep := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: s.URL + "/hook", Profile: "standard", Secrets: []hookd.Secret{{Value: secret}}}
	payload := []byte(`{"pad":"` + strings.Repeat("x", 1024-10) + `"}`)
	ev := &hookd.Event{ID: "f8752072-cef2-4056-9ff0-d5d2aa1e4558", TenantID: "t", Type: "payment.created", Payload: payload, CreatedAt: time.Now()}
	cfg := Config{Profiles: reg.Get, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	cfg.defaults()
	e := &Engine{cfg: cfg, log: cfg.Logger, ctx: context.Background()}
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			j := &job{d: &hookd.Delivery{ID: "dlv_01HKRZ8V3Q9W6T2M4N5P7R8S0A", TenantID: "t", EndpointID: "ep"}, ev: ev}
			now := time.Now()
			a := &hookd.Attempt{DeliveryID: j.d.ID, N: 1, At: now}
			status, _, err := e.send(prof, ep, j, 1, now, 15*time.Second, a)
			if err != nil || status != http.StatusNoContent {
				b.Fatal(status, err)
			}
			e.observeAttempt(ep, prof, j, a, &hookd.Result{Attempt: a, State: hookd.StateSucceeded, At: time.Now()}, now)
		}
	})
}

// TestTransportTargets: the parsed URLs kept for post stay within their
// bound, and a URL the transport cannot send to is refused.
func TestTransportTargets(t *testing.T) {
	t.Parallel()
	tr := &Transport{}
	for i := range maxTargets + 10 {
		if _, err := tr.target(fmt.Sprintf("http://127.0.0.1:9/hook/%d?a=b", i)); err != nil {
			t.Fatal(err)
		}
		if n := tr.ntargets.Load(); n > maxTargets {
			t.Fatalf("%d targets kept, bound %d", n, maxTargets)
		}
	}
	tg, err := tr.target("https://[::1]/x?y=1")
	if err != nil || tg.key != (hostKey{tls: true, addr: "[::1]:443"}) || tg.uri != "/x?y=1" || tg.host != "[::1]" || tg.name != "::1" {
		t.Fatalf("target %+v %v", tg, err)
	}
	if _, err := tr.target("ftp://127.0.0.1/"); err == nil {
		t.Fatal("an ftp URL was accepted")
	}
}

// TestReadExcerpt: the excerpt is the answer's first ResponseExcerptLimit
// bytes, the rest is read up to the drain bound, and a read error is
// returned with what came before it.
func TestReadExcerpt(t *testing.T) {
	t.Parallel()
	limit := hookd.ResponseExcerptLimit
	for _, tc := range []struct {
		size, drain int
		wantLeft    int
	}{{0, 100, 0}, {10, 100, 0}, {limit, 100, 0}, {limit + 50, 100, 0}, {limit + 500, 100, 400}} {
		r := strings.NewReader(strings.Repeat("a", tc.size))
		got, err := readExcerpt(r, int64(tc.drain))
		if err != nil || len(got) != min(tc.size, limit) || r.Len() != tc.wantLeft {
			t.Errorf("size %d: excerpt %d bytes, %d left, %v; want %d, %d", tc.size, len(got), r.Len(), err, min(tc.size, limit), tc.wantLeft)
		}
	}
	boom := errors.New("boom")
	got, err := readExcerpt(io.MultiReader(strings.NewReader("part"), iotest.ErrReader(boom)), 100)
	if got != "part" || !errors.Is(err, boom) {
		t.Fatalf("%q %v, want the part and the error", got, err)
	}
}

// TestReadExcerptUTF8: the recorded excerpt is valid UTF-8 and at most
// ResponseExcerptLimit bytes, whatever the answer: a character split by
// the cut is left out, other invalid bytes become U+FFFD while room is left.
func TestReadExcerptUTF8(t *testing.T) {
	t.Parallel()
	const limit = hookd.ResponseExcerptLimit
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct {
		name, body, want string
	}{
		{"short", "ok", "ok"},
		{"exactly the limit", a(limit), a(limit)},
		{"longer", a(limit + 10), a(limit)},
		{"2-byte character cut", a(limit-1) + "é" + a(10), a(limit - 1)},
		{"3-byte character cut after 1", a(limit-1) + "€" + a(10), a(limit - 1)},
		{"3-byte character cut after 2", a(limit-2) + "€" + a(10), a(limit - 2)},
		{"4-byte character cut after 3", a(limit-3) + "😀" + a(10), a(limit - 3)},
		{"character ending at the limit", a(limit-3) + "€" + a(10), a(limit-3) + "€"},
		{"invalid byte in a short answer", "a\xffb", "a\uFFFDb"},
		{"a run of invalid bytes is one U+FFFD", "a\xff\xfe\xfdb", "a\uFFFDb"},
		{"answer ending inside a character", "ab\xe2\x82", "ab\uFFFD"},
		{"valid U+FFFD kept", "a\uFFFDb", "a\uFFFDb"},
		{"invalid bytes to the limit", strings.Repeat("\xffa", limit), strings.Repeat("\uFFFDa", limit/4)},
		{"invalid bytes then a cut character", "\xff" + a(limit-2) + "€", "\uFFFD" + a(limit-3)},
		// NUL is valid UTF-8 but no text PostgreSQL stores.
		{"NUL", "bad\x00body", "bad\uFFFDbody"},
		{"NUL beside an invalid byte", "a\x00\xffb", "a\uFFFDb"},
	} {
		for _, r := range []io.Reader{strings.NewReader(c.body), iotest.OneByteReader(strings.NewReader(c.body))} {
			got, err := readExcerpt(r, 1<<20)
			if err != nil || got != c.want || len(got) > limit || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
				t.Errorf("%s: %d bytes %q... (%v), want %d bytes %q...", c.name, len(got), got[:min(len(got), 12)], err,
					len(c.want), c.want[:min(len(c.want), 12)])
			}
		}
	}
}

// BenchmarkRequestHead: an attempt's headers set (standard profile, one
// secret, a 1 KB event) and its request written into a buffer, as send
// and Transport.do do, without the network.
func BenchmarkRequestHead(b *testing.B) {
	reg := profile.New(nil)
	prof, err := reg.Get("standard")
	if err != nil {
		b.Fatal(err)
	}
	secret, _ := profile.Standard{}.NewSecret()
	ep := &hookd.Endpoint{ID: "ep", TenantID: "t", URL: "http://127.0.0.1:9/hook", Profile: "standard", Secrets: []hookd.Secret{{Value: secret}}}
	payload := []byte(`{"pad":"` + strings.Repeat("x", 1024-10) + `"}`)
	ev := &hookd.Event{ID: "f8752072-cef2-4056-9ff0-d5d2aa1e4558", TenantID: "t", Type: "payment.created", Payload: payload, CreatedAt: time.Now()}
	body, err := prof.Body(ev)
	if err != nil {
		b.Fatal(err)
	}
	tg, err := (&Transport{}).target(ep.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		h := headers.Get().(http.Header)
		ep.SetRequestHeaders(h, prof, &hookd.Message{Event: ev, DeliveryID: "dlv_01HKRZ8V3Q9W6T2M4N5P7R8S0A", Attempt: 1, At: time.Now()}, body)
		bp := bufs.Get().(*[]byte)
		if *bp, err = appendRequest((*bp)[:0], http.MethodPost, tg, h, body, false); err != nil {
			b.Fatal(err)
		}
		putBuf(bp)
		clear(h)
		headers.Put(h)
	}
}
