package portal_test

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
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
		w.Header().Set("X-Receiver", "acme-hooks")
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

// csrfOf is the CSRF token of a page's forms.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%.2000s", page)
	}
	return m[1]
}

// post sends a form from the portal's own origin, as a browser does, with
// the session's CSRF token.
func (e *env) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	_, page := fetch(t, c, e.srv.URL+"/portal/t/acme/event-types", nil) // any page of the session carries the token
	form.Set("csrf", csrfOf(t, page))
	req, _ := http.NewRequest("POST", e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var (
	hrefs     = regexp.MustCompile(`<a [^>]*href="([^"]*)"`)
	forms     = regexp.MustCompile(`<form ([^>]*)>`)
	method    = regexp.MustCompile(`method="([^"]*)"`)
	action    = regexp.MustCompile(`action="([^"]*)"`)
	canonical = regexp.MustCompile(`<link rel="canonical" href="([^"]*)">`)
)

// TestPagesAfterActions: a page drawn in answer to a form posted to an
// action's address (rotate, reveal) names its own address for the address
// bar, and each of its links and forms reaches what it names (the chart's
// range tabs, the deliveries' filter, older deliveries), not a path under
// the action's.
func TestPagesAfterActions(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	var batch []map[string]any
	for range 51 {
		batch = append(batch, map[string]any{"type": "invoice.paid", "payload": map[string]any{"invoice_id": "inv_1"}})
	}
	e.api("POST", "/v1/tenants/acme/events/batch", map[string]any{"events": batch}, 202, nil)
	c := e.session(t, e.link("acme", nil))
	base := "/portal/t/acme/endpoints/" + ep.ID
	for _, act := range []string{"rotate", "reveal"} {
		resp, page := e.post(t, c, base+"/"+act, url.Values{})
		if resp.StatusCode != 200 || !strings.Contains(page, `id="secret"`) {
			t.Fatalf("%s: %d\n%.3000s", act, resp.StatusCode, page)
		}
		if m := canonical.FindStringSubmatch(page); m == nil || m[1] != base {
			t.Errorf("%s: the page names %v as its address, want %s", act, m, base)
		}
		posted, _ := url.Parse(e.srv.URL + base + "/" + act)
		var links []string
		for _, m := range hrefs.FindAllStringSubmatch(page, -1) {
			links = append(links, html.UnescapeString(m[1]))
		}
		for _, m := range forms.FindAllStringSubmatch(page, -1) {
			a := action.FindStringSubmatch(m[1])
			if a == nil {
				t.Errorf("%s: a form without an action is sent to the action's address: <form %s>", act, m[1])
				continue
			}
			if mt := method.FindStringSubmatch(m[1]); mt != nil && mt[1] == "get" {
				links = append(links, html.UnescapeString(a[1]))
			} else if !strings.HasPrefix(a[1], "/portal/") {
				t.Errorf("%s: a form posts to %q", act, a[1])
			}
		}
		if !slices.ContainsFunc(links, func(l string) bool { return strings.Contains(l, "after=") }) {
			t.Errorf("%s: no link to older deliveries among %q", act, links)
		}
		for _, l := range links {
			if strings.HasPrefix(l, "#") { // within the page
				continue
			}
			ref, err := url.Parse(l)
			if err != nil {
				t.Fatal(err)
			}
			u := posted.ResolveReference(ref)
			if !strings.HasPrefix(u.Path, "/portal/") {
				continue
			}
			if resp, _ := fetch(t, c, u.String(), nil); resp.StatusCode != 200 {
				t.Errorf("%s: the link %q leads to %s: %d", act, l, u.Path, resp.StatusCode)
			}
		}
	}
	// The range tabs keep the deliveries' filters.
	_, page := fetch(t, c, e.srv.URL+base+"?state=succeeded&type=invoice.paid&range=7d", nil)
	for _, m := range hrefs.FindAllStringSubmatch(page, -1) {
		if l := html.UnescapeString(m[1]); strings.Contains(l, "range=1h") &&
			(!strings.Contains(l, "state=succeeded") || !strings.Contains(l, "type=invoice.paid") || !strings.HasPrefix(l, base+"?")) {
			t.Errorf("the 1 hour tab %q drops the filters", l)
		}
	}
	if !strings.Contains(page, `name="range" value="7d"`) {
		t.Error("the filter form drops the chart's range")
	}
}

// TestRecoverAndTestSendKeepValues: a refused recover shows the window
// sent (since and until); a done recover and a test send answer with a
// redirect to the page (a reload sends nothing again), which says what was
// done and keeps the values chosen.
func TestRecoverAndTestSendKeepValues(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	c := e.session(t, e.link("acme", nil))
	base := "/portal/t/acme/endpoints/" + ep.ID
	future := time.Now().Add(48 * time.Hour).UTC().Format("2006-01-02T15:04")
	resp, page := e.post(t, c, base+"/recover", url.Values{"since": {future}})
	if resp.StatusCode != 400 || !strings.Contains(page, "since must be before until") {
		t.Fatalf("recover since a future time: %d\n%.3000s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `name="since" type="datetime-local" value="`+future+`"`) {
		t.Errorf("the refused since %s is not kept in the form", future)
	}
	if !strings.Contains(page, `name="until"`) {
		t.Error("the recover form has no until")
	}
	since := time.Now().Add(-2 * time.Hour).UTC().Format("2006-01-02T15:04")
	until := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04")
	resp, _ = e.post(t, c, base+"/recover", url.Values{"since": {since}, "until": {until}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), base+"?") {
		t.Fatalf("recover: %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = fetch(t, c, e.srv.URL+resp.Header.Get("Location"), nil)
	if !strings.Contains(page, "Recovered 0 failed deliveries created since") ||
		!strings.Contains(page, `value="`+since+`"`) || !strings.Contains(page, `value="`+until+`"`) {
		t.Errorf("after a recover the page lacks its message or its window %s to %s:\n%.3000s", since, until, page)
	}

	resp, _ = e.post(t, c, base+"/test", url.Values{"type": {"invoice.paid"}})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), base+"?") {
		t.Fatalf("test send: %d to %q, want 303 to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = fetch(t, c, e.srv.URL+resp.Header.Get("Location"), nil)
	if !regexp.MustCompile(`Test event \S+ sent\.`).MatchString(page) || !strings.Contains(page, `<option selected>invoice.paid</option>`) {
		t.Errorf("after a test send the page lacks its message or the type sent:\n%.3000s", page)
	}
	resp, page = e.post(t, c, base+"/test", url.Values{"type": {"no such type"}})
	if resp.StatusCode != 400 || !strings.Contains(page, `class="error"`) {
		t.Errorf("a test of an invalid type: %d", resp.StatusCode)
	}
}

// TestCreateShowsSecret: the page after a create shows the new endpoint's
// secret once, as the API's answer does.
func TestCreateShowsSecret(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	c := e.session(t, e.link("acme", nil))
	resp, page := e.post(t, c, "/portal/t/acme/endpoints/new", url.Values{"url": {e.rcv.URL + "/hooks/new"}, "patterns": {"*"},
		"profile": {"standard"}, "ordering": {"none"}})
	m := regexp.MustCompile(`<code id="secret">([^<]+)</code>`).FindStringSubmatch(page)
	if resp.StatusCode != 200 || !strings.Contains(page, "Endpoint created.") || m == nil || !strings.HasPrefix(m[1], "whsec_") {
		t.Fatalf("create: %d, secret %v\n%.3000s", resp.StatusCode, m, page)
	}
	l := canonical.FindStringSubmatch(page)
	if l == nil || !strings.HasPrefix(l[1], "/portal/t/acme/endpoints/ep_") {
		t.Fatalf("the page after a create names %v as its address", l)
	}
	_, page = e.post(t, c, l[1]+"/reveal", url.Values{})
	if !strings.Contains(page, `<code id="secret">`+m[1]+`</code>`) {
		t.Errorf("the secret shown after the create, %s, is not the endpoint's", m[1])
	}
	if _, page = fetch(t, c, e.srv.URL+l[1], nil); strings.Contains(page, m[1]) {
		t.Error("the endpoint's page shows the secret again")
	}
}

// TestFormsNeedTheirCapability: a read-only link opens neither the create
// nor the edit form (which it could not send) but the page saying so.
func TestFormsNeedTheirCapability(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	read := e.session(t, e.link("acme", map[string]any{"capabilities": []string{"read"}}))
	full := e.session(t, e.link("acme", nil))
	for _, path := range []string{"/portal/t/acme/endpoints/new", "/portal/t/acme/endpoints/" + ep.ID + "/edit"} {
		resp, body := fetch(t, read, e.srv.URL+path, nil)
		if resp.StatusCode != 403 || !strings.Contains(body, "Not allowed") || !strings.Contains(body, "manage_endpoints") || strings.Contains(body, `name="url"`) {
			t.Errorf("a read-only link on %s: %d\n%.2000s", path, resp.StatusCode, body)
		}
		if resp, _ := fetch(t, full, e.srv.URL+path, nil); resp.StatusCode != 200 {
			t.Errorf("a link with manage_endpoints on %s: %d", path, resp.StatusCode)
		}
	}
}

// TestHeaderErrorsBesideTheField: a refused custom header (not a header
// name, or one hookd sets) is shown beside the headers, with the values
// sent kept.
func TestHeaderErrorsBesideTheField(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	c := e.session(t, e.link("acme", nil))
	besides := regexp.MustCompile(`(?s)<textarea id="headers"[^>]*>[^<]*</textarea>\s*<p class="error" id="headers-error">([^<]+)</p>`)
	for _, h := range []string{"Bad Header: x", "webhook-signature: x"} {
		resp, page := e.post(t, c, "/portal/t/acme/endpoints/new", url.Values{"url": {e.rcv.URL + "/hooks/new"}, "patterns": {"*"},
			"profile": {"standard"}, "ordering": {"none"}, "headers": {h}})
		m := besides.FindStringSubmatch(page)
		if resp.StatusCode != 400 || m == nil || !strings.Contains(html.UnescapeString(m[1]), "header") {
			t.Errorf("headers %q: %d, beside the field: %v\n%.3000s", h, resp.StatusCode, m, page)
		}
		if strings.Contains(page, `<p class="error" role="alert">`) {
			t.Errorf("headers %q: the refusal is also at the top of the form", h)
		}
		if !strings.Contains(page, ">"+h+"</textarea>") {
			t.Errorf("headers %q are not kept in the form", h)
		}
	}
}

// TestEditTimeoutAndRateLimit: the edit form does not promise what no
// update can do: an emptied timeout (which an update would keep) is
// refused beside the field and nothing is saved; an emptied rate limit
// removes the limit.
func TestEditTimeoutAndRateLimit(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	var ep createdEndpoint
	e.api("POST", "/v1/tenants/acme/endpoints", map[string]any{"url": e.rcv.URL + "/hooks/acme", "event_types": []string{"*"},
		"timeout_ms": 5000, "rate_limit_per_s": 10}, 201, &ep)
	c := e.session(t, e.link("acme", nil))
	edit := "/portal/t/acme/endpoints/" + ep.ID + "/edit"
	if _, page := fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/new", nil); !strings.Contains(page, "empty = the profile's") {
		t.Error("the new endpoint form does not say an empty timeout is the profile's")
	}
	if _, page := fetch(t, c, e.srv.URL+edit, nil); !strings.Contains(page, `value="5000"`) || strings.Contains(page, "empty = the profile's") {
		t.Errorf("the edit form of an endpoint with a timeout promises an empty one is the profile's:\n%.3000s", page)
	}
	form := func(timeout, rate string) url.Values {
		return url.Values{"url": {e.rcv.URL + "/hooks/acme"}, "patterns": {"*"}, "profile": {"standard"}, "ordering": {"none"},
			"description": {"changed"}, "timeout_ms": {timeout}, "rate_limit_per_s": {rate}}
	}
	var got struct {
		Description string `json:"description"`
		TimeoutMS   int    `json:"timeout_ms"`
		RateLimit   int    `json:"rate_limit_per_s"`
	}
	resp, page := e.post(t, c, edit, form("", ""))
	if resp.StatusCode != 400 || !regexp.MustCompile(`id="timeout"[^>]*>\s*<p class="error">timeout_ms cannot`).MatchString(page) {
		t.Errorf("an emptied timeout: %d\n%.4000s", resp.StatusCode, page)
	}
	e.api("GET", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 200, &got)
	if got.Description != "" || got.TimeoutMS != 5000 || got.RateLimit != 10 {
		t.Errorf("a refused edit saved %+v", got)
	}
	if resp, _ := e.post(t, c, edit, form("2000", "")); resp.StatusCode != 303 {
		t.Fatalf("an edit with a timeout: %d", resp.StatusCode)
	}
	got.Description, got.TimeoutMS, got.RateLimit = "", 0, 0 // fields left out of the answer (0) stay as they are
	e.api("GET", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 200, &got)
	if got.Description != "changed" || got.TimeoutMS != 2000 || got.RateLimit != 0 {
		t.Errorf("after the edit the endpoint has %+v, want the timeout 2000 and no rate limit", got)
	}
}

// TestEventOfDeletedEndpoint: an event's deliveries to an endpoint since
// deleted name it as deleted, without a link to a page that is gone.
func TestEventOfDeletedEndpoint(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	ev := e.publish("acme")
	e.waitDelivery("acme", ev, "succeeded")
	c := e.session(t, e.link("acme", nil))
	if _, page := fetch(t, c, e.srv.URL+"/portal/t/acme/events?q="+ev, nil); !strings.Contains(page, `href="/portal/t/acme/endpoints/`+ep.ID+`">`+e.rcv.URL) {
		t.Errorf("the event's delivery does not link to its endpoint:\n%.3000s", page)
	}
	e.api("DELETE", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 204, nil)
	resp, page := fetch(t, c, e.srv.URL+"/portal/t/acme/events?q="+ev, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, ep.ID+" (deleted)") || strings.Contains(page, "/endpoints/"+ep.ID) {
		t.Errorf("the event of a deleted endpoint: %d\n%.3000s", resp.StatusCode, page)
	}
}

// TestUnknownPage: a path the portal does not serve answers 404, in the
// layout of the session when there is one (its navigation, Sign out).
func TestUnknownPage(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	c := e.session(t, e.link("acme", nil))
	for _, path := range []string{"/portal/t/acme/nosuch", "/portal/nosuch"} {
		resp, page := fetch(t, c, e.srv.URL+path, nil)
		if resp.StatusCode != 404 || !strings.Contains(page, "There is no such page.") || !strings.Contains(page, ">Sign out</button>") ||
			!strings.Contains(page, `<a href="/portal/t/acme/events"`) {
			t.Errorf("%s with a session: %d\n%.3000s", path, resp.StatusCode, page)
		}
	}
	resp, page := fetch(t, http.DefaultClient, e.srv.URL+"/portal/t/acme/nosuch", nil)
	if resp.StatusCode != 404 || strings.Contains(page, "Sign out") {
		t.Errorf("without a session: %d\n%.3000s", resp.StatusCode, page)
	}
}

// TestStatusShownOnce: an attempt answered 500 says HTTP 500 once, and
// the deliveries' last status 500 once.
func TestStatusShownOnce(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	e.status.Store(500)
	d := e.waitDelivery("acme", e.publish("acme"), "failed")
	c := e.session(t, e.link("acme", nil))
	_, page := fetch(t, c, e.srv.URL+"/portal/t/acme/deliveries/"+d, nil)
	attempts := strings.Split(page, `<article class="card attempt">`)[1:]
	if len(attempts) != 2 {
		t.Fatalf("%d attempts shown, want 2:\n%.3000s", len(attempts), page)
	}
	for i, a := range attempts {
		if n := strings.Count(a, "HTTP 500"); n != 1 {
			t.Errorf("attempt %d says HTTP 500 %d times:\n%s", i+1, n, a)
		}
	}
	_, page = fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID, nil)
	if m := regexp.MustCompile(`<td>500[^<]*(<span[^>]*>[^<]*</span>)?</td>`).FindString(page); m != "<td>500</td>" {
		t.Errorf("the last status shows as %q", m)
	}
}

// TestDeliveriesByType: the deliveries' type filter reads a type as the
// events list's ?type= does: an unqualified name or a pattern finds the
// provider's qualified type; a pattern of no valid form is shown above the
// page.
func TestDeliveriesByType(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	e.api("POST", "/v1/tenants/acme/endpoints/"+ep.ID+"/test", map[string]any{"type": "lean:payment.created"}, 202, nil)
	e.publish("acme")
	c := e.session(t, e.link("acme", nil))
	rows := func(typ string) (int, []string) {
		resp, page := fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID+"?type="+url.QueryEscape(typ), nil)
		var types []string
		for _, m := range regexp.MustCompile(`<td><code>([^<]+)</code></td>`).FindAllStringSubmatch(page, -1) {
			types = append(types, m[1])
		}
		return resp.StatusCode, types
	}
	for typ, want := range map[string][]string{
		"payment.created":      {"lean:payment.created"},
		"lean:payment.created": {"lean:payment.created"},
		"payment.*":            {"lean:payment.created"},
		"invoice.paid":         {"invoice.paid"},
		"*":                    {"invoice.paid", "lean:payment.created"},
	} {
		st, got := rows(typ)
		slices.Sort(got)
		if st != 200 || !slices.Equal(got, want) {
			t.Errorf("type %q: %d, deliveries of %q, want %q", typ, st, got, want)
		}
	}
	if st, got := rows("pay*ment"); st != 400 || len(got) != 0 {
		t.Errorf("type pay*ment: %d, %q", st, got)
	}
}

// TestEndpointHeadersHiddenFromReaders: a delivery's page shows the
// endpoint's own headers (often the receiver's credentials) to a link
// that may manage endpoints or secrets, and hides their values from a
// read-only one; the signature stays hidden from both.
func TestEndpointHeadersHiddenFromReaders(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	e.api("PATCH", "/v1/tenants/acme/endpoints/"+ep.ID, map[string]any{"headers": map[string]string{"Authorization": "Bearer receiver-cred-123"}}, 200, nil)
	d := e.waitDelivery("acme", e.publish("acme"), "succeeded")
	page := "/portal/t/acme/deliveries/" + d
	_, readBody := fetch(t, e.session(t, e.link("acme", map[string]any{"capabilities": []string{"read", "replay"}})), e.srv.URL+page, nil)
	_, fullBody := fetch(t, e.session(t, e.link("acme", nil)), e.srv.URL+page, nil)
	if strings.Contains(readBody, "receiver-cred-123") || !strings.Contains(readBody, "Authorization: (hidden: an endpoint header") {
		t.Errorf("a read-only link's delivery page shows the endpoint's header value:\n%.3000s", readBody)
	}
	if !strings.Contains(fullBody, "Authorization: Bearer receiver-cred-123") {
		t.Errorf("a full link's delivery page lacks the endpoint's header:\n%.3000s", fullBody)
	}
	for _, body := range []string{readBody, fullBody} {
		if !strings.Contains(body, "(hidden: derived from the endpoint&#39;s secret)") {
			t.Errorf("the signature is not shown as hidden:\n%.3000s", body)
		}
	}
}

// TestRequestAsSentAfterChange: a delivery's page says when the endpoint
// was changed after an attempt, since its URL and custom headers are shown
// as they are now; before a change it says nothing of the kind.
func TestRequestAsSentAfterChange(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	d := e.waitDelivery("acme", e.publish("acme"), "succeeded")
	c := e.session(t, e.link("acme", nil))
	const note = "The endpoint was changed after this attempt"
	if _, page := fetch(t, c, e.srv.URL+"/portal/t/acme/deliveries/"+d, nil); !strings.Contains(page, "Request as sent") || strings.Contains(page, note) {
		t.Fatalf("before a change:\n%.3000s", page)
	}
	time.Sleep(10 * time.Millisecond) // the stores keep milliseconds: the change comes after the attempt
	e.api("PATCH", "/v1/tenants/acme/endpoints/"+ep.ID, map[string]any{"description": "changed"}, 200, nil)
	if _, page := fetch(t, c, e.srv.URL+"/portal/t/acme/deliveries/"+d, nil); strings.Count(page, note) != 1 {
		t.Errorf("after a change, the note %d times:\n%.3000s", strings.Count(page, note), page)
	}
}
