package main

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSourceSurvivesKill: a Lean webhook (signed here with Lean's recipe)
// sent to a source made with the CLI is answered 200; hookd is killed with
// SIGKILL before it could relay it (the endpoint fails until then); after
// a restart on the same file it is relayed, a replay of it is a duplicate,
// and the metric counts both.
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
		m := hmac.New(sha512.New, []byte(secret))
		m.Write([]byte(body))
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("lean-signature", "sha512="+hex.EncodeToString(m.Sum(nil)))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
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
	var errs struct {
		Data []struct{ Reason string } `json:"data"`
	}
	env2 := cleanEnv("HOOKD_URL="+p2.url, "HOOKD_TOKEN="+tok, "HOOKD_TENANT=acme")
	cliJSON(t, env2, &errs, "source", "errors", src.ID)
	if len(errs.Data) != 1 || !strings.Contains(errs.Data[0].Reason, "lean-signature") {
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
