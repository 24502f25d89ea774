package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/portal"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

const adminToken = "hkadmin_portal_test_token_0123456789"

// clock is the control plane's clock, moved forward by tests that need a
// link to expire.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.off) }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.off += d; c.mu.Unlock() }

// env is a whole hookd in this process: a SQLite file, the engine, the API
// and the portal on one loopback server, as hookd serve mounts them, and a
// receiver on loopback whose answer a test sets.
type env struct {
	t        testing.TB
	srv      *httptest.Server
	rcv      *httptest.Server
	status   atomic.Int32 // the receiver's answer
	received atomic.Int32
	clock    *clock
	store    hookd.Database
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	guard, err := egress.New("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	profiles := profile.New(cat.Message)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := delivery.New(st, delivery.Config{Profiles: profiles.Get, Logger: log, PollInterval: 20 * time.Millisecond,
		Client: &http.Client{CheckRedirect: delivery.NoRedirect}})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: &clock{}, store: st}
	e.status.Store(200)
	e.rcv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		e.received.Add(1)
		w.WriteHeader(int(e.status.Load()))
		io.WriteString(w, `{"received":true}`)
	}))
	ctl := &control.Service{Store: st, Engine: eng, Catalog: cat, Profiles: profiles, Guard: guard, Clock: e.clock, Log: log}
	api := &httpapi.Server{Store: st, Engine: eng, Catalog: cat, Profiles: profiles, Guard: guard, Clock: e.clock, Log: log,
		AdminTokenHash: hookd.HashToken(adminToken),
		Tenants:        ctl, EventTypes: ctl, Endpoints: ctl, Events: ctl, Deliveries: ctl, Stats: ctl, Portal: ctl, Tokens: ctl}
	p := &portal.Server{
		Services: portal.Services{Tenants: ctl, EventTypes: ctl, Endpoints: ctl, Events: ctl, Deliveries: ctl, Stats: ctl,
			Portal: ctl, Tokens: ctl, Finder: ctl},
		Profiles: profiles, Clock: e.clock, Log: log, AdminTokenHash: hookd.HashToken(adminToken),
		Brand: portal.Brand{Name: "Acme Webhooks", Accent: "#5f3dc4"}, FrameAncestors: []string{"https://127.0.0.1:9443"},
	}
	e.srv = httptest.NewServer(portal.Mount(api.Handler(), p.Handler()))
	e.api("POST", "/v1/event-types", map[string]any{"name": "invoice.paid", "description": "An invoice was paid in full",
		"schema":  map[string]any{"type": "object", "required": []string{"invoice_id"}},
		"example": map[string]any{"invoice_id": "inv_1", "amount": 4200}}, 201, nil)
	t.Cleanup(func() {
		e.srv.Close()
		e.rcv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		eng.Stop(ctx)
		st.Close()
	})
	return e
}

// api calls the JSON API with the admin token and decodes the answer into
// out (when not nil); it fails the test unless the status is want.
func (e *env) api(method, path string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatalf("%s %s: %v in %s", method, path, err, b)
		}
	}
}

func (e *env) tenant(id string) {
	e.t.Helper()
	e.api("POST", "/v1/tenants", map[string]any{"id": id, "name": "Tenant " + id}, 201, nil)
}

type createdEndpoint struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// endpoint creates an endpoint to the receiver with every type and one
// quick retry.
func (e *env) endpoint(tenant string) createdEndpoint {
	e.t.Helper()
	var ep createdEndpoint
	e.api("POST", "/v1/tenants/"+tenant+"/endpoints", map[string]any{"url": e.rcv.URL + "/hooks/" + tenant,
		"event_types": []string{"*"}, "retry_schedule": []string{"1s"}, "description": "orders service"}, 201, &ep)
	return ep
}

type link struct {
	URL          string    `json:"url"`
	Token        string    `json:"token"`
	ExpiresAt    time.Time `json:"expires_at"`
	Capabilities []string  `json:"capabilities"`
}

func (e *env) link(tenant string, body map[string]any) link {
	e.t.Helper()
	var l link
	e.api("POST", "/v1/tenants/"+tenant+"/portal-links", body, 201, &l)
	return l
}

// publish publishes the catalog example of a Standard Webhooks type.
func (e *env) publish(tenant string) string {
	e.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	e.api("POST", "/v1/tenants/"+tenant+"/events", map[string]any{"type": "invoice.paid", "payload": map[string]any{"invoice_id": "inv_1"}}, 202, &out)
	return out.ID
}

// delivery waits until the delivery of an event is in state.
func (e *env) waitDelivery(tenant, eventID, state string) string {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ev struct {
			Deliveries []struct {
				ID    string `json:"id"`
				State string `json:"state"`
			} `json:"deliveries"`
		}
		e.api("GET", "/v1/tenants/"+tenant+"/events/"+eventID, nil, 200, &ev)
		if len(ev.Deliveries) == 1 && ev.Deliveries[0].State == state {
			return ev.Deliveries[0].ID
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("event %s: deliveries %+v, want one %s", eventID, ev.Deliveries, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestListPagesEnd: a list of exactly a page offers no next page; one item
// more offers it, and the next page shows that item and offers none.
func TestListPagesEnd(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	var ids []string
	for range 50 {
		ids = append(ids, e.endpoint("acme").ID)
	}
	c := e.session(t, e.link("acme", nil))
	rows := func(body string) int {
		return strings.Count(body, `<td class="url"><a href="/portal/t/acme/endpoints/ep_`)
	}
	resp, body := fetch(t, c, e.srv.URL+"/portal/t/acme/", nil)
	if resp.StatusCode != 200 || rows(body) != 50 || strings.Contains(body, "Next page") {
		t.Fatalf("a page of exactly 50 endpoints: %d, %d rows, next page offered: %v", resp.StatusCode, rows(body), strings.Contains(body, "Next page"))
	}
	ids = append(ids, e.endpoint("acme").ID)
	_, body = fetch(t, c, e.srv.URL+"/portal/t/acme/", nil)
	if rows(body) != 50 || !strings.Contains(body, `<a href="?after=`+ids[49]+`">Next page</a>`) {
		t.Fatalf("51 endpoints: %d rows on the first page, next page after the 50th offered: %v", rows(body), strings.Contains(body, ids[49]))
	}
	_, body = fetch(t, c, e.srv.URL+"/portal/t/acme/?after="+ids[49], nil)
	if rows(body) != 1 || !strings.Contains(body, ids[50]) || strings.Contains(body, "Next page") {
		t.Fatalf("the second page: %d rows, the 51st shown: %v, next page offered: %v", rows(body), strings.Contains(body, ids[50]), strings.Contains(body, "Next page"))
	}
}
