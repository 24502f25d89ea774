package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/portal"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config is hookd's configuration: flags, then environment, then defaults.
type Config struct {
	DB                string
	Addr              string
	EgressAllow       string
	DataKey           string
	AdminToken        string // from HOOKD_ADMIN_TOKEN only
	MaxBody           int64
	MaxBatch          int
	PublishRate       int
	AllowUnknownTypes bool
	Retention         time.Duration // 0: kept for ever
	DisableAfter      time.Duration // 0: never for failure alone (a 410 still disables)
	DrainTimeout      time.Duration
	PollInterval      time.Duration
	LogLevel          string
	LogFormat         string // text or json
	DebugAddr         string // pprof and expvar; "" = off
	NoMetrics         bool   // no /metrics and no engine observer (--metrics=false)
	OTelEndpoint      string // OTLP/HTTP traces endpoint; "" = off
	OTelSample        float64
	StuckAfter        time.Duration
	// The portal: the base URL of its links, the origins that may frame
	// it, and its branding.
	PublicURL            string
	PortalFrameAncestors string
	PortalName           string
	PortalAccent         string
	PortalLogo           string
	DBMaxSize            int64
	NodeTTL              time.Duration
	Writers              int // PostgreSQL group-commit writers (HOOKD_WRITERS; 0 = 1)
	// PublishWait is how long a busy node's publishes wait for more while
	// other nodes share the database (HOOKD_PUBLISH_WAIT, 1 ms; 0 = never).
	PublishWait time.Duration

	// envErrs holds the environment values that did not parse, by
	// variable: a flag given on the command line overrides its variable,
	// and its error with it (see parse).
	envErrs map[string]error

	// traceExporter replaces the OTLP exporter in tests.
	traceExporter sdktrace.SpanExporter
	// maxInFlight and queueSize replace the engine's defaults in tests.
	maxInFlight, queueSize int
	// clock replaces the system clock in tests that need exact times.
	clock hookd.Clock
	// resolver replaces the system resolver of the save-time URL check in
	// tests, so that no test sends a name to the system's DNS.
	resolver egress.Resolver
	// readHeaderTimeout and readTimeout replace the server's 10 s and
	// 30 s in tests of slow clients.
	readHeaderTimeout, readTimeout time.Duration
}

// env returns the environment variable, or the default when it is unset
// or empty (as the typed ones below: HOOKD_DB= in a compose file means the
// default, not an empty database name).
func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// envInt, envFloat, envDuration and envBool read a typed environment
// variable, or give def when it is unset or empty. A value that does not
// parse is not silently replaced by the default: it is noted, and Validate
// (or migrate) refuses to start with an error naming the variable.
func (c *Config) envInt(name string, def int64) int64 {
	v, ok := c.envValue(name)
	if !ok {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		c.badEnv(name, v, "a whole number")
		return def
	}
	return n
}

// negBool is a boolean flag stored negated, so that the zero Config has
// the feature on.
type negBool struct{ off *bool }

func (b negBool) String() string {
	if b.off == nil {
		return "true"
	}
	return strconv.FormatBool(!*b.off)
}

func (b negBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.off = !v
	return nil
}

func (negBool) IsBoolFlag() bool { return true }

func (c *Config) envFloat(name string, def float64) float64 {
	v, ok := c.envValue(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		c.badEnv(name, v, "a number")
		return def
	}
	return f
}

func (c *Config) envDuration(name string, def time.Duration) time.Duration {
	v, ok := c.envValue(name)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		c.badEnv(name, v, "a duration such as 30s, 10m or 24h")
		return def
	}
	return d
}

func (c *Config) envBool(name string, def bool) bool {
	v, ok := c.envValue(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		c.badEnv(name, v, "true or false")
		return def
	}
	return b
}

// envValue returns a variable's trimmed value; ok is false when it is
// unset or empty.
func (c *Config) envValue(name string) (string, bool) {
	v := strings.TrimSpace(os.Getenv(name))
	return v, v != ""
}

func (c *Config) badEnv(name, v, want string) {
	if c.envErrs == nil {
		c.envErrs = map[string]error{}
	}
	c.envErrs[name] = fmt.Errorf("%s=%q: want %s", name, v, want)
}

// parse parses serve's or migrate's flags. A variable that did not parse
// is an error only when its flag (--max-body for HOOKD_MAX_BODY) was not
// given: flags come before the environment.
func (c *Config) parse(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		given[f.Name] = true
		delete(c.envErrs, "HOOKD_"+strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")))
	})
	// The variables that may hold a secret (a password in the database's
	// URL, the data key) are read only now, so -h never prints them.
	if !given["db"] {
		c.DB = env("HOOKD_DB", c.DB)
	}
	if !given["data-key"] {
		c.DataKey = env("HOOKD_DATA_KEY", c.DataKey)
	}
	return nil
}

// envError is the variables that did not parse, in the order of their
// names.
func (c *Config) envError() error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(c.envErrs)) {
		errs = append(errs, c.envErrs[name])
	}
	return errors.Join(errs...)
}

// storeFlags registers the flags that choose and open the database (all
// that migrate needs); environment values are the flags' defaults, so a
// flag given on the command line wins. The database's URL (which may hold
// a password) and the data key are read from the environment only after
// parsing (see parse), so -h never prints them.
func (c *Config) storeFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DB, "db", "sqlite:hookd.db", "database: sqlite:PATH[?driver=cgo|purego] or a postgres:// URL (default from HOOKD_DB)")
	fs.StringVar(&c.DataKey, "data-key", "", "32-byte base64 key that encrypts endpoint secrets (default from HOOKD_DATA_KEY; SQLite: a 0600 file beside the database)")
	fs.Int64Var(&c.DBMaxSize, "db-max-size", c.envInt("HOOKD_DB_MAX_SIZE", 0), "SQLite only: cap the database file at this many bytes; 0 = no cap (HOOKD_DB_MAX_SIZE)")
}

// flags registers serve's flags: the store's and the server's.
func (c *Config) flags(fs *flag.FlagSet) {
	c.storeFlags(fs)
	fs.StringVar(&c.Addr, "addr", env("HOOKD_ADDR", ":8080"), "API address (HOOKD_ADDR)")
	fs.StringVar(&c.EgressAllow, "egress-allow", env("HOOKD_EGRESS_ALLOW", ""), "comma-separated CIDRs exempt from the private-address guard, e.g. 127.0.0.0/8 (HOOKD_EGRESS_ALLOW)")
	fs.Int64Var(&c.MaxBody, "max-body", c.envInt("HOOKD_MAX_BODY", 256<<10), "request body limit in bytes (HOOKD_MAX_BODY)")
	fs.IntVar(&c.MaxBatch, "max-batch", int(c.envInt("HOOKD_MAX_BATCH", 1000)), "events per batch publish (HOOKD_MAX_BATCH)")
	fs.IntVar(&c.PublishRate, "publish-rate", int(c.envInt("HOOKD_PUBLISH_RATE", 0)), "events per second a tenant may publish; 0 = no limit (HOOKD_PUBLISH_RATE)")
	fs.BoolVar(&c.AllowUnknownTypes, "allow-unknown-types", c.envBool("HOOKD_ALLOW_UNKNOWN_TYPES", false), "accept event types that are not in the catalog (HOOKD_ALLOW_UNKNOWN_TYPES=true)")
	fs.DurationVar(&c.Retention, "retention", c.envDuration("HOOKD_RETENTION", 30*24*time.Hour), "how long attempts and payloads are kept; 0: for ever (HOOKD_RETENTION)")
	fs.DurationVar(&c.DisableAfter, "disable-after", c.envDuration("HOOKD_DISABLE_AFTER", 5*24*time.Hour), "continuous failure that disables an endpoint; 0: never (HOOKD_DISABLE_AFTER)")
	fs.DurationVar(&c.DrainTimeout, "drain-timeout", c.envDuration("HOOKD_DRAIN_TIMEOUT", 10*time.Second), "how long shutdown waits for attempts in flight (HOOKD_DRAIN_TIMEOUT)")
	fs.DurationVar(&c.PollInterval, "poll-interval", c.envDuration("HOOKD_POLL_INTERVAL", time.Second), "how often due retries are looked for (HOOKD_POLL_INTERVAL)")
	fs.DurationVar(&c.NodeTTL, "node-ttl", c.envDuration("HOOKD_NODE_TTL", 30*time.Second), "PostgreSQL: a node silent this long is dead and its work is taken over (HOOKD_NODE_TTL)")
	fs.StringVar(&c.LogLevel, "log-level", env("HOOKD_LOG_LEVEL", "info"), "debug, info, warn or error (HOOKD_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("HOOKD_LOG_FORMAT", "text"), "text or json (HOOKD_LOG_FORMAT)")
	fs.StringVar(&c.DebugAddr, "debug-addr", env("HOOKD_DEBUG_ADDR", ""), "serve pprof and expvar here, never on --addr; a bare port means loopback; empty = off (HOOKD_DEBUG_ADDR)")
	c.NoMetrics = !c.envBool("HOOKD_METRICS", true)
	fs.Var(negBool{&c.NoMetrics}, "metrics", "serve Prometheus metrics on /metrics; --metrics=false turns them off (HOOKD_METRICS)")
	fs.StringVar(&c.OTelEndpoint, "otel-endpoint", env("HOOKD_OTEL_ENDPOINT", ""), "send traces by OTLP over HTTP to this URL, e.g. http://localhost:4318; empty = off (HOOKD_OTEL_ENDPOINT)")
	fs.Float64Var(&c.OTelSample, "otel-sample", c.envFloat("HOOKD_OTEL_SAMPLE", 1), "share of publishes traced when the publisher sent no sampled traceparent, 0 to 1 (HOOKD_OTEL_SAMPLE)")
	fs.StringVar(&c.PublicURL, "public-url", env("HOOKD_PUBLIC_URL", ""), "base URL users reach hookd at, for portal links, e.g. https://hooks.example.com; empty = the host of the request that mints the link (HOOKD_PUBLIC_URL)")
	fs.StringVar(&c.PortalFrameAncestors, "portal-frame-ancestors", env("HOOKD_PORTAL_FRAME_ANCESTORS", ""), "space- or comma-separated origins that may embed the portal in a frame, e.g. https://app.example.com; empty = none (HOOKD_PORTAL_FRAME_ANCESTORS)")
	fs.StringVar(&c.PortalName, "portal-name", env("HOOKD_PORTAL_NAME", "hookd"), "name shown in the portal's header and title (HOOKD_PORTAL_NAME)")
	fs.StringVar(&c.PortalAccent, "portal-accent", env("HOOKD_PORTAL_ACCENT", "#0b7285"), "the portal's accent colour, #rgb or #rrggbb (HOOKD_PORTAL_ACCENT)")
	fs.StringVar(&c.PortalLogo, "portal-logo", env("HOOKD_PORTAL_LOGO", ""), "URL of a logo for the portal's header, http(s) or a path (HOOKD_PORTAL_LOGO)")
	fs.DurationVar(&c.StuckAfter, "stuck-after", c.envDuration("HOOKD_STUCK_AFTER", 30*time.Second), "/readyz fails while a group commit has been pending this long (HOOKD_STUCK_AFTER)")
	c.AdminToken = os.Getenv("HOOKD_ADMIN_TOKEN")
	c.Writers = int(c.envInt("HOOKD_WRITERS", 0))
	c.PublishWait = c.envDuration("HOOKD_PUBLISH_WAIT", time.Millisecond)
}

// frameAncestors splits --portal-frame-ancestors.
func (c *Config) frameAncestors() []string {
	return strings.FieldsFunc(c.PortalFrameAncestors, func(r rune) bool { return r == ',' || r == ' ' })
}

func (c *Config) brand() portal.Brand {
	return portal.Brand{Name: c.PortalName, Accent: c.PortalAccent, LogoURL: c.PortalLogo}
}

// minAdminToken is the shortest HOOKD_ADMIN_TOKEN accepted: the admin token
// opens every tenant, and a short one is guessed.
const minAdminToken = 16

// Validate checks every value of the configuration before anything is
// opened, with an error naming the flag (or variable) and the rule. A zero
// value is the default where the part it configures has one (the zero
// Config of a test), so only values no default explains are refused.
func (c *Config) Validate() error {
	if err := c.validateStore(); err != nil {
		return err
	}
	if c.AdminToken != "" && len(c.AdminToken) < minAdminToken {
		return fmt.Errorf("HOOKD_ADMIN_TOKEN has %d characters: use at least %d, e.g. $(head -c24 /dev/urandom | base64)",
			len(c.AdminToken), minAdminToken)
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port or :port, e.g. :8080", c.Addr)
	}
	if _, err := egress.New(c.EgressAllow); err != nil {
		return fmt.Errorf("--egress-allow %q: want comma-separated CIDRs, e.g. 127.0.0.0/8: %w", c.EgressAllow, err)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q: want a base URL like https://hooks.example.com", c.PublicURL)
		}
	}
	if err := portal.CheckFrameAncestors(c.frameAncestors()); err != nil {
		return err
	}
	if err := c.brand().Check(); err != nil {
		return err
	}
	for _, n := range []struct {
		flag string
		v    int64
	}{{"--max-body", c.MaxBody}, {"--max-batch", int64(c.MaxBatch)}, {"--publish-rate", int64(c.PublishRate)}} {
		if n.v < 0 {
			return fmt.Errorf("%s %d: want a number of at least 0", n.flag, n.v)
		}
	}
	for _, d := range []struct {
		flag string
		v    time.Duration
	}{{"--retention", c.Retention}, {"--disable-after", c.DisableAfter}, {"--drain-timeout", c.DrainTimeout},
		{"--poll-interval", c.PollInterval}, {"--node-ttl", c.NodeTTL}, {"--stuck-after", c.StuckAfter},
		{"HOOKD_PUBLISH_WAIT", c.PublishWait}} {
		if d.v < 0 {
			return fmt.Errorf("%s %s: want a duration of at least 0, e.g. 30s", d.flag, d.v)
		}
	}
	if err := checkLogging(cmp.Or(c.LogLevel, "info"), cmp.Or(c.LogFormat, "text")); err != nil {
		return err
	}
	if c.DebugAddr != "" {
		if _, err := debugAddr(c.DebugAddr); err != nil {
			return err
		}
	}
	return telemetry.CheckTracing(c.OTelEndpoint, c.OTelSample)
}

// validateStore checks the flags that choose and open the database (all
// that migrate takes).
func (c *Config) validateStore() error {
	if err := c.envError(); err != nil {
		return err
	}
	switch {
	case strings.HasPrefix(c.DB, "sqlite:"):
		if _, _, err := sqlite.ParseDSN(strings.TrimPrefix(c.DB, "sqlite:")); err != nil {
			return fmt.Errorf("--db %w", err)
		}
	case isPostgres(c.DB):
		if c.DataKey == "" {
			return errors.New("PostgreSQL needs --data-key (HOOKD_DATA_KEY): 32 random bytes in base64, the same on every node")
		}
	default:
		return fmt.Errorf("--db %q: want sqlite:PATH or a postgres:// URL", c.DB)
	}
	if c.DataKey != "" {
		if _, err := seal.ParseKey(c.DataKey); err != nil {
			return fmt.Errorf("--data-key: %w", err)
		}
	}
	if c.DBMaxSize < 0 {
		return fmt.Errorf("--db-max-size %d: want a number of bytes, or 0 for no cap", c.DBMaxSize)
	}
	return nil
}

// openStore opens the configured database and its data key; the values
// were checked by validateStore.
func (c *Config) openStore(ctx context.Context) (hookd.Database, error) {
	if err := c.validateStore(); err != nil {
		return nil, err
	}
	if dsn, ok := strings.CutPrefix(c.DB, "sqlite:"); ok {
		path, drv, err := sqlite.ParseDSN(dsn)
		if err != nil {
			return nil, err
		}
		var key *seal.Key
		if c.DataKey != "" {
			key, err = seal.ParseKey(c.DataKey)
		} else {
			key, err = dataKeyFile(path)
		}
		if err != nil {
			return nil, err
		}
		st, err := sqlite.OpenDriver(ctx, drv, path, key)
		if err != nil {
			return nil, err
		}
		if c.DBMaxSize > 0 {
			if err := st.SetMaxSize(ctx, c.DBMaxSize); err != nil {
				st.Close()
				return nil, err
			}
		}
		return st, nil
	}
	return openPostgres(ctx, c)
}

// dataKeyFile is the data key of a SQLite database given no --data-key:
// the file beside it, made at the database's first start. A database that
// already holds data but has no key file was made with --data-key or
// restored without its key: a key made now would open none of its
// secrets, so none is made and hookd does not start.
func dataKeyFile(path string) (*seal.Key, error) {
	keyPath := path + ".key"
	if _, err := os.Stat(keyPath); errors.Is(err, os.ErrNotExist) {
		if db, err := os.Stat(path); err == nil && db.Size() > 0 {
			return nil, fmt.Errorf("--db %s: the database exists but its data key %s does not: restore the key file beside it, or give the key with --data-key (HOOKD_DATA_KEY)", path, keyPath)
		}
	}
	return seal.LoadOrCreate(keyPath)
}
