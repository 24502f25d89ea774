package control

import (
	"context"
	"encoding/json"
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
	t, err := s.Resolve(ctx, name, "")
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
			s.LoadCustomTypes(ctx)
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

// syncCustomTypes adds the store's custom types the catalog lacks, unless
// they were read less than a second ago; it reports whether it added any.
func (s *Service) syncCustomTypes(ctx context.Context) bool {
	now, last := time.Now().UnixNano(), s.typesSynced.Load()
	if now-last < int64(time.Second) || !s.typesSynced.CompareAndSwap(last, now) {
		return false // read less than a second ago, or being read
	}
	return s.LoadCustomTypes(ctx)
}

// LoadCustomTypes adds the store's custom types the catalog lacks; it
// reports whether it added any.
func (s *Service) LoadCustomTypes(ctx context.Context) bool {
	ts, err := s.Store.EventTypes(ctx)
	if err != nil {
		return false
	}
	added := false
	for _, t := range ts {
		if _, ok := s.Catalog.Lookup(t.Name); !ok && s.Catalog.Add(t) == nil {
			added = true
		}
	}
	return added
}
