package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// cli runs the real binary's API verbs to their end: exit code, standard
// output and standard error apart (--json output is parsed from stdout).
func cli(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee) && ctx.Err() == nil:
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("hookd %v: %v: %s%s", args, err, stdout.String(), stderr.String())
	return 0, "", ""
}

// cliJSON runs a verb with --json that must succeed, and decodes its output.
func cliJSON(t *testing.T, env []string, out any, args ...string) {
	t.Helper()
	code, stdout, stderr := cli(t, env, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("hookd %v: exit %d: %s", args, code, stderr)
	}
	if stderr != "" {
		t.Errorf("hookd %v wrote to stderr, which is not a terminal: %q", args, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("hookd %v --json: %v: %s", args, err, stdout)
	}
}

// TestCLIWalkThrough runs the README's walk-through with the CLI: a
// tenant, its token, an endpoint, a publish, the deliveries, a retry; the
// tables; and an error's exit status and message.
func TestCLIWalkThrough(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	a := startApp(t, nil)
	rc := newReceiver(t, nil)
	admin := cleanEnv("HOOKD_URL="+a.url, "HOOKD_TOKEN="+testAdmin)

	var tenant struct{ ID, Name string }
	cliJSON(t, admin, &tenant, "tenant", "create", "--id", "acme", "--name", "Acme Ltd")
	if tenant.ID != "acme" || tenant.Name != "Acme Ltd" {
		t.Fatalf("tenant %+v", tenant)
	}
	var tok struct {
		ID, Token, Name string
		ExpiresAt       time.Time `json:"expires_at"`
	}
	// --expires-in in seconds, as the API's expires_in.
	cliJSON(t, admin, &tok, "token", "create", "--tenant", "acme", "--name", "cli", "--expires-in", "86400")
	if !strings.HasPrefix(tok.Token, "hkt_") || tok.Name != "cli" || time.Until(tok.ExpiresAt) < 23*time.Hour || time.Until(tok.ExpiresAt) > 25*time.Hour {
		t.Fatalf("token %+v", tok)
	}
	// The shared flags may come before the command or the verb.
	var shared struct{ ID string }
	if code, out, errOut := cli(t, cleanEnv(), "--url", a.url, "--token="+testAdmin, "tenant", "--json", "get", "acme"); code != 0 ||
		json.Unmarshal([]byte(out), &shared) != nil || shared.ID != "acme" {
		t.Fatalf("hookd --url U --token T tenant --json get acme: exit %d: %s %s", code, out, errOut)
	}
	// From here on the tenant's token, and its tenant, from the environment.
	env := cleanEnv("HOOKD_URL="+a.url, "HOOKD_TOKEN="+tok.Token, "HOOKD_TENANT=acme")

	var ep struct {
		ID, Secret, URL string
		EventTypes      []string `json:"event_types"`
	}
	cliJSON(t, env, &ep, "endpoint", "create", rc.URL+"/hook", "--event-types", "payment.*", "--header", "X-Env=test")
	if !strings.HasPrefix(ep.Secret, "whsec_") || ep.URL != rc.URL+"/hook" || len(ep.EventTypes) != 1 {
		t.Fatalf("endpoint %+v", ep)
	}
	payload := filepath.Join(t.TempDir(), "payment.json")
	if err := os.WriteFile(payload, []byte(`{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","customer_id":"0fd6d135-a4be-40ac-9630-1738ced7da69",
		"intent_id":"b896af3a-1781-4a48-b173-ce4b2ca6a522","status":"ACCEPTED_BY_BANK","amount":10.17,"currency":"AED"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var pub struct {
		ID         string
		Deliveries []struct {
			ID         string `json:"id"`
			EndpointID string `json:"endpoint_id"`
		}
	}
	cliJSON(t, env, &pub, "event", "publish", "--type", "lean:payment.created", "--payload", "@"+payload, "--ordering-key", "pay_1")
	if pub.ID == "" || len(pub.Deliveries) != 1 || pub.Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("publish %+v", pub)
	}
	got := rc.wait(t, 30*time.Second)
	if got.path != "/hook" || got.header.Get("X-Env") != "test" {
		t.Fatalf("webhook at %s with headers %v", got.path, got.header)
	}

	type delivery struct {
		ID, State string
		Attempts  int `json:"attempt_count"`
	}
	var ds []delivery
	eventually(t, 30*time.Second, "the delivery listed as succeeded", func() bool {
		ds = nil
		cliJSON(t, env, &ds, "delivery", "list", "--endpoint", ep.ID)
		return len(ds) == 1 && ds[0].State == "succeeded"
	})
	var retried delivery
	cliJSON(t, env, &retried, "delivery", "retry", ds[0].ID)
	if retried.ID != ds[0].ID || retried.State != "pending" {
		t.Fatalf("retry %+v", retried)
	}
	rc.wait(t, 30*time.Second)
	eventually(t, 30*time.Second, "the retried delivery with its second attempt", func() bool {
		var d struct {
			delivery
			List []json.RawMessage `json:"attempts"`
		}
		cliJSON(t, env, &d, "delivery", "get", ds[0].ID)
		return d.State == "succeeded" && len(d.List) == 2
	})

	// The tables: a header and one row per item.
	code, out, _ := cli(t, env, "endpoint", "list")
	if code != 0 || !strings.Contains(out, "URL") || !strings.Contains(out, ep.ID) || !strings.Contains(out, "payment.*") {
		t.Fatalf("endpoint list: exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, env, "delivery", "get", ds[0].ID)
	if code != 0 || !strings.Contains(out, "ATTEMPT") || strings.Count(out, "\n2 ") != 1 {
		t.Fatalf("delivery get: exit %d:\n%s", code, out)
	}
	code, out, _ = cli(t, env, "event", "list", "--type", "payment.*")
	if code != 0 || !strings.Contains(out, pub.ID) || !strings.Contains(out, "pay_1") {
		t.Fatalf("event list: exit %d:\n%s", code, out)
	}
	var ops []struct{ Name, Provider string }
	cliJSON(t, env, &ops, "event-type", "list", "--provider", "hookd")
	if len(ops) == 0 || ops[0].Provider != "hookd" {
		t.Fatalf("event-type list --provider hookd: %+v", ops)
	}
	var evs []struct{ ID string }
	cliJSON(t, env, &evs, "event", "list", "--delivery", "succeeded")
	if len(evs) != 1 || evs[0].ID != pub.ID {
		t.Fatalf("event list --delivery succeeded: %+v", evs)
	}
	cliJSON(t, env, &evs, "event", "list", "--delivery", "failed")
	if len(evs) != 0 {
		t.Fatalf("event list --delivery failed: %+v", evs)
	}

	// Update changes only what is given; an empty list is given.
	var up struct {
		Description string
		EventTypes  []string          `json:"event_types"`
		Headers     map[string]string `json:"headers"`
		Disabled    bool
		Reason      string `json:"disabled_reason"`
	}
	cliJSON(t, env, &up, "endpoint", "update", ep.ID, "--description", "payments", "--event-types", "")
	if up.Description != "payments" || len(up.EventTypes) != 1 || up.EventTypes[0] != "*" || up.Headers["X-Env"] != "test" {
		t.Fatalf("update %+v", up)
	}
	cliJSON(t, env, &up, "endpoint", "disable", ep.ID, "--reason", "maintenance")
	if !up.Disabled || up.Reason != "maintenance" {
		t.Fatalf("disable %+v", up)
	}
	cliJSON(t, env, &up, "endpoint", "enable", ep.ID)
	if up.Disabled {
		t.Fatalf("enable %+v", up)
	}
	// Delays in seconds or as durations, as the API takes them.
	var sched struct {
		RetrySchedule []int `json:"retry_schedule"`
	}
	cliJSON(t, env, &sched, "endpoint", "update", ep.ID, "--retry-schedule", "5,5m,3600")
	if !slices.Equal(sched.RetrySchedule, []int{5, 300, 3600}) {
		t.Fatalf("retry schedule %v, want [5 300 3600]", sched.RetrySchedule)
	}
	if code, out, _ := cli(t, env, "endpoint", "get", ep.ID); code != 0 || !strings.Contains(out, "5s,5m0s,1h0m0s") || !strings.Contains(out, "X-Env: test") {
		t.Fatalf("endpoint get shows no retry schedule or headers: exit %d:\n%s", code, out)
	}
	var rot struct{ Secret string }
	cliJSON(t, env, &rot, "endpoint", "rotate", ep.ID, "--grace", "3600")
	if !strings.HasPrefix(rot.Secret, "whsec_") || rot.Secret == ep.Secret {
		t.Fatalf("rotate %+v", rot)
	}

	var st struct {
		Buckets []json.RawMessage
		Totals  struct{ Succeeded, Attempts int }
	}
	cliJSON(t, env, &st, "endpoint", "stats", ep.ID, "--since", "1h", "--interval", "10m")
	if len(st.Buckets) < 6 || st.Totals.Succeeded < 1 || st.Totals.Attempts != 2 {
		t.Fatalf("stats %+v", st)
	}

	// Errors: the API's message, code and status, exit 1.
	code, out, errOut := cli(t, env, "endpoint", "get", "ep_missing")
	if code != 1 || out != "" || !strings.Contains(errOut, "endpoint get: ") || !strings.Contains(errOut, "(not_found, HTTP 404)") {
		t.Fatalf("unknown endpoint: exit %d: %q %q", code, out, errOut)
	}
	code, _, errOut = cli(t, env, "event", "publish", "--type", "lean:payment.created", "--payload", `{"id":1}`)
	if code != 1 || !strings.Contains(errOut, "(validation_failed, HTTP 422)") || !strings.Contains(errOut, "\n  $.payload.") {
		t.Fatalf("invalid payload: exit %d: %q", code, errOut)
	}
	code, _, errOut = cli(t, env, "tenant", "list")
	if code != 1 || !strings.Contains(errOut, "admin token") || !strings.Contains(errOut, "HTTP 403") {
		t.Fatalf("tenant list with a tenant token: exit %d: %q", code, errOut)
	}
	code, _, errOut = cli(t, cleanEnv("HOOKD_URL="+a.url, "HOOKD_TOKEN=wrong-token"), "endpoint", "list", "--tenant", "acme")
	if code != 1 || !strings.Contains(errOut, "HTTP 401") {
		t.Fatalf("wrong token: exit %d: %q", code, errOut)
	}
}

// TestCLIVerbArguments: every verb's --help exits 0 with its own flags and
// never a token; a stray or missing argument, an unknown verb and a
// missing token are errors.
func TestCLIVerbArguments(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	env := cleanEnv("HOOKD_URL=http://127.0.0.1:1", "HOOKD_TOKEN=secret-token-value")
	verbs := map[string][]string{
		"tenant":     {"create", "list", "get", "update", "delete"},
		"token":      {"create", "list", "delete"},
		"endpoint":   {"create", "list", "get", "update", "delete", "rotate", "enable", "disable", "recover", "test", "stats", "feed", "feed-ack"},
		"event":      {"publish", "list", "get"},
		"delivery":   {"list", "get", "retry"},
		"event-type": {"list", "get", "create"},
		"source":     {"create", "list", "get", "update", "delete", "rotate", "errors", "requests", "request"},
	}
	own := map[string]string{"endpoint create": "-event-types", "endpoint rotate": "-grace", "endpoint disable": "-reason",
		"endpoint recover": "-since", "endpoint stats": "-interval",
		"endpoint feed": "-consumer", "endpoint feed-ack": "-cursor", "event publish": "-payload", "delivery list": "-state", "token create": "-expires-in",
		"endpoint update": "-endpoint-url", "event-type create": "-schema", "tenant create": "-name"}
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`(?m)^\s+-(\w[\w-]*)`)
	for group, vs := range verbs {
		code, out, _ := cli(t, env, group, "--help")
		if code != 0 || !strings.Contains(out, vs[len(vs)-1]) {
			t.Errorf("hookd %s --help: exit %d: %s", group, code, out)
		}
		if code, out, _ := cli(t, env, "-h"); code != 0 || !strings.Contains(out, "hookd "+group+" ") || !strings.Contains(out, vs[len(vs)-1]) {
			t.Errorf("hookd -h does not list %s %s: %s", group, vs[len(vs)-1], out)
		}
		for _, v := range vs {
			// Help asked for is on standard output.
			code, all, _ := cli(t, env, group, v, "--help")
			if code != 0 || !strings.Contains(all, "usage: hookd "+group+" "+v) || !strings.Contains(all, "-json") ||
				!strings.Contains(all, "-url") || strings.Contains(all, "secret-token-value") {
				t.Errorf("hookd %s %s --help: exit %d: %s", group, v, code, all)
			}
			if f := own[group+" "+v]; f != "" && !strings.Contains(all, f) {
				t.Errorf("hookd %s %s --help does not show %s: %s", group, v, f, all)
			}
			for _, f := range flagLine.FindAllStringSubmatch(all, -1) {
				if !strings.Contains(string(doc), "`--"+f[1]) {
					t.Errorf("docs/configuration.md does not name hookd %s %s --%s", group, v, f[1])
				}
			}
		}
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"endpoint", "get", "--tenant", "acme", "ep_1", "ep_2"}, `unexpected argument "ep_2"`},
		{[]string{"tenant", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"delivery", "retry", "--tenant", "acme"}, "ID is required"},
		{[]string{"endpoint", "list"}, "a tenant is required"},
		{[]string{"endpoint", "fly"}, `unknown verb "fly"`},
		{[]string{"endpoint"}, "a verb is required"},
		{[]string{"tenant", "list", "--url", "localhost:8080"}, "want the API's http:// or https:// URL"},
		{[]string{"token", "create", "--tenant", "acme", "--admin"}, "not both"},
		{[]string{"endpoint", "update", "--tenant", "acme", "ep_1"}, "nothing to change"},
		{[]string{"endpoint", "recover", "--tenant", "acme", "ep_1"}, "--since is required"},
		{[]string{"event-type", "list", "--provider", "stripe"}, `--provider "stripe"`},
		{[]string{"token", "create", "--tenant", "acme", "--expires-in", "soon"}, "want whole seconds (3600) or a duration"},
		{[]string{"token", "create", "--tenant", "acme", "--expires-in", "0"}, "leave the flag out for a token that does not expire"},
		{[]string{"token", "create", "--admin", "--expires-in", "0s"}, "leave the flag out for a token that does not expire"},
		{[]string{"endpoint", "create", "--tenant", "acme", "http://127.0.0.1:1/", "--retry-schedule", "5,x"}, `--retry-schedule: "x"`},
		{[]string{"--tenant", "acme", "endpoint", "fly"}, `unknown verb "fly"`},
		{[]string{"event", "publish", "--tenant", "acme"}, "--type and --payload are required"},
		{[]string{"event", "publish", "--tenant", "acme", "--type", "a.b", "--payload", "{bad"}, "--payload: not valid JSON"},
		{[]string{"endpoint", "rotate", "--tenant", "acme", "--activate-at", "nope", "ep_1"}, `--activate-at "nope"`},
		{[]string{"tenant", "update", "--metadata=", "acme"}, "--metadata: give a JSON object"},
		{[]string{"event-type", "create", "--schema", "-", "--example", "-", "x.y"}, "cannot both read standard input"},
		{[]string{"source", "create", "--tenant", "acme", "--profile", "linkmoney", "--basic-auth", "nocolon"}, "--basic-auth: want USER:PASSWORD"},
		{[]string{"source", "update", "--tenant", "acme", "--header-key", "novalue", "srcid_1"}, "--header-key: want NAME=VALUE"},
		// The local tools say theirs the same way.
		{[]string{"listen", "--profile", "bogus"}, `--profile "bogus"`},
		{[]string{"listen", "--status", "7"}, "--status 7"},
		{[]string{"simulate", "--tenant", "acme", "--count", "0", "lean"}, "--count must be from 1 to 100000"},
		{[]string{"simulate", "--tenant", "acme"}, "name at least one lifecycle"},
		{[]string{"simulate", "--tenant", "acme", "stripe.payment"}, `unknown lifecycle "stripe.payment"`},
		{[]string{"trigger", "--tenant", "acme"}, "an event type is required"},
	}
	for _, c := range bad {
		// Each is a mistake in the command line: said once, with the
		// usage, exit 2.
		code, _, errOut := cli(t, env, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(errOut, c.want) != 1 {
			t.Errorf("hookd %v: exit %d, want 2 and an error saying %s once: %s", c.args, code, c.want, errOut)
		}
	}
	code, _, errOut := cli(t, cleanEnv(), "tenant", "list")
	if code == 0 || !strings.Contains(errOut, "a token is required") {
		t.Errorf("no token: exit %d: %s", code, errOut)
	}
	// A mistake in the flags is said once, with the usage, and exits 2.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"tenant", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"event", "list", "--limit", "x"}, `invalid value "x" for flag -limit`},
		{[]string{"serve", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"trigger", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"simulate", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, out, errOut := cli(t, cleanEnv(), c.args...)
		if code != 2 || out != "" || strings.Count(errOut, c.want) != 1 || !strings.Contains(errOut, "usage") && !strings.Contains(errOut, "Usage") {
			t.Errorf("hookd %v: exit %d, stdout %q, want %q once and the usage on stderr:\n%s", c.args, code, out, c.want, errOut)
		}
	}
}

// TestDescribe: an API error reads as the verb, the message, its code and
// status, then a line per detail, whose path is not said twice when the
// detail's message begins with it.
func TestDescribe(t *testing.T) {
	err := &hookd.Error{Code: hookd.EINVALID, Message: "url: target address is not allowed: 127.0.0.1",
		Details: []hookd.Detail{{Path: "url", Message: "url: target address is not allowed: 127.0.0.1"}, {Path: "event_types[1]", Message: "unknown type"}}}
	got := describe("endpoint create", err).Error()
	want := "endpoint create: url: target address is not allowed: 127.0.0.1 (invalid)\n  url: target address is not allowed: 127.0.0.1\n  event_types[1]: unknown type"
	if got != want {
		t.Errorf("describe:\n%s\nwant\n%s", got, want)
	}
	one := hookd.FieldErrorf(hookd.EINVALID, "limit", "range", "limit must be a number from 1 to 1000")
	if got, want := describe("event list", one).Error(), "event list: limit must be a number from 1 to 1000 (invalid)"; got != want {
		t.Errorf("describe of one field's error:\n%s\nwant\n%s", got, want)
	}
}
