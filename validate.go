package hookd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// CheckID refuses a caller-chosen id that is not 1 to 128 letters, digits
// and _.:-, the first a letter or digit, naming the field.
func CheckID(field, id string) error {
	if !nameChars(id) || !isAlnum(id[0]) {
		return FieldErrorf(EINVALID, field, "pattern", "%s must be 1-128 characters of letters, digits and _.:-", field)
	}
	return nil
}

// PlainText reports whether s is UTF-8 without control characters: a key
// or an id any store keeps as it is (PostgreSQL's text refuses NUL).
func PlainText(s string) bool {
	return utf8.ValidString(s) && strings.IndexFunc(s, unicode.IsControl) < 0
}

// CheckText refuses free text (a description) that a store could not
// keep as it is: not UTF-8, or holding NUL. Line breaks and tabs are
// text.
func CheckText(field, s string) error {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return FieldErrorf(EINVALID, field, "text", "%s must be UTF-8 text without NUL (\\u0000)", field)
	}
	return nil
}

// MaxName is the length of a name shown to people, in characters.
const MaxName = 200

// CheckName checks a name shown to people (a tenant's, a token's, a
// source's): UTF-8, at most MaxName characters, no control characters.
func CheckName(field, name string) error {
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxName {
		return FieldErrorf(EINVALID, field, "max_length", "%s must be at most %d characters", field, MaxName)
	}
	if !PlainText(name) {
		return FieldErrorf(EINVALID, field, "one_line", "%s must not contain control characters", field)
	}
	return nil
}

// Validate checks a tenant's fields.
func (t *Tenant) Validate() error {
	if strings.TrimSpace(t.Name) == "" {
		return FieldErrorf(EINVALID, "name", "required", "name is required")
	}
	if err := CheckName("name", t.Name); err != nil {
		return err
	}
	if err := CheckID("id", t.ID); err != nil {
		return err
	}
	return checkMetadata(t.Metadata)
}

// Validate checks the fields a tenant update sets.
func (u *TenantUpdate) Validate() error {
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return FieldErrorf(EINVALID, "name", "required", "name must not be empty")
	}
	if u.Name != nil {
		if err := CheckName("name", *u.Name); err != nil {
			return err
		}
	}
	if u.Metadata != nil {
		return checkMetadata(*u.Metadata)
	}
	return nil
}

// checkMetadata refuses metadata that is not a JSON object (or null).
func checkMetadata(m json.RawMessage) error {
	if len(m) > 0 && m[0] != '{' && string(m) != "null" {
		return FieldErrorf(EINVALID, "metadata", "type", "metadata must be a JSON object")
	}
	return nil
}

// NotOperational refuses a type name with the prefix reserved for hookd's
// own events: no publisher or custom type may pose as one.
func NotOperational(field, name string) error {
	if strings.HasPrefix(name, OperationalPrefix) {
		return FieldErrorf(EINVALID, field, "reserved", "%s %q: the prefix %q is reserved for hookd's operational events", field, name, OperationalPrefix)
	}
	return nil
}

// Limits of an endpoint's fields.
const (
	maxURL = 2048 // bytes: what browsers and most servers accept
	// minRetryDelay keeps a schedule from retrying in a tight loop
	// against a failing receiver (a zero-delay retry storm).
	minRetryDelay = time.Second
	maxRetryDelay = 7 * 24 * time.Hour
	// MaxEventTypes is how many entries an endpoint's event_types may hold.
	MaxEventTypes = 256
	// MaxIdempotencyKey is the longest idempotency key or ordering key.
	MaxIdempotencyKey = 256
)

// Validate checks the fields of an endpoint that need nothing but the
// endpoint: the URL's presence and length, the delivery options, the
// custom headers' form (not whether a profile sets them), the description.
// An empty Ordering becomes OrderingNone, an empty Signature SignatureV1. What needs the server's state is
// the control plane's to check: the URL's address (the egress guard), that
// the profile exists, that EventTypes name known types, that no profile
// sets a custom header.
func (e *Endpoint) Validate() error {
	if e.URL == "" {
		return FieldErrorf(EINVALID, "url", "required", "url is required")
	}
	if len(e.URL) > maxURL {
		return FieldErrorf(EINVALID, "url", "max_length", "url is longer than %d bytes", maxURL)
	}
	if e.RateLimit < 0 || e.RateLimit > 100_000 {
		return FieldErrorf(EINVALID, "rate_limit_per_s", "range", "rate_limit_per_s must be from 0 (no limit) to 100000")
	}
	if e.Signature == "" {
		e.Signature = SignatureV1
	}
	if err := checkSignature(e.Signature); err != nil {
		return err
	}
	switch e.Ordering {
	case "":
		e.Ordering = OrderingNone
	case OrderingNone, OrderingKey:
	default:
		return FieldErrorf(EINVALID, "ordering", "enum", `ordering must be "none" or "key"`)
	}
	if e.TimeoutMS != 0 && (e.TimeoutMS < 100 || e.TimeoutMS > 60_000) {
		return FieldErrorf(EINVALID, "timeout_ms", "range", "timeout_ms must be from 100 to 60000")
	}
	if len(e.RetrySchedule) > 20 {
		return FieldErrorf(EINVALID, "retry_schedule", "max_items", "retry_schedule has at most 20 delays")
	}
	for i, d := range e.RetrySchedule {
		if time.Duration(d) < minRetryDelay || time.Duration(d) > maxRetryDelay {
			return FieldErrorf(EINVALID, fmt.Sprintf("retry_schedule[%d]", i), "range",
				"retry_schedule[%d] is %v: each delay must be from 1s to 7 days (168h)", i, time.Duration(d))
		}
	}
	if len(e.Description) > 1024 {
		return FieldErrorf(EINVALID, "description", "max_length", "description is longer than 1024 characters")
	}
	if err := CheckText("description", e.Description); err != nil {
		return err
	}
	return nil
}

// CheckHeaders checks an endpoint's custom headers as a create or an
// update sets them (EndpointUpdate.Validate): headers stored before are
// not judged again by rules made since, so that an upgrade leaves every
// endpoint editable.
func CheckHeaders(hs map[string]string) error {
	if len(hs) > 20 {
		return FieldErrorf(EINVALID, "headers", "max_items", "at most 20 headers")
	}
	seen := make(map[string]string, len(hs))
	for k, v := range hs {
		if err := checkHeader(k, v); err != nil {
			return err
		}
		// Two spellings of one header (X-Env and x-env) would send one
		// of the two values, chosen by chance.
		if other, ok := seen[HeaderName(k)]; ok {
			a, b := min(k, other), max(k, other)
			return FieldErrorf(EINVALID, "headers", "unique", "headers %q and %q are the same header: give it once", a, b)
		}
		seen[HeaderName(k)] = k
	}
	return nil
}

// FramingHeaders are the headers of every delivery that carry the body's
// framing, the connection's and hookd's identity: no endpoint may set them.
// A profile's own (its identity and signature headers) are its Headers.
var FramingHeaders = []string{"Content-Type", "Content-Length", "Content-Encoding", "Host", "User-Agent", "Transfer-Encoding",
	"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Upgrade", "Expect"}

// HeaderName is the canonical form of a header name as a receiver may
// read it: CGI, WSGI and Rack read "_" and "-" alike, so Webhook_Id is
// Webhook-Id.
func HeaderName(k string) string {
	return http.CanonicalHeaderKey(strings.ReplaceAll(k, "_", "-"))
}

// checkHeader refuses a custom header that is not a valid HTTP header or
// that carries framing (FramingHeaders, or Standard Webhooks' Webhook-
// namespace), saying which.
func checkHeader(k, v string) error {
	if k == "" || len(k) > 256 || strings.ContainsFunc(k, func(c rune) bool {
		return c <= ' ' || c >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", c)
	}) {
		return FieldErrorf(EINVALID, "headers", "header_name", "header name %q is not a valid HTTP header name: 1 to 256 letters, digits and !#$%%&'*+-.^_`|~", k)
	}
	if ck := HeaderName(k); slices.Contains(FramingHeaders, ck) || strings.HasPrefix(ck, "Webhook-") {
		return ReservedHeader(k)
	}
	// No control character but tab: an HTTP request carries none (the
	// delivery transport refuses to send one), so every attempt would fail.
	if len(v) > 4096 || strings.ContainsFunc(v, func(c rune) bool { return c < ' ' && c != '\t' || c == 0x7f }) {
		return FieldErrorf(EINVALID, "headers", "header_value", "header %q has an invalid value: at most 4096 bytes, without CR, LF, NUL or another control character but tab", k)
	}
	return nil
}

// ReservedHeader is the error of a custom header hookd sets itself.
func ReservedHeader(name string) error {
	return FieldErrorf(EINVALID, "headers", "reserved", "header %q is reserved: hookd sets it, or it belongs to the connection", name)
}

// Validate checks the fields an endpoint update sets, before it is
// applied: what the endpoint's own Validate cannot see once it is.
func (u *EndpointUpdate) Validate() error {
	// A stored 0 means the profile's default, which a client asks for by
	// leaving the field out; a client that sends 0 most likely means
	// something else.
	if u.TimeoutMS != nil && *u.TimeoutMS == 0 {
		return FieldErrorf(EINVALID, "timeout_ms", "range", "timeout_ms must be from 100 to 60000; leave it out for the profile's default")
	}
	if u.Headers != nil {
		if err := CheckHeaders(*u.Headers); err != nil {
			return err
		}
	}
	if u.DisabledReason != nil {
		return CheckReason("disabled_reason", *u.DisabledReason)
	}
	return nil
}

// CheckReason checks a disable reason: shown to people, so one line of at
// most 1024 characters.
func CheckReason(field, reason string) error {
	if len(reason) > 1024 || strings.ContainsAny(reason, "\r\n\x00") {
		return FieldErrorf(EINVALID, field, "one_line", "%s must be one line of at most 1024 characters", field)
	}
	return nil
}

// typeName is an event type's name: letters, digits and _.:- (a provider
// qualifier ends at the colon).
// ValidTypeName reports whether name may name an event type: 1 to 128
// letters, digits and _.:-, no wildcard.
func ValidTypeName(name string) bool { return nameChars(name) }

// nameChars reports whether s is 1 to 128 ASCII letters, digits and _.:-
// (what ids and type names are made of; checked on every publish, so by
// hand rather than by a regular expression).
func nameChars(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// CheckPattern checks the form of an event-type pattern as SPEC.md defines
// them: "*", an exact name ("payment.created", or qualified with its
// provider, "lean:payment.created"), or a name prefix ending at a dot and
// a "*" ("payment.*"). It returns what is wrong, or "".
func CheckPattern(p string) string {
	if p == "*" {
		return ""
	}
	prefix, wild := strings.CutSuffix(p, "*")
	switch {
	case !nameChars(prefix):
		return "is not an event type name (letters, digits and _.:-, at most 128)"
	case wild && !strings.HasSuffix(prefix, "."):
		return `is not a pattern: a wildcard is "*" alone or ends a name at a dot ("payment.*")`
	case wild && strings.Contains(prefix, ":"):
		return fmt.Sprintf(`is not a pattern: a wildcard names no provider (use %q)`, WireType(p))
	case prefix == ".":
		return `is not a pattern: a wildcard is "*" alone or ends a name at a dot ("payment.*")`
	}
	return ""
}
