package hookd

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Source profiles: the providers whose webhooks a source receives, and
// Standard Webhooks for any other sender.
const (
	SourceLean      = "lean"
	SourceWeavr     = "weavr"
	SourceLinkMoney = "linkmoney"
	SourceStandard  = "standard"
	// SourceHMAC is the generic template: any sender that signs an HMAC
	// of the body, its scheme described by the source's HMACScheme.
	SourceHMAC = "hmac"
)

// SourceProfiles lists the profiles a source may have.
var SourceProfiles = []string{SourceLean, SourceWeavr, SourceLinkMoney, SourceStandard, SourceHMAC}

// Source is a tenant's inbound webhook address: a provider (profile) sends
// its webhooks to /ingest/{token}, hookd verifies each one with the
// source's secrets and publishes it as an event of the tenant. The token is
// shown once, when made (create, or rotate with token: true); only its hash
// is stored.
type Source struct {
	ID       string `json:"id"`
	TenantID string `json:"tenant_id"`
	Name     string `json:"name"`
	Profile  string `json:"profile"`
	// IngestURL is the URL to give the provider, set only in the answer
	// that made its token.
	IngestURL string `json:"ingest_url,omitempty"`
	// Token is the ingest token, only in the answer that made it (the
	// transport turns it into IngestURL).
	Token string `json:"-"`
	// Secrets verify the provider's signatures, newest first; older ones
	// stay accepted until their ExpiresAt (rotation grace). Never shown.
	Secrets []Secret `json:"-"`
	// SecretCount says how many secrets are accepted now.
	SecretCount int `json:"secret_count"`
	// BasicAuth and HeaderKey (linkmoney, which signs nothing) are
	// credentials the sender must present; AllowIPs the addresses or
	// CIDR ranges it may send from (any profile; empty: any).
	BasicAuth *BasicAuth `json:"basic_auth,omitempty"`
	HeaderKey *HeaderKey `json:"header_key,omitempty"`
	AllowIPs  []string   `json:"allow_ips,omitempty"`
	// HMAC describes the signature of a source of profile hmac (and of
	// no other).
	HMAC *HMACScheme `json:"hmac,omitempty"`
	// ToleranceSeconds is how far a signed timestamp (weavr, standard,
	// hmac with a timestamp_header) may be from now: default 300.
	ToleranceSeconds int       `json:"tolerance_seconds"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`

	// TokenHash is the hash of the current ingest token; PrevTokenHash
	// the previous one's, accepted until PrevTokenUntil.
	TokenHash      string    `json:"-"`
	PrevTokenHash  string    `json:"-"`
	PrevTokenUntil time.Time `json:"-"`
}

// BasicAuth is a user name and password a sender must present. The
// password is never shown.
type BasicAuth struct {
	Username string `json:"username"`
	Password string `json:"password,omitempty"`
}

// HeaderKey is a header a sender must carry with this value. The value is
// never shown.
type HeaderKey struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

// DefaultSourceTolerance is how far a signed timestamp may be from now.
const DefaultSourceTolerance = 5 * time.Minute

// ActiveSecrets returns the secret values accepted at now, newest first.
func (s *Source) ActiveSecrets(now time.Time) []string {
	out := make([]string, 0, len(s.Secrets))
	for i := range s.Secrets {
		if s.Secrets[i].activeAt(now) {
			out = append(out, s.Secrets[i].Value)
		}
	}
	return out
}

// Redact returns a copy fit to show: no secret values, counts instead.
func (s *Source) Redact(now time.Time) *Source {
	c := *s
	c.SecretCount = len(s.ActiveSecrets(now))
	c.ToleranceSeconds = int(s.Tolerance() / time.Second) // 0 is stored for the default

	if s.BasicAuth != nil {
		c.BasicAuth = &BasicAuth{Username: s.BasicAuth.Username}
	}
	if s.HeaderKey != nil {
		c.HeaderKey = &HeaderKey{Name: s.HeaderKey.Name}
	}
	return &c
}

// Tolerance is the source's timestamp tolerance.
func (s *Source) Tolerance() time.Duration {
	if s.ToleranceSeconds <= 0 {
		return DefaultSourceTolerance
	}
	return time.Duration(s.ToleranceSeconds) * time.Second
}

// AllowsIP reports whether a sender at ip may send (an empty list allows
// every address).
func (s *Source) AllowsIP(ip net.IP) bool {
	if len(s.AllowIPs) == 0 {
		return true
	}
	for _, a := range s.AllowIPs {
		if _, n, err := net.ParseCIDR(a); err == nil {
			if ip != nil && n.Contains(ip) {
				return true
			}
		} else if p := net.ParseIP(a); p != nil && p.Equal(ip) {
			return true
		}
	}
	return false
}

// Validate checks a source's fields (its secrets' format is the
// receiver's to check).
func (s *Source) Validate() error {
	if s.Name == "" {
		return FieldErrorf(EINVALID, "name", "required", "name is required")
	}
	if err := CheckName("name", s.Name); err != nil {
		return err
	}
	if !slices.Contains(SourceProfiles, s.Profile) {
		return FieldErrorf(EINVALID, "profile", "enum", "profile must be one of %s", strings.Join(SourceProfiles, ", "))
	}
	if s.Profile == SourceHMAC {
		if s.HMAC == nil {
			return FieldErrorf(EINVALID, "hmac", "required", "hmac is required for profile hmac: the scheme the sender signs with (at least its header)")
		}
		if err := s.HMAC.Validate(); err != nil {
			return err
		}
	} else if s.HMAC != nil {
		return FieldErrorf(EINVALID, "hmac", "profile", "hmac is only for profile hmac (this source is %s)", s.Profile)
	}
	if s.Profile != SourceLinkMoney && len(s.Secrets) == 0 {
		return FieldErrorf(EINVALID, "secrets", "required", "secrets is required for profile %s: the secret the provider signs with", s.Profile)
	}
	if len(s.Secrets) > 10 {
		return FieldErrorf(EINVALID, "secrets", "max_items", "secrets holds at most 10 values")
	}
	for i, sec := range s.Secrets {
		if sec.Value == "" {
			return FieldErrorf(EINVALID, fmt.Sprintf("secrets[%d]", i), "required", "secrets[%d] is empty", i)
		}
	}
	if s.BasicAuth != nil && (s.BasicAuth.Username == "" || s.BasicAuth.Password == "") {
		return FieldErrorf(EINVALID, "basic_auth", "required", "basic_auth needs a username and a password")
	}
	if s.BasicAuth != nil && strings.Contains(s.BasicAuth.Username, ":") {
		// The first colon of the credentials ends the user-id (RFC 7617):
		// no sender could present this one.
		return FieldErrorf(EINVALID, "basic_auth.username", "format", "basic_auth.username must not contain a colon")
	}
	if s.HeaderKey != nil {
		if s.HeaderKey.Name == "" || s.HeaderKey.Value == "" {
			return FieldErrorf(EINVALID, "header_key", "required", "header_key needs a name and a value")
		}
		if !validHeaderName(s.HeaderKey.Name) {
			return FieldErrorf(EINVALID, "header_key.name", "header_name", "header_key.name %q is not a valid header name", s.HeaderKey.Name)
		}
		// A server trims spaces and tabs around a header's value, and no
		// request carries a control character: such a value never matches.
		if v := s.HeaderKey.Value; strings.Trim(v, " \t") != v || strings.ContainsFunc(v, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f }) {
			return FieldErrorf(EINVALID, "header_key.value", "header_value", "header_key.value must not begin or end with a space or a tab, nor hold a control character but tab: no request could carry it")
		}
	}
	if len(s.AllowIPs) > 100 {
		return FieldErrorf(EINVALID, "allow_ips", "max_items", "allow_ips holds at most 100 entries")
	}
	for i, a := range s.AllowIPs {
		if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
			return FieldErrorf(EINVALID, fmt.Sprintf("allow_ips[%d]", i), "format", "allow_ips: %q is neither an IP address nor a CIDR range", a)
		}
	}
	if s.ToleranceSeconds < 0 || s.ToleranceSeconds > 86400 {
		return FieldErrorf(EINVALID, "tolerance_seconds", "range", "tolerance_seconds must be 0 to 86400")
	}
	return nil
}

func validHeaderName(name string) bool {
	return http.CanonicalHeaderKey(name) != "" && !slices.ContainsFunc([]byte(name), func(c byte) bool {
		return c <= ' ' || c >= 0x7f || c == ':' || c == '(' || c == ')' || c == ',' || c == ';' || c == '"'
	})
}

// SourceUpdate is a PATCH of a source: nil fields are kept. Secrets
// replaces every secret at once (rotate keeps the old one for a while).
type SourceUpdate struct {
	Name             *string    `json:"name"`
	Secrets          []string   `json:"secrets"`
	BasicAuth        *BasicAuth `json:"basic_auth"`
	HeaderKey        *HeaderKey `json:"header_key"`
	AllowIPs         *[]string  `json:"allow_ips"`
	ToleranceSeconds *int       `json:"tolerance_seconds"`
	// HMAC replaces the whole scheme of a source of profile hmac.
	HMAC *HMACScheme `json:"hmac"`
}

// SourceRotation is the body of a source's rotate: a new secret (the old
// ones stay accepted for GraceSeconds, default 24 h), and, with Token, a
// new ingest URL (the old one keeps working for the same grace).
type SourceRotation struct {
	Secret       string `json:"secret"`
	GraceSeconds *int64 `json:"grace_seconds"`
	Token        bool   `json:"token"`
}

// SourceError is one rejected request in a source's error log: when, why,
// the headers without credentials, and the start of the body.
type SourceError struct {
	At      time.Time         `json:"at"`
	Reason  string            `json:"reason"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body_excerpt"`
}

// SourceErrorLimit is how many entries a source's error log keeps (the
// newest), and SourceErrorBody how many bytes of a body an entry keeps.
const (
	SourceErrorLimit = 100
	SourceErrorBody  = 1024
)

// Ingested is the answer to an accepted webhook.
type Ingested struct {
	// EventID is the event the webhook became (the first one, for a
	// replay).
	EventID   string `json:"event_id"`
	Type      string `json:"type"`
	Duplicate bool   `json:"duplicate"`
	// Invalid says why the payload does not match its catalog type (or
	// that the type is unknown): the event is published all the same.
	Invalid string `json:"invalid,omitempty"`
}

// SourceService manages a tenant's sources and takes their webhooks in.
type SourceService interface {
	// CreateSource stores a source and returns it with its Token.
	CreateSource(ctx context.Context, tenantID string, s *Source) (*Source, error)
	Source(ctx context.Context, tenantID, id string) (*Source, error)
	Sources(ctx context.Context, tenantID string, p Page) ([]*Source, error)
	UpdateSource(ctx context.Context, tenantID, id string, u *SourceUpdate) (*Source, error)
	DeleteSource(ctx context.Context, tenantID, id string) error
	RotateSource(ctx context.Context, tenantID, id string, r *SourceRotation) (*Source, error)
	SourceErrors(ctx context.Context, tenantID, id string) ([]*SourceError, error)
	// SourceRequests lists the requests a source accepted, newest first;
	// SourceRequest reads one (with its body as received).
	SourceRequests(ctx context.Context, tenantID, id string, p Page) ([]*SourceRequest, error)
	SourceRequest(ctx context.Context, tenantID, id, requestID string) (*SourceRequest, error)
	// Ingest verifies a webhook sent to /ingest/{token} and publishes it:
	// ErrNotFound for an unknown token, EUNAUTHORIZED for a request that
	// fails verification, ETOOLARGE for a body over the limit
	// (IngestRequest.TooLarge); both logged in the source's errors.
	Ingest(ctx context.Context, token string, r *IngestRequest) (*Ingested, error)
}

// IngestRequest is a webhook as received.
type IngestRequest struct {
	Header http.Header
	Body   []byte
	// RemoteIP is the sender's address, for the allow-list.
	RemoteIP net.IP
	// TooLarge, when not 0, is the body limit the request went over:
	// Body holds what was read of it, and the request is refused
	// (ETOOLARGE), counted and logged as the source's.
	TooLarge int64
}

// SourceStore is the storage of sources (package sqlstore).
type SourceStore interface {
	CreateSource(ctx context.Context, s *Source) error
	Source(ctx context.Context, tenantID, id string) (*Source, error)
	// SourceByToken finds the source whose current token has this hash,
	// or whose previous one does and is still accepted at now.
	SourceByToken(ctx context.Context, hash string, now time.Time) (*Source, error)
	// CachedSource is SourceByToken for an ingest: it may answer from the
	// node's memory a source another node has changed or deleted since.
	// It then returns the source's key (recheck), which the publish of
	// the request must carry (Publish.Token), so that its commit stores
	// it only if the source is still stored as it was read.
	CachedSource(ctx context.Context, hash string, now time.Time) (src *Source, recheck string, err error)
	Sources(ctx context.Context, tenantID string, p Page) ([]*Source, error)
	SaveSource(ctx context.Context, s *Source) error
	DeleteSource(ctx context.Context, tenantID, id string) error
	// AddSourceError appends to a source's error log, keeping the newest
	// SourceErrorLimit entries.
	AddSourceError(ctx context.Context, tenantID, sourceID string, e *SourceError) error
	SourceErrors(ctx context.Context, tenantID, sourceID string) ([]*SourceError, error)
}
