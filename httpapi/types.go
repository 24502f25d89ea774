package httpapi

import (
	"context"
	"errors"
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

// maxEventTypes is how many entries an endpoint's event_types may hold.
const maxEventTypes = 256

// checkEventTypes checks an endpoint's event_types and returns them as
// stored: a missing or empty list is ["*"] (every event but hookd's own);
// each entry has a form SPEC.md defines (checkPattern: 400 otherwise) and
// names or selects a known type: a catalog, custom or operational type
// (422 otherwise, unless the server allows unknown types); a qualified
// name of a type one provider alone defines is stored as the catalog names
// it ("lean:entity.created" -> "entity.created", the name its events
// carry); repeated entries are kept once. Entries in kept (what the
// endpoint had before an update) stay as they are: a type that was
// accepted once, by an older rule or with unknown types allowed, does not
// make a later change of something else fail.
func (s *Server) checkEventTypes(ctx context.Context, in, kept []string) ([]string, error) {
	if len(in) == 0 {
		return []string{"*"}, nil
	}
	if len(in) > maxEventTypes {
		return nil, hookd.Errorf(hookd.EINVALID, "event_types holds at most %d entries, not %d", maxEventTypes, len(in))
	}
	out := make([]string, 0, len(in))
	for i, p := range in {
		if slices.Contains(kept, p) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
			continue
		}
		if msg := checkPattern(p); msg != "" {
			code := hookd.EUNPROCESSABLE
			if !typeName.MatchString(strings.TrimSuffix(p, "*")) {
				code = hookd.EINVALID
			}
			return nil, hookd.Errorf(code, "event_types[%d]: %q %s", i, p, msg)
		}
		name, err := s.knownPattern(ctx, p)
		if err != nil {
			return nil, hookd.Errorf(hookd.EUNPROCESSABLE, "event_types[%d]: %s", i, err)
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// knownPattern returns the pattern as stored, or why it selects no known
// type. Without a catalog, or with unknown types allowed, every pattern of
// a valid form is kept as given (a qualified name the catalog knows is
// still stored under its catalog name).
func (s *Server) knownPattern(ctx context.Context, p string) (string, error) {
	if s.Catalog == nil || p == "*" {
		return p, nil
	}
	name, wild := strings.CutSuffix(p, "*")
	if !wild && strings.Contains(name, ":") {
		t, err := s.resolve(ctx, name, "")
		switch {
		case err == nil:
			return t.Name, nil
		case s.AllowUnknownTypes:
			return p, nil
		}
		return "", errors.New(hookd.ErrorMessage(err))
	}
	if s.selectsKnown(name, wild) || s.AllowUnknownTypes {
		return p, nil
	}
	// A custom type registered through another node since this one
	// read them: read them again before refusing.
	if s.control().LoadCustomTypes(ctx) && s.selectsKnown(name, wild) {
		return p, nil
	}
	if wild {
		return "", fmt.Errorf("%q selects no known event type (GET /v1/event-types lists them)", p)
	}
	return "", fmt.Errorf("unknown event type %q (GET /v1/event-types lists them)", p)
}

// selectsKnown reports whether a known type (catalog, custom or
// operational) has the name, or begins with it when wild, as its name or
// its wire name.
func (s *Server) selectsKnown(name string, wild bool) bool {
	match := func(n string) bool {
		if wild {
			return strings.HasPrefix(n, name)
		}
		return n == name
	}
	for _, n := range hookd.OperationalTypes {
		if match(n) {
			return true
		}
	}
	for _, t := range s.Catalog.Types() {
		if match(t.Name) || match(hookd.WireType(t.Name)) {
			return true
		}
	}
	return false
}
