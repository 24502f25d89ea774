package httpapi

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hookd/hookd"
)

// typeName is an event type's name: letters, digits and _.:- (a provider
// qualifier ends at the colon).
var typeName = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// checkPattern checks the form of an event-type pattern as SPEC.md defines
// them: "*", an exact name ("payment.created", or qualified with its
// provider, "lean:payment.created"), or a name prefix ending at a dot and
// a "*" ("payment.*"). It returns what is wrong, or "".
func checkPattern(p string) string {
	if p == "*" {
		return ""
	}
	prefix, wild := strings.CutSuffix(p, "*")
	switch {
	case !typeName.MatchString(prefix) || strings.Contains(prefix, "*"):
		return "is not an event type name (letters, digits and _.:-, at most 128)"
	case wild && !strings.HasSuffix(prefix, "."):
		return `is not a pattern: a wildcard is "*" alone or ends a name at a dot ("payment.*")`
	case wild && strings.Contains(prefix, ":"):
		return fmt.Sprintf(`is not a pattern: a wildcard names no provider (use %q)`, hookd.WireType(p))
	case prefix == ".":
		return `is not a pattern: a wildcard is "*" alone or ends a name at a dot ("payment.*")`
	}
	return ""
}

// providers returns the providers of the catalog's types, sorted.
func (s *Server) providers() []string {
	var out []string
	if s.Catalog == nil {
		return nil
	}
	for _, t := range s.Catalog.Types() {
		if t.Provider != "" && !slices.Contains(out, t.Provider) {
			out = append(out, t.Provider)
		}
	}
	slices.Sort(out)
	return out
}

// typeFilter turns a list's ?type= into the store's filter: the events that
// an endpoint subscribed to that pattern receives (hookd.MatchType on the
// type and on its wire name). A wire name ("payment.created") finds the
// events of every provider's type of that name ("lean:payment.created",
// "linkmoney:payment.created") as receivers see them; a qualified name
// finds that provider's; "payment.*" finds both kinds; "*" every event
// but hookd's operational ones.
func (s *Server) typeFilter(pattern string) (hookd.EventFilter, error) {
	var f hookd.EventFilter
	if pattern == "" {
		return f, nil
	}
	if msg := checkPattern(pattern); msg != "" {
		return f, hookd.Errorf(hookd.EINVALID, "type: %q %s", pattern, msg)
	}
	if pattern == "*" {
		f.NotPrefix = hookd.OperationalPrefix
		return f, nil
	}
	name, wild := strings.CutSuffix(pattern, "*")
	if strings.Contains(name, ":") {
		// Qualified: that provider's type, named as the catalog names
		// it (a type one provider alone defines is stored unqualified).
		f.Types = []string{name}
		if s.Catalog != nil {
			if t, err := s.Catalog.Resolve(name, ""); err == nil && t.Name != name {
				f.Types = append(f.Types, t.Name)
			}
		}
		return f, nil
	}
	add := &f.Types
	if wild {
		add = &f.Prefixes
	}
	*add = append(*add, name)
	for _, p := range s.providers() {
		*add = append(*add, p+":"+name)
	}
	return f, nil
}
