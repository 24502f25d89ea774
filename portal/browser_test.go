package portal_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browser is the test binary's one Chromium, started by TestMain when
// the tests need it; each test opens its own browser context (its own
// cookies) in it.
var browser struct {
	ctx    context.Context
	reason string // why there is none
}

func TestMain(m *testing.M) {
	code := func() int {
		path := chromiumPath()
		if path == "" {
			browser.reason = "chromium is not installed (apt-get install chromium)"
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "hookd-chromium-")
		if err != nil {
			browser.reason = err.Error()
			return m.Run()
		}
		defer os.RemoveAll(dir)
		opts := []chromedp.ExecAllocatorOption{
			chromedp.ExecPath(path),
			chromedp.Flag("headless", true),
			chromedp.NoSandbox,
			chromedp.DisableGPU,
			chromedp.NoFirstRun,
			chromedp.Flag("disable-background-networking", true),
			chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true),
			chromedp.UserDataDir(dir),
			chromedp.WindowSize(1280, 900),
		}
		actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancel()
		bctx, bcancel := chromedp.NewContext(actx)
		defer bcancel()
		if err := chromedp.Do(bctx); err != nil { // starts the browser
			browser.reason = "chromium did not start: " + err.Error()
			return m.Run()
		}
		browser.ctx = bctx
		return m.Run()
	}()
	os.Exit(code)
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// tab opens a fresh browser context (no cookies shared with other tests)
// with a deadline; it skips the test when there is no browser, unless
// CI=true, where a missing browser fails.
func tab(t *testing.T) context.Context {
	t.Helper()
	if browser.ctx == nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("browser tests need Chromium under CI: %s", browser.reason)
		}
		t.Skipf("no browser: %s", browser.reason)
	}
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil { // opens the tab, which a timeout must not close
		t.Fatal(err)
	}
	return ctx
}

// step bounds one browser call: wide, for a slow shared machine.
const step = 30 * time.Second

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		t.Fatalf("%v; the page (%s) shows:\n%s", err, where(ctx), what(ctx))
	}
}

// get runs an action that answers a value.
func get[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, step)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%v; the page (%s) shows:\n%s", err, where(ctx), what(ctx))
	}
	return v
}

// where and what describe the page for a failure message.
func where(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, _ := chromedp.Run(ctx, chromedp.Location())
	return u
}

func what(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return s
}

// css and xpath are the selectors the tests use.
func css(s string) chromedp.CSS      { return chromedp.CSS(s) }
func xpath(s string) chromedp.Search { return chromedp.Search(s) }

// text returns the visible text of the page's main element.
func text(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(css("main")))
}

// waitFor reloads the page until an element matches the CSS selector.
func waitFor(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		sctx, cancel := context.WithTimeout(ctx, step)
		found, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`!!document.querySelector(`+strconv.Quote(sel)+`)`))
		cancel()
		if err == nil && found {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page never showed %s (%v); it shows:\n%s", sel, err, what(ctx))
		}
		time.Sleep(100 * time.Millisecond)
		sctx, cancel = context.WithTimeout(ctx, step)
		chromedp.Do(sctx, chromedp.Reload(), chromedp.WaitReady(css("main")))
		cancel()
	}
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.Location())
}

// waitPath waits until the address bar shows path (and no query).
func waitPath(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	get(t, ctx, chromedp.Poll[bool](`location.pathname === `+strconv.Quote(path)+` && location.search === ""`))
}

// shot saves a PNG screenshot of the page's viewport under $HOOKD_SCREENSHOTS (not set:
// nothing is written, so test runs leave the tree alone).
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("HOOKD_SCREENSHOTS")
	if dir == "" {
		return
	}
	// The viewport only: a long page (the catalog) would make a large file.
	png := get(t, ctx, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// signIn opens a portal link and waits for the tenant's endpoints page.
func signIn(t *testing.T, ctx context.Context, l link) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(l.URL), chromedp.WaitVisible(xpath(`//h1[text()="Endpoints"]`)))
}

// TestLinkSignIn: a portal link signs the browser in once; the token is
// gone from the address bar and from history, and the session cookie is
// HttpOnly and SameSite=Strict.
func TestLinkSignIn(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	e.endpoint("acme")
	l := e.link("acme", nil)
	if !strings.HasPrefix(l.URL, e.srv.URL+"/portal/#token=") || len(l.Capabilities) != 4 {
		t.Fatalf("link %+v", l)
	}
	ctx := tab(t)
	signIn(t, ctx, l)
	u := location(t, ctx)
	if strings.Contains(u, "token") || strings.Contains(u, l.Token) || !strings.HasSuffix(u, "/portal/t/acme/") {
		t.Errorf("address bar after sign-in: %s", u)
	}
	hist := get(t, ctx, chromedp.Evaluate[string](`JSON.stringify([location.href, document.referrer])`))
	if strings.Contains(hist, l.Token) {
		t.Errorf("history or referrer holds the token: %s", hist)
	}
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	cookies := res.Cookies
	found := false
	for _, c := range cookies {
		if c.Name == "hookd_portal" {
			found = true
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Path != "/portal/" {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/portal/", c)
			}
			if c.Value == l.Token {
				t.Error("the session cookie is the link's token")
			}
		}
	}
	if !found {
		t.Errorf("no session cookie among %d cookies", len(cookies))
	}
	s := text(t, ctx)
	for _, want := range []string{e.rcv.URL + "/hooks/acme", "standard", "enabled", "orders service"} {
		if !strings.Contains(s, want) {
			t.Errorf("endpoints page lacks %q:\n%s", want, s)
		}
	}
	shot(t, ctx, "portal-endpoints.png")
}

// TestCreateEndpointAndDelivery: an endpoint made in the form (an error
// shown beside its field first), then a published event's delivery on its
// page, and the attempt with the request as sent and the response.
func TestCreateEndpointAndDelivery(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ctx := tab(t)
	signIn(t, ctx, e.link("acme", nil))
	run(t, ctx, chromedp.Click(xpath(`//a[text()="New endpoint"]`)), chromedp.WaitVisible(css(`#url`)))
	shot(t, ctx, "portal-new-endpoint.png")
	run(t, ctx,
		chromedp.SetValue(css(`#url`), "ftp://127.0.0.1/x"),
		chromedp.SetValue(css(`#patterns`), "*"),
		chromedp.Click(xpath(`//button[text()="Create endpoint"]`)),
		chromedp.WaitVisible(css(`#url-error`)))
	msg := get(t, ctx, chromedp.Text(css(`#url-error`)))
	if !strings.Contains(msg, "url") {
		t.Errorf("the error beside the URL says %q", msg)
	}
	url := e.rcv.URL + "/hooks/new"
	run(t, ctx,
		chromedp.SetValue(css(`#url`), url),
		chromedp.Click(xpath(`//button[text()="Create endpoint"]`)),
		chromedp.WaitVisible(xpath(`//p[text()="Endpoint created."]`)))
	if s := text(t, ctx); !strings.Contains(s, url) || !strings.Contains(s, "No deliveries yet") {
		t.Fatalf("endpoint page after create:\n%s", s)
	}
	if secret := get(t, ctx, chromedp.Text(css(`#secret`))); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("the new endpoint's secret shows as %q", secret)
	}
	// The address bar shows the endpoint's page, so a reload (waitFor's)
	// asks for the page and does not create another endpoint.
	id := get(t, ctx, chromedp.Evaluate[string](`document.querySelector(".facts code").textContent`))
	waitPath(t, ctx, "/portal/t/acme/endpoints/"+id)
	ev := e.publish("acme")
	e.waitDelivery("acme", ev, "succeeded")
	waitFor(t, ctx, "td .state.succeeded")
	if s := text(t, ctx); !strings.Contains(s, "invoice.paid") {
		t.Errorf("the delivery row lacks its type:\n%s", s)
	}
	run(t, ctx, chromedp.Click(css(`table a[href*="/deliveries/"]`)), chromedp.WaitVisible(css(`article.attempt`)))
	s := text(t, ctx)
	for _, want := range []string{"Attempt 1", "HTTP 200", "Request as sent", "Webhook-Signature: (hidden", "Webhook-Id:", `"invoice_id"`,
		"X-Receiver: acme-hooks", "Content-Length: 17", `{"received":true}`} {
		if !strings.Contains(s, want) {
			t.Errorf("delivery page lacks %q:\n%s", want, s)
		}
	}
	shot(t, ctx, "portal-delivery.png")
}

// TestRetryRecoverTestSend: a failed delivery retried from its page, the
// failed deliveries of an endpoint recovered since a time, and a test
// event of a chosen type, each reaching the receiver.
func TestRetryRecoverTestSend(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	e.status.Store(500)
	first := e.publish("acme")
	second := e.publish("acme")
	d1 := e.waitDelivery("acme", first, "failed")
	e.waitDelivery("acme", second, "failed")
	e.status.Store(200)

	ctx := tab(t)
	signIn(t, ctx, e.link("acme", nil))
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme/deliveries/"+d1), chromedp.WaitVisible(css(`article.attempt`)))
	if s := text(t, ctx); !strings.Contains(s, "HTTP 500") || !strings.Contains(s, "non-2xx") {
		t.Errorf("failed delivery page:\n%s", s)
	}
	run(t, ctx, chromedp.Click(xpath(`//button[text()="Retry now"]`)), chromedp.WaitVisible(xpath(`//p[text()="Delivery queued for another attempt."]`)))
	e.waitDelivery("acme", first, "succeeded")
	waitFor(t, ctx, "article.attempt:nth-of-type(3)")
	if s := text(t, ctx); !strings.Contains(s, "Attempt 3") || !strings.Contains(s, "HTTP 200") {
		t.Errorf("after the retry the delivery shows:\n%s", s)
	}

	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID), chromedp.WaitVisible(css(`#recover-since`)))
	run(t, ctx, chromedp.Click(xpath(`//button[text()="Recover"]`)), chromedp.WaitVisible(xpath(`//p[starts-with(text(), "Recovered")]`)))
	if s := text(t, ctx); !strings.Contains(s, "Recovered 1 failed deliveries") {
		t.Errorf("after recover:\n%s", s)
	}
	e.waitDelivery("acme", second, "succeeded")

	before := e.received.Load()
	run(t, ctx, chromedp.SetValue(css(`#test-type`), "invoice.paid"),
		chromedp.Click(xpath(`//button[text()="Send test"]`)), chromedp.WaitVisible(xpath(`//p[starts-with(text(), "Test event")]`)))
	if s := text(t, ctx); !strings.Contains(s, "Test event") || !strings.Contains(s, "sent") {
		t.Errorf("after test send:\n%s", s)
	}
	deadline := time.Now().Add(30 * time.Second)
	for e.received.Load() == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if e.received.Load() == before {
		t.Error("the test event never reached the receiver")
	}
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID+"?state=succeeded"), chromedp.WaitReady(css("main")))
	waitFor(t, ctx, "td .state.succeeded")
	shot(t, ctx, "portal-endpoint.png")
}

// TestSecrets: reveal shows the endpoint's secret, rotate a new one; a
// link without manage_secrets shows neither button, and its forged
// request is refused.
func TestSecrets(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	ctx := tab(t)
	signIn(t, ctx, e.link("acme", nil))
	page := e.srv.URL + "/portal/t/acme/endpoints/" + ep.ID
	run(t, ctx, chromedp.Navigate(page), chromedp.Click(xpath(`//button[text()="Reveal secret"]`)), chromedp.WaitVisible(css(`#secret`)))
	secret := get(t, ctx, chromedp.Text(css(`#secret`)))
	if secret != ep.Secret {
		t.Errorf("revealed %q, the endpoint's secret is %q", secret, ep.Secret)
	}
	run(t, ctx, chromedp.Click(xpath(`//button[text()="Rotate secret"]`)), chromedp.WaitVisible(xpath(`//p[text()="Secret rotated."]`)))
	secret = get(t, ctx, chromedp.Text(css(`#secret`)))
	if secret == ep.Secret || !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("rotated secret %q (was %q)", secret, ep.Secret)
	}
	// The page is at its own address: a reload shows it without the
	// secret and rotates nothing again; the range tabs work.
	waitPath(t, ctx, "/portal/t/acme/endpoints/"+ep.ID)
	run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(xpath(`//h2[text()="Deliveries"]`)))
	if s := text(t, ctx); strings.Contains(s, "Secret rotated.") || strings.Contains(s, secret) {
		t.Errorf("a reload after the rotation shows:\n%s", s)
	}
	run(t, ctx, chromedp.Click(xpath(`//a[text()="1 hour"]`)), chromedp.WaitVisible(xpath(`//a[text()="1 hour"][@aria-current]`)))
	run(t, ctx, chromedp.Click(xpath(`//button[text()="Reveal secret"]`)), chromedp.WaitVisible(css(`#secret`)))
	if got := get(t, ctx, chromedp.Text(css(`#secret`))); got != secret {
		t.Errorf("after a reload the endpoint's secret is %q, want the rotated %q", got, secret)
	}

	limited := tab(t)
	signIn(t, limited, e.link("acme", map[string]any{"capabilities": []string{"read", "replay"}}))
	run(t, limited, chromedp.Navigate(page), chromedp.WaitVisible(xpath(`//button[text()="Send test"]`)))
	if s := text(t, limited); strings.Contains(s, "Rotate secret") || strings.Contains(s, "Reveal secret") || strings.Contains(s, "Delete endpoint") {
		t.Errorf("a read and replay link shows secret or management buttons:\n%s", s)
	}
	// A forged form with the session's own CSRF token still lacks the capability.
	get(t, limited, chromedp.Evaluate[bool](`(function(){var f=document.createElement("form");f.method="post";f.action=location.pathname+"/rotate";
		var c=document.createElement("input");c.name="csrf";c.value=document.querySelector("input[name=csrf]").value;f.appendChild(c);
		document.body.appendChild(f);f.submit();return true})()`))
	run(t, limited, chromedp.WaitVisible(xpath(`//h1[text()="Not allowed"]`)))
	if s := text(t, limited); !strings.Contains(s, "manage_secrets") {
		t.Errorf("refusal page:\n%s", s)
	}
	var got struct {
		ID string `json:"id"`
	}
	e.api("GET", "/v1/tenants/acme/endpoints/"+ep.ID, nil, 200, &got)
}

// TestExpiredAndRevokedLinks: an expired link and a revoked one show a
// clear page; a session of a revoked link ends at its next page.
func TestExpiredAndRevokedLinks(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	short := e.link("acme", map[string]any{"expires_in": 3600})
	live := e.link("acme", nil)
	ctx := tab(t)
	signIn(t, ctx, live)

	e.clock.advance(2 * time.Hour)
	expired := tab(t)
	run(t, expired, chromedp.Navigate(short.URL), chromedp.WaitVisible(css(`#link-error`)))
	msg := get(t, expired, chromedp.Text(css(`#link-error`)))
	if !strings.Contains(msg, "expired") {
		t.Errorf("expired link says %q", msg)
	}
	if u := location(t, expired); strings.Contains(u, short.Token) {
		t.Errorf("an expired link's token stays in the address bar: %s", u)
	}
	shot(t, expired, "portal-expired-link.png")

	var out struct {
		Revoked int `json:"revoked"`
	}
	e.api("DELETE", "/v1/tenants/acme/portal-links", nil, 200, &out)
	if out.Revoked != 2 { // the live link and its session; the expired link is no longer counted
		t.Errorf("revoked %d, want 2", out.Revoked)
	}
	run(t, ctx, chromedp.Reload(), chromedp.WaitVisible(xpath(`//h1[text()="Sign-in needed"]`)))
	if s := text(t, ctx); !strings.Contains(s, "revoked") {
		t.Errorf("a revoked session's page:\n%s", s)
	}
	again := tab(t)
	run(t, again, chromedp.Navigate(live.URL), chromedp.WaitVisible(css(`#link-error`)))
	msg = get(t, again, chromedp.Text(css(`#link-error`)))
	if !strings.Contains(msg, "no longer valid") {
		t.Errorf("a revoked link says %q", msg)
	}
}

// TestOtherTenantIDs: another tenant's endpoint, delivery and pages answer
// 404 to a tenant's session.
func TestOtherTenantIDs(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	e.tenant("globex")
	theirs := e.endpoint("globex")
	ctx := tab(t)
	signIn(t, ctx, e.link("acme", nil))
	for _, path := range []string{"/portal/t/acme/endpoints/" + theirs.ID, "/portal/t/globex/", "/portal/t/globex/endpoints/" + theirs.ID, "/portal/ops"} {
		run(t, ctx, chromedp.Navigate(e.srv.URL+path), chromedp.WaitVisible(xpath(`//h1[text()="Not found"]`)))
		if s := text(t, ctx); strings.Contains(s, theirs.ID) || strings.Contains(s, "/hooks/globex") {
			t.Errorf("%s shows the other tenant's endpoint:\n%s", path, s)
		}
	}
}

// TestOperatorView: the admin token signs in to the operator view, which
// lists tenants with their endpoints' health and opens a tenant's pages.
func TestOperatorView(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	e.tenant("globex")
	e.endpoint("acme")
	off := e.endpoint("globex")
	e.api("POST", "/v1/tenants/globex/endpoints/"+off.ID+"/disable", map[string]any{"reason": "receiver migration"}, 200, nil)
	ev := e.publish("acme")
	e.waitDelivery("acme", ev, "succeeded")

	ctx := tab(t)
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/"), chromedp.SetValue(css(`#token`), "wrong"),
		chromedp.Click(xpath(`//button[text()="Sign in as operator"]`)), chromedp.WaitVisible(css(`#signin .error`)))
	run(t, ctx, chromedp.SetValue(css(`#token`), adminToken),
		chromedp.Click(xpath(`//button[text()="Sign in as operator"]`)), chromedp.WaitVisible(xpath(`//h1[text()="Operator"]`)))
	s := text(t, ctx)
	for _, want := range []string{"Tenant acme", "Tenant globex", "healthy", "endpoints disabled", "receiver migration", "attempts, last hour", "deliveries due"} {
		if !strings.Contains(s, want) {
			t.Errorf("operator view lacks %q:\n%s", want, s)
		}
	}
	shot(t, ctx, "portal-operator.png")
	run(t, ctx, chromedp.Click(xpath(`//a[text()="Tenant acme"]`)), chromedp.WaitVisible(xpath(`//h1[text()="Endpoints"]`)))
	if s := text(t, ctx); !strings.Contains(s, "/hooks/acme") || !strings.Contains(s, "100.0 %") {
		t.Errorf("the operator's view of acme:\n%s", s)
	}
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme/event-types"), chromedp.WaitVisible(xpath(`//h1[text()="Event catalog"]`)))
	if s := text(t, ctx); !strings.Contains(s, "invoice.paid") {
		t.Errorf("catalog lacks invoice.paid")
	}
	shot(t, ctx, "portal-catalog.png")

	// At 390 px the endpoints page still shows its table's content.
	small := tab(t)
	run(t, small, chromedp.EmulateViewport(390, 844))
	signIn(t, small, e.link("acme", nil))
	overflow := get(t, small, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if overflow {
		t.Error("at 390 px the page scrolls sideways")
	}
	shot(t, small, "portal-mobile.png")
}

// watch records what the page of ctx reports as going wrong from now on:
// console errors and warnings, uncaught exceptions, entries of the
// browser's log at those levels, and answers of 400 or more or loads that
// failed. The func it returns gives them so far.
func watch(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	add := func(s string) { mu.Lock(); seen = append(seen, s); mu.Unlock() }
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				add("console." + string(ev.Type) + ": " + strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			add("exception: " + ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				add("log." + string(ev.Entry.Level) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				add("answer " + strconv.FormatInt(ev.Response.Status, 10) + ": " + ev.Response.URL)
			}
		case *network.EventLoadingFailed:
			if !ev.Canceled { // a load the page no longer needed (it went on) is no fault
				add("load failed: " + ev.ErrorText)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(seen) }
}

// TestFirstVisitClean: a first visit (the sign-in page, a link's pages, an
// endpoint's page with its chart) logs no console error and asks for
// nothing that fails, the site icon included (the page names one, so the
// browser does not ask for /favicon.ico).
func TestFirstVisitClean(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	ctx := tab(t)
	problems := watch(t, ctx)
	icon := `(document.querySelector('link[rel~="icon"]') || {}).href || ""`
	// The link's page is the sign-in page, which opens the session.
	signIn(t, ctx, e.link("acme", nil))
	run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme/endpoints/"+ep.ID))
	get(t, ctx, chromedp.Poll[bool](`(function(){var i=document.querySelector("img.chart");return !!i && i.complete && i.naturalWidth>0})()`))
	if href := get(t, ctx, chromedp.Evaluate[string](icon)); !strings.HasPrefix(href, "data:") {
		t.Errorf("the page's icon is %q: the browser asks the server for /favicon.ico", href)
	}
	if p := problems(); len(p) > 0 {
		t.Errorf("a first visit reports:\n%s", strings.Join(p, "\n"))
	}
}

// TestNarrowPages: at 360 px no page scrolls sideways: the forms' event
// types (long catalog names) and the catalog wrap or scroll inside.
func TestNarrowPages(t *testing.T) {
	e := newEnv(t)
	e.tenant("acme")
	ep := e.endpoint("acme")
	ev := e.publish("acme")
	d := e.waitDelivery("acme", ev, "succeeded")
	ctx := tab(t)
	run(t, ctx, chromedp.EmulateViewport(360, 740))
	signIn(t, ctx, e.link("acme", nil))
	for _, path := range []string{"/", "/endpoints/new", "/endpoints/" + ep.ID + "/edit", "/event-types", "/endpoints/" + ep.ID,
		"/deliveries/" + d, "/events", "/events?q=" + ev} {
		run(t, ctx, chromedp.Navigate(e.srv.URL+"/portal/t/acme"+path), chromedp.WaitVisible(css(`main h1`)))
		sizes := get(t, ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		if sizes[0] > sizes[1] {
			past := get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main *")].filter(e => e.getBoundingClientRect().right > innerWidth && e.parentElement.getBoundingClientRect().right <= innerWidth).map(e => e.tagName + " " + Math.round(e.getBoundingClientRect().right) + " px")`))
			t.Errorf("at 360 px %s is %d px wide: it scrolls sideways (past the edge: %s)", path, sizes[0], strings.Join(past, ", "))
		}
	}
}
