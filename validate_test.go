package hookd_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestTenantValidate(t *testing.T) {
	long := strings.Repeat("a", 129)
	for _, c := range []struct {
		t    hookd.Tenant
		want string // "" valid; else a part of the message
	}{
		{hookd.Tenant{ID: "acme", Name: "Acme"}, ""},
		{hookd.Tenant{ID: "a_b.c:d-1", Name: "x", Metadata: json.RawMessage(`{"k":1}`)}, ""},
		{hookd.Tenant{ID: "acme", Name: "x", Metadata: json.RawMessage(`null`)}, ""},
		{hookd.Tenant{ID: "acme"}, "name is required"},
		{hookd.Tenant{ID: "", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "-acme", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "ac me", Name: "x"}, "id must be"},
		{hookd.Tenant{ID: long, Name: "x"}, "id must be"},
		{hookd.Tenant{ID: "acme", Name: "x", Metadata: json.RawMessage(`[1]`)}, "metadata must be a JSON object"},
	} {
		err := c.t.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.t, err)
			}
			continue
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %s: %q", c.t, err, hookd.EINVALID, c.want)
		}
	}
}

func TestTenantUpdateValidate(t *testing.T) {
	empty, name := "", "Acme"
	arr := json.RawMessage(`"x"`)
	obj := json.RawMessage(`{}`)
	for _, c := range []struct {
		u    hookd.TenantUpdate
		want string
	}{
		{hookd.TenantUpdate{}, ""},
		{hookd.TenantUpdate{Name: &name, Metadata: &obj}, ""},
		{hookd.TenantUpdate{Name: &empty}, "name must not be empty"},
		{hookd.TenantUpdate{Metadata: &arr}, "metadata must be a JSON object"},
	} {
		err := c.u.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.u, err)
			}
			continue
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.u, err, c.want)
		}
	}
}

func TestNotOperational(t *testing.T) {
	if err := hookd.NotOperational("type", "hookd.endpoint.disabled"); hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), `type "hookd.endpoint.disabled"`) {
		t.Errorf("hookd.endpoint.disabled: %v", err)
	}
	if err := hookd.NotOperational("type", "payment.created"); err != nil {
		t.Errorf("payment.created: %v", err)
	}
}

func TestEndpointValidate(t *testing.T) {
	ok := func() hookd.Endpoint {
		return hookd.Endpoint{URL: "http://127.0.0.1:9000/hook", Profile: "standard"}
	}
	e := ok()
	if err := e.Validate(); err != nil || e.Ordering != hookd.OrderingNone {
		t.Fatalf("a plain endpoint: %v, ordering %q (want none)", err, e.Ordering)
	}
	for _, c := range []struct {
		name string
		set  func(*hookd.Endpoint)
		want string
	}{
		{"no url", func(e *hookd.Endpoint) { e.URL = "" }, "url is required"},
		{"long url", func(e *hookd.Endpoint) { e.URL = "http://127.0.0.1/" + strings.Repeat("a", 2048) }, "url is longer than 2048 bytes"},
		{"rate", func(e *hookd.Endpoint) { e.RateLimit = -1 }, "rate_limit_per_s must be from 0"},
		{"rate high", func(e *hookd.Endpoint) { e.RateLimit = 100_001 }, "rate_limit_per_s must be from 0"},
		{"ordering", func(e *hookd.Endpoint) { e.Ordering = "fifo" }, `ordering must be "none" or "key"`},
		{"timeout low", func(e *hookd.Endpoint) { e.TimeoutMS = 99 }, "timeout_ms must be from 100 to 60000"},
		{"timeout high", func(e *hookd.Endpoint) { e.TimeoutMS = 60_001 }, "timeout_ms must be from 100 to 60000"},
		{"schedule long", func(e *hookd.Endpoint) { e.RetrySchedule = make([]hookd.Duration, 21) }, "at most 20 delays"},
		{"schedule short delay", func(e *hookd.Endpoint) {
			e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Minute), hookd.Duration(time.Millisecond)}
		}, "retry_schedule[1] is 1ms"},
		{"schedule long delay", func(e *hookd.Endpoint) { e.RetrySchedule = []hookd.Duration{hookd.Duration(169 * time.Hour)} }, "retry_schedule[0]"},
		{"header name", func(e *hookd.Endpoint) { e.Headers = map[string]string{"X Bad": "v"} }, "is not a valid HTTP header name"},
		{"framing header", func(e *hookd.Endpoint) { e.Headers = map[string]string{"content-type": "text/plain"} }, `header "content-type" is reserved`},
		{"webhook- header", func(e *hookd.Endpoint) { e.Headers = map[string]string{"Webhook-Extra": "v"} }, "is reserved"},
		{"header value", func(e *hookd.Endpoint) { e.Headers = map[string]string{"X-A": "a\r\nb"} }, `header "X-A" has an invalid value`},
		{"many headers", func(e *hookd.Endpoint) {
			e.Headers = map[string]string{}
			for i := range 21 {
				e.Headers[fmt.Sprintf("X-%d", i)] = "v"
			}
		}, "at most 20 headers"},
		{"description", func(e *hookd.Endpoint) { e.Description = strings.Repeat("d", 1025) }, "description is longer than 1024"},
	} {
		e := ok()
		c.set(&e)
		err := e.Validate()
		if e.Headers != nil {
			// Headers are judged as a create or an update sets them.
			err = hookd.CheckHeaders(e.Headers)
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
	e = ok()
	e.Ordering, e.TimeoutMS, e.RateLimit = hookd.OrderingKey, 100, 100_000
	e.RetrySchedule = []hookd.Duration{hookd.Duration(time.Second), hookd.Duration(168 * time.Hour)}
	e.Headers = map[string]string{"X-Tenant": "acme", "Authorization": "Bearer x"}
	if err := e.Validate(); err != nil {
		t.Errorf("bounds: %v", err)
	}
	if err := hookd.CheckHeaders(e.Headers); err != nil {
		t.Errorf("headers: %v", err)
	}
}

func TestEndpointUpdateValidate(t *testing.T) {
	zero, ok := 0, 500
	long, line := strings.Repeat("r", 1025), "paused for maintenance"
	two := "a\nb"
	for _, c := range []struct {
		u    hookd.EndpointUpdate
		want string
	}{
		{hookd.EndpointUpdate{}, ""},
		{hookd.EndpointUpdate{TimeoutMS: &ok, DisabledReason: &line}, ""},
		{hookd.EndpointUpdate{TimeoutMS: &zero}, "leave it out for the profile's default"},
		{hookd.EndpointUpdate{DisabledReason: &long}, "disabled_reason must be one line of at most 1024 characters"},
		{hookd.EndpointUpdate{DisabledReason: &two}, "disabled_reason must be one line"},
	} {
		err := c.u.Validate()
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.u, err)
			}
			continue
		}
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want %q", c.u, err, c.want)
		}
	}
}

// TestWants: a pattern selects a type by its name or by its wire name,
// so callers ask once with the type as stored.
func TestWants(t *testing.T) {
	for _, c := range []struct {
		patterns []string
		typ      string
		want     bool
	}{
		{[]string{"payment.created"}, "lean:payment.created", true},
		{[]string{"payment.created"}, "payment.created", true},
		{[]string{"payment.*"}, "linkmoney:payment.created", true},
		{[]string{"lean:payment.created"}, "lean:payment.created", true},
		{[]string{"lean:payment.created"}, "linkmoney:payment.created", false},
		{[]string{"lean:payment.created"}, "payment.created", false},
		{[]string{"entity.created"}, "entity.created", true},
		{[]string{"*"}, "lean:payment.created", true},
		{[]string{"*"}, hookd.EndpointDisabled, false},
		{[]string{"hookd.*"}, hookd.EndpointDisabled, true},
		{[]string{"payment.*"}, "paymentXcreated", false},
		{nil, "payment.created", false},
	} {
		e := hookd.Endpoint{EventTypes: c.patterns}
		if got := e.Wants(c.typ); got != c.want {
			t.Errorf("%v wants %s: %v, want %v", c.patterns, c.typ, got, c.want)
		}
	}
}

func TestCheckPattern(t *testing.T) {
	for p, bad := range map[string]bool{
		"*": false, "payment.created": false, "lean:payment.created": false, "payment.*": false, "a.b.*": false,
		"pay*": true, "lean:payment.*": true, ".*": true, "**": true, "a b": true, "": true,
		strings.Repeat("a", 129): true, "pay*ment": true,
	} {
		if msg := hookd.CheckPattern(p); (msg != "") != bad {
			t.Errorf("%q: %q, want refused %v", p, msg, bad)
		}
	}
	for name, ok := range map[string]bool{"payment.created": true, "lean:payment.created": true, "payment.*": false, "*": false, "": false, strings.Repeat("a", 129): false} {
		if hookd.ValidTypeName(name) != ok {
			t.Errorf("ValidTypeName(%q) = %v", name, !ok)
		}
	}
}

// The patterns ids and type names were checked with: nameChars must
// accept exactly what they accept.
var (
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)
	typePattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)
)

// FuzzNameChars: CheckID and ValidTypeName accept what their regular
// expressions accepted.
func FuzzNameChars(f *testing.F) {
	for _, s := range []string{"", "a", "-a", "a-", "evt_1", "lean:payment.created", "a b", "a*", "é", "a\n",
		strings.Repeat("a", 128), strings.Repeat("a", 129), "_x", ".x", ":x", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := hookd.CheckID("id", s) == nil, idPattern.MatchString(s); got != want {
			t.Errorf("CheckID(%q): %v, the pattern %v", s, got, want)
		}
		if got, want := hookd.ValidTypeName(s), typePattern.MatchString(s); got != want {
			t.Errorf("ValidTypeName(%q): %v, the pattern %v", s, got, want)
		}
	})
}
