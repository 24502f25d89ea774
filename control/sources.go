package control

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonscan"
	"github.com/hookd/hookd/receiver"
)

var _ hookd.SourceService = (*Service)(nil)

// CancelCounter counts the deliveries the control plane ends without an
// attempt: the pending deliveries of a deleted endpoint, canceled.
type CancelCounter interface {
	Canceled(n int)
}

// IngestCounter counts the requests made to /ingest/{token}, by the
// source's profile ("unknown" for an unknown token) and result (accepted,
// duplicate, rejected, malformed, not_found, error).
type IngestCounter interface {
	Ingest(profile, result string)
}

// Results of an ingest request, as IngestCounter counts them.
const (
	IngestAccepted  = "accepted"
	IngestDuplicate = "duplicate"
	IngestRejected  = "rejected"
	IngestMalformed = "malformed"
	IngestNotFound  = "not_found"
	IngestError     = "error"
)

// newIngestToken returns an unguessable ingest token: 32 random bytes,
// hex, behind a prefix that says what it is.
func newIngestToken() string {
	var b [32]byte
	rand.Read(b[:])
	return fmt.Sprintf("src_%x", b[:])
}

// CreateSource stores a new source of the tenant and returns it with its
// ingest token (shown this once).
func (s *Service) CreateSource(ctx context.Context, tenantID string, in *hookd.Source) (*hookd.Source, error) {
	if err := s.tenantExists(ctx, tenantID); err != nil {
		return nil, err
	}
	// A UUIDv7 id sorts in creation order, so sources made in the same
	// millisecond still list oldest first (the list's order: created_at,
	// then id), as tokens do.
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	src := &hookd.Source{ID: "srcid_" + id.String(), TenantID: tenantID, Name: in.Name, Profile: in.Profile,
		Secrets: in.Secrets, BasicAuth: in.BasicAuth, HeaderKey: in.HeaderKey, AllowIPs: in.AllowIPs, HMAC: in.HMAC,
		ToleranceSeconds: in.ToleranceSeconds, CreatedAt: now, UpdatedAt: now}
	if err := checkSource(src); err != nil {
		return nil, err
	}
	tok := newIngestToken()
	src.TokenHash = hookd.HashToken(tok)
	if err := s.Store.CreateSource(ctx, src); err != nil {
		return nil, err
	}
	out := src.Redact(now)
	out.Token = tok
	return out, nil
}

// checkSource validates a source: its fields, then its secrets in the
// form its profile's verifier reads them (a Standard Webhooks secret is
// whsec_ and base64), asked of the receiver package itself so that the
// rule lives in one place.
func checkSource(src *hookd.Source) error {
	if err := src.Validate(); err != nil {
		return err
	}
	if src.Profile == hookd.SourceLinkMoney && len(src.Secrets) > 0 {
		return hookd.FieldErrorf(hookd.EINVALID, "secrets", "profile", "secrets: Link Money signs nothing; use basic_auth, header_key or allow_ips")
	}
	if err := checkScheme(src); err != nil {
		return err
	}
	for i, sec := range src.Secrets {
		v := sourceVerifier(src, []string{sec.Value}, time.Time{})
		if err := v.Verify(http.Header{}, nil); errors.Is(err, receiver.ErrConfig) {
			return hookd.FieldErrorf(hookd.EINVALID, fmt.Sprintf("secrets[%d]", i), "secret", "secrets[%d]: %s", i, strings.TrimPrefix(err.Error(), "receiver: bad configuration: "))
		}
	}
	return nil
}

// Source returns one source of the tenant, without its secrets.
func (s *Service) Source(ctx context.Context, tenantID, id string) (*hookd.Source, error) {
	src, err := s.Store.Source(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	return src.Redact(s.now().Now()), nil
}

// Sources lists the tenant's sources, oldest first.
func (s *Service) Sources(ctx context.Context, tenantID string, p hookd.Page) ([]*hookd.Source, error) {
	if err := s.tenantExists(ctx, tenantID); err != nil {
		return nil, err
	}
	srcs, err := s.Store.Sources(ctx, tenantID, p)
	if err != nil {
		return nil, err
	}
	now := s.now().Now()
	for i, src := range srcs {
		srcs[i] = src.Redact(now)
	}
	return srcs, nil
}

// UpdateSource applies a PATCH. New secrets replace the old ones at once
// (rotate keeps the old ones for a grace period).
func (s *Service) UpdateSource(ctx context.Context, tenantID, id string, u *hookd.SourceUpdate) (*hookd.Source, error) {
	src, err := s.Store.Source(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	if u.Name != nil {
		src.Name = *u.Name
	}
	if u.Secrets != nil {
		src.Secrets = secretsOf(u.Secrets)
	}
	if u.BasicAuth != nil {
		src.BasicAuth = u.BasicAuth
		if *u.BasicAuth == (hookd.BasicAuth{}) {
			src.BasicAuth = nil // {} removes it
		}
	}
	if u.HeaderKey != nil {
		src.HeaderKey = u.HeaderKey
		if *u.HeaderKey == (hookd.HeaderKey{}) {
			src.HeaderKey = nil
		}
	}
	if u.AllowIPs != nil {
		src.AllowIPs = *u.AllowIPs
	}
	if u.ToleranceSeconds != nil {
		src.ToleranceSeconds = *u.ToleranceSeconds
	}
	if u.HMAC != nil {
		src.HMAC = u.HMAC
	}
	if err := checkSource(src); err != nil {
		return nil, err
	}
	now := s.stamp()
	src.UpdatedAt = now
	if err := s.Store.SaveSource(ctx, src); err != nil {
		return nil, err
	}
	return src.Redact(now), nil
}

// secretsOf makes stored secrets of given values, active now.
func secretsOf(values []string) []hookd.Secret {
	out := make([]hookd.Secret, len(values))
	for i, v := range values {
		out[i] = hookd.Secret{Value: v}
	}
	return out
}

// DeleteSource removes a source: its URL answers 404 at once.
func (s *Service) DeleteSource(ctx context.Context, tenantID, id string) error {
	return s.Store.DeleteSource(ctx, tenantID, id)
}

// RotateSource adds a new secret, newest first, and keeps the ones
// before it accepted for the grace period (default 24 h, at most 30 days,
// 0: they stop at once); with Token, it also makes a new ingest token, the
// old one accepted for the same grace period. The two rotate together only
// when asked: a new secret needs a change at the provider's dashboard, a
// new URL another.
func (s *Service) RotateSource(ctx context.Context, tenantID, id string, r *hookd.SourceRotation) (*hookd.Source, error) {
	src, err := s.Store.Source(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	grace := hookd.DefaultRotationGrace
	if r.GraceSeconds != nil {
		if *r.GraceSeconds < 0 || *r.GraceSeconds > int64(hookd.MaxRotationGrace/time.Second) { // compared before multiplying, which could wrap
			return nil, hookd.FieldErrorf(hookd.EINVALID, "grace_seconds", "range", "grace_seconds must be 0 to %d", int64(hookd.MaxRotationGrace/time.Second))
		}
		grace = time.Duration(*r.GraceSeconds) * time.Second
	}
	if r.Secret == "" && !r.Token {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "secret", "required", "secret is required (or token: true to rotate only the ingest URL)")
	}
	if r.Secret != "" && src.Profile == hookd.SourceLinkMoney {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "secret", "profile", "secret: Link Money signs nothing; change its basic_auth or header_key with PATCH")
	}
	now := s.stamp()
	until := now.Add(grace)
	if r.Secret != "" {
		kept := []hookd.Secret{{Value: r.Secret}}
		for _, sec := range src.Secrets {
			if sec.ExpiresAt.IsZero() || sec.ExpiresAt.After(until) {
				sec.ExpiresAt = until
			}
			if sec.ExpiresAt.After(now) {
				kept = append(kept, sec)
			}
		}
		src.Secrets = kept
	}
	if err := checkSource(src); err != nil {
		var he *hookd.Error
		if r.Secret != "" && errors.As(err, &he) && len(he.Details) == 1 && he.Details[0].Path == "secrets[0]" {
			// The new secret is the first of the list checked: the
			// request calls it secret.
			return nil, hookd.FieldErrorf(he.Code, "secret", he.Details[0].Rule, "secret: %s", strings.TrimPrefix(he.Message, "secrets[0]: "))
		}
		return nil, err
	}
	var tok string
	if r.Token {
		tok = newIngestToken()
		src.PrevTokenHash, src.PrevTokenUntil = src.TokenHash, until
		src.TokenHash = hookd.HashToken(tok)
	}
	src.UpdatedAt = now
	if err := s.Store.SaveSource(ctx, src); err != nil {
		return nil, err
	}
	out := src.Redact(now)
	out.Token = tok
	return out, nil
}

// SourceErrors returns a source's error log, newest first.
func (s *Service) SourceErrors(ctx context.Context, tenantID, id string) ([]*hookd.SourceError, error) {
	if _, err := s.Store.Source(ctx, tenantID, id); err != nil {
		return nil, err
	}
	return s.Store.SourceErrors(ctx, tenantID, id)
}

func (s *Service) countIngest(profile, result string) {
	if s.Ingests != nil {
		s.Ingests.Ingest(profile, result)
	}
}

// Ingest verifies a webhook sent to a source's URL on its raw bytes and
// publishes it as an event of the source's tenant, durably before it
// returns. A rejected request is logged in the source's error log and
// stores nothing else.
//
// The source may come from the node's memory (Store.CachedSource), which
// another node may have changed or deleted since: the publish's commit
// then checks the source is still stored as it was read. If it is not
// (nothing was stored), or the request is refused, the request is
// verified again against the source as stored now, and only that answer
// counts: a request signed with a secret just added elsewhere is not
// refused for this node's memory.
func (s *Service) Ingest(ctx context.Context, token string, r *hookd.IngestRequest) (*hookd.Ingested, error) {
	hash := hookd.HashToken(token)
	now := s.stamp()
	src, recheck, err := s.Store.CachedSource(ctx, hash, now)
	if err == nil && recheck != "" {
		out, ierr := s.ingest(hookd.NewContextWithTokenCheck(ctx, recheck), src, r, now, false)
		if ierr != errReadAgain {
			return out, ierr
		}
		src, err = s.Store.SourceByToken(ctx, hash, now)
	}
	if err != nil {
		if errors.Is(err, hookd.ErrNotFound) {
			s.countIngest("unknown", IngestNotFound)
			return nil, hookd.Errorf(hookd.ENOTFOUND, "no source has this ingest URL")
		}
		s.countIngest("unknown", IngestError)
		return nil, err
	}
	return s.ingest(ctx, src, r, now, true)
}

// errReadAgain is ingest's answer, when not final, to a request refused,
// or whose publish the commit refused: the source taken from memory is to
// be read again and the request verified anew.
var errReadAgain = errors.New("control: read the source again")

// ingest verifies r against src and publishes it. A refusal is final (in
// the source's error log, counted, answered) only when final is set;
// otherwise it is errReadAgain, and so is a commit that found the source
// changed (ctx's token check).
func (s *Service) ingest(ctx context.Context, src *hookd.Source, r *hookd.IngestRequest, now time.Time, final bool) (*hookd.Ingested, error) {
	refuse := func(reason, result, code, format string) error {
		if !final {
			return errReadAgain
		}
		s.reject(ctx, src, r, now, reason)
		s.countIngest(src.Profile, result)
		return hookd.Errorf(code, format, reason)
	}
	if r.TooLarge > 0 {
		// Refused before its bytes are verified or read to the end, as
		// the source's: a provider sending bodies over --max-body shows
		// in its metric and its error log.
		return nil, refuse(fmt.Sprintf("request body is larger than %d bytes", r.TooLarge), IngestRejected, hookd.ETOOLARGE, "%s")
	}
	if reason := s.authenticate(src, r, now); reason != "" {
		return nil, refuse(reason, IngestRejected, hookd.EUNAUTHORIZED, "webhook refused: %s")
	}
	w, err := parseWebhook(src, r, now)
	if err != nil {
		return nil, refuse(strings.TrimPrefix(err.Error(), "receiver: "), IngestMalformed, hookd.EINVALID, "webhook body: %s")
	}
	ev, invalid := s.ingestEvent(ctx, src, w, now)
	if !hookd.ValidTypeName(ev.Type) || hookd.NotOperational("type", ev.Type) != nil {
		reason := fmt.Sprintf("event type %q is not a usable event type name", w.Type)
		return nil, refuse(reason, IngestMalformed, hookd.EINVALID, "webhook body: %s")
	}
	// Not subject to the tenant's publish rate limit: a provider's burst
	// is answered, not refused (it would only be sent again).
	p, err := s.publishIngested(ctx, src, ev, s.sourceRequest(src, r, now, invalid))
	if err == hookd.ErrUnknownToken && hookd.TokenCheckFromContext(ctx) != "" {
		return nil, errReadAgain // the source changed since it was read
	}
	if err != nil {
		s.countIngest(src.Profile, IngestError)
		return nil, err
	}
	out := &hookd.Ingested{EventID: ev.ID, Type: ev.Type, Invalid: invalid}
	result := IngestAccepted
	if ex := p.Existing; ex != nil {
		out.EventID, out.Type, out.Duplicate = ex.ID, ex.Type, true
		result = IngestDuplicate
	}
	s.countIngest(src.Profile, result)
	return out, nil
}

// maxIngestIDs bounds the ids publishIngested tries for one webhook: the
// provider's, then fresh UUIDv7s, which no other event has.
const maxIngestIDs = 3

// publishIngested publishes the event a webhook of src became, with the
// request it came as. The store answers a publish whose id or idempotency
// key was used before with that earlier event (Publish.Existing); its
// unique constraints decide, so nodes publishing at once agree. When the
// earlier event is this webhook, received before at this source (its key,
// scoped by the source, or, for an event stored before keys were scoped,
// its request's source), the publish is a replay: answered as a duplicate,
// counted on the first request. Otherwise the provider's id, taken as the
// event's id, belongs to another event of the tenant (the same id at
// another source, or published through the API): nothing was stored, and
// the event is published again under an id of its own.
func (s *Service) publishIngested(ctx context.Context, src *hookd.Source, ev *hookd.Event, req *hookd.SourceRequest) (*hookd.Publish, error) {
	for range maxIngestIDs {
		p, err := s.Engine.Ingest(ctx, ev, req)
		if err != nil || p.Existing == nil {
			return p, err
		}
		if replay, err := s.receivedBefore(ctx, src, ev, p.Existing); err != nil || replay {
			return p, err
		}
		ev.ID = newEventID()
	}
	return nil, hookd.Errorf(hookd.EUNAVAILABLE, "no free event id for the webhook after %d tries", maxIngestIDs)
}

// receivedBefore reports whether ex, the event the store answered the
// publish of ev with, is the same webhook received before at src.
func (s *Service) receivedBefore(ctx context.Context, src *hookd.Source, ev, ex *hookd.Event) (bool, error) {
	if ev.IdempotencyKey == "" {
		return false, nil // no provider id: every request is an event, ex only has its (fresh) id
	}
	if ex.IdempotencyKey == ev.IdempotencyKey {
		return true, nil
	}
	// An event stored before keys were scoped by source has the key
	// "profile:id" and the provider's id as its id: it is this webhook if
	// this source received it.
	if ex.ID != ev.ID || ex.IdempotencyKey != truncate(src.Profile+":"+ex.ID, 256) {
		return false, nil
	}
	r, err := s.Store.EventSourceRequest(ctx, src.TenantID, ex.ID)
	if hookd.ErrorCode(err) == hookd.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return r.SourceID == src.ID, nil
}

// authenticate checks a request against the source: its sender's address,
// its credentials (basic auth, header key) and, but for Link Money, which
// signs nothing, the provider's signature verified by package receiver on
// the raw body. It returns why the request is refused, or "".
func (s *Service) authenticate(src *hookd.Source, r *hookd.IngestRequest, now time.Time) string {
	if !src.AllowsIP(r.RemoteIP) {
		return fmt.Sprintf("sender address %s is not in allow_ips", r.RemoteIP)
	}
	if b := src.BasicAuth; b != nil {
		user, pass, ok := (&http.Request{Header: r.Header}).BasicAuth()
		if !ok {
			return "missing basic auth credentials"
		}
		// Both compared whatever the first gives, in constant time.
		u := subtle.ConstantTimeCompare([]byte(user), []byte(b.Username))
		p := subtle.ConstantTimeCompare([]byte(pass), []byte(b.Password))
		if u&p != 1 {
			return "basic auth credentials do not match"
		}
	}
	if k := src.HeaderKey; k != nil {
		got := r.Header.Get(k.Name)
		if got == "" {
			return "missing header " + k.Name
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(k.Value)) != 1 {
			return "header " + k.Name + " does not match"
		}
	}
	if src.Profile == hookd.SourceLinkMoney {
		return ""
	}
	if err := sourceVerifier(src, src.ActiveSecrets(now), now).Verify(r.Header, r.Body); err != nil {
		return strings.TrimPrefix(err.Error(), "receiver: ")
	}
	return ""
}

// reject writes a refused request in the source's error log: the reason,
// the headers but those that carry credentials, and the start of the body.
// A failure to write is logged, not answered: the request is refused
// either way.
func (s *Service) reject(ctx context.Context, src *hookd.Source, r *hookd.IngestRequest, now time.Time, reason string) {
	e := &hookd.SourceError{At: now, Reason: reason, Headers: map[string]string{}}
	for k, vs := range redactHeaders(src, r.Header) {
		e.Headers[k] = truncate(strings.Join(vs, ", "), 512)
		if len(e.Headers) >= 50 {
			break
		}
	}
	e.Body = truncate(string(r.Body), hookd.SourceErrorBody)
	if err := s.Store.AddSourceError(ctx, src.TenantID, src.ID, e); err != nil {
		s.log().Warn("cannot write a source's error log", "tenant", src.TenantID, "source", src.ID, "err", err)
	}
}

// truncate cuts s to at most n bytes, on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// ingestEvent makes the event a verified webhook becomes: its type from
// the body, resolved in the catalog with the source's provider preferred
// (an unknown type is kept, qualified by the provider); its payload the
// provider's, checked against the type's schema (a mismatch is said in
// invalid, not refused: the provider sent it); the provider's id, scoped
// by the source, as the event's idempotency key (intakeIDs), so a retry
// publishes nothing new; the payload's resource id as the ordering key.
func (s *Service) ingestEvent(ctx context.Context, src *hookd.Source, w *receiver.Webhook, now time.Time) (*hookd.Event, string) {
	provider := src.Profile
	if provider == hookd.SourceStandard || provider == hookd.SourceHMAC {
		provider = "" // no provider of its own: the types are the sender's
	}
	ev := &hookd.Event{TenantID: src.TenantID, Type: w.Type, Payload: w.Payload, CreatedAt: now}
	var invalid string
	if len(ev.Payload) == 0 || ev.Payload[0] != '{' {
		// Events carry an object: a payload of another shape (or none)
		// travels as the whole body.
		ev.Payload = json.RawMessage(w.Raw)
		invalid = "the body carries no payload object: the event's payload is the whole body"
	}
	if s.Catalog != nil {
		t, err := s.Resolve(ctx, w.Type, provider)
		if err == nil && t.Provider == hookd.OperationalProvider {
			// hookd's own types are no provider's: a webhook that
			// names one is taken as one of an unknown type, as it was
			// before the catalog listed them (and refused below when
			// its name stays reserved).
			t, err = nil, hookd.Errorf(hookd.EUNPROCESSABLE, "unknown event type %q", w.Type)
		}
		if err == nil {
			ev.Type = t.Name
			if _, err := s.Catalog.ValidateWarn(t, ev.Payload); err != nil && invalid == "" {
				invalid = hookd.ErrorMessage(err)
				if d := errorDetails(err); d != "" {
					invalid += ": " + d
				}
			}
		} else {
			if provider != "" && !strings.Contains(w.Type, ":") {
				ev.Type = provider + ":" + w.Type
			}
			if invalid == "" {
				invalid = hookd.ErrorMessage(err)
			}
		}
	}
	ev.ID, ev.IdempotencyKey = intakeIDs(src, w.ID)
	if key := resourceID(ev.Payload); hookd.PlainText(key) {
		ev.OrderingKey = key // else unordered: no store need keep a NUL
	}
	return ev, invalid
}

// errorDetails joins the details of a validation error.
func errorDetails(err error) string {
	var he *hookd.Error
	if !errors.As(err, &he) {
		return ""
	}
	var parts []string
	for _, d := range he.Details {
		parts = append(parts, strings.TrimSpace(d.Path+" "+d.Message))
	}
	return strings.Join(parts, "; ")
}

// resourceFields are the payload fields, in order of preference, that
// name the resource a provider's event is about: the ordering key, so
// that the events of one payment reach an ordered endpoint in order.
var resourceFields = [...]string{"id", "resourceId", "payment_id", "paymentId", "entity_id", "transactionId", "accountId", "customer_id"}

// resourceID returns the payload's first resourceFields field that is a
// non-empty string of at most 256 bytes, or "".
func resourceID(payload json.RawMessage) string {
	if id, ok := resourceIDFast(payload); ok {
		return id
	}
	return resourceIDSlow(payload)
}

// resourceIDFast is resourceID in one pass over the payload, for a payload
// whose top-level names need no decoding; ok false leaves any other to
// resourceIDSlow (FuzzResourceID holds the two to the same answers).
func resourceIDFast(p []byte) (id string, ok bool) {
	var found [len(resourceFields)][]byte // each field's last value, as encoding/json keeps the last
	i := jsonscan.SkipSpace(p, 0)
	if i >= len(p) || p[i] != '{' {
		return "", false
	}
	i = jsonscan.SkipSpace(p, i+1)
	if i < len(p) && p[i] == '}' {
		i++
	} else {
		for {
			if i >= len(p) || p[i] != '"' {
				return "", false
			}
			var name []byte
			if name, i, ok = jsonscan.PlainBytes(p, i); !ok {
				return "", false
			}
			i = jsonscan.SkipSpace(p, i)
			if i >= len(p) || p[i] != ':' {
				return "", false
			}
			i = jsonscan.SkipSpace(p, i+1)
			start := i
			if i, ok = jsonscan.Value(p, i, 1); !ok {
				return "", false
			}
			for k, f := range resourceFields {
				if string(name) == f {
					found[k] = p[start:i]
				}
			}
			i = jsonscan.SkipSpace(p, i)
			if i >= len(p) {
				return "", false
			}
			if p[i] == '}' {
				i++
				break
			}
			if p[i] != ',' {
				return "", false
			}
			i = jsonscan.SkipSpace(p, i+1)
		}
	}
	if jsonscan.SkipSpace(p, i) != len(p) {
		return "", false
	}
	for _, raw := range found {
		if len(raw) == 0 || raw[0] != '"' {
			continue // absent, or not a string (null decodes to "")
		}
		v, _, plain := jsonscan.PlainString(raw, 0)
		if !plain && json.Unmarshal(raw, &v) != nil {
			continue
		}
		if v != "" && len(v) <= 256 {
			return v, true
		}
	}
	return "", true
}

// resourceIDSlow is resourceID by encoding/json.
func resourceIDSlow(payload json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	for _, f := range resourceFields {
		var v string
		if raw, ok := m[f]; ok && json.Unmarshal(raw, &v) == nil && v != "" && len(v) <= 256 {
			return v
		}
	}
	return ""
}
