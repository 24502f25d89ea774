// Package profile holds hookd's wire formats: how an event becomes the body
// and headers of a webhook request in the exact format a receiver expects.
package profile

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"sort"

	"github.com/hookd/hookd"
)

// Registry maps profile names to profiles.
type Registry map[string]hookd.Profile

// Default is the profile of an endpoint that names none.
const Default = "standard"

// New returns the registry of every built-in profile. messages gives Lean's
// envelope sentence for a wire type (nil: a generic sentence).
func New(messages func(wireType string) string) Registry {
	r := Registry{}
	for _, p := range []hookd.Profile{
		Standard{},
		Lean{Messages: messages},
		Weavr{},
		LinkMoney{},
	} {
		r[p.Name()] = p
	}
	return r
}

// Get returns the named profile ("" is the default).
func (r Registry) Get(name string) (hookd.Profile, error) {
	if name == "" {
		name = Default
	}
	p, ok := r[name]
	if !ok {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "profile", "enum", "unknown profile %q (one of %v)", name, r.Names())
	}
	return p, nil
}

// Reserved reports whether a custom header of an endpoint would set a
// header hookd sets: one of hookd.FramingHeaders or any profile's Headers
// (any profile's, as an endpoint may change its profile later).
func (r Registry) Reserved(header string) bool {
	ck := hookd.HeaderName(header)
	if slices.Contains(hookd.FramingHeaders, ck) {
		return true
	}
	for _, p := range r {
		if slices.Contains(p.Headers(), ck) {
			return true
		}
	}
	return false
}

// Names lists the profiles, sorted.
func (r Registry) Names() []string {
	out := make([]string, 0, len(r))
	for n := range r {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// appendJSONString appends s as a JSON string. Event types and ids are
// plain ASCII in practice; anything else is escaped by strconv.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			return appendQuotedSlow(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

func appendQuotedSlow(b []byte, s string) []byte {
	// strconv's Go quoting is valid JSON for these characters except for
	// \x escapes; QuoteToASCII may emit them, so escape by hand.
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r < 0x20:
			b = append(b, `\u00`...)
			b = append(b, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
		default:
			b = append(b, string(r)...)
		}
	}
	return append(b, '"')
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

var b64 = base64.StdEncoding
