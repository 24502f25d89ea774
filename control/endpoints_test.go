package control_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func ptr[T any](v T) *T { return &v }

// tenant creates the tenant acme.
func (b *bundle) tenant(t *testing.T) {
	t.Helper()
	if err := b.svc.CreateTenant(context.Background(), &hookd.Tenant{ID: "acme", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
}

func TestEndpointCreate(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()

	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/hook"),
		EventTypes: &[]string{"lean:entity.created", "payment.*", "payment.*"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(e.ID, "ep_") || e.Profile != "standard" || e.Ordering != hookd.OrderingNone {
		t.Errorf("created %+v: want an ep_ id, profile standard, ordering none", e)
	}
	// Stored as the catalog names it, repeated entries once.
	if got := strings.Join(e.EventTypes, ","); got != "entity.created,payment.*" {
		t.Errorf("event_types stored as %s", got)
	}
	if len(e.Secrets) != 1 || !strings.HasPrefix(e.Secrets[0].Value, "whsec_") {
		t.Errorf("secrets %v: want one new whsec_ secret", e.Secrets)
	}
	stored, err := b.svc.Endpoint(ctx, "acme", e.ID)
	if err != nil || stored.Secrets[0].Value != e.Secrets[0].Value {
		t.Fatalf("read back %+v, %v", stored, err)
	}
	if all, err := b.svc.Endpoints(ctx, "acme", hookd.Page{}); err != nil || len(all) != 1 {
		t.Fatalf("list: %v, %v", all, err)
	}
	_, err = b.svc.Endpoints(ctx, "nobody", hookd.Page{})
	code(t, err, hookd.ENOTFOUND)

	// A lean endpoint with a secret of Lean's form (printable ASCII).
	lean, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/lean"), Profile: ptr("lean")}, strings.Repeat("ab", 32))
	if err != nil || lean.Secrets[0].Value != strings.Repeat("ab", 32) {
		t.Fatalf("lean with a given secret: %+v, %v", lean, err)
	}
	// The short secret of a provider account, reused (the SPEC sets no
	// length): taken by lean and weavr endpoints alike, as sources take it.
	for _, prof := range []string{"lean", "weavr"} {
		e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/" + prof), Profile: ptr(prof)}, "my-lean-secret")
		if err != nil || e.Secrets[0].Value != "my-lean-secret" {
			t.Fatalf("%s with a 14-character secret: %+v, %v", prof, e, err)
		}
	}

	for _, c := range []struct {
		name   string
		u      hookd.EndpointUpdate
		secret string
		code   string
		msg    string
	}{
		{"no url", hookd.EndpointUpdate{}, "", hookd.EINVALID, "url is required"},
		{"timeout 0", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), TimeoutMS: ptr(0)}, "", hookd.EINVALID, "timeout_ms"},
		{"blocked address", hookd.EndpointUpdate{URL: ptr("http://10.0.0.1/")}, "", hookd.EINVALID, "url:"},
		{"profile", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), Profile: ptr("svix")}, "", hookd.EINVALID, `unknown profile "svix"`},
		{"unknown type", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), EventTypes: &[]string{"payment.created", "order.nope"}}, "", hookd.EUNPROCESSABLE, `event_types[1]: unknown event type "order.nope"`},
		{"bad pattern", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), EventTypes: &[]string{"pay*"}}, "", hookd.EUNPROCESSABLE, "event_types[0]"},
		{"lean's header", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), Headers: &map[string]string{"lean-signature": "x"}}, "", hookd.EINVALID, `header "lean-signature" is reserved`},
		{"weavr's header", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), Headers: &map[string]string{"Call-Ref": "x"}}, "", hookd.EINVALID, "is reserved"},
		{"secret form", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/")}, "not-a-whsec", hookd.EINVALID, "secret:"},
		{"lean secret too short", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/"), Profile: ptr("lean")}, "1234567", hookd.EINVALID, "secret: a lean secret is 8 to 256 printable ASCII characters"},
	} {
		_, err := b.svc.CreateEndpoint(ctx, "acme", &c.u, c.secret)
		if hookd.ErrorCode(err) != c.code || !strings.Contains(hookd.ErrorMessage(err), c.msg) {
			t.Errorf("%s: got %v, want %s %q", c.name, err, c.code, c.msg)
		}
	}
	if all, _ := b.svc.Endpoints(ctx, "acme", hookd.Page{}); len(all) != 4 {
		t.Errorf("%d endpoints after refused creates, want 4", len(all))
	}
}

// TestEndpointErrorDetails: a refused field of an endpoint is named in
// the error's details (its JSON name, with the index of a list's entry),
// as docs/api.md says, beside the message that names it.
func TestEndpointErrorDetails(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	ok := "http://127.0.0.1:9/hook"
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr(ok)}, "")
	if err != nil {
		t.Fatal(err)
	}
	many := make([]string, hookd.MaxEventTypes+1)
	for i := range many {
		many[i] = "payment.created"
	}
	for _, c := range []struct {
		name string
		u    hookd.EndpointUpdate
		path string
	}{
		{"no url", hookd.EndpointUpdate{}, "url"},
		{"long url", hookd.EndpointUpdate{URL: ptr("http://127.0.0.1/" + strings.Repeat("x", 2048))}, "url"},
		{"url scheme", hookd.EndpointUpdate{URL: ptr("ftp://127.0.0.1/x")}, "url"},
		{"blocked url", hookd.EndpointUpdate{URL: ptr("http://10.0.0.1/")}, "url"},
		{"profile", hookd.EndpointUpdate{URL: ptr(ok), Profile: ptr("svix")}, "profile"},
		{"unknown type", hookd.EndpointUpdate{URL: ptr(ok), EventTypes: &[]string{"payment.created", "order.nope"}}, "event_types[1]"},
		{"bad pattern", hookd.EndpointUpdate{URL: ptr(ok), EventTypes: &[]string{"pay*"}}, "event_types[0]"},
		{"bad name", hookd.EndpointUpdate{URL: ptr(ok), EventTypes: &[]string{"payment.created", "a b"}}, "event_types[1]"},
		{"too many types", hookd.EndpointUpdate{URL: ptr(ok), EventTypes: &many}, "event_types"},
		{"ordering", hookd.EndpointUpdate{URL: ptr(ok), Ordering: ptr("fifo")}, "ordering"},
		{"timeout", hookd.EndpointUpdate{URL: ptr(ok), TimeoutMS: ptr(5)}, "timeout_ms"},
		{"rate limit", hookd.EndpointUpdate{URL: ptr(ok), RateLimit: ptr(-1)}, "rate_limit_per_s"},
		{"retry delay", hookd.EndpointUpdate{URL: ptr(ok), RetrySchedule: &[]hookd.Duration{hookd.Duration(time.Second), 0}}, "retry_schedule[1]"},
		{"reserved header", hookd.EndpointUpdate{URL: ptr(ok), Headers: &map[string]string{"lean-signature": "x"}}, "headers"},
		{"signature", hookd.EndpointUpdate{URL: ptr(ok), Signature: ptr("v2")}, "signature"},
		{"v1a on lean", hookd.EndpointUpdate{URL: ptr(ok), Profile: ptr("lean"), Signature: ptr("v1a")}, "signature"},
	} {
		check := func(how string, err error) {
			t.Helper()
			var he *hookd.Error
			if !errors.As(err, &he) {
				t.Errorf("%s %s: %v, want a *hookd.Error", how, c.name, err)
				return
			}
			if len(he.Details) != 1 || he.Details[0].Path != c.path || he.Details[0].Message == "" || he.Details[0].Rule == "" {
				t.Errorf("%s %s: %q with details %+v, want one naming %s with a rule and a message", how, c.name, he.Message, he.Details, c.path)
			}
		}
		_, err := b.svc.CreateEndpoint(ctx, "acme", &c.u, "")
		check("create", err)
		if c.u.URL != nil {
			_, err = b.svc.UpdateEndpoint(ctx, "acme", e.ID, &c.u)
			check("update", err)
		}
	}
}

func TestEndpointUpdateRotateDisable(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/hook"), EventTypes: &[]string{"payment.created"}}, "")
	if err != nil {
		t.Fatal(err)
	}

	// A reason without disabling, a secret that does not fit the new
	// profile: refused, and nothing changes.
	_, err = b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{DisabledReason: ptr("why")})
	code(t, err, hookd.EINVALID)
	lean, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/lean"), Profile: ptr("lean")}, "a lean secret, not whsec_")
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.UpdateEndpoint(ctx, "acme", lean.ID, &hookd.EndpointUpdate{Profile: ptr("standard")})
	if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), `does not fit profile "standard"`) {
		t.Fatalf("profile change with a lean secret: %v", err)
	}
	if got, _ := b.svc.Endpoint(ctx, "acme", lean.ID); got.Profile != "lean" {
		t.Errorf("profile %s after a refused change", got.Profile)
	}
	_, err = b.svc.UpdateEndpoint(ctx, "acme", "ep_nope", &hookd.EndpointUpdate{})
	code(t, err, hookd.ENOTFOUND)

	u, err := b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{Description: ptr("orders"), Ordering: ptr(hookd.OrderingKey)})
	if err != nil || u.Description != "orders" || u.Ordering != hookd.OrderingKey || u.Profile != "standard" {
		t.Fatalf("update: %+v, %v", u, err)
	}

	b.clock.t = b.clock.t.Add(time.Minute)
	rot, err := b.svc.RotateSecret(ctx, "acme", e.ID, hookd.Rotation{GraceSeconds: ptr(int64(3600))})
	if err != nil {
		t.Fatal(err)
	}
	if !rot.ActiveFrom.Equal(b.clock.t) || !rot.PreviousExpiresAt.Equal(b.clock.t.Add(time.Hour)) {
		t.Errorf("rotated %+v at %v: standard signs with both for the grace hour", rot, b.clock.t)
	}
	got, _ := b.svc.Endpoint(ctx, "acme", e.ID)
	if s := got.ActiveSecrets(b.clock.t); len(s) != 2 || s[0] != rot.Secret {
		t.Errorf("active secrets %v: want the new one first, then the old", s)
	}

	d, err := b.svc.DisableEndpoint(ctx, "acme", e.ID, "")
	if err != nil || !d.Disabled || d.DisabledReason != hookd.ManualDisableReason {
		t.Fatalf("disable: %+v, %v", d, err)
	}
	_, err = b.svc.DisableEndpoint(ctx, "acme", e.ID, "two\nlines")
	code(t, err, hookd.EINVALID)
	d, err = b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{DisabledReason: ptr("maintenance")})
	if err != nil || d.DisabledReason != "maintenance" {
		t.Fatalf("reason of a disabled endpoint: %+v, %v", d, err)
	}
	d, err = b.svc.EnableEndpoint(ctx, "acme", e.ID)
	if err != nil || d.Disabled || d.DisabledReason != "" {
		t.Fatalf("enable: %+v, %v", d, err)
	}

	if err := b.svc.DeleteEndpoint(ctx, "acme", e.ID); err != nil {
		t.Fatal(err)
	}
	_, err = b.svc.Endpoint(ctx, "acme", e.ID)
	code(t, err, hookd.ENOTFOUND)
}

// TestEndpointTest: the example is of the endpoint's provider, or the type
// asked for, resolved with the provider preferred; it goes to this
// endpoint alone, marked as a test.
func TestEndpointTest(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	mk := func(profile string, types ...string) *hookd.Endpoint {
		e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/" + profile),
			Profile: ptr(profile), EventTypes: &types}, "")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	lean := mk("lean", "payment.created")
	std := mk("standard", "payment.created")

	res, err := b.svc.TestEndpoint(ctx, "acme", lean.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != lean.ID {
		t.Fatalf("test of %s: deliveries %v, want one to it alone", lean.ID, res.Deliveries)
	}
	ev, _, err := b.svc.Event(ctx, "acme", res.ID)
	if err != nil || ev.Type != "lean:payment.created" || !ev.Test {
		t.Fatalf("test event %+v, %v: want lean:payment.created, marked test", ev, err)
	}

	// Two providers define payment.created: ambiguous on a standard
	// endpoint, Lean's on a lean one.
	_, err = b.svc.TestEndpoint(ctx, "acme", std.ID, "payment.created")
	code(t, err, hookd.EUNPROCESSABLE)
	if res, err = b.svc.TestEndpoint(ctx, "acme", lean.ID, "payment.created"); err != nil {
		t.Fatal(err)
	}
	if ev, _, _ = b.svc.Event(ctx, "acme", res.ID); ev.Type != "lean:payment.created" {
		t.Errorf("payment.created on a lean endpoint is %s", ev.Type)
	}
	_, err = b.svc.TestEndpoint(ctx, "acme", lean.ID, "pay*")
	code(t, err, hookd.EINVALID)
}

// TestHeadersStoredBeforeKept: custom headers an endpoint was given before
// a rule refused them (a release ago) are not judged again by an update
// that does not set headers, so the endpoint stays editable; an update
// that sets them is judged.
func TestHeadersStoredBeforeKept(t *testing.T) {
	b := setup(t)
	b.tenant(t)
	ctx := context.Background()
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/hook")}, "")
	if err != nil {
		t.Fatal(err)
	}
	e.Headers = map[string]string{"TE": "trailers", "X-Dup": "1", "x-dup": "2"} // as an older release stored them
	if err := b.store.SaveEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	up, err := b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{Description: ptr("edited")})
	if err != nil || up.Description != "edited" || len(up.Headers) != 3 {
		t.Fatalf("an edit that leaves the headers: %+v %v", up, err)
	}
	_, err = b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{Headers: &map[string]string{"TE": "trailers"}})
	code(t, err, hookd.EINVALID)
	if up, err = b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{Headers: &map[string]string{"X-Env": "test"}}); err != nil || len(up.Headers) != 1 {
		t.Fatalf("new headers: %+v %v", up, err)
	}
}

// interleaved is a store that runs between, once, just before an
// endpoint's save: another change stored between that save's read and its
// write.
type interleaved struct {
	hookd.Database
	between func()
}

func (s *interleaved) SaveEndpoint(ctx context.Context, e *hookd.Endpoint) error {
	if f := s.between; f != nil {
		s.between = nil
		f()
	}
	return s.Database.SaveEndpoint(ctx, e)
}

// TestEndpointChangesAtOnce: a rotation stored between a PATCH's read and
// its save is kept (the PATCH is applied again to the rotated endpoint),
// and so is a PATCH stored within a rotation; before, the later save
// wrote back the endpoint as it had read it, losing the other change (a
// secret that rotate-secret had answered, never stored).
func TestEndpointChangesAtOnce(t *testing.T) {
	st := &interleaved{Database: openSQLite(t)}
	b := setupOn(t, st)
	b.tenant(t)
	ctx := context.Background()
	e, err := b.svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: ptr("http://127.0.0.1:9/hook")}, "")
	if err != nil {
		t.Fatal(err)
	}
	var rotated *hookd.Rotated
	st.between = func() {
		if rotated, err = b.svc.RotateSecret(ctx, "acme", e.ID, hookd.Rotation{}); err != nil {
			t.Error(err)
		}
	}
	if _, err := b.svc.UpdateEndpoint(ctx, "acme", e.ID, &hookd.EndpointUpdate{Description: ptr("patched")}); err != nil {
		t.Fatal(err)
	}
	got, err := b.svc.Endpoint(ctx, "acme", e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rotated == nil || got.Description != "patched" || len(got.Secrets) != 2 || got.Secrets[0].Value != rotated.Secret {
		t.Fatalf("after a rotation within a PATCH: description %q, secrets %d (newest %v), want patched and the rotated secret first",
			got.Description, len(got.Secrets), got.Secrets[0].Value == rotated.Secret)
	}
	st.between = func() {
		if _, err := b.svc.DisableEndpoint(ctx, "acme", e.ID, "by hand"); err != nil {
			t.Error(err)
		}
	}
	if _, err := b.svc.RotateSecret(ctx, "acme", e.ID, hookd.Rotation{}); err != nil {
		t.Fatal(err)
	}
	if got, err = b.svc.Endpoint(ctx, "acme", e.ID); err != nil || !got.Disabled || len(got.Secrets) != 3 {
		t.Fatalf("after a disable within a rotation: disabled %v, %d secrets, %v; want disabled, 3 secrets", got.Disabled, len(got.Secrets), err)
	}
}
