package hookd

import (
	"slices"
	"strings"
)

// HMACScheme describes how a sender of profile hmac signs its webhooks,
// for any provider that signs an HMAC of the raw body in a header
// (GitHub, Shopify, Stripe, Svix, ...): hookd computes
// ALGORITHM(secret, signed_content), encodes it, and compares it in
// constant time with each value in Header that starts with Prefix. Empty
// fields take the defaults named here.
//
// SignedContent is a template of what is signed: literal text and the
// placeholders {body} (the raw body, exactly once), {timestamp} (the value
// read from TimestampHeader, as received), {id} (the value of IDHeader) and
// {header:Name} (the first value of any header, as received). Its grammar
// and the rules between fields ({timestamp} and TimestampHeader go
// together) are checked by package receiver, which verifies with it, so
// that they live in one place.
type HMACScheme struct {
	// Algorithm is sha256 (default), sha512, sha384 or sha1.
	Algorithm string `json:"algorithm,omitempty"`
	// Header carries the signatures (required): X-Hub-Signature-256,
	// X-Shopify-Hmac-Sha256, Stripe-Signature. Repeated lines and
	// comma- or space-separated items are each a candidate; a prefix that
	// holds a comma ("v1,", Standard Webhooks) separates by spaces only.
	Header string `json:"header"`
	// Prefix starts each signature item ("sha256=", "v1="), exactly as
	// written; items without it are ignored. Empty: every item.
	Prefix string `json:"prefix,omitempty"`
	// Encoding of the MAC: hex (default, either case), base64 or
	// base64url (padding optional).
	Encoding string `json:"encoding,omitempty"`
	// SignedContent is the template of what is signed; default {body}.
	SignedContent string `json:"signed_content,omitempty"`
	// SecretEncoding says how a secret becomes the HMAC key: raw
	// (default: its bytes as given, as GitHub, Shopify and Stripe use
	// theirs), base64 (standard base64, after an optional whsec_ prefix,
	// as Svix does) or hex.
	SecretEncoding string `json:"secret_encoding,omitempty"`
	// TimestampHeader carries a signed timestamp, checked against the
	// source's tolerance_seconds (default 300) before the MAC.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// TimestampPrefix, when set, finds the timestamp among the
	// comma-separated items of TimestampHeader (Stripe: "t=" in
	// Stripe-Signature).
	TimestampPrefix string `json:"timestamp_prefix,omitempty"`
	// TimestampFormat: auto (default), unix (seconds), unix_ms or
	// rfc3339. auto reads digits as unix seconds below 100000000000 and
	// as unix milliseconds from there (a value in seconds would be past
	// the year 5000, one in milliseconds is after March 1973), and
	// anything else as RFC 3339.
	TimestampFormat string `json:"timestamp_format,omitempty"`
	// IDHeader (X-GitHub-Delivery, X-Shopify-Webhook-Id, webhook-id) or
	// IDPath (a JSON path in the body: "id") give the provider's id of a
	// webhook, which makes a retry a duplicate. The header wins when both
	// are set and present. With neither, every request is a new event.
	IDHeader string `json:"id_header,omitempty"`
	IDPath   string `json:"id_path,omitempty"`
	// The event's type is TypePrefix and the first found of: TypeHeader
	// (X-GitHub-Event, X-Shopify-Topic), the string at TypePath in the
	// body (default "type" when none of the three is set), DefaultType.
	// hookd makes a slash of it a dot (Shopify's orders/create is
	// orders.create): type names have none.
	TypeHeader  string `json:"type_header,omitempty"`
	TypePath    string `json:"type_path,omitempty"`
	TypePrefix  string `json:"type_prefix,omitempty"`
	DefaultType string `json:"default_type,omitempty"`
}

// The values HMACScheme's enumerated fields take ("" is the first).
var (
	HMACAlgorithms       = []string{"sha256", "sha512", "sha384", "sha1"}
	HMACEncodings        = []string{"hex", "base64", "base64url"}
	HMACSecretEncodings  = []string{"raw", "base64", "hex"}
	HMACTimestampFormats = []string{"auto", "unix", "unix_ms", "rfc3339"}
)

// Validate checks the scheme's fields one by one; each error names the
// field (hmac.<name>) and the rule.
func (s *HMACScheme) Validate() error {
	enum := func(name, v string, allowed []string) error {
		if v != "" && !slices.Contains(allowed, v) {
			return FieldErrorf(EINVALID, "hmac."+name, "enum", "hmac.%s must be one of %s, not %q", name, strings.Join(allowed, ", "), v)
		}
		return nil
	}
	for _, e := range []struct {
		name, v string
		allowed []string
	}{
		{"algorithm", s.Algorithm, HMACAlgorithms},
		{"encoding", s.Encoding, HMACEncodings},
		{"secret_encoding", s.SecretEncoding, HMACSecretEncodings},
		{"timestamp_format", s.TimestampFormat, HMACTimestampFormats},
	} {
		if err := enum(e.name, e.v, e.allowed); err != nil {
			return err
		}
	}
	if s.Header == "" {
		return FieldErrorf(EINVALID, "hmac.header", "required", "hmac.header is required: the header that carries the signature")
	}
	for _, h := range []struct{ name, v string }{
		{"header", s.Header}, {"timestamp_header", s.TimestampHeader}, {"id_header", s.IDHeader}, {"type_header", s.TypeHeader},
	} {
		if h.v != "" && (len(h.v) > 100 || !validHeaderName(h.v)) {
			return FieldErrorf(EINVALID, "hmac."+h.name, "header_name", "hmac.%s %q is not a valid header name", h.name, h.v)
		}
	}
	for _, p := range []struct{ name, v string }{{"prefix", s.Prefix}, {"timestamp_prefix", s.TimestampPrefix}} {
		if len(p.v) > 64 || strings.IndexFunc(p.v, func(r rune) bool { return r <= ' ' || r >= 0x7f }) >= 0 {
			return FieldErrorf(EINVALID, "hmac."+p.name, "format", "hmac.%s is at most 64 printable ASCII characters without spaces", p.name)
		}
	}
	if strings.Contains(s.TimestampPrefix, ",") {
		return FieldErrorf(EINVALID, "hmac.timestamp_prefix", "format", "hmac.timestamp_prefix cannot hold a comma: it finds an item of a comma-separated list")
	}
	if s.TimestampHeader == "" && (s.TimestampPrefix != "" || s.TimestampFormat != "") {
		return FieldErrorf(EINVALID, "hmac.timestamp_header", "required", "hmac.timestamp_prefix and hmac.timestamp_format need hmac.timestamp_header")
	}
	if len(s.SignedContent) > 512 {
		return FieldErrorf(EINVALID, "hmac.signed_content", "max_length", "hmac.signed_content is at most 512 characters")
	}
	if err := CheckText("hmac.signed_content", s.SignedContent); err != nil {
		return err
	}
	for _, p := range []struct{ name, v string }{{"id_path", s.IDPath}, {"type_path", s.TypePath}} {
		if p.v != "" && !validJSONPath(p.v) {
			return FieldErrorf(EINVALID, "hmac."+p.name, "format", "hmac.%s %q is not a path: field names separated by dots (data.object.id), at most 200 characters", p.name, p.v)
		}
	}
	if s.TypePrefix != "" && !ValidTypeName(s.TypePrefix+"x") {
		return FieldErrorf(EINVALID, "hmac.type_prefix", "pattern", "hmac.type_prefix %q: an event type is letters, digits and _.:- (at most 128)", s.TypePrefix)
	}
	if s.DefaultType != "" && !ValidTypeName(s.TypePrefix+s.DefaultType) {
		return FieldErrorf(EINVALID, "hmac.default_type", "pattern", "hmac.default_type %q: an event type is letters, digits and _.:- (at most 128)", s.DefaultType)
	}
	return nil
}

// validJSONPath reports whether p is field names separated by dots.
func validJSONPath(p string) bool {
	return len(p) <= 200 && !slices.Contains(strings.Split(p, "."), "")
}
