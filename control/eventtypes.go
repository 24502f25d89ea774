package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// EventTypes returns the catalog's types and the custom ones, sorted by name.
func (s *Service) EventTypes(ctx context.Context) ([]*hookd.EventType, error) {
	if s.Catalog == nil {
		return []*hookd.EventType{}, nil
	}
	out := s.Catalog.Types()
	if out == nil {
		out = []*hookd.EventType{}
	}
	return out, nil
}

// EventType finds a type by its catalog name, or by a name publish
// resolves to one type.
func (s *Service) EventType(ctx context.Context, name string) (*hookd.EventType, error) {
	if s.Catalog == nil {
		return nil, hookd.ErrNotFound
	}
	if t, ok := s.Catalog.Lookup(name); ok {
		return t, nil
	}
	t, err := s.resolveNow(ctx, name, "")
	if err != nil {
		return nil, hookd.Errorf(hookd.ENOTFOUND, "%s", hookd.ErrorMessage(err))
	}
	return t, nil
}

// CreateEventType registers a custom type. The store decides and memory
// follows: a type is checked, stored, and only then added to this node's
// catalog. Had another node registered the name first, the store answers
// 409 and this node takes that node's type, so no node validates against a
// schema the others do not have.
func (s *Service) CreateEventType(ctx context.Context, t *hookd.EventType) error {
	if s.Catalog == nil {
		return hookd.Errorf(hookd.EINVALID, "this server has no catalog")
	}
	if err := hookd.NotOperational("name", t.Name); err != nil {
		return err
	}
	if len(t.Schema) == 0 {
		t.Schema = json.RawMessage(`{"type":"object"}`)
	}
	t.Custom, t.CreatedAt = true, s.now().Now().UnixMilli()
	if err := s.Catalog.Check(t); err != nil {
		return err
	}
	if err := s.Store.CreateEventType(ctx, t); err != nil {
		if hookd.ErrorCode(err) == hookd.ECONFLICT {
			s.loadCustomTypes(ctx)
		}
		return err
	}
	// A conflict here is this node's sync having added the stored type
	// already: the same type.
	if err := s.Catalog.Add(t); err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT {
		return err
	}
	return nil
}

// Resolve finds an event type in the catalog as publish names it (see
// catalog.Resolve; prefer is a provider picked for a name two providers
// share). A name it does not know may be a custom type registered through
// another node since this one loaded its catalog: the custom types are
// then read again from the store (at most once a second) before the name
// is refused.
func (s *Service) Resolve(ctx context.Context, name, prefer string) (*hookd.EventType, error) {
	t, err := s.Catalog.Resolve(name, prefer)
	if err == nil || !s.syncCustomTypes(ctx) {
		return t, err
	}
	return s.Catalog.Resolve(name, prefer)
}

// resolveNow is Resolve for a caller that refuses a name it does not find
// (publish with unknown types refused, GET of a type): an unqualified name
// that no built-in type has makes it read the store's custom types again,
// however recently they were read, as checkEventTypes does, so that a type
// registered through another node is usable here as soon as its
// registration was answered.
func (s *Service) resolveNow(ctx context.Context, name, prefer string) (*hookd.EventType, error) {
	t, err := s.Catalog.Resolve(name, prefer)
	// A custom name has no ':' and is no built-in wire type.
	if err == nil || strings.Contains(name, ":") || s.Catalog.HasWire(name) || !s.loadCustomTypes(ctx) {
		return t, err
	}
	return s.Catalog.Resolve(name, prefer)
}

// syncCustomTypes adds the store's custom types the catalog lacks, unless
// they were read less than a second ago; it reports whether it added any.
func (s *Service) syncCustomTypes(ctx context.Context) bool {
	now, last := time.Now().UnixNano(), s.typesSynced.Load()
	if now-last < int64(time.Second) || !s.typesSynced.CompareAndSwap(last, now) {
		return false // read less than a second ago, or being read
	}
	return s.loadCustomTypes(ctx)
}

// loadCustomTypes adds the store's custom types the catalog lacks; it
// reports whether it added any.
func (s *Service) loadCustomTypes(ctx context.Context) bool {
	ts, err := s.Store.EventTypes(ctx)
	if err != nil {
		return false
	}
	added, _ := s.Catalog.AddStored(ts) // one it cannot add is refused when named, as before
	return added
}

// providers returns the providers of the catalog's types that qualify
// names ("lean:payment.created"), sorted: not hookd, whose operational
// types are named in full.
func (s *Service) providers() []string {
	var out []string
	if s.Catalog == nil {
		return nil
	}
	for _, t := range s.Catalog.Types() {
		if t.Provider != "" && t.Provider != hookd.OperationalProvider && !slices.Contains(out, t.Provider) {
			out = append(out, t.Provider)
		}
	}
	slices.Sort(out)
	return out
}

// typeFilter turns a list's ?type= into the store's filter: the events that
// an endpoint subscribed to that pattern receives (Endpoint.Wants). A wire
// name ("payment.created") finds the events of every provider's type of
// that name ("lean:payment.created", "linkmoney:payment.created") as
// receivers see them; a qualified name finds that provider's; "payment.*"
// finds both kinds; "*" every event but hookd's operational ones.
func (s *Service) typeFilter(pattern string) (hookd.EventFilter, error) {
	var f hookd.EventFilter
	if pattern == "" {
		return f, nil
	}
	if msg := hookd.CheckPattern(pattern); msg != "" {
		return f, hookd.FieldErrorf(hookd.EINVALID, "type", "pattern", "type: %q %s", pattern, msg)
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

// checkEventTypes checks an endpoint's event_types and returns them as
// stored: a missing or empty list is ["*"] (every event but hookd's own);
// each entry has a form SPEC.md defines (hookd.CheckPattern: 400
// otherwise) and names or selects a known type: a catalog, custom or
// operational type (422 otherwise, unless the server allows unknown
// types); a qualified name of a type one provider alone defines is stored
// as the catalog names it ("lean:entity.created" -> "entity.created", the
// name its events carry); repeated entries are kept once. Entries in kept
// (what the endpoint had before an update) stay as they are: a type that
// was accepted once, by an older rule or with unknown types allowed, does
// not make a later change of something else fail.
func (s *Service) checkEventTypes(ctx context.Context, in, kept []string) ([]string, error) {
	if len(in) == 0 {
		return []string{"*"}, nil
	}
	if len(in) > hookd.MaxEventTypes {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "event_types", "max_items", "event_types holds at most %d entries, not %d", hookd.MaxEventTypes, len(in))
	}
	out := make([]string, 0, len(in))
	for i, p := range in {
		if slices.Contains(kept, p) {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
			continue
		}
		if msg := hookd.CheckPattern(p); msg != "" {
			code := hookd.EUNPROCESSABLE
			if !hookd.ValidTypeName(strings.TrimSuffix(p, "*")) {
				code = hookd.EINVALID
			}
			return nil, hookd.FieldErrorf(code, fmt.Sprintf("event_types[%d]", i), "pattern", "event_types[%d]: %q %s", i, p, msg)
		}
		name, err := s.knownPattern(ctx, p)
		if err != nil {
			return nil, hookd.FieldErrorf(hookd.EUNPROCESSABLE, fmt.Sprintf("event_types[%d]", i), "known_type", "event_types[%d]: %s", i, err)
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
func (s *Service) knownPattern(ctx context.Context, p string) (string, error) {
	if s.Catalog == nil || p == "*" {
		return p, nil
	}
	name, wild := strings.CutSuffix(p, "*")
	if !wild && strings.Contains(name, ":") {
		t, err := s.Resolve(ctx, name, "")
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
	if s.loadCustomTypes(ctx) && s.selectsKnown(name, wild) {
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
func (s *Service) selectsKnown(name string, wild bool) bool {
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
