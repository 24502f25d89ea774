// Package httpapi serves hookd's JSON API: tenants, tokens, event types,
// endpoints, events and deliveries, with admin and tenant-scoped tokens.
package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/profile"
)

// Catalog is the event-type catalog the API validates publishes against.
type Catalog = control.Catalog

// Server is the API.
type Server struct {
	Store    hookd.Store
	Engine   *delivery.Engine
	Catalog  Catalog // nil: no validation, every type accepted
	Profiles profile.Registry
	Guard    *egress.Guard
	Clock    hookd.Clock
	Log      *slog.Logger
	// AdminTokenHash is the hex SHA-256 of the admin token.
	AdminTokenHash string
	// AllowUnknownTypes accepts publishes of types not in the catalog.
	AllowUnknownTypes bool
	MaxBody           int64 // request body limit (256 KiB)
	MaxBatch          int   // events per batch publish (1000)
	// PublishRate limits publishes per tenant per second (0: no limit).
	PublishRate int
	// Retention is how long events are kept (0: for ever): the feed
	// shows nothing older.
	Retention time.Duration
	// Metrics serves GET /metrics (nil: no such route).
	Metrics http.Handler
	// StuckAfter is how long a group commit may be pending before
	// /readyz calls the writer stuck (30 s).
	StuckAfter time.Duration

	// The services the routes call. Nil ones are served by package
	// control on the fields above (Store, Engine, Catalog, ...).
	Tenants    hookd.TenantService
	EventTypes hookd.EventTypeService
	Endpoints  hookd.EndpointService
	Events     hookd.EventService
	Deliveries hookd.DeliveryService
	Tokens     hookd.TokenService
	Stats      hookd.StatsService
	Portal     hookd.PortalService
	// PublicURL is the base of the portal links' URLs ("": the scheme and
	// host of the request that mints a link).
	PublicURL string
	Feeds     hookd.FeedService
	Sources   hookd.SourceService
	// Ingests counts the requests to the sources' ingest URLs (nil: not
	// counted).
	Ingests control.IngestCounter
	// Cancels counts the deliveries canceled by deleting their endpoint
	// (nil: not counted).
	Cancels control.CancelCounter

	ctlOnce sync.Once
	ctl     *control.Service
}

// Handler returns the API's routes behind authentication.
func (s *Server) Handler() http.Handler {
	if s.MaxBody <= 0 {
		s.MaxBody = 256 << 10
	}
	if s.MaxBatch <= 0 {
		s.MaxBatch = 1000
	}
	if s.Clock == nil {
		s.Clock = hookd.SystemClock{}
	}
	if s.Log == nil {
		s.Log = slog.Default()
	}
	ctl := s.control()
	if s.Tenants == nil {
		s.Tenants = ctl
	}
	if s.EventTypes == nil {
		s.EventTypes = ctl
	}
	if s.Endpoints == nil {
		s.Endpoints = ctl
	}
	if s.Events == nil {
		s.Events = ctl
	}
	if s.Deliveries == nil {
		s.Deliveries = ctl
	}
	if s.Tokens == nil {
		s.Tokens = ctl
	}
	if s.Stats == nil {
		s.Stats = ctl
	}
	if s.Portal == nil {
		s.Portal = ctl
	}
	if s.Feeds == nil {
		s.Feeds = ctl
	}
	if s.Sources == nil {
		s.Sources = ctl
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		switch {
		case rt.h == nil:
			// Not served by this server (no metrics handler).
		case rt.Access == AccessPublic:
			mux.Handle(rt.Pattern, s.wrap(rt.h))
		default:
			mux.Handle(rt.Pattern, s.auth(rt.h, rt.Access == AccessAdmin, rt.publish))
		}
	}
	mux.Handle("/", s.unrouted(mux))
	return mux
}

// Access is who may call a route.
type Access int

// The access levels of routes.
const (
	AccessTenant Access = iota // a tenant token for the path's tenant, or the admin token
	AccessAdmin                // the admin token only
	AccessPublic               // no token
)

// Route is one route of the API: a ServeMux pattern ("METHOD /path") and who
// may call it.
type Route struct {
	Pattern string
	Access  Access
	h       handler // nil: not served by this server
	// publish: the route publishes, and its token may be authenticated
	// from memory, checked again by the publish's commit
	// (hookd.TokenService.AuthenticatePublish).
	publish bool
}

// Routes lists every route the API may serve, as Handler registers them: the
// one list the OpenAPI document is checked against.
func Routes() []Route {
	s := &Server{Metrics: http.NotFoundHandler()}
	rs := s.routes()
	for i := range rs {
		rs[i].h = nil
	}
	return rs
}

// routes is the route table Handler serves.
func (s *Server) routes() []Route {
	var rs []Route
	add := func(a Access) func(string, handler) {
		return func(pattern string, h handler) { rs = append(rs, Route{Pattern: pattern, Access: a, h: h}) }
	}
	admin, tenant, public := add(AccessAdmin), add(AccessTenant), add(AccessPublic)

	admin("POST /v1/tenants", s.createTenant)
	admin("GET /v1/tenants", s.listTenants)
	tenant("GET /v1/tenants/{tenant}", s.getTenant)
	admin("PATCH /v1/tenants/{tenant}", s.updateTenant)
	admin("DELETE /v1/tenants/{tenant}", s.deleteTenant)
	admin("POST /v1/tenants/{tenant}/tokens", s.createTenantToken)
	tenant("GET /v1/tenants/{tenant}/tokens", s.listTenantTokens)
	tenant("DELETE /v1/tenants/{tenant}/tokens/{id}", s.deleteTenantToken)
	admin("POST /v1/admin-tokens", s.createAdminToken)
	admin("GET /v1/admin-tokens", s.listAdminTokens)
	admin("DELETE /v1/admin-tokens/{id}", s.deleteAdminToken)

	tenant("GET /v1/event-types", s.listEventTypes)
	tenant("GET /v1/event-types/{type}", s.getEventType)
	admin("POST /v1/event-types", s.createEventType)

	tenant("POST /v1/tenants/{tenant}/endpoints", s.createEndpoint)
	tenant("GET /v1/tenants/{tenant}/endpoints", s.listEndpoints)
	tenant("GET /v1/tenants/{tenant}/endpoints/{id}", s.getEndpoint)
	tenant("PATCH /v1/tenants/{tenant}/endpoints/{id}", s.updateEndpoint)
	tenant("DELETE /v1/tenants/{tenant}/endpoints/{id}", s.deleteEndpoint)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/rotate-secret", s.rotateSecret)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/enable", s.enableEndpoint)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/disable", s.disableEndpoint)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/recover", s.recoverEndpoint)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/test", s.testEndpoint)
	tenant("GET /v1/tenants/{tenant}/endpoints/{id}/stats", s.endpointStats)
	admin("POST /v1/tenants/{tenant}/portal-links", s.createPortalLink)
	admin("DELETE /v1/tenants/{tenant}/portal-links", s.revokePortalLinks)
	tenant("GET /v1/tenants/{tenant}/endpoints/{id}/feed", s.endpointFeed)
	tenant("POST /v1/tenants/{tenant}/endpoints/{id}/feed/ack", s.ackFeed)

	publish := func(pattern string, h handler) {
		rs = append(rs, Route{Pattern: pattern, Access: AccessTenant, h: h, publish: true})
	}
	publish("POST /v1/tenants/{tenant}/events", s.publish)
	publish("POST /v1/tenants/{tenant}/events/batch", s.publishBatch)
	tenant("GET /v1/tenants/{tenant}/events", s.listEvents)
	tenant("GET /v1/tenants/{tenant}/events/{id}", s.getEvent)

	tenant("POST /v1/tenants/{tenant}/sources", s.createSource)
	tenant("GET /v1/tenants/{tenant}/sources", s.listSources)
	tenant("GET /v1/tenants/{tenant}/sources/{id}", s.getSource)
	tenant("PATCH /v1/tenants/{tenant}/sources/{id}", s.updateSource)
	tenant("DELETE /v1/tenants/{tenant}/sources/{id}", s.deleteSource)
	tenant("POST /v1/tenants/{tenant}/sources/{id}/rotate", s.rotateSource)
	tenant("GET /v1/tenants/{tenant}/sources/{id}/errors", s.sourceErrors)
	tenant("GET /v1/tenants/{tenant}/sources/{id}/requests", s.listSourceRequests)
	tenant("GET /v1/tenants/{tenant}/sources/{id}/requests/{request}", s.getSourceRequest)
	public("POST /ingest/{token}", s.ingest)

	tenant("GET /v1/tenants/{tenant}/deliveries", s.listDeliveries)
	tenant("GET /v1/tenants/{tenant}/deliveries/{id}", s.getDelivery)
	tenant("POST /v1/tenants/{tenant}/deliveries/{id}/retry", s.retryDelivery)

	public("GET /v1/openapi.json", serveOpenAPI)
	public("GET /healthz", func(w http.ResponseWriter, r *http.Request) error {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return nil
	})
	public("GET /readyz", func(w http.ResponseWriter, r *http.Request) error {
		s.ready(w, r)
		return nil
	})
	var metrics handler
	if s.Metrics != nil {
		metrics = func(w http.ResponseWriter, r *http.Request) error {
			s.Metrics.ServeHTTP(w, r)
			return nil
		}
	}
	public("GET /metrics", metrics)
	return rs
}

// Control returns the control plane the API serves on its fields (the
// one a portal beside it should call, so both share its state).
func (s *Server) Control() *control.Service { return s.control() }

// control returns the control plane served on the Server's fields, made
// on first use.
func (s *Server) control() *control.Service {
	s.ctlOnce.Do(func() {
		s.ctl = &control.Service{Store: s.Store, Catalog: s.Catalog, Profiles: s.Profiles, Guard: s.Guard,
			Clock: s.Clock, Log: s.Log, AllowUnknownTypes: s.AllowUnknownTypes, PublishRate: s.PublishRate,
			Retention: s.Retention, Ingests: s.Ingests, Cancels: s.Cancels}
		if s.Engine != nil { // a nil *delivery.Engine is not a nil Engine
			s.ctl.Engine = s.Engine
		}
	})
	return s.ctl
}

// methods are the methods a route may have, in the order Allow lists them.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unrouted answers a request no route takes, with a JSON error: 405 and
// Allow when the path has routes for other methods, 404 otherwise. It is
// the mux's catch-all, so only such requests pay for asking the mux, the
// one route table, which methods the path has.
func (s *Server) unrouted(mux *http.ServeMux) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		var allow []string
		for _, m := range methods {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			return hookd.Errorf(hookd.ENOTFOUND, "no route %s %s", r.Method, r.URL.Path)
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return hookd.Errorf(hookd.EMETHOD, "method %s is not allowed on %s: use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
	})
}

// handler is an API handler: it returns an error instead of writing one.
type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = hookd.Errorf(hookd.ETOOLARGE, "request body is larger than %d bytes", mbe.Limit)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "request canceled or timed out", Err: err}
	}
	code := hookd.ErrorCode(err)
	st := hookd.HTTPStatus(code)
	if st >= 500 {
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if st == http.StatusServiceUnavailable || st == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1") // storage faults clear, rate windows are one second
	}
	if st == http.StatusUnauthorized && !strings.HasPrefix(r.URL.Path, "/ingest/") {
		// The API's credential is a bearer token (RFC 6750); an ingest
		// URL's 401 is a webhook's signature, not a token.
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookd"`)
	}
	writeJSON(w, st, map[string]any{"error": errorBody(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"cannot encode response","details":[]}}`, http.StatusInternalServerError)
		return
	}
	writeBody(w, status, append(b, '\n'))
}

// jsonType is every answer's Content-Type value: one slice shared by all
// (net/http copies a handler's header when it writes it, and an Add to it
// would reallocate: its capacity is its length), not one made per answer.
var jsonType = []string{"application/json"}

// writeBody writes an answer already encoded as JSON.
func writeBody(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(status)
	w.Write(b)
}

// principal is who a request acts as: the admin, or one tenant.
type principal struct {
	admin  bool
	tenant string
}

// HashToken returns the stored form of a token (hookd.HashToken).
func HashToken(token string) string { return hookd.HashToken(token) }

// auth authenticates the bearer token. Admin-only routes refuse tenant
// tokens; a tenant token naming another tenant's path gets 404, so ids of
// other tenants do not leak. A publish's token may come from memory, and is
// then checked again in the publish's commit (AuthenticatePublish).
func (s *Server) auth(h handler, adminOnly, publish bool) http.Handler {
	return s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		tok, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			return hookd.Errorf(hookd.EUNAUTHORIZED, "missing bearer token: send Authorization: Bearer TOKEN")
		}
		var p principal
		ctx := r.Context()
		hash := HashToken(tok) // once: the admin's, then the store's key
		if sameHash(hash, s.AdminTokenHash) {
			p.admin = true // the bootstrap token
		} else {
			var t *hookd.Token
			var err error
			if publish {
				t, ctx, err = s.Tokens.AuthenticatePublish(ctx, hash)
			} else {
				t, err = s.Tokens.Authenticate(ctx, tok)
			}
			if err != nil {
				return err
			}
			p.admin, p.tenant = t.Kind == hookd.TokenAdmin, t.TenantID
		}
		if adminOnly && !p.admin {
			return hookd.Errorf(hookd.EFORBIDDEN, "this route needs the admin token")
		}
		if t := r.PathValue("tenant"); t != "" && !p.admin && t != p.tenant {
			return hookd.ErrNotFound
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
		if !p.admin {
			// The tenant's token proves the tenant exists.
			ctx = hookd.NewContextWithTenant(ctx, p.tenant)
		}
		return h(w, r.WithContext(ctx))
	})
}

// sameHash compares two token hashes in constant time, as
// subtle.ConstantTimeCompare does, without copying them to byte slices.
func sameHash(a, b string) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// bearer returns the token of an Authorization header value of the Bearer
// scheme, whose name is case-insensitive (RFC 7235 section 2.1).
func bearer(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(h), " ")
	tok = strings.TrimSpace(tok)
	return tok, ok && strings.EqualFold(scheme, "Bearer") && tok != ""
}

// Ready is the readiness check: an error saying why while the store does
// not answer, the writer is stuck (a group commit pending for longer
// than StuckAfter: publishes would hang) or publishes fail (the last
// group commit of publishes failed, less than StuckAfter ago, and none
// has succeeded since: a full disk, a store that refuses writes; after
// StuckAfter without a new failure the node is ready again, so that
// traffic comes back to find whether the fault has cleared). /healthz
// only says the process serves.
func (s *Server) Ready(ctx context.Context) error {
	stuck := s.StuckAfter
	if stuck <= 0 {
		stuck = 30 * time.Second
	}
	if d := s.Engine.CommitPending(); d > stuck {
		return fmt.Errorf("writer stuck: a group commit has been pending for %s (bound %s)", d.Round(time.Millisecond), stuck)
	}
	if ago, failing := s.Engine.PublishesFailing(); failing && ago < stuck {
		return fmt.Errorf("publishes failing: the last group commit of publishes failed %s ago, and none has succeeded since", ago.Round(time.Millisecond))
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		return fmt.Errorf("storage unreachable: %w", err)
	}
	return nil
}

// ready serves /readyz: 503 with the reason, or 200.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if err := s.Ready(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
