package delivery

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Transport is the HTTP/1.1 http.RoundTripper of deliveries. Unlike
// http.Transport it runs no goroutine per connection: the request (headers
// and body) is written in one write and the response read on the calling
// goroutine, and a connection waits in a per-host pool of idle kept-alive
// connections between requests. It is made for what a webhook is: a POST
// with a body of known length, no proxy, no redirects, no compression, no
// HTTP/2. Use it through an http.Client whose CheckRedirect is NoRedirect.
//
// Deadlines come from the request's context: its deadline is the
// connection's, and a cancellation expires the connection's deadline, so a
// hanging endpoint is cut off in the middle of the headers or of the body.
// A connection goes back to the pool only when its response was read to
// the end and neither side asked to close it.
type Transport struct {
	// DialContext makes connections (serve's checks every address with the
	// egress guard before connecting); nil means a net.Dialer's.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is cloned for each TLS connection, with the URL's host
	// as ServerName unless set, and ALPN "http/1.1". Nil means the defaults:
	// the system's roots.
	TLSClientConfig     *tls.Config
	TLSHandshakeTimeout time.Duration // 10 s
	// MaxIdlePerHost bounds the idle connections kept per host
	// (DefaultMaxIdlePerHost); more are closed when their response ends.
	MaxIdlePerHost int
	// IdleTimeout closes a connection idle this long (90 s).
	IdleTimeout time.Duration
	// MaxResponseHeaderBytes bounds a response's status line and headers
	// (1 MiB).
	MaxResponseHeaderBytes int64

	once     sync.Once
	tlsConf  *tls.Config
	targets  sync.Map // URL → *target
	ntargets atomic.Int32
	mu       sync.Mutex
	idle     map[hostKey][]*conn
	sweeper  *time.Timer // armed while connections are idle
}

// DefaultMaxIdlePerHost is the default bound on the idle connections kept
// per host. The idle connections are never more than the requests that
// were in flight at once (and those idle longer than IdleTimeout close), so
// the bound only matters for hosts with more requests at once than it: for
// those, every response past it closes its connection and a later request
// dials a new one. Endpoints share a host often (one receiver, several
// paths), each with up to Config.MaxInFlight requests at once: 4096 keeps
// the connections of 64 endpoints on one host at the default 64 in flight.
// (At 256, 10 endpoints on one host redialled for one delivery in 18.)
const DefaultMaxIdlePerHost = 4096

type hostKey struct {
	tls  bool
	addr string // host:port
}

// conn is one connection, owned by one request at a time or idle in the
// pool.
type conn struct {
	t      *Transport
	key    hostKey
	nc     net.Conn        // the TLS connection for https
	rc     syscall.RawConn // the TCP connection under it
	peekFn func(fd uintptr) bool
	peeked bool
	lr     limitedReader
	br     *bufio.Reader
	idleAt time.Time
}

// limitedReader bounds what the response's headers may read; the body is
// bounded by the attempt's deadline and the reader of the body.
type limitedReader struct {
	r io.Reader
	n int64
}

var errHeaderTooLong = errors.New("response headers too long")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errHeaderTooLong
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func (t *Transport) init() {
	t.once.Do(func() {
		if t.DialContext == nil {
			d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
			t.DialContext = d.DialContext
		}
		if t.TLSClientConfig != nil {
			t.tlsConf = t.TLSClientConfig.Clone()
		} else {
			t.tlsConf = &tls.Config{}
		}
		t.tlsConf.NextProtos = []string{"http/1.1"}
		if t.tlsConf.ClientSessionCache == nil {
			t.tlsConf.ClientSessionCache = tls.NewLRUClientSessionCache(0)
		}
		setDefault(&t.TLSHandshakeTimeout, 10*time.Second)
		setDefault(&t.MaxIdlePerHost, DefaultMaxIdlePerHost)
		setDefault(&t.IdleTimeout, 90*time.Second)
		setDefault(&t.MaxResponseHeaderBytes, 1<<20)
		t.idle = make(map[hostKey][]*conn)
	})
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.init()
	tg, err := newTarget(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if req.Host != "" {
		tg.host = req.Host
	}
	payload, err := requestBody(req)
	if err != nil {
		return nil, err
	}
	ctx := req.Context()
	deadline, _ := ctx.Deadline()
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	return t.do(ctx, deadline, tg, method, req.Header, payload, req.Close || hasClose(req.Header), req)
}

// post sends a webhook: body POSTed to rawURL with header h, cut off at
// deadline or when ctx ends. It is RoundTrip without an http.Request, an
// http.Client and a context for the deadline; the URL's parse is kept.
func (t *Transport) post(ctx context.Context, deadline time.Time, rawURL string, h http.Header, body []byte) (*http.Response, error) {
	t.init()
	tg, err := t.target(rawURL)
	if err != nil {
		return nil, err
	}
	return t.do(ctx, deadline, tg, http.MethodPost, h, body, hasClose(h), nil)
}

// do makes one request on a kept-alive or new connection; req, when not
// nil, is the response's Request.
func (t *Transport) do(ctx context.Context, deadline time.Time, tg *target, method string, h http.Header, payload []byte, closing bool, req *http.Request) (*http.Response, error) {
	bp := bufs.Get().(*[]byte)
	defer putBuf(bp)
	var err error
	*bp, err = appendRequest((*bp)[:0], method, tg, h, payload, closing)
	if err != nil {
		return nil, err
	}
	c, err := t.conn(ctx, deadline, tg)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, c.expire)
	}
	_, err = c.nc.Write(*bp)
	var resp *http.Response
	if err == nil {
		resp, err = c.readResponse(req)
	}
	if err != nil {
		if stop != nil {
			stop()
		}
		c.close()
		return nil, ctxErr(ctx, err)
	}
	reuse := !resp.Close && !closing && resp.StatusCode != http.StatusSwitchingProtocols
	b := &body{c: c, rc: resp.Body, ctx: ctx, stop: stop, reuse: reuse}
	if resp.Body == http.NoBody {
		b.finish(true)
		return resp, nil
	}
	resp.Body = b
	return resp, nil
}

// target is where a request goes and how its head names it.
type target struct {
	key  hostKey
	name string // the host's name, for TLS
	host string // the Host header
	uri  string // the request target
}

func newTarget(u *url.URL) (*target, error) {
	tg := &target{name: u.Hostname(), host: u.Host, uri: u.RequestURI()}
	switch u.Scheme {
	case "http":
		tg.key.addr = hostPort(u.Host, u.Port(), "80")
	case "https":
		tg.key.tls, tg.key.addr = true, hostPort(u.Host, u.Port(), "443")
	default:
		return nil, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	return tg, nil
}

// maxTargets bounds the parsed URLs kept; past it they are parsed anew.
const maxTargets = 4096

// target returns the parsed rawURL, parsed once.
func (t *Transport) target(rawURL string) (*target, error) {
	if v, ok := t.targets.Load(rawURL); ok {
		return v.(*target), nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	tg, err := newTarget(u)
	if err != nil {
		return nil, err
	}
	if t.ntargets.Add(1) > maxTargets {
		t.targets.Clear()
		t.ntargets.Store(1)
	}
	t.targets.Store(rawURL, tg)
	return tg, nil
}

// readResponse reads the response to req, skipping interim (1xx) ones.
// For a webhook (req nil) a simple answer is read by quickResponse.
func (c *conn) readResponse(req *http.Request) (*http.Response, error) {
	c.lr.n = c.t.MaxResponseHeaderBytes
	if req == nil {
		resp, err := quickResponse(c.br, c.t.MaxResponseHeaderBytes)
		if err != nil {
			return nil, err
		}
		if resp != nil {
			c.lr.n = 1<<63 - 1
			return resp, nil
		}
	}
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols || resp.StatusCode < 100 {
			c.lr.n = 1<<63 - 1
			return resp, nil
		}
	}
}

// conn returns an idle connection to tg that is still open, or dials one,
// with deadline as its deadline.
func (t *Transport) conn(ctx context.Context, deadline time.Time, tg *target) (*conn, error) {
	for {
		t.mu.Lock()
		cs := t.idle[tg.key]
		var c *conn
		if n := len(cs); n > 0 {
			c = cs[n-1]
			cs[n-1] = nil
			t.idle[tg.key] = cs[:n-1]
		}
		t.mu.Unlock()
		if c == nil {
			break
		}
		if time.Since(c.idleAt) < t.IdleTimeout && c.nc.SetDeadline(deadline) == nil && c.open() {
			return c, nil
		}
		c.close()
	}
	return t.dial(ctx, deadline, tg)
}

func (t *Transport) dial(ctx context.Context, deadline time.Time, tg *target) (*conn, error) {
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	raw, err := t.DialContext(ctx, "tcp", tg.key.addr)
	if err != nil {
		return nil, err
	}
	c := &conn{t: t, key: tg.key, nc: raw}
	if sc, ok := raw.(syscall.Conn); ok {
		c.rc, _ = sc.SyscallConn()
		c.peekFn = c.peek
	}
	if tg.key.tls {
		cfg := t.tlsConf.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = tg.name
		}
		tc := tls.Client(raw, cfg)
		hctx, cancel := context.WithTimeout(ctx, t.TLSHandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			raw.Close()
			return nil, err
		}
		c.nc = tc
	}
	if err := c.nc.SetDeadline(deadline); err != nil {
		c.close()
		return nil, err
	}
	c.lr.r = c.nc
	c.br = bufio.NewReaderSize(&c.lr, 4096)
	return c, nil
}

// expire wakes whatever waits on the connection (its request's context
// ended).
func (c *conn) expire() { c.nc.SetDeadline(aLongTimeAgo) }

// open reports whether an idle connection is still usable: nothing has
// arrived on it since its last response (a close, an alert, stray bytes),
// asked of the socket without blocking.
func (c *conn) open() bool {
	if c.rc == nil {
		return true
	}
	c.peeked = false
	return c.rc.Read(c.peekFn) == nil && c.peeked
}

// peek is open's look at the socket; peeked is true when nothing is there.
func (c *conn) peek(fd uintptr) bool {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	c.peeked = err == syscall.EAGAIN
	return true
}

func (c *conn) close() { c.nc.Close() }

// put returns a connection whose response was read to its end to the
// pool, or closes it when the host has enough idle ones.
func (t *Transport) put(c *conn) {
	if c.br.Buffered() > 0 { // bytes past the response: not a clean connection
		c.close()
		return
	}
	c.idleAt = time.Now()
	t.mu.Lock()
	cs := t.idle[c.key]
	if len(cs) >= t.MaxIdlePerHost {
		t.mu.Unlock()
		c.close()
		return
	}
	t.idle[c.key] = append(cs, c)
	if t.sweeper == nil {
		t.sweeper = time.AfterFunc(t.IdleTimeout, t.sweep)
	}
	t.mu.Unlock()
}

// sweep closes the connections idle longer than IdleTimeout and runs
// again while any are left.
func (t *Transport) sweep() {
	var expired []*conn
	t.mu.Lock()
	now := time.Now()
	next := time.Duration(0)
	for k, cs := range t.idle {
		kept := cs[:0]
		for _, c := range cs {
			if left := t.IdleTimeout - now.Sub(c.idleAt); left > 0 {
				kept = append(kept, c)
				if next == 0 || left < next {
					next = left
				}
			} else {
				expired = append(expired, c)
			}
		}
		clear(cs[len(kept):])
		if len(kept) == 0 {
			delete(t.idle, k)
		} else {
			t.idle[k] = kept
		}
	}
	if next > 0 {
		t.sweeper.Reset(next)
	} else {
		t.sweeper = nil
	}
	t.mu.Unlock()
	for _, c := range expired {
		c.close()
	}
}

// CloseIdleConnections closes the idle connections (http.Client's method
// of the same name calls it).
func (t *Transport) CloseIdleConnections() {
	t.init()
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[hostKey][]*conn)
	t.mu.Unlock()
	for _, cs := range idle {
		for _, c := range cs {
			c.close()
		}
	}
}

// idleCount returns how many connections wait in the pool.
func (t *Transport) idleCount() int {
	t.init()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, cs := range t.idle {
		n += len(cs)
	}
	return n
}

// body is a response body: at its end the connection goes back to the
// pool; closed before its end, or on an error, the connection is closed.
type body struct {
	c     *conn
	rc    io.ReadCloser
	ctx   context.Context
	stop  func() bool
	reuse bool
	done  bool
	err   error
}

var errBodyClosed = errors.New("read on a closed response body")

func (b *body) Read(p []byte) (int, error) {
	if b.done {
		return 0, b.err
	}
	n, err := b.rc.Read(p)
	switch {
	case err == io.EOF:
		b.err = io.EOF
		b.finish(true)
	case err != nil:
		b.err = ctxErr(b.ctx, err)
		b.finish(false)
		err = b.err
	}
	return n, err
}

func (b *body) Close() error {
	if !b.done {
		b.err = errBodyClosed
		b.finish(false)
	}
	return nil
}

// finish hands the connection back: to the pool when the body ended, the
// connection may be kept and the context's watch was stopped before it
// fired (else its deadline may be expired), or else closed.
func (b *body) finish(eof bool) {
	b.done = true
	stopped := b.stop == nil || b.stop()
	if eof && b.reuse && stopped {
		b.c.t.put(b.c)
	} else {
		b.c.close()
	}
	b.c = nil
}

// bufs holds the buffers requests are written from.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func putBuf(bp *[]byte) {
	if cap(*bp) <= 64<<10 { // one large body is not kept
		bufs.Put(bp)
	}
}

// aLongTimeAgo is a deadline already past: it wakes a blocked read or write
// at once.
var aLongTimeAgo = time.Unix(1, 0)

// ctxErr reports an error of a request whose context ended as the
// context's error, as http.Transport does; a connection deadline that
// passed (it is the context's) is the context's deadline.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return err
}

func hostPort(host, port, def string) string {
	if port != "" {
		return host
	}
	h := host
	if len(h) > 1 && h[0] == '[' && h[len(h)-1] == ']' {
		h = h[1 : len(h)-1]
	}
	return net.JoinHostPort(h, def)
}

// hasClose reports whether h asks to close the connection.
func hasClose(h http.Header) bool {
	for _, v := range h["Connection"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "close") {
				return true
			}
		}
	}
	return false
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// requestBody reads the request's body (a delivery's is in memory), so
// that it goes out with the headers in one write, with its length.
func requestBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	if req.ContentLength > 0 {
		b := make([]byte, req.ContentLength)
		if _, err := io.ReadFull(req.Body, b); err != nil {
			return nil, fmt.Errorf("reading the request body: %w", err)
		}
		return b, nil
	}
	return io.ReadAll(req.Body)
}

// appendRequest appends an HTTP/1.1 request to tg with header h and body,
// its headers in sorted order. It refuses a header that would break the
// framing.
func appendRequest(b []byte, method string, tg *target, h http.Header, body []byte, closing bool) ([]byte, error) {
	if !validValue(tg.host) {
		return b, fmt.Errorf("invalid Host %q", tg.host)
	}
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, tg.uri...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, tg.host...)
	b = append(b, "\r\n"...)
	var arr [16]string
	keys := arr[:0]
	for k := range h {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Trailer": // written here
		default:
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !validName(k) {
			return b, fmt.Errorf("invalid header name %q", k)
		}
		for _, v := range h[k] {
			if !validValue(v) {
				return b, fmt.Errorf("invalid value of header %s", k)
			}
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if closing && h["Connection"] == nil {
		b = append(b, "Connection: close\r\n"...)
	}
	if body != nil || method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...), nil
}

// validName reports whether s is an RFC 9110 token.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c < 0x80 && c > ' ' && c != 0x7f && !isSeparator(c):
		default:
			return false
		}
	}
	return true
}

func isSeparator(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '@', ',', ';', ':', '\\', '"', '/', '[', ']', '?', '=', '{', '}':
		return true
	}
	return false
}

// validValue reports whether s holds no control character but tab (so no
// line break that would end the header early).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
