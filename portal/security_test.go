package portal_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// session opens a portal link as portal.js does and returns a client
// holding the session cookie.
func (e *env) session(t testing.TB, l link) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := strings.TrimPrefix(l.URL, e.srv.URL+"/portal/#token=")
	req, _ := http.NewRequest("POST", e.srv.URL+"/portal/session", strings.NewReader(`{"token":"`+token+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("opening the link: %d", resp.StatusCode)
	}
	return c
}

func fetch(t *testing.T, c *http.Client, u string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestCredentialsStayApart: a bearer token opens no page, and a portal
// session cookie authorizes no API route.
func TestCredentialsStayApart(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	c := e.session(t, e.link("acme", nil))
	resp, body := fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "/hooks/acme") {
		t.Fatalf("the session's own page: %d", resp.StatusCode)
	}
	resp, body = fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID+"/chart.svg?range=7d", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, "<title>Over 7d: 0 succeeded") {
		t.Errorf("chart: %d %s %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	for _, path := range []string{"/v1/tenants/acme/endpoints", "/v1/tenants/acme/endpoints/" + ep.ID + "/stats"} {
		if resp, _ := fetch(t, c, e.srv.URL+path, nil); resp.StatusCode != 401 {
			t.Errorf("the session cookie on GET %s: %d, want 401", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/portal/t/acme/", "/portal/ops"} {
		resp, body := fetch(t, http.DefaultClient, e.srv.URL+path, map[string]string{"Authorization": "Bearer " + adminToken})
		if resp.StatusCode != 401 || !strings.Contains(body, "Sign in") {
			t.Errorf("the admin bearer token on %s: %d, want 401 and the sign-in link", path, resp.StatusCode)
		}
	}
}

// TestSecurityHeaders: every page carries a strict CSP with the frame
// ancestors configured, and is not cached.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	resp, body := fetch(t, http.DefaultClient, e.srv.URL+"/portal/", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors https://127.0.0.1:9443", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(body, "<script>") || strings.Contains(body, " style=") {
		t.Error("inline script or style on the sign-in page")
	}
	if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers %v", resp.Header)
	}
	resp, body = fetch(t, http.DefaultClient, e.srv.URL+"/portal/brand.css", nil)
	if !strings.Contains(body, "--accent: #5f3dc4") {
		t.Errorf("brand.css: %d %s", resp.StatusCode, body)
	}
}

// TestFormsNeedCSRF: a state-changing form without the session's CSRF
// token, or from another site, changes nothing; a link opened from
// another site is refused.
func TestFormsNeedCSRF(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	c := e.session(t, e.link("acme", nil))
	post := func(form url.Values, origin string) int {
		req, _ := http.NewRequest("POST", e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID+"/disable", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	_, page := fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID, nil)
	i := strings.Index(page, `name="csrf" value="`)
	if i < 0 {
		t.Fatal("no CSRF token on the endpoint page")
	}
	csrf := page[i+len(`name="csrf" value="`):]
	csrf = csrf[:strings.IndexByte(csrf, '"')]
	if st := post(url.Values{}, ""); st != 403 {
		t.Errorf("without a token: %d, want 403", st)
	}
	wrong := "0" + csrf[1:]
	if wrong == csrf { // the token began with 0: change it all the same
		wrong = "1" + csrf[1:]
	}
	if st := post(url.Values{"csrf": {wrong}}, ""); st != 403 {
		t.Errorf("with a wrong token: %d, want 403", st)
	}
	if st := post(url.Values{"csrf": {csrf}}, "http://127.0.0.2:9"); st != 403 {
		t.Errorf("from another origin: %d, want 403", st)
	}
	if st := post(url.Values{"csrf": {csrf}, "reason": {strings.Repeat("x", 300<<10)}}, e.srv.URL); st != 400 {
		t.Errorf("a form of 300 KB: %d, want 400", st)
	}
	var got struct {
		Disabled bool `json:"disabled"`
	}
	e.api("GET", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 200, &got)
	if got.Disabled {
		t.Fatal("a refused form disabled the endpoint")
	}
	if st := post(url.Values{"csrf": {csrf}}, e.srv.URL); st != 303 {
		t.Errorf("the page's own form: %d, want 303", st)
	}
	e.api("GET", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 200, &got)
	if !got.Disabled {
		t.Error("the page's own form did not disable the endpoint")
	}

	l := e.link("acme", nil)
	req, _ := http.NewRequest("POST", e.srv.URL+"/portal/session", strings.NewReader(`{"token":"`+l.Token+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || len(resp.Cookies()) != 0 {
		t.Errorf("a link opened from another site: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
}

// TestCatalogOperationalTypes: the catalog page shows hookd's operational
// types with their schema and example, marked as hookd's, and the endpoint
// form offers them to subscribe to.
func TestCatalogOperationalTypes(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	c := e.session(t, e.link("acme", nil))
	resp, body := fetch(t, c, e.srv.URL+"/portal/t/acme/event-types", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `id="type-hookd.endpoint.disabled"`) ||
		!strings.Contains(body, "disabled_at") || !strings.Contains(body, "ep_0b7d6c51") {
		t.Fatalf("catalog page: %d, lacks hookd.endpoint.disabled with its schema and example", resp.StatusCode)
	}
	card := body[strings.Index(body, `id="type-hookd.endpoint.disabled"`):]
	if card = card[:strings.Index(card, "</h2>")]; !strings.Contains(card, "hookd") || !strings.Contains(card, "badge") {
		t.Errorf("the card of hookd.endpoint.disabled is not marked as hookd's: %s", card)
	}
	resp, body = fetch(t, c, e.srv.URL+"/portal/t/acme/endpoints/new", nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `name="event_types" value="hookd.endpoint.disabled"`) {
		t.Fatalf("the endpoint form (%d) does not offer hookd.endpoint.disabled", resp.StatusCode)
	}
}

// operator signs in with an admin token as the sign-in form does and
// returns a client holding the operator's session cookie.
func (e *env) operator(t *testing.T, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, page := fetch(t, c, e.srv.URL+"/portal/", nil)
	form := url.Values{"csrf": {csrfOf(t, page)}, "token": {token}}
	req, _ := http.NewRequest("POST", e.srv.URL+"/portal/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in: %d", resp.StatusCode)
	}
	return c
}

// TestOperatorSessionEndsWithItsToken: an operator's session lasts only
// while the admin token it was opened with is in force: revoking the
// token, or its expiry, ends the session at once, and the bootstrap
// token's session is not touched by either.
func TestOperatorSessionEndsWithItsToken(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	var revoked, expiring struct{ ID, Token string }
	e.api("POST", "/v1/admin-tokens", map[string]any{"name": "ops-temp"}, 201, &revoked)
	e.api("POST", "/v1/admin-tokens", map[string]any{"name": "ops-hour", "expires_in": 3600}, 201, &expiring)
	boot, byRevoked, byExpiring := e.operator(t, adminToken), e.operator(t, revoked.Token), e.operator(t, expiring.Token)
	for name, c := range map[string]*http.Client{"bootstrap": boot, "revoked": byRevoked, "expiring": byExpiring} {
		if resp, _ := fetch(t, c, e.srv.URL+"/portal/ops", nil); resp.StatusCode != 200 {
			t.Fatalf("%s token's session: %d before anything changed", name, resp.StatusCode)
		}
	}
	e.api("DELETE", "/v1/admin-tokens/"+revoked.ID, nil, 204, nil)
	if resp, body := fetch(t, byRevoked, e.srv.URL+"/portal/ops", nil); resp.StatusCode != 401 || !strings.Contains(body, "revoked") {
		t.Errorf("the revoked token's session: %d, want 401 saying why", resp.StatusCode)
	}
	if resp, _ := fetch(t, byExpiring, e.srv.URL+"/portal/t/acme/", nil); resp.StatusCode != 200 {
		t.Errorf("the other token's session after a revocation: %d", resp.StatusCode)
	}
	e.clock.advance(time.Hour + time.Minute)
	if resp, _ := fetch(t, byExpiring, e.srv.URL+"/portal/ops", nil); resp.StatusCode != 401 {
		t.Errorf("the expired token's session: %d, want 401", resp.StatusCode)
	}
	if resp, _ := fetch(t, boot, e.srv.URL+"/portal/ops", nil); resp.StatusCode != 200 {
		t.Errorf("the bootstrap token's session: %d, want 200", resp.StatusCode)
	}
}
