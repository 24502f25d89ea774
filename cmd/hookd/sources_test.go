package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// TestSourceSurvivesKill: a Lean webhook (signed here with Lean's recipe)
// sent to a source made with the CLI is answered 200; hookd is killed with
// SIGKILL before it could relay it (the endpoint fails until then); after
// a restart on the same file it is relayed, the request as received is
// there, a replay of it is a duplicate (one event, one request that counts
// it), and the metric counts both.
func TestSourceSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "src.db")
	var ok, relayed atomic.Bool
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if !ok.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Header.Get("webhook-id") == "7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f" {
			relayed.Store(true)
		}
		w.WriteHeader(http.StatusOK)
	})
	p := serve(t, "--db", db)
	a := &testApp{url: p.url}
	tok := a.tenant(t, "acme")
	a.endpoint(t, "acme", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "retry_schedule": []string{"1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s", "1s"}})
	env := cleanEnv("HOOKD_URL="+p.url, "HOOKD_TOKEN="+tok, "HOOKD_TENANT=acme")
	var src struct {
		ID        string `json:"id"`
		IngestURL string `json:"ingest_url"`
	}
	cliJSON(t, env, &src, "source", "create", "--name", "lean prod", "--profile", "lean", "--secrets", "lean-secret")
	if !strings.HasPrefix(src.IngestURL, p.url+"/ingest/") {
		t.Fatalf("source %+v", src)
	}
	body := `{"type":"payment.created","message":"A payment was created.","payload":{"id":"0f9c3a4e-7b1d-4c8e-9f2a-6d5b8e1c3a70","amount":1},"timestamp":"2026-01-02T15:04:05Z","event_id":"7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f"}`
	post := func(url, secret string) int {
		t.Helper()
		return postIngest(t, url, []byte(body), http.Header{"Lean-Signature": {leanSign(secret, []byte(body))}})
	}
	if st := post(src.IngestURL, "wrong"); st != http.StatusUnauthorized {
		t.Fatalf("a wrong signature: %d", st)
	}
	if st := post(src.IngestURL, "lean-secret"); st != http.StatusOK {
		t.Fatalf("ingest: %d", st)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p2 := serve(t, "--db", db)
	ok.Store(true)
	url2 := strings.Replace(src.IngestURL, p.url, p2.url, 1)
	deadline := time.Now().Add(60 * time.Second)
	for !relayed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the webhook answered 200 before the kill was never relayed")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st := post(url2, "lean-secret"); st != http.StatusOK {
		t.Fatalf("replay: %d", st)
	}
	var errs []struct{ Reason string }
	env2 := cleanEnv("HOOKD_URL="+p2.url, "HOOKD_TOKEN="+tok, "HOOKD_TENANT=acme")
	// The raw request answered before the kill is there, byte for byte,
	// without the credentials; its replay stored no second request or
	// event, it counts.
	var reqs []struct {
		ID, Verdict, Body string
		EventID           string `json:"event_id"`
		Duplicates        int
		Headers           http.Header
	}
	cliJSON(t, env2, &reqs, "source", "requests", src.ID)
	if len(reqs) != 1 || reqs[0].Body != body || reqs[0].Duplicates != 1 || reqs[0].Verdict == "" ||
		reqs[0].EventID != "7d3e2c1b-0a9f-4e8d-b7c6-5a4b3c2d1e0f" || reqs[0].Headers.Get("Lean-Signature") == "" {
		t.Fatalf("source requests after the kill and a replay: %+v", reqs)
	}
	// One request as received: its fields, then its headers and its body
	// byte for byte.
	if code, out, errOut := cli(t, env2, "source", "request", src.ID, reqs[0].ID); code != 0 ||
		!strings.Contains(out, "\n"+body+"\n") || !strings.Contains(out, "Lean-Signature: sha512=") || !strings.Contains(out, "duplicates") {
		t.Fatalf("source request: exit %d\n%s\n%s", code, out, errOut)
	}
	var events []struct{ ID string }
	cliJSON(t, env2, &events, "event", "list")
	if len(events) != 1 {
		t.Fatalf("%d events after a webhook and its replay, want 1", len(events))
	}
	cliJSON(t, env2, &errs, "source", "errors", src.ID)
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "lean-signature") {
		t.Fatalf("source errors %+v: want the wrong signature", errs)
	}
	if rc.count() == 0 {
		t.Fatal("the receiver saw nothing")
	}
	resp, err := http.Get(p2.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(m), `hookd_ingest_requests_total{profile="lean",result="duplicate"} 1`) {
		t.Fatalf("metrics lack the duplicate ingest:\n%s", grepLines(string(m), "hookd_ingest"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSourceHMACThroughCLI: a GitHub-style source made with the CLI
// (--profile hmac and the scheme's flags) takes a webhook signed here
// with GitHub's recipe and relays it to the tenant's endpoint; a forged
// one gets 401 and an entry in `hookd source errors`; a redelivery is a
// duplicate; the metric counts each under profile="hmac"; `source update`
// changes one field of the scheme and keeps the others.
func TestSourceHMACThroughCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	var relayed atomic.Int32
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		relayed.Add(1)
		w.WriteHeader(http.StatusOK)
	})
	p := serve(t, "--db", "sqlite:"+filepath.Join(t.TempDir(), "hmac.db"))
	a := &testApp{url: p.url}
	tok := a.tenant(t, "acme")
	a.endpoint(t, "acme", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	env := cleanEnv("HOOKD_URL="+p.url, "HOOKD_TOKEN="+tok, "HOOKD_TENANT=acme")
	var src struct {
		ID        string           `json:"id"`
		IngestURL string           `json:"ingest_url"`
		HMAC      hookd.HMACScheme `json:"hmac"`
	}
	cliJSON(t, env, &src, "source", "create", "--name", "github", "--profile", "hmac", "--secrets", "gh-secret",
		"--header", "X-Hub-Signature-256", "--prefix", "sha256=", "--id-header", "X-GitHub-Delivery",
		"--type-header", "X-GitHub-Event", "--type-prefix", "github.")
	if !strings.HasPrefix(src.IngestURL, p.url+"/ingest/") || src.HMAC.Header != "X-Hub-Signature-256" {
		t.Fatalf("source %+v", src)
	}
	body := `{"action":"opened","issue":{"number":7}}`
	post := func(secret, delivery string) int {
		t.Helper()
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return postIngest(t, src.IngestURL, []byte(body), http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(m.Sum(nil))},
			"X-Github-Delivery": {delivery}, "X-Github-Event": {"issues"}})
	}
	if st := post("forged", "d-1"); st != http.StatusUnauthorized {
		t.Fatalf("a forged signature: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st := post("gh-secret", "d-1"); st != http.StatusOK {
			t.Fatalf("ingest %d: %d", i, st)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for relayed.Load() < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the webhook was never relayed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	var errs []struct{ Reason string }
	cliJSON(t, env, &errs, "source", "errors", src.ID)
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "X-Hub-Signature-256 does not match") {
		t.Fatalf("source errors %+v: want the forged signature", errs)
	}
	cliJSON(t, env, &src, "source", "update", src.ID, "--algorithm", "sha512")
	if src.HMAC.Algorithm != "sha512" || src.HMAC.Prefix != "sha256=" || src.HMAC.IDHeader != "X-GitHub-Delivery" {
		t.Fatalf("updated scheme %+v: want sha512 and the rest kept", src.HMAC)
	}
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`hookd_ingest_requests_total{profile="hmac",result="accepted"} 1`,
		`hookd_ingest_requests_total{profile="hmac",result="duplicate"} 1`, `hookd_ingest_requests_total{profile="hmac",result="rejected"} 1`} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(string(m), "hookd_ingest"))
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := relayed.Load(); n != 1 {
		t.Fatalf("relayed %d times, want once", n)
	}
}
