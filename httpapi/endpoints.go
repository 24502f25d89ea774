package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// endpointOut is an endpoint as the API shows it: the secret only on
// creation and rotation.
type endpointOut struct {
	*hookd.Endpoint
	Secret string `json:"secret,omitempty"`
}

// typePattern is an event-type subscription: "*", a name, or a prefix and "*".
var typePattern = regexp.MustCompile(`^(\*|[A-Za-z0-9_.:-]{1,128}\*?)$`)

// reservedHeaders may not be set by an endpoint: they carry the body's
// framing, identity and signatures.
var reservedHeaders = map[string]bool{
	"Content-Type": true, "Content-Length": true, "Host": true, "User-Agent": true, "Transfer-Encoding": true,
	"Connection": true, "Webhook-Id": true, "Webhook-Timestamp": true, "Webhook-Signature": true,
	"Lean-Signature": true, "Call-Ref": true, "Published-Timestamp": true, "Signature": true, "Signature-V2": true,
}

// checkEndpoint validates an endpoint's fields (after create or update);
// kept are the event_types it had before an update (see checkEventTypes).
func (s *Server) checkEndpoint(r *http.Request, e *hookd.Endpoint, kept []string) error {
	if e.URL == "" {
		return hookd.Errorf(hookd.EINVALID, "url is required")
	}
	if len(e.URL) > maxURL {
		return hookd.Errorf(hookd.EINVALID, "url is longer than %d bytes", maxURL)
	}
	u, err := s.Guard.CheckURL(r.Context(), e.URL)
	if err != nil {
		return hookd.Errorf(hookd.EINVALID, "url: %v", err)
	}
	e.URL = u // an address spelled oddly is stored as the address checked
	if _, err := s.Profiles.Get(e.Profile); err != nil {
		return err
	}
	if e.EventTypes, err = s.checkEventTypes(r.Context(), e.EventTypes, kept); err != nil {
		return err
	}
	if e.RateLimit < 0 || e.RateLimit > 100_000 {
		return hookd.Errorf(hookd.EINVALID, "rate_limit_per_s must be from 0 (no limit) to 100000")
	}
	switch e.Ordering {
	case "":
		e.Ordering = hookd.OrderingNone
	case hookd.OrderingNone, hookd.OrderingKey:
	default:
		return hookd.Errorf(hookd.EINVALID, `ordering must be "none" or "key"`)
	}
	if e.TimeoutMS != 0 && (e.TimeoutMS < 100 || e.TimeoutMS > 60_000) {
		return hookd.Errorf(hookd.EINVALID, "timeout_ms must be from 100 to 60000")
	}
	if len(e.RetrySchedule) > 20 {
		return hookd.Errorf(hookd.EINVALID, "retry_schedule has at most 20 delays")
	}
	for i, d := range e.RetrySchedule {
		if time.Duration(d) < minRetryDelay || time.Duration(d) > maxRetryDelay {
			return hookd.Errorf(hookd.EINVALID, "retry_schedule[%d] is %v: each delay must be from 1s to 7 days (168h)", i, time.Duration(d))
		}
	}
	if len(e.Headers) > 20 {
		return hookd.Errorf(hookd.EINVALID, "at most 20 headers")
	}
	for k, v := range e.Headers {
		if err := checkHeader(k, v); err != nil {
			return err
		}
	}
	if len(e.Description) > 1024 {
		return hookd.Errorf(hookd.EINVALID, "description is longer than 1024 characters")
	}
	return nil
}

// Limits of an endpoint's delivery options.
const (
	maxURL = 2048 // bytes: what browsers and most servers accept
	// minRetryDelay keeps a schedule from retrying in a tight loop
	// against a failing receiver (a zero-delay retry storm).
	minRetryDelay = time.Second
	maxRetryDelay = 7 * 24 * time.Hour
)

// timeoutGiven refuses a timeout_ms given as 0: a stored 0 means the
// profile's default, which a client asks for by leaving the field out, and
// a client that sends 0 most likely means something else.
func timeoutGiven(ms *int) error {
	if ms != nil && *ms == 0 {
		return hookd.Errorf(hookd.EINVALID, "timeout_ms must be from 100 to 60000; leave it out for the profile's default")
	}
	return nil
}

// checkHeader refuses a custom header that hookd sets itself or that is not
// a valid HTTP header, saying which.
func checkHeader(k, v string) error {
	if k == "" || len(k) > 256 || strings.ContainsFunc(k, func(c rune) bool {
		return c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c)
	}) {
		return hookd.Errorf(hookd.EINVALID, "header name %q is not a valid HTTP header name: 1 to 256 letters, digits and !#$%%&'*+-.^_`|~", k)
	}
	if ck := http.CanonicalHeaderKey(k); reservedHeaders[ck] || strings.HasPrefix(ck, "Webhook-") {
		return hookd.Errorf(hookd.EINVALID, "header %q is reserved: hookd sets it on every request", k)
	}
	if len(v) > 4096 || strings.ContainsAny(v, "\r\n\x00") {
		return hookd.Errorf(hookd.EINVALID, "header %q has an invalid value: at most 4096 bytes, without CR, LF or NUL", k)
	}
	return nil
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL           string            `json:"url"`
		Profile       string            `json:"profile"`
		EventTypes    []string          `json:"event_types"`
		Description   string            `json:"description"`
		Secret        string            `json:"secret"`
		RateLimit     int               `json:"rate_limit_per_s"`
		Ordering      string            `json:"ordering"`
		Headers       map[string]string `json:"headers"`
		TimeoutMS     *int              `json:"timeout_ms"`
		RetrySchedule []hookd.Duration  `json:"retry_schedule"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := timeoutGiven(in.TimeoutMS); err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	e := &hookd.Endpoint{ID: "ep_" + uuid.NewString(), TenantID: r.PathValue("tenant"), URL: in.URL, Profile: in.Profile,
		EventTypes: in.EventTypes, Description: in.Description, RateLimit: in.RateLimit, Ordering: in.Ordering,
		Headers: in.Headers, RetrySchedule: in.RetrySchedule, CreatedAt: now, UpdatedAt: now}
	if in.TimeoutMS != nil {
		e.TimeoutMS = *in.TimeoutMS
	}
	if e.Profile == "" {
		e.Profile = "standard"
	}
	if err := s.checkEndpoint(r, e, nil); err != nil {
		return err
	}
	secret, err := s.secret(e.Profile, in.Secret)
	if err != nil {
		return err
	}
	e.Secrets = []hookd.Secret{{Value: secret}}
	if err := s.Store.CreateEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.changed(r)
	writeJSON(w, http.StatusCreated, endpointOut{Endpoint: e, Secret: secret})
	return nil
}

// secret checks a given secret against the profile's format, or makes one.
func (s *Server) secret(profileName, given string) (string, error) {
	p, err := s.Profiles.Get(profileName)
	if err != nil {
		return "", err
	}
	return hookd.ProfileSecret(p, given)
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	if err := s.tenantExists(r); err != nil {
		return err
	}
	eps, err := s.Store.Endpoints(r.Context(), r.PathValue("tenant"), p)
	if err != nil {
		return err
	}
	return list(w, eps, p, func(e *hookd.Endpoint) string { return e.ID })
}

// tenantExists answers 404 for a tenant that does not exist (admin
// requests; a tenant token proves its tenant exists).
func (s *Server) tenantExists(r *http.Request) error {
	_, err := s.Store.Tenant(r.Context(), r.PathValue("tenant"))
	return err
}

func (s *Server) endpoint(r *http.Request) (*hookd.Endpoint, error) {
	return s.Store.Endpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// save stores a changed endpoint and reloads the engine's cache.
func (s *Server) save(r *http.Request, e *hookd.Endpoint) error {
	e.UpdatedAt = s.Clock.Now().UTC()
	if err := s.Store.SaveEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.changed(r)
	return nil
}

// changed tells the engine that endpoints changed, once the change is
// committed. A committed change is answered as committed whatever happens
// next: were a failed reload answered as an error, the client would retry
// a change already made (and create a second endpoint). The failure is
// logged; the engine's refresh loop sees the store's new endpoints version
// and catches up.
func (s *Server) changed(r *http.Request) {
	if err := s.Engine.Changed(r.Context()); err != nil {
		s.Log.Warn("endpoint cache reload failed after a committed change; the refresh loop will catch up",
			"tenant", r.PathValue("tenant"), "err", err)
	}
}

func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var u hookd.EndpointUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	if err := timeoutGiven(u.TimeoutMS); err != nil {
		return err
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	if u.DisabledReason != nil {
		if err := checkReason("disabled_reason", *u.DisabledReason); err != nil {
			return err
		}
		if u.Disabled != nil && !*u.Disabled || u.Disabled == nil && !e.Disabled {
			return hookd.Errorf(hookd.EINVALID, `disabled_reason is set only with "disabled": true or on a disabled endpoint`)
		}
	}
	oldProfile, kept := e.Profile, e.EventTypes
	u.Apply(e)
	if err := s.checkEndpoint(r, e, kept); err != nil {
		return err
	}
	if e.Profile != oldProfile {
		// The secret's format may differ: check the current one fits.
		p, _ := s.Profiles.Get(e.Profile)
		for _, sec := range e.Secrets {
			if p.CheckSecret(sec.Value) != nil {
				return hookd.Errorf(hookd.EINVALID, "the endpoint's secret does not fit profile %q: rotate it with a new secret after changing the profile", e.Profile)
			}
		}
	}
	if err := s.save(r, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.DeleteEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), s.Clock.Now()); err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rotateSecret makes a new secret; how the old one hands over to it
// depends on the profile (hookd.Endpoint.Rotate).
func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in hookd.Rotation
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	p, err := s.Profiles.Get(e.Profile)
	if err != nil {
		return err
	}
	out, err := e.Rotate(p, in, s.Clock.Now().UTC())
	if err != nil {
		return err
	}
	if err := s.save(r, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) enableEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	e.Enable()
	if err := s.save(r, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// disableEndpoint pauses an endpoint by hand, as hookd does when it keeps
// failing: no node sends to it, and its deliveries wait, parked, until it
// is enabled. Disabling a disabled endpoint changes only its reason.
func (s *Server) disableEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	if err := checkReason("reason", in.Reason); err != nil {
		return err
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	e.Disable(in.Reason)
	if err := s.save(r, e); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

// checkReason checks a disable reason: shown to people, so one line of
// at most 1024 characters.
func checkReason(field, reason string) error {
	if len(reason) > 1024 || strings.ContainsAny(reason, "\r\n\x00") {
		return hookd.Errorf(hookd.EINVALID, "%s must be one line of at most 1024 characters", field)
	}
	return nil
}

func (s *Server) recoverEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Since *time.Time `json:"since"`
		Until *time.Time `json:"until"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Since == nil {
		return hookd.Errorf(hookd.EINVALID, "since is required (RFC 3339 time)")
	}
	now := s.Clock.Now()
	until := now.Add(time.Second)
	if in.Until != nil {
		until = *in.Until
	}
	if !in.Since.Before(until) {
		return hookd.Errorf(hookd.EINVALID, "since must be before until")
	}
	n, err := s.Store.Recover(r.Context(), r.PathValue("tenant"), r.PathValue("id"), *in.Since, until, now)
	if err != nil {
		return err
	}
	s.Engine.Kick()
	writeJSON(w, http.StatusAccepted, map[string]int{"requeued": n})
	return nil
}

// testEndpoint publishes the catalog example of a type to this endpoint only.
func (s *Server) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Type string `json:"type"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	e, err := s.endpoint(r)
	if err != nil {
		return err
	}
	if in.Type != "" && (len(in.Type) > 128 || !typePattern.MatchString(in.Type) || strings.HasSuffix(in.Type, "*")) {
		return hookd.Errorf(hookd.EINVALID, "type %q is not a valid event type name", in.Type)
	}
	typ, payload, err := s.example(r.Context(), e, in.Type)
	if err != nil {
		return err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	// Made here, not by newEvent: hookd publishes it, so it may carry
	// hookd's own type (hookd.test) when the endpoint wants no type with
	// an example, and it is marked as a test.
	ev := &hookd.Event{ID: id.String(), TenantID: e.TenantID, Type: typ, Payload: payload, Test: true, CreatedAt: s.Clock.Now().UTC()}
	pubs, err := s.Engine.Publish(r.Context(), []*hookd.Event{ev}, e.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, publishOut(pubs[0]))
	return nil
}

// example picks the type and payload of an endpoint test: the type asked
// for, or the first catalog type the endpoint subscribes to. The catalog's
// example is compacted here, so that the test webhook carries what a
// publish of the example (hookd trigger) carries, not the catalog file's
// indentation.
func (s *Server) example(ctx context.Context, e *hookd.Endpoint, typ string) (string, json.RawMessage, error) {
	var t *hookd.EventType
	switch {
	case s.Catalog == nil:
	case typ != "":
		// As publish resolves it, with the endpoint's provider (its
		// profile) preferred: "payment.created" is Lean's on a lean
		// endpoint, ambiguous (422 listing the qualified names) on a
		// standard one. An unknown type is sent with a generic payload
		// where the server accepts unknown types.
		var err error
		if t, err = s.resolve(ctx, typ, providerOf(e.Profile)); err != nil && (!s.AllowUnknownTypes || s.inCatalog(typ)) {
			return "", nil, err
		}
	default:
		for _, c := range s.Catalog.Types() {
			if len(c.Example) > 0 && (providerOf(e.Profile) == "" || c.Provider == providerOf(e.Profile)) && (e.Wants(hookd.WireType(c.Name)) || e.Wants(c.Name)) {
				t = c
				break
			}
		}
	}
	if t != nil {
		typ = t.Name
	}
	if typ == "" {
		typ = "hookd.test"
	}
	if t == nil || len(t.Example) == 0 {
		return typ, json.RawMessage(`{"message":"hookd test event"}`), nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t.Example); err != nil {
		return "", nil, err // the catalog checked its examples: a fault of ours, not the client's
	}
	return typ, b.Bytes(), nil
}

// providerOf is the catalog provider whose types a profile carries.
func providerOf(profile string) string {
	switch profile {
	case "lean", "weavr", "linkmoney":
		return profile
	}
	return ""
}
