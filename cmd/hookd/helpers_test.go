package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd/client"
)

const testAdmin = "test-admin-token"

// testApp is a hookd serving on loopback port 0 with a temporary SQLite file.
type testApp struct {
	*app
	url string
	dir string
}

func startApp(t *testing.T, mod func(*Config)) *testApp {
	t.Helper()
	dir := t.TempDir()
	c := &Config{DB: "sqlite:" + filepath.Join(dir, "hookd.db"), Addr: "127.0.0.1:0", EgressAllow: "127.0.0.0/8,::1/128",
		AdminToken: testAdmin, MaxBody: 256 << 10, MaxBatch: 1000, AllowUnknownTypes: true, Retention: 30 * 24 * time.Hour,
		DisableAfter: 5 * 24 * time.Hour, DrainTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond, LogLevel: "warn",
		resolver: noDNS{t}}
	if mod != nil {
		mod(c)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = newLogger(os.Stderr, "warn", "text")
	}
	a, err := start(context.Background(), c, log)
	if err != nil {
		t.Fatal(err)
	}
	ta := &testApp{app: a, url: "http://" + a.ln.Addr().String(), dir: dir}
	t.Cleanup(func() { a.stop() })
	checkAPI(t, a.ln.Addr().String())
	return ta
}

// noDNS is the resolver of every test app: a test never sends a name to the
// system's DNS (URLs use IP literals or localhost, which is not resolved).
type noDNS struct{ t *testing.T }

func (r noDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.t.Errorf("the test resolved %q: use an IP literal, localhost or an injected resolver", host)
	return nil, errors.New("no DNS in tests")
}

// call makes an API request and decodes the answer into out (if not nil);
// it returns the status code.
func call(t *testing.T, method, url, token string, in any, out any, hdr ...string) int {
	t.Helper()
	var body io.Reader
	switch v := in.(type) {
	case nil:
	case []byte:
		body = bytes.NewReader(v)
	case string:
		body = bytes.NewReader([]byte(v))
	default:
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode
}

// must is call that expects a status.
func (a *testApp) must(t *testing.T, want int, method, path, token string, in, out any, hdr ...string) {
	t.Helper()
	var raw json.RawMessage
	got := call(t, method, a.url+path, token, in, &raw, hdr...)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

type endpointResp struct {
	ID             string   `json:"id"`
	Secret         string   `json:"secret"`
	URL            string   `json:"url"`
	Profile        string   `json:"profile"`
	EventTypes     []string `json:"event_types"`
	Disabled       bool     `json:"disabled"`
	DisabledReason string   `json:"disabled_reason"`
}

// api is a client of the app's API with a token. It sends with
// http.DefaultClient, as call does, so whatever a test wraps around that
// client sees the requests of both.
func (a *testApp) api(token string) *client.Client {
	return client.New(a.url, token, client.WithHTTPClient(http.DefaultClient))
}

// tenant creates a tenant and a token for it.
func (a *testApp) tenant(t *testing.T, id string) string {
	t.Helper()
	ctx := context.Background()
	admin := a.api(testAdmin)
	if _, err := admin.CreateTenant(ctx, client.TenantCreate{ID: id, Name: id}); err != nil {
		t.Fatalf("create tenant %s: %v", id, err)
	}
	tok, err := admin.CreateToken(ctx, id, client.TokenCreate{})
	if err != nil {
		t.Fatalf("create a token of %s: %v", id, err)
	}
	return tok.Token
}

// endpoint creates an endpoint from the fields of a request body.
func (a *testApp) endpoint(t *testing.T, tenant, token string, body map[string]any) endpointResp {
	t.Helper()
	var in client.EndpointCreate
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a field the client lacks must not vanish from the test
	if err := dec.Decode(&in); err != nil {
		t.Fatalf("endpoint body %s: %v", b, err)
	}
	ep, err := a.api(token).CreateEndpoint(context.Background(), tenant, in)
	if err != nil {
		t.Fatalf("create endpoint %s: %v", b, err)
	}
	return endpointResp{ID: ep.ID, Secret: ep.Secret, URL: ep.URL, Profile: ep.Profile, EventTypes: ep.EventTypes,
		Disabled: ep.Disabled, DisabledReason: ep.DisabledReason}
}

// recv is a loopback webhook receiver that records what arrives.
type recv struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	arrived chan received
	answer  func(w http.ResponseWriter, r *http.Request, n int) // nil: 204
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
	path   string
}

func newReceiver(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *recv {
	rc := &recv{arrived: make(chan received, 100000), answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got := received{header: r.Header.Clone(), body: b, at: time.Now(), path: r.URL.Path}
		rc.mu.Lock()
		rc.got = append(rc.got, got)
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.answer != nil {
			rc.answer(w, r, n)
		} else {
			w.WriteHeader(http.StatusNoContent)
		}
		rc.arrived <- got
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the next request or fails after d.
func (rc *recv) wait(t *testing.T, d time.Duration) received {
	t.Helper()
	select {
	case r := <-rc.arrived:
		return r
	case <-time.After(d):
		t.Fatalf("no webhook arrived within %v", d)
		return received{}
	}
}

func (rc *recv) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMain(m *testing.M) {
	// Every API request of the tests is checked against the OpenAPI
	// document (openapi_test.go).
	http.DefaultClient.Transport = checkingTransport{base: http.DefaultTransport}
	os.Exit(m.Run())
}

func stringsReader(s string) io.Reader { return bytes.NewReader([]byte(s)) }
