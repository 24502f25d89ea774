// Package portal serves hookd's web portal under /portal/: the pages a
// tenant's users open with a portal link, and the operator's view opened
// with the admin token. It is a mux of its own beside the JSON API (as
// tailscale's safeweb keeps browser routes apart): its own sessions in
// HttpOnly, SameSite=Strict cookies, CSRF tokens on every form, a strict
// Content-Security-Policy. Session cookies never authorize the API and
// bearer tokens never open a page. The pages call the control plane's
// services, the same ones the API calls, and add no rule of their own.
package portal

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Services are the control plane's services the pages call.
type Services struct {
	Tenants    hookd.TenantService
	EventTypes hookd.EventTypeService
	Endpoints  hookd.EndpointService
	Events     hookd.EventService
	Deliveries hookd.DeliveryService
	Stats      hookd.StatsService
	Portal     hookd.PortalService
	Tokens     hookd.TokenService
	// Finder looks events up by idempotency key and counts the whole
	// system's figures (package control's Service).
	Finder Finder
}

// Finder is what the portal asks of the control plane beyond the service
// interfaces: an event by its idempotency key, the whole system's stats.
type Finder interface {
	EventByIdempotencyKey(ctx context.Context, tenantID, key string) (*hookd.Event, []*hookd.Delivery, error)
	SystemStats(ctx context.Context, q hookd.StatsQuery) (*hookd.Stats, error)
	Backlog(ctx context.Context) (*hookd.Backlog, error)
}

// Brand is how the operator dresses the portal.
type Brand struct {
	Name    string // shown in the header and the title ("hookd")
	Accent  string // a CSS hex colour, #rgb or #rrggbb
	LogoURL string // an image URL, absolute (https://...) or a path
}

var hexColour = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// Check validates the branding flags.
func (b Brand) Check() error {
	if b.Accent != "" && !hexColour.MatchString(b.Accent) {
		return fmt.Errorf("--portal-accent %q: want a hex colour like #0b7285", b.Accent)
	}
	if b.LogoURL != "" {
		u, err := url.Parse(b.LogoURL)
		if err != nil || (u.Scheme != "" && u.Scheme != "https" && u.Scheme != "http") || (u.Scheme == "" && !strings.HasPrefix(b.LogoURL, "/")) {
			return fmt.Errorf("--portal-logo %q: want an http(s) URL or a path beginning with /", b.LogoURL)
		}
	}
	return nil
}

// CheckFrameAncestors validates the origins the portal may be framed by:
// each https://host[:port] or http://host[:port], or 'self'.
func CheckFrameAncestors(list []string) error {
	for _, o := range list {
		if o == "'self'" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || strings.ContainsAny(o, " ;,'\"") {
			return fmt.Errorf("--portal-frame-ancestors: %q is not an origin like https://app.example.com", o)
		}
	}
	return nil
}

// Server is the portal. Set the fields, then call Handler.
type Server struct {
	Services
	Profiles profile.Registry
	Clock    hookd.Clock
	Log      *slog.Logger
	Brand    Brand
	// AdminTokenHash is the hex SHA-256 of the bootstrap admin token; the
	// operator signs in with it or with an admin token in force.
	AdminTokenHash string
	// FrameAncestors are the origins that may embed the portal in a
	// frame (none: it cannot be framed).
	FrameAncestors []string

	pages map[string]*template.Template
	csp   string
}

const (
	sessionCookie = "hookd_portal"
	loginCookie   = "hookd_portal_login" // the sign-in form's CSRF token, before a session exists
)

// Handler returns the portal's routes, all under /portal/.
func (s *Server) Handler() http.Handler {
	if s.Clock == nil {
		s.Clock = hookd.SystemClock{}
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Brand.Name == "" {
		s.Brand.Name = "hookd"
	}
	if s.Brand.Accent == "" {
		s.Brand.Accent = "#0b7285"
	}
	s.pages = parsePages()
	s.csp = s.policy()

	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /portal/static/", http.StripPrefix("/portal/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /portal/brand.css", s.brandCSS)
	mux.Handle("GET /portal/{$}", s.wrap(s.home))
	mux.Handle("POST /portal/session", s.wrap(s.openLink))
	mux.Handle("POST /portal/login", s.wrap(s.login))
	mux.Handle("POST /portal/logout", s.wrap(s.logout))
	mux.Handle("GET /portal/ops", s.operator(s.opsPage))

	t := func(pattern string, h pageHandler) { mux.Handle(pattern, s.tenant(h, "")) }
	act := func(pattern, capability string, h pageHandler) { mux.Handle(pattern, s.tenant(h, capability)) }
	t("GET /portal/t/{tenant}/{$}", s.endpointsPage)
	act("GET /portal/t/{tenant}/endpoints/new", hookd.CapManageEndpoints, s.newEndpointPage)
	act("POST /portal/t/{tenant}/endpoints/new", hookd.CapManageEndpoints, s.createEndpoint)
	t("GET /portal/t/{tenant}/endpoints/{id}", s.endpointPage)
	t("GET /portal/t/{tenant}/endpoints/{id}/chart.svg", s.chart)
	act("GET /portal/t/{tenant}/endpoints/{id}/edit", hookd.CapManageEndpoints, s.editEndpointPage)
	act("POST /portal/t/{tenant}/endpoints/{id}/edit", hookd.CapManageEndpoints, s.updateEndpoint)
	act("POST /portal/t/{tenant}/endpoints/{id}/enable", hookd.CapManageEndpoints, s.enable)
	act("POST /portal/t/{tenant}/endpoints/{id}/disable", hookd.CapManageEndpoints, s.disable)
	act("POST /portal/t/{tenant}/endpoints/{id}/delete", hookd.CapManageEndpoints, s.delete)
	act("POST /portal/t/{tenant}/endpoints/{id}/rotate", hookd.CapManageSecrets, s.rotate)
	act("POST /portal/t/{tenant}/endpoints/{id}/reveal", hookd.CapManageSecrets, s.reveal)
	act("POST /portal/t/{tenant}/endpoints/{id}/recover", hookd.CapReplay, s.recover)
	act("POST /portal/t/{tenant}/endpoints/{id}/test", hookd.CapReplay, s.testSend)
	t("GET /portal/t/{tenant}/deliveries/{id}", s.deliveryPage)
	act("POST /portal/t/{tenant}/deliveries/{id}/retry", hookd.CapReplay, s.retry)
	t("GET /portal/t/{tenant}/event-types", s.catalogPage)
	t("GET /portal/t/{tenant}/events", s.eventsPage)
	mux.HandleFunc("/portal/", s.notFound)
	return s.headers(mux)
}

// notFound answers a path the portal does not serve, drawn in the
// signed-in user's layout (their navigation and sign-out) when there is a
// session.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	var v *view
	if g, session, err := s.session(r); err == nil {
		v = s.newView(r, g, session)
		if !g.Operator() {
			v.TenantID = g.TenantID
		}
	}
	s.fail(w, r, v, hookd.Errorf(hookd.ENOTFOUND, "There is no such page."))
}

// cacheStatic lets browsers keep the embedded files for an hour: they
// change only with the binary.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// policy is the Content-Security-Policy of every page: nothing inline, no
// other origin but the logo's, frames only by the listed origins.
func (s *Server) policy() string {
	img := "'self' data:"
	if u, err := url.Parse(s.Brand.LogoURL); err == nil && u.Scheme != "" && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
	}
	frame := "'none'"
	if len(s.FrameAncestors) > 0 {
		frame = strings.Join(s.FrameAncestors, " ")
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src " + img +
		"; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors " + frame
}

// maxForm is the largest body a portal page takes: an endpoint's form
// with 20 headers of the longest value fits.
const maxForm = 256 << 10

// headers sets the security headers of every portal answer.
func (s *Server) headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", s.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		if len(s.FrameAncestors) == 0 {
			hd.Set("X-Frame-Options", "DENY") // for browsers before CSP's frame-ancestors
		}
		if !strings.HasPrefix(r.URL.Path, "/portal/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		// A form is small: its body is read up to maxForm, not the 10 MB
		// ParseForm would take.
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		h.ServeHTTP(w, r)
	})
}

func (s *Server) brandCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	// The accent was checked to be a hex colour: nothing else reaches CSS.
	fmt.Fprintf(w, ":root { --accent: %s; }\n", s.Brand.Accent)
}

// plainHandler is a page handler that returns an error instead of
// writing one.
type plainHandler func(w http.ResponseWriter, r *http.Request) error

// pageHandler serves a page of a signed-in user.
type pageHandler func(w http.ResponseWriter, r *http.Request, v *view) error

func (s *Server) wrap(h plainHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.fail(w, r, nil, err)
		}
	})
}

// status maps error codes to the page's HTTP status.
func status(err error) int {
	switch hookd.ErrorCode(err) {
	case hookd.EINVALID, hookd.EUNPROCESSABLE:
		return http.StatusBadRequest
	case hookd.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case hookd.EFORBIDDEN:
		return http.StatusForbidden
	case hookd.ENOTFOUND:
		return http.StatusNotFound
	case hookd.ECONFLICT:
		return http.StatusConflict
	case hookd.ERATELIMIT:
		return http.StatusTooManyRequests
	case hookd.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// fail renders an error page: the service's message, never a stack or
// an internal cause (those are logged).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	st := status(err)
	if st >= 500 {
		s.Log.Error("portal page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	title := map[int]string{400: "That did not work", 401: "Sign-in needed", 403: "Not allowed", 404: "Not found",
		409: "Conflict", 429: "Too many requests", 503: "Unavailable"}[st]
	if title == "" {
		title = "Something went wrong"
	}
	msg := hookd.ErrorMessage(err)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND && msg == hookd.ErrNotFound.Message {
		msg = "There is no such page, or it is not yours to see."
	}
	if v == nil {
		v = s.newView(r, nil, "")
	}
	v.Title = title
	s.render(w, st, "error", v, map[string]any{"Status": st, "Message": msg, "SignIn": st == 401})
}

// view is what every page's template gets besides its own data.
type view struct {
	Brand    Brand
	Title    string
	Grant    *hookd.PortalGrant // nil: not signed in
	TenantID string             // the tenant whose pages these are
	CSRF     string
	Nav      string
	// Location is the address of what a page drawn in answer to a form
	// shows (the form was posted elsewhere); portal.js puts it in the
	// address bar.
	Location string
	Data     any
}

func (v *view) Can(c string) bool { return v.Grant != nil && v.Grant.Can(c) }

func (s *Server) newView(r *http.Request, g *hookd.PortalGrant, session string) *view {
	v := &view{Brand: s.Brand, Grant: g}
	if session != "" {
		v.CSRF = csrfToken(session)
	}
	return v
}

// csrfToken is the CSRF token of a session: derived from its secret token
// (which only the HttpOnly cookie carries), so a page of another site can
// neither read nor compute it, and nothing more is stored.
func csrfToken(session string) string {
	sum := sha256.Sum256([]byte("hookd portal csrf\x00" + session))
	return hex.EncodeToString(sum[:16])
}

// sameOrigin refuses a request a browser says comes from another site:
// Sec-Fetch-Site when the browser sends it, else Origin against Host.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// session returns the grant of the request's session cookie, or an error
// saying why there is none.
func (s *Server) session(r *http.Request) (*hookd.PortalGrant, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, "", hookd.Errorf(hookd.EUNAUTHORIZED, "Sign in with your portal link, or as the operator.")
	}
	g, err := s.Portal.PortalSession(r.Context(), c.Value)
	if err != nil {
		if hookd.ErrorCode(err) == hookd.EUNAUTHORIZED {
			return nil, "", hookd.Errorf(hookd.EUNAUTHORIZED, "Your session has ended: the portal link expired or was revoked. Ask for a new link.")
		}
		return nil, "", err
	}
	// An operator's session lasts only while the admin token that opened
	// it is in force: revoked, expired or replaced, it ends it too.
	if g.Operator() {
		if _, ok := s.adminHash(r.Context(), g.OpenedBy); !ok {
			return nil, "", hookd.Errorf(hookd.EUNAUTHORIZED, "Your session has ended: the admin token you signed in with was revoked, has expired or was replaced. Sign in again.")
		}
	}
	return g, c.Value, nil
}

// checkForm checks a state-changing request: from this site, with the
// session's CSRF token.
func checkForm(r *http.Request, session string) error {
	if !sameOrigin(r) {
		return hookd.Errorf(hookd.EFORBIDDEN, "This form was sent from another site.")
	}
	if err := r.ParseForm(); err != nil {
		return hookd.Errorf(hookd.EINVALID, "The form could not be read.")
	}
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("csrf")), []byte(csrfToken(session))) != 1 {
		return hookd.Errorf(hookd.EFORBIDDEN, "The form is out of date: reload the page and try again.")
	}
	return nil
}

// tenant serves a tenant's page to its session, or to the operator; a
// state-changing request passes the CSRF check; a page with a capability
// (an action, or the form that leads to one) needs it.
// Another tenant's path is not found, as the API answers.
func (s *Server) tenant(h pageHandler, capability string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, session, err := s.session(r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		v := s.newView(r, g, session)
		tenant := r.PathValue("tenant")
		ctx := r.Context()
		if g.Operator() {
			if _, err := s.Tenants.Tenant(ctx, tenant); err != nil {
				s.fail(w, r, v, err)
				return
			}
		} else {
			if tenant != g.TenantID {
				s.fail(w, r, v, hookd.ErrNotFound)
				return
			}
			ctx = hookd.NewContextWithTenant(ctx, tenant)
		}
		v.TenantID = tenant
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := checkForm(r, session); err != nil {
				s.fail(w, r, v, err)
				return
			}
		}
		if capability != "" && !g.Can(capability) {
			s.fail(w, r, v, hookd.Errorf(hookd.EFORBIDDEN, "Your portal link does not allow this (it needs the %s capability).", capability))
			return
		}
		if err := h(w, r.WithContext(ctx), v); err != nil {
			s.fail(w, r, v, err)
		}
	})
}

// operator serves a page to the operator's session only.
func (s *Server) operator(h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g, session, err := s.session(r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		v := s.newView(r, g, session)
		if !g.Operator() {
			s.fail(w, r, v, hookd.ErrNotFound)
			return
		}
		if err := h(w, r, v); err != nil {
			s.fail(w, r, v, err)
		}
	})
}

// setSession sets the session cookie: HttpOnly (no script reads it),
// SameSite=Strict (no other site's request carries it), Secure under TLS,
// for the portal's paths only, ending with the grant.
func setSession(w http.ResponseWriter, r *http.Request, token string, g *hookd.PortalGrant) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/portal/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r), Expires: g.ExpiresAt})
}

// secure reports whether the browser reached the portal over TLS, here or
// at a proxy that says so: its cookies are then Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/portal/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: -1})
}

// home sends a signed-in user to their pages, and anyone else to the
// sign-in page, which also opens a portal link (portal.js reads the
// token from the fragment).
func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	if g, _, err := s.session(r); err == nil {
		if g.Operator() {
			http.Redirect(w, r, "/portal/ops", http.StatusSeeOther)
		} else {
			http.Redirect(w, r, "/portal/t/"+url.PathEscape(g.TenantID)+"/", http.StatusSeeOther)
		}
		return nil
	}
	return s.signInPage(w, r, http.StatusOK, "")
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, st int, problem string) error {
	tok, _, err := newLoginToken()
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/portal/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r), MaxAge: 3600})
	v := s.newView(r, nil, "")
	v.Title = "Sign in"
	v.CSRF = tok
	s.render(w, st, "signin", v, map[string]any{"Problem": problem})
	return nil
}

// openLink exchanges a portal link's token, posted by portal.js as JSON
// (which no other site's form can send, and which a cross-origin script
// can send only after a preflight the portal does not answer), for a
// session cookie.
func (s *Server) openLink(w http.ResponseWriter, r *http.Request) error {
	answer := func(st int, v map[string]string) error {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(st)
		return jsonEncode(w, v)
	}
	if !sameOrigin(r) || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return answer(http.StatusForbidden, map[string]string{"error": "This sign-in came from another site."})
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := jsonDecode(http.MaxBytesReader(w, r.Body, 4096), &in); err != nil || in.Token == "" {
		return answer(http.StatusBadRequest, map[string]string{"error": "The portal link is incomplete: copy the whole link."})
	}
	session, g, err := s.Portal.OpenPortalLink(r.Context(), in.Token)
	if err != nil {
		if hookd.ErrorCode(err) == hookd.EUNAUTHORIZED {
			return answer(http.StatusUnauthorized, map[string]string{"error": linkProblem(err)})
		}
		return err
	}
	setSession(w, r, session, g)
	return answer(http.StatusOK, map[string]string{"location": "/portal/t/" + url.PathEscape(g.TenantID) + "/"})
}

// linkProblem words a refused link for its user.
func linkProblem(err error) string {
	msg := hookd.ErrorMessage(err)
	if strings.Contains(msg, "expired at") {
		return "This portal link has expired (" + strings.TrimPrefix(msg, "this portal link ") + "). Ask for a new link."
	}
	return "This portal link is no longer valid: it was revoked or has expired. Ask for a new link."
}

// login signs the operator in with the admin token.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !sameOrigin(r) {
		return hookd.Errorf(hookd.EFORBIDDEN, "This form was sent from another site.")
	}
	if err := r.ParseForm(); err != nil {
		return hookd.Errorf(hookd.EINVALID, "The form could not be read.")
	}
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get("csrf"))) != 1 {
		return s.signInPage(w, r, http.StatusForbidden, "The sign-in form was out of date; try again.")
	}
	hash, expires, ok := s.adminToken(r.Context(), strings.TrimSpace(r.PostForm.Get("token")))
	if !ok {
		return s.signInPage(w, r, http.StatusUnauthorized, "That is not an admin token in force.")
	}
	session, g, err := s.Portal.OpenOperatorSession(r.Context(), hash, expires)
	if err != nil {
		return err
	}
	clearCookie(w, r, loginCookie)
	setSession(w, r, session, g)
	http.Redirect(w, r, "/portal/ops", http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	_, session, err := s.session(r)
	if err == nil {
		if err := checkForm(r, session); err != nil {
			return err
		}
		if err := s.Portal.EndPortalSession(r.Context(), session); err != nil {
			return err
		}
	}
	clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/portal/", http.StatusSeeOther)
	return nil
}

// now is the portal's clock.
func (s *Server) now() time.Time { return s.Clock.Now() }

// adminToken reports whether a token is the bootstrap admin token or an
// admin token in force, as the API's authentication decides.
func (s *Server) adminToken(ctx context.Context, token string) (hash string, expires time.Time, ok bool) {
	if token == "" {
		return "", time.Time{}, false
	}
	hash = hookd.HashToken(token)
	expires, ok = s.adminHash(ctx, hash)
	return hash, expires, ok
}

// adminHash reports whether the hash is that of an admin token in force,
// and when the token expires (zero: never).
func (s *Server) adminHash(ctx context.Context, hash string) (time.Time, bool) {
	if hash == "" {
		return time.Time{}, false
	}
	if s.AdminTokenHash != "" && subtle.ConstantTimeCompare([]byte(hash), []byte(s.AdminTokenHash)) == 1 {
		return time.Time{}, true
	}
	t, err := s.Tokens.AuthenticateHash(ctx, hash)
	if err != nil || t.Kind != hookd.TokenAdmin {
		return time.Time{}, false
	}
	if t.ExpiresAt != nil {
		return *t.ExpiresAt, true
	}
	return time.Time{}, true
}

// Mount serves the portal under /portal/ beside the API: two muxes, so no
// API middleware or authentication reaches a page and no page's cookie
// reaches the API.
func Mount(api, portal http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/portal/", portal)
	mux.Handle("/", api)
	return mux
}
