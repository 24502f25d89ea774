package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// lines returns the JSON log records with the message msg.
func jsonLines(t *testing.T, s *syncBuffer, msg string) []map[string]any {
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Bytes())
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// TestAttemptLogs: with --log-format json, a failed attempt is one warn
// line with the constant keys, a successful one a debug line.
func TestAttemptLogs(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	logs := &syncBuffer{}
	dir := t.TempDir()
	c := &Config{DB: "sqlite:" + filepath.Join(dir, "hookd.db"), Addr: "127.0.0.1:0", EgressAllow: "127.0.0.0/8",
		AdminToken: testAdmin, AllowUnknownTypes: true, DrainTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond,
		clock: clock}
	a0, err := start(context.Background(), c, newLogger(logs, "debug", "json"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a0.stop() })
	a := &testApp{app: a0, url: "http://" + a0.ln.Addr().String()}
	tok := a.tenant(t, "l")
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(204)
	})
	ep := a.endpoint(t, "l", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "retry_schedule": []float64{1}})
	var pub struct{ Deliveries []struct{ ID string } }
	a.must(t, 202, "POST", "/v1/tenants/l/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{}}, &pub)
	rc.wait(t, 10*time.Second)
	eventually(t, 10*time.Second, "the first attempt logged", func() bool { return len(jsonLines(t, logs, "attempt")) == 1 })
	clock.Add(2 * time.Second) // the retry is due
	rc.wait(t, 10*time.Second)
	var recs []map[string]any
	eventually(t, 10*time.Second, "two attempt lines", func() bool {
		recs = jsonLines(t, logs, "attempt")
		return len(recs) == 2
	})
	for i, want := range []struct {
		level, outcome string
		status         float64
	}{{"WARN", "http_5xx", 503}, {"DEBUG", "success", 204}} {
		r := recs[i]
		if r["level"] != want.level || r["tenant"] != "l" || r["endpoint"] != ep.ID || r["delivery"] != pub.Deliveries[0].ID ||
			r["attempt"] != float64(i+1) || r["outcome"] != want.outcome || r["status"] != want.status {
			t.Errorf("attempt %d logged %v, want level %s outcome %s status %v", i+1, r, want.level, want.outcome, want.status)
		}
	}
}

// TestObserveFlagsChecked: a bad log, debug or tracing flag stops serve
// with an error naming it.
func TestObserveFlagsChecked(t *testing.T) {
	for _, args := range [][]string{{"--log-format", "xml"}, {"--log-level", "loud"}, {"--debug-addr", "nowhere"},
		{"--otel-endpoint", "ftp://127.0.0.1:4318"}, {"--otel-sample", "2", "--otel-endpoint", "http://127.0.0.1:4318"}} {
		err := runServe(context.Background(), append(args, "--addr", "127.0.0.1:0", "--db", "sqlite:"+filepath.Join(t.TempDir(), "x.db")))
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("serve %v: error %v, want one naming %s", args, err, args[0])
		}
	}
	if err := checkLogging("warn", "json"); err != nil {
		t.Errorf("warn/json refused: %v", err)
	}
}

func TestDebugAddr(t *testing.T) {
	for in, want := range map[string]string{
		"6060": "127.0.0.1:6060", ":6060": "127.0.0.1:6060", "0.0.0.0:6060": "0.0.0.0:6060",
		"[::1]:7000": "[::1]:7000", "localhost:6060": "localhost:6060",
	} {
		if got, err := debugAddr(in); err != nil || got != want {
			t.Errorf("debugAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"abc", "127.0.0.1", "host:port", "70000"} {
		if got, err := debugAddr(bad); err == nil || !strings.Contains(err.Error(), "--debug-addr") {
			t.Errorf("debugAddr(%q) = %q, %v; want an error naming --debug-addr", bad, got, err)
		}
	}
}

// TestDebugServer: --debug-addr serves pprof and expvar on loopback, on
// its own listener; the API address serves neither.
func TestDebugServer(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.DebugAddr = "0" })
	addr := a.debug.ln.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() {
		t.Fatalf("debug server on %s, want loopback", addr)
	}
	get := func(url string) (int, string) {
		t.Helper()
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	dbg := "http://" + addr.String()
	if code, body := get(dbg + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("pprof index: %d %.200s", code, body)
	}
	if code, body := get(dbg + "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("goroutine profile: %d %.200s", code, body)
	}
	code, body := get(dbg + "/debug/vars")
	var vars map[string]json.RawMessage
	if code != 200 || json.Unmarshal([]byte(body), &vars) != nil || vars["memstats"] == nil {
		t.Errorf("expvar: %d %.200s", code, body)
	}
	for _, p := range []string{"/debug/pprof/", "/debug/vars"} {
		if code, _ := get(a.url + p); code != 404 {
			t.Errorf("API address serves %s: %d", p, code)
		}
	}
	// Off by default.
	if b := startApp(t, nil); b.debug != nil {
		t.Errorf("a debug server without --debug-addr")
	}
}

// readyz returns /readyz's status and body.
func (a *testApp) readyz(t *testing.T) (int, map[string]string) {
	t.Helper()
	var body map[string]string
	code := call(t, "GET", a.url+"/readyz", "", nil, &body)
	return code, body
}

// TestReadyzStoreUnreachable: /readyz fails with the reason once the store
// does not answer; /healthz, liveness only, still succeeds.
func TestReadyzStoreUnreachable(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	if code, body := a.readyz(t); code != 200 || body["status"] != "ready" {
		t.Fatalf("readyz %d %v, want 200 ready", code, body)
	}
	a.store.Close()
	code, body := a.readyz(t)
	if code != 503 || body["status"] != "unavailable" || !strings.Contains(body["reason"], "storage unreachable") {
		t.Errorf("readyz with the store closed: %d %v, want 503 with the reason", code, body)
	}
	a.must(t, 200, "GET", "/healthz", "", nil, nil)
	if v := a.scrape(t).value("hookd_ready"); v != 0 {
		t.Errorf("hookd_ready %v with the store closed, want 0", v)
	}
}

// TestReadyzWriterStuck: while another session holds a lock the group
// commit waits for, /readyz says the writer is stuck; once the lock is
// released the publish completes and /readyz is ready again.
func TestReadyzWriterStuck(t *testing.T) {
	t.Parallel()
	db := testPostgres(t)
	a := startApp(t, func(c *Config) { c.DB, c.DataKey, c.StuckAfter = db, randomKey(), 300*time.Millisecond })
	tok := a.tenant(t, "w")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE events IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	published := make(chan int, 1)
	go func() {
		published <- call(t, "POST", a.url+"/v1/tenants/w/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{}}, nil)
	}()
	var body map[string]string
	eventually(t, 10*time.Second, "readyz reports the stuck writer", func() bool {
		var code int
		code, body = a.readyz(t)
		return code == 503
	})
	if !strings.Contains(body["reason"], "writer stuck") {
		t.Errorf("readyz reason %q, want the stuck writer", body["reason"])
	}
	if s := a.scrape(t); s.value("hookd_ready") != 0 || s.value("hookd_commit_pending_seconds") < 0.3 {
		t.Errorf("metrics while stuck: hookd_ready %v, hookd_commit_pending_seconds %v", s.value("hookd_ready"),
			s.value("hookd_commit_pending_seconds"))
	}
	a.must(t, 200, "GET", "/healthz", "", nil, nil)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if code := <-published; code != 202 {
		t.Errorf("publish after the lock: %d, want 202", code)
	}
	if code, body := a.readyz(t); code != 200 {
		t.Errorf("readyz after the lock: %d %v", code, body)
	}
}
