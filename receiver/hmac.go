package receiver

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HMAC is the generic template: a sender's own HMAC scheme, described by
// an [HMACScheme] (Verifier.HMAC), rather than one of hookd's formats.
const HMAC Profile = "hmac"

// HMACScheme describes how a sender signs: ALGORITHM(key,
// signed content), encoded, in a header, behind a prefix. Zero fields take
// the defaults named here. It has the fields, names and meaning of
// hookd.HMACScheme, so that one converts to the other.
//
// SignedContent is literal text and the placeholders {body} (the raw
// body; exactly once), {timestamp} (the value read from TimestampHeader,
// as received), {id} (the value of IDHeader) and {header:Name} (the first
// value of any header, as received). A placeholder whose header is absent
// refuses the request (ErrMissingHeader).
//
// Recipes:
//
//	GitHub   Header X-Hub-Signature-256, Prefix "sha256=" (hex, {body})
//	Shopify  Header X-Shopify-Hmac-Sha256, Encoding base64 ({body})
//	Stripe   Header Stripe-Signature, Prefix "v1=", SignedContent "{timestamp}.{body}",
//	         TimestampHeader Stripe-Signature, TimestampPrefix "t="
//	Svix     Header webhook-signature, Prefix "v1,", Encoding base64, SecretEncoding base64,
//	         SignedContent "{id}.{timestamp}.{body}", IDHeader webhook-id, TimestampHeader webhook-timestamp
type HMACScheme struct {
	// Algorithm is sha256 (default), sha512, sha384 or sha1.
	Algorithm string `json:"algorithm,omitempty"`
	// Header carries the signatures. Every repeated line and every item
	// of a comma- or space-separated list is a candidate (spaces only when
	// Prefix holds a comma); one that matches a secret verifies.
	Header string `json:"header"`
	// Prefix starts each signature item, exactly as written; items
	// without it are ignored.
	Prefix string `json:"prefix,omitempty"`
	// Encoding is hex (default, either case), base64 or base64url
	// (padding optional).
	Encoding string `json:"encoding,omitempty"`
	// SignedContent is the template of what is signed; default "{body}".
	SignedContent string `json:"signed_content,omitempty"`
	// SecretEncoding turns a secret into the key: raw (default, its
	// bytes), base64 (after an optional whsec_ prefix) or hex.
	SecretEncoding string `json:"secret_encoding,omitempty"`
	// TimestampHeader carries the signed timestamp, checked against the
	// Verifier's Tolerance before the MAC; SignedContent must then hold
	// {timestamp}, since an unsigned time can be changed by anyone.
	TimestampHeader string `json:"timestamp_header,omitempty"`
	// TimestampPrefix finds the timestamp among the comma-separated items
	// of TimestampHeader ("t=" in Stripe-Signature).
	TimestampPrefix string `json:"timestamp_prefix,omitempty"`
	// TimestampFormat is auto (default), unix, unix_ms or rfc3339. auto
	// reads digits as unix seconds below 100000000000 and as unix
	// milliseconds from there, anything else as RFC 3339.
	TimestampFormat string `json:"timestamp_format,omitempty"`
	// IDHeader, else the string or number at IDPath in the body, is the
	// webhook's id (Webhook.ID), the same on every retry.
	IDHeader string `json:"id_header,omitempty"`
	IDPath   string `json:"id_path,omitempty"`
	// The type is TypePrefix and the first found of: TypeHeader, the
	// string at TypePath (default "type" when none of the three is set),
	// DefaultType.
	TypeHeader  string `json:"type_header,omitempty"`
	TypePath    string `json:"type_path,omitempty"`
	TypePrefix  string `json:"type_prefix,omitempty"`
	DefaultType string `json:"default_type,omitempty"`
}

// autoMillis is where TimestampFormat auto reads digits as milliseconds:
// 10^11 seconds is in the year 5138, 10^11 ms is on 1973-03-03.
const autoMillis = 100_000_000_000

// Kinds of a part of the signed content.
const (
	partText = iota
	partBody
	partTimestamp
	partID
	partHeader
)

type contentPart struct {
	kind int
	text string // the literal, or the header's name
}

// hmacPlan is an HMACScheme checked and compiled.
type hmacPlan struct {
	*HMACScheme
	hash    func() hash.Hash
	size    int
	content []contentPart
	// split separates a header's items.
	split func(rune) bool
}

// plan checks the scheme and compiles its template; errors wrap
// ErrConfig and name the field.
func (s *HMACScheme) plan() (*hmacPlan, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: profile hmac needs an HMACScheme", ErrConfig)
	}
	p := &hmacPlan{HMACScheme: s}
	switch s.Algorithm {
	case "", "sha256":
		p.hash, p.size = sha256.New, sha256.Size
	case "sha512":
		p.hash, p.size = sha512.New, sha512.Size
	case "sha384":
		p.hash, p.size = sha512.New384, sha512.Size384
	case "sha1":
		p.hash, p.size = sha1.New, sha1.Size
	default:
		return nil, fmt.Errorf("%w: hmac.algorithm %q: sha256, sha512, sha384 or sha1", ErrConfig, s.Algorithm)
	}
	switch s.Encoding {
	case "", "hex", "base64", "base64url":
	default:
		return nil, fmt.Errorf("%w: hmac.encoding %q: hex, base64 or base64url", ErrConfig, s.Encoding)
	}
	switch s.TimestampFormat {
	case "", "auto", "unix", "unix_ms", "rfc3339":
	default:
		return nil, fmt.Errorf("%w: hmac.timestamp_format %q: auto, unix, unix_ms or rfc3339", ErrConfig, s.TimestampFormat)
	}
	if s.Header == "" {
		return nil, fmt.Errorf("%w: hmac.header is required", ErrConfig)
	}
	p.split = func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }
	if strings.Contains(s.Prefix, ",") {
		p.split = func(r rune) bool { return r == ' ' || r == '\t' }
	}
	tmpl := s.SignedContent
	if tmpl == "" {
		tmpl = "{body}"
	}
	var err error
	if p.content, err = compileContent(tmpl); err != nil {
		return nil, err
	}
	var bodies, stamps, ids int
	for _, c := range p.content {
		switch c.kind {
		case partBody:
			bodies++
		case partTimestamp:
			stamps++
		case partID:
			ids++
		}
	}
	switch {
	case bodies != 1:
		return nil, fmt.Errorf("%w: hmac.signed_content must hold {body} exactly once: a signature must cover the body", ErrConfig)
	case stamps > 0 && s.TimestampHeader == "":
		return nil, fmt.Errorf("%w: hmac.signed_content holds {timestamp}: set hmac.timestamp_header", ErrConfig)
	case stamps == 0 && s.TimestampHeader != "":
		return nil, fmt.Errorf("%w: hmac.timestamp_header is set but hmac.signed_content has no {timestamp}: an unsigned timestamp protects nothing", ErrConfig)
	case ids > 0 && s.IDHeader == "":
		return nil, fmt.Errorf("%w: hmac.signed_content holds {id}: set hmac.id_header", ErrConfig)
	}
	return p, nil
}

// compileContent parses a signed-content template.
func compileContent(tmpl string) ([]contentPart, error) {
	var out []contentPart
	for rest := tmpl; rest != ""; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			out = append(out, contentPart{partText, rest})
			break
		}
		if i > 0 {
			out = append(out, contentPart{partText, rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("%w: hmac.signed_content: a { without its }", ErrConfig)
		}
		name := rest[i+1 : i+j]
		switch {
		case name == "body":
			out = append(out, contentPart{kind: partBody})
		case name == "timestamp":
			out = append(out, contentPart{kind: partTimestamp})
		case name == "id":
			out = append(out, contentPart{kind: partID})
		case strings.HasPrefix(name, "header:") && validHeader(name[len("header:"):]):
			out = append(out, contentPart{partHeader, name[len("header:"):]})
		default:
			return nil, fmt.Errorf("%w: hmac.signed_content: unknown placeholder {%s}: {body}, {timestamp}, {id} or {header:Name}", ErrConfig, name)
		}
		rest = rest[i+j+1:]
	}
	return out, nil
}

// validHeader reports whether s is a header name (an RFC 9110 token).
func validHeader(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// keys turns secrets into keys by SecretEncoding.
func (s *HMACScheme) keys(secrets []string) ([][]byte, error) {
	keys := make([][]byte, len(secrets))
	for i, sec := range secrets {
		var err error
		switch s.SecretEncoding {
		case "", "raw":
			keys[i] = []byte(sec)
		case "base64":
			keys[i], err = base64.StdEncoding.DecodeString(strings.TrimPrefix(sec, "whsec_"))
		case "hex":
			if keys[i], err = hex.DecodeString(sec); err != nil {
				// hex's error quotes the offending character: a piece of
				// the secret, which no message may show.
				err = errors.New("an even number of hex digits (0-9, a-f) is wanted")
			}
		default:
			return nil, fmt.Errorf("%w: hmac.secret_encoding %q: raw, base64 or hex", ErrConfig, s.SecretEncoding)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: secret %d is not %s: %v", ErrConfig, i+1, s.SecretEncoding, err)
		}
		if len(keys[i]) == 0 {
			return nil, fmt.Errorf("%w: secret %d is empty", ErrConfig, i+1)
		}
	}
	return keys, nil
}

// verifyTemplate checks a request of profile HMAC: the scheme and the
// secrets first, so that a misconfiguration is reported as such whatever
// the request looks like.
func (v *Verifier) verifyTemplate(h http.Header, body []byte) error {
	p, err := v.HMAC.plan()
	if err != nil {
		return err
	}
	if len(v.Secrets) == 0 {
		return fmt.Errorf("%w: no secret", ErrConfig)
	}
	keys, err := v.HMAC.keys(v.Secrets)
	if err != nil {
		return err
	}
	return v.verifyHMAC(h, body, p, keys)
}

// verifyHMAC checks a request against the scheme: the timestamp first
// (a stale request costs no HMAC work), then the MAC of the signed content
// under each key against each candidate, compared in constant time as
// text in the scheme's canonical spelling (lowercase hex, unpadded
// base64), so that no lenient decoding lets two spellings match.
func (v *Verifier) verifyHMAC(h http.Header, body []byte, p *hmacPlan, keys [][]byte) error {
	lines := headerValues(h, p.Header)
	if len(lines) == 0 {
		return fmt.Errorf("%w: %s", ErrMissingHeader, p.Header)
	}
	ts, err := v.hmacTimestamp(h, p)
	if err != nil {
		return err
	}
	var given [][]byte
	for _, line := range lines {
		for _, item := range strings.FieldsFunc(line, p.split) {
			if sig, ok := strings.CutPrefix(item, p.Prefix); ok && sig != "" {
				given = append(given, []byte(p.canonical(sig)))
			}
		}
	}
	if len(given) == 0 {
		return fmt.Errorf("%w: no %s<%s> value in %s", ErrBadSignature, p.Prefix, p.encodingName(), p.Header)
	}
	parts := make([][]byte, len(p.content))
	for i, c := range p.content {
		switch c.kind {
		case partText:
			parts[i] = []byte(c.text)
		case partBody:
			parts[i] = body
		case partTimestamp:
			parts[i] = []byte(ts)
		case partID, partHeader:
			name := c.text
			if c.kind == partID {
				name = p.IDHeader
			}
			val := header(h, name)
			if val == "" {
				return fmt.Errorf("%w: %s", ErrMissingHeader, name)
			}
			parts[i] = []byte(val)
		}
	}
	for _, key := range keys {
		mac := hmac.New(p.hash, key)
		for _, part := range parts {
			mac.Write(part)
		}
		want := []byte(p.encode(mac.Sum(nil)))
		for _, g := range given {
			if hmac.Equal(g, want) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s does not match", ErrBadSignature, p.Header)
}

func (p *hmacPlan) encodingName() string {
	if p.Encoding == "" {
		return "hex"
	}
	return p.Encoding
}

// encode spells a MAC in the canonical form of the scheme's encoding.
func (p *hmacPlan) encode(mac []byte) string {
	switch p.Encoding {
	case "base64":
		return base64.RawStdEncoding.EncodeToString(mac)
	case "base64url":
		return base64.RawURLEncoding.EncodeToString(mac)
	}
	return hex.EncodeToString(mac)
}

// canonical spells a received signature as encode would: hex in lower
// case, base64 without its padding.
func (p *hmacPlan) canonical(sig string) string {
	if p.Encoding == "base64" || p.Encoding == "base64url" {
		return strings.TrimRight(sig, "=")
	}
	return strings.ToLower(sig)
}

// hmacTimestamp returns the signed timestamp as received ("" when the
// scheme has none), after checking it against the tolerance.
func (v *Verifier) hmacTimestamp(h http.Header, p *hmacPlan) (string, error) {
	if p.TimestampHeader == "" {
		return "", nil
	}
	ts, name := stampValue(h, p.HMACScheme)
	if ts == "" {
		return "", fmt.Errorf("%w: %s", ErrMissingHeader, name)
	}
	t, err := parseStamp(ts, p.TimestampFormat)
	if err != nil {
		return "", fmt.Errorf("%w: %s %q: %v", ErrMalformed, name, ts, err)
	}
	if err := v.checkTime(name, t); err != nil {
		return "", err
	}
	return ts, nil
}

// stampValue finds the timestamp in the request and says where it looked.
func stampValue(h http.Header, s *HMACScheme) (value, name string) {
	if s.TimestampPrefix == "" {
		return header(h, s.TimestampHeader), s.TimestampHeader
	}
	name = s.TimestampPrefix + " in " + s.TimestampHeader
	for _, line := range headerValues(h, s.TimestampHeader) {
		for _, item := range strings.Split(line, ",") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(item), s.TimestampPrefix); ok {
				return v, name
			}
		}
	}
	return "", name
}

// parseStamp reads a timestamp in a TimestampFormat.
func parseStamp(s, format string) (time.Time, error) {
	digits := s != "" && strings.Trim(s, "0123456789") == ""
	switch format {
	case "unix", "unix_ms":
		if !digits {
			return time.Time{}, fmt.Errorf("not %s (digits)", format)
		}
	case "rfc3339":
		return time.Parse(time.RFC3339Nano, s)
	}
	if !digits {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("neither unix time (digits) nor RFC 3339")
		}
		return t, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("out of range")
	}
	if format == "unix_ms" || format != "unix" && n >= autoMillis {
		return time.UnixMilli(n), nil
	}
	return time.Unix(n, 0), nil
}

// Parse reads a webhook of the scheme, without verifying it: the body
// must be a JSON object, which is the payload; the id, type and timestamp
// are where the scheme says.
func (s *HMACScheme) Parse(h http.Header, body []byte) (*Webhook, error) {
	w := &Webhook{Profile: HMAC, Raw: body, Payload: body}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("%w: hmac body is not a JSON object", ErrMalformed)
	}
	if s.IDHeader != "" {
		w.ID = header(h, s.IDHeader)
	}
	if w.ID == "" && s.IDPath != "" {
		w.ID = jsonAt(obj, s.IDPath, true)
	}
	var typ string
	var looked []string
	if s.TypeHeader != "" {
		typ = header(h, s.TypeHeader)
		looked = append(looked, "header "+s.TypeHeader)
	}
	path := s.TypePath
	if path == "" && s.TypeHeader == "" && s.DefaultType == "" {
		path = "type"
	}
	if typ == "" && path != "" {
		typ = jsonAt(obj, path, false)
		looked = append(looked, "body field "+path)
	}
	if typ == "" {
		typ = s.DefaultType
	}
	if typ == "" {
		return nil, fmt.Errorf("%w: no event type in %s, and no default_type", ErrMalformed, strings.Join(looked, " or "))
	}
	w.Type = s.TypePrefix + typ
	if s.TimestampHeader != "" {
		if ts, _ := stampValue(h, s); ts != "" {
			if t, err := parseStamp(ts, s.TimestampFormat); err == nil {
				w.Timestamp = t.UTC()
			}
		}
	}
	return w, nil
}

// jsonAt returns the string (or, with numbers, the number) at a dotted
// path of a JSON object; a digits segment also indexes an array. It
// returns "" when the path leads nowhere or to another kind of value.
func jsonAt(obj map[string]json.RawMessage, path string, numbers bool) string {
	segs := strings.Split(path, ".")
	raw, ok := obj[segs[0]]
	for _, seg := range segs[1:] {
		if !ok {
			return ""
		}
		var m map[string]json.RawMessage
		var a []json.RawMessage
		if json.Unmarshal(raw, &m) == nil && m != nil {
			raw, ok = m[seg]
		} else if i, err := strconv.Atoi(seg); err == nil && json.Unmarshal(raw, &a) == nil && i >= 0 && i < len(a) {
			raw = a[i]
		} else {
			return ""
		}
	}
	if !ok {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	var n json.Number
	if numbers && json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// Check reports what is wrong with the scheme (wrapping ErrConfig, naming
// the field), or nil: what Verify would refuse before reading a request.
func (s *HMACScheme) Check() error {
	_, err := s.plan()
	return err
}
