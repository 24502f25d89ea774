package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/internal/slack"
	"github.com/hookd/hookd/portal"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/telemetry"
)

func runServe(ctx context.Context, args []string) error {
	var c Config
	fs := newFlagSet("serve", args)
	c.flags(fs)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	log := newLogger(os.Stderr, c.LogLevel, c.LogFormat)
	app, err := start(ctx, &c, log)
	if err != nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return app.stop()
}

// app is a running hookd: the store, the engine and the API server.
type app struct {
	cfg    *Config
	log    *slog.Logger
	store  hookd.Database
	engine *delivery.Engine
	// metrics is nil when turned off; tracing and debug when not asked for.
	metrics *telemetry.Metrics
	tracing *telemetry.Tracing
	debug   *debugServer
	srv     *http.Server
	ln      net.Listener
	served  chan error
}

// start opens everything and serves; stop undoes it in reverse order.
func start(ctx context.Context, c *Config, log *slog.Logger) (*app, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	guard, err := egress.New(c.EgressAllow)
	if err != nil {
		return nil, err
	}
	guard.Resolver = c.resolver
	st, err := c.openStore(ctx)
	if err != nil {
		return nil, err
	}
	admin, err := adminToken(ctx, st, c.AdminToken)
	if err != nil {
		st.Close()
		return nil, err
	}
	cat, err := newCatalog(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	profiles := profile.New(catalogMessages(cat))
	client := newClient(guard)
	var obs delivery.Observers
	var m *telemetry.Metrics
	if !c.NoMetrics {
		m = telemetry.NewMetrics(telemetry.MetricsOptions{Store: st, Clock: c.clock, Profiles: profiles.Names()})
		obs = append(obs, m)
	}
	tr, err := telemetry.StartTracing(ctx, telemetry.TracingOptions{Endpoint: c.OTelEndpoint, Sample: c.OTelSample, Log: log,
		Exporter: c.traceExporter})
	if err != nil {
		st.Close()
		return nil, err
	}
	if tr != nil {
		obs = append(obs, tr)
	}
	var observer delivery.Observer
	if len(obs) > 0 {
		observer = obs
	}
	eng := delivery.New(st, delivery.Config{
		Observer:     observer,
		MaxInFlight:  c.maxInFlight,
		QueueSize:    c.queueSize,
		Clock:        c.clock,
		Client:       client,
		Profiles:     profiles.Get,
		Logger:       log,
		Writers:      writers(st, c.Writers),
		PollInterval: c.PollInterval,
		DisableAfter: never(c.DisableAfter),
		Retention:    never(c.Retention),
		HeartbeatTTL: c.NodeTTL,
		PublishWait:  never(c.PublishWait),
	})
	if err := eng.Start(ctx); err != nil {
		tr.Shutdown(ctx)
		st.Close()
		return nil, err
	}
	api := &httpapi.Server{Store: st, Engine: eng, Profiles: profiles, Guard: guard, Log: log, Clock: c.clock,
		AdminTokenHash: admin.hash, AllowUnknownTypes: c.AllowUnknownTypes, MaxBody: c.MaxBody,
		MaxBatch: c.MaxBatch, PublishRate: c.PublishRate, StuckAfter: c.StuckAfter, PublicURL: c.PublicURL,
		Retention: c.Retention}
	setCatalog(api, cat)
	if m != nil {
		m.Attach(eng)
		m.AddReadiness(api.Ready)
		api.Ingests, api.Cancels = m, m
		api.Metrics = m.Handler()
	}
	// Metrics inside tracing: the metrics middleware reads the route
	// pattern from the request the mux routed, which tracing replaces
	// (with its context).
	handler := api.Handler()
	if m != nil {
		handler = m.Instrument(handler)
	}
	handler = tr.Middleware(handler)
	// The portal is a mux of its own beside the API (see package portal),
	// on the API's control plane.
	ctl := api.Control()
	pt := &portal.Server{
		Services: portal.Services{Tenants: ctl, EventTypes: ctl, Endpoints: ctl, Events: ctl, Deliveries: ctl, Stats: ctl,
			Portal: ctl, Tokens: ctl, Finder: ctl},
		Profiles: profiles, Clock: c.clock, Log: log, Brand: c.brand(), FrameAncestors: c.frameAncestors(),
	}
	handler = portal.Mount(handler, pt.Handler())
	fail := func(err error) (*app, error) {
		eng.Stop(ctx)
		tr.Shutdown(ctx)
		st.Close()
		return nil, err
	}
	var dbg *debugServer
	if c.DebugAddr != "" {
		if dbg, err = startDebug(c.DebugAddr, log); err != nil {
			return fail(err)
		}
	}
	ln, err := net.Listen("tcp", c.Addr)
	if err == nil {
		// Only now is a generated token kept and shown: a start that
		// failed before (a port in use) must not spend it.
		err = admin.keep(ctx, st)
		api.AdminTokenHash = admin.hash
		pt.AdminTokenHash = admin.hash
		if err != nil {
			ln.Close()
		}
	}
	if err != nil {
		dbg.close()
		return fail(err)
	}
	srv := &http.Server{
		Handler: handler,
		// A slow client must not hold a connection: headers within
		// 10 s, the whole request within 30 s.
		ReadHeaderTimeout: cmp.Or(c.readHeaderTimeout, 10*time.Second),
		ReadTimeout:       cmp.Or(c.readTimeout, 30*time.Second),
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	a := &app{cfg: c, log: log, store: st, engine: eng, metrics: m, tracing: tr, debug: dbg, srv: srv, ln: ln,
		served: make(chan error, 1)}
	go func() { a.served <- srv.Serve(ln) }()
	attrs := []any{"addr", ln.Addr().String(), "db", c.DB, "node", eng.Node(), "admin_token", admin.source}
	if lite, ok := st.(*sqlite.Store); ok {
		attrs = append(attrs, "sqlite_driver", lite.Driver())
	}
	attrs = append(attrs, "timer_slack", slack.Current().String())
	log.Info("hookd listening", attrs...)
	return a, nil
}

// stop shuts down gracefully: stop accepting requests, drain attempts in
// flight for a bounded time, close the database last.
func (a *app) stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.DrainTimeout)
	defer cancel()
	err := a.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.srv.Close()
	}
	if err := a.engine.Stop(ctx); err != nil {
		a.log.Warn("engine stop", "err", err)
	}
	if err := a.tracing.Shutdown(ctx); err != nil {
		a.log.Warn("flushing traces", "err", err)
	}
	a.debug.close()
	if err := a.store.Close(); err != nil {
		return err
	}
	a.log.Info("stopped")
	return nil
}

// newClient is the outgoing HTTP client: HTTP/1.1 through the deliveries'
// own transport (no goroutines per connection), the egress guard checking
// every resolved address before connecting, redirects not followed, and
// connections kept alive per endpoint host.
func newClient(guard *egress.Guard) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guard.Control}
	tr := &delivery.Transport{
		DialContext:         dialer.DialContext,
		MaxIdlePerHost:      delivery.DefaultMaxIdlePerHost,
		IdleTimeout:         90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &http.Client{Transport: tr, CheckRedirect: delivery.NoRedirect}
}

// admin is the admin token in force: its hash and where it came from.
type admin struct {
	hash   string
	source string // "environment", "stored hash" or "generated now"
	token  string // a generated token, kept and shown by keep
}

// adminToken finds the admin token: HOOKD_ADMIN_TOKEN, else the hash stored
// at an earlier first start, else a new one, which keep stores and shows.
func adminToken(ctx context.Context, st hookd.Store, fromEnv string) (*admin, error) {
	if fromEnv != "" {
		return &admin{hash: httpapi.HashToken(fromEnv), source: "environment"}, nil
	}
	h, err := st.Setting(ctx, "admin_token_hash")
	if err == nil {
		return &admin{hash: h, source: "stored hash"}, nil
	}
	if err != hookd.ErrNotFound {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	tok := "hka_" + base64.RawURLEncoding.EncodeToString(b)
	return &admin{hash: httpapi.HashToken(tok), source: "generated now", token: tok}, nil
}

// keep stores the hash of a generated token and prints the token, the only
// time it is shown. Should another node have stored one meanwhile (nodes
// starting together on one PostgreSQL database), that one is used.
func (a *admin) keep(ctx context.Context, st hookd.Store) error {
	if a.token == "" {
		return nil
	}
	if h, err := st.Setting(ctx, "admin_token_hash"); err == nil {
		a.hash, a.source, a.token = h, "stored hash", ""
		return nil
	}
	if err := st.PutSetting(ctx, "admin_token_hash", a.hash); err != nil {
		return err
	}
	// The token is the command's output, on standard output (the log is
	// on standard error): a script that starts hookd reads it there.
	fmt.Fprintf(os.Stdout, "\nhookd: generated the admin token (shown only this once, stored hashed):\n\n    %s\n\n", a.token)
	return nil
}
