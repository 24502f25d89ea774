package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// parseServe fills a Config from serve's flags, as runServe does.
func parseServe(t *testing.T, args ...string) *Config {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.flags(fs)
	if err := c.parse(fs, args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return &c
}

// TestConfigValidate: the defaults pass; each bad value is refused with an
// error naming its flag (or variable), before anything is opened.
func TestConfigValidate(t *testing.T) {
	t.Setenv("HOOKD_ADMIN_TOKEN", "")
	if err := parseServe(t).Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
	key := randomKey()
	good := [][]string{
		{"--db", "postgres://127.0.0.1/test", "--data-key", key},
		{"--addr", "127.0.0.1:0", "--debug-addr", "6060", "--log-format", "json", "--log-level", "debug"},
		{"--otel-endpoint", "http://127.0.0.1:4318", "--otel-sample", "0.5", "--egress-allow", "127.0.0.0/8,::1/128"},
		{"--poll-interval", "0", "--max-body", "0"}, // zero: the default
		{"--db", "sqlite:hookd.db?driver=purego"},
	}
	for _, args := range good {
		if err := parseServe(t, args...).Validate(); err != nil {
			t.Errorf("%v refused: %v", args, err)
		}
	}
	bad := [][]string{
		{"--db", "mysql://127.0.0.1/x"},
		{"--db", "sqlite:"},
		{"--db", "sqlite:hookd.db?driver=sqlite4"},
		{"--db", "sqlite:hookd.db?journal_mode=off"},
		{"--data-key", "not base64!"},
		{"--db-max-size", "-1"},
		{"--addr", "8080"},
		{"--egress-allow", "10.0.0.0/33"},
		{"--max-body", "-1"},
		{"--max-batch", "-5"},
		{"--publish-rate", "-1"},
		{"--retention", "-1h"},
		{"--disable-after", "-1s"},
		{"--drain-timeout", "-1s"},
		{"--poll-interval", "-1s"},
		{"--node-ttl", "-30s"},
		{"--stuck-after", "-1s"},
		{"--log-level", "loud"},
		{"--log-format", "xml"},
		{"--debug-addr", "nowhere"},
		{"--otel-endpoint", "ftp://127.0.0.1:4318"},
		{"--otel-sample", "1.5"},
	}
	for _, args := range bad {
		err := parseServe(t, args...).Validate()
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%v: error %v, want one naming %s", args, err, args[0])
		}
	}
	if err := parseServe(t, "--db", "postgres://127.0.0.1/test").Validate(); err == nil || !strings.Contains(err.Error(), "--data-key") {
		t.Errorf("PostgreSQL without a data key: %v, want an error naming --data-key", err)
	}
	// An environment value that does not parse is refused with its
	// variable named, never silently replaced by the default.
	for name, v := range map[string]string{"HOOKD_RETENTION": "abc", "HOOKD_MAX_BODY": "1MB",
		"HOOKD_OTEL_SAMPLE": "half", "HOOKD_ALLOW_UNKNOWN_TYPES": "yes please", "HOOKD_METRICS": "off!",
		"HOOKD_DB_MAX_SIZE": "big", "HOOKD_WRITERS": "many", "HOOKD_PUBLISH_WAIT": "soon"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, v)
			if err := parseServe(t).Validate(); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: error %v, want one naming %s", name, v, err, name)
			}
		})
	}
	// A flag given overrides its variable, and the variable's mistake
	// with it; a variable without its flag is still checked.
	t.Setenv("HOOKD_RETENTION", "abc")
	if c := parseServe(t, "--retention", "1h"); c.Validate() != nil || c.Retention != time.Hour {
		t.Errorf("HOOKD_RETENTION=abc with --retention 1h: %v, retention %v", c.Validate(), c.Retention)
	}
	t.Setenv("HOOKD_MAX_BODY", "1MB")
	if err := parseServe(t, "--retention", "1h").Validate(); err == nil || !strings.Contains(err.Error(), "HOOKD_MAX_BODY") ||
		strings.Contains(err.Error(), "HOOKD_RETENTION") {
		t.Errorf("HOOKD_MAX_BODY=1MB beside --retention: %v, want an error naming only HOOKD_MAX_BODY", err)
	}
	t.Setenv("HOOKD_MAX_BODY", "")
	t.Setenv("HOOKD_RETENTION", "48h")
	t.Setenv("HOOKD_ALLOW_UNKNOWN_TYPES", "true")
	if c := parseServe(t); c.Validate() != nil || c.Retention != 48*time.Hour || !c.AllowUnknownTypes {
		t.Errorf("good environment values: retention %v, unknown types %v", c.Retention, c.AllowUnknownTypes)
	}
	if c := parseServe(t); c.PublishWait != time.Millisecond || never(c.PublishWait) != time.Millisecond {
		t.Errorf("the default publish wait: %v", c.PublishWait)
	}
	t.Setenv("HOOKD_PUBLISH_WAIT", "0")
	if c := parseServe(t); c.Validate() != nil || never(c.PublishWait) >= 0 {
		t.Errorf("HOOKD_PUBLISH_WAIT=0 gives the engine %v, want never (negative)", never(c.PublishWait))
	}
	if c := parseServe(t, "--retention", "0", "--disable-after", "0"); c.Validate() != nil || never(c.Retention) >= 0 || never(c.DisableAfter) >= 0 {
		t.Errorf("--retention 0 and --disable-after 0 give the engine %v and %v, want never (negative)", never(c.Retention), never(c.DisableAfter))
	}
	t.Setenv("HOOKD_PUBLISH_WAIT", "-1ms")
	if err := parseServe(t).Validate(); err == nil || !strings.Contains(err.Error(), "HOOKD_PUBLISH_WAIT") {
		t.Errorf("a negative publish wait: %v", err)
	}
	t.Setenv("HOOKD_PUBLISH_WAIT", "")
	if c := parseServe(t, "--retention", "1h"); c.Retention != time.Hour {
		t.Errorf("a flag beats the environment: retention %v", c.Retention)
	}
	// A variable set but empty is the default, as if unset.
	t.Setenv("HOOKD_DB", "")
	t.Setenv("HOOKD_ADDR", "")
	t.Setenv("HOOKD_LOG_LEVEL", "")
	if c := parseServe(t); c.DB != "sqlite:hookd.db" || c.Addr != ":8080" || c.LogLevel != "info" || c.Validate() != nil {
		t.Errorf("empty variables: db %q, addr %q, log level %q, %v", c.DB, c.Addr, c.LogLevel, c.Validate())
	}
	t.Setenv("HOOKD_ADMIN_TOKEN", "short")
	if err := parseServe(t).Validate(); err == nil || !strings.Contains(err.Error(), "HOOKD_ADMIN_TOKEN") {
		t.Errorf("a short admin token: %v", err)
	}
}
