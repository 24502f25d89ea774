package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// idPattern is what a caller-chosen id may look like.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

func page(r *http.Request) (hookd.Page, error) {
	p := hookd.Page{After: r.URL.Query().Get("after")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, hookd.Errorf(hookd.EINVALID, "limit must be a number from 1 to 1000")
		}
		p.Limit = n
	}
	return p, nil
}

// list writes one page: the items, and the cursor of the next page.
func list[T any](w http.ResponseWriter, items []T, p hookd.Page, id func(T) string) error {
	if items == nil {
		items = []T{}
	}
	lim := p.Limit
	if lim == 0 {
		lim = 100
	}
	out := map[string]any{"data": items, "has_more": len(items) == lim}
	if len(items) == lim {
		out["next"] = id(items[len(items)-1])
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Metadata json.RawMessage `json:"metadata"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return hookd.Errorf(hookd.EINVALID, "name is required")
	}
	if in.ID == "" {
		in.ID = "ten_" + uuid.NewString()
	} else if !idPattern.MatchString(in.ID) {
		return hookd.Errorf(hookd.EINVALID, "id must be 1-128 characters of letters, digits and _.:-")
	}
	if err := checkMetadata(in.Metadata); err != nil {
		return err
	}
	now := s.Clock.Now().UTC()
	t := &hookd.Tenant{ID: in.ID, Name: in.Name, Metadata: in.Metadata, CreatedAt: now, UpdatedAt: now}
	if err := s.Store.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func checkMetadata(m json.RawMessage) error {
	if len(m) > 0 && m[0] != '{' && string(m) != "null" {
		return hookd.Errorf(hookd.EINVALID, "metadata must be a JSON object")
	}
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ts, err := s.Store.Tenants(r.Context(), p)
	if err != nil {
		return err
	}
	return list(w, ts, p, func(t *hookd.Tenant) string { return t.ID })
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Store.Tenant(r.Context(), r.PathValue("tenant"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) updateTenant(w http.ResponseWriter, r *http.Request) error {
	var u hookd.TenantUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	if u.Name != nil && *u.Name == "" {
		return hookd.Errorf(hookd.EINVALID, "name must not be empty")
	}
	if u.Metadata != nil {
		if err := checkMetadata(*u.Metadata); err != nil {
			return err
		}
	}
	t, err := s.Store.UpdateTenant(r.Context(), r.PathValue("tenant"), &u, s.Clock.Now().UTC())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := s.Store.DeleteTenant(r.Context(), r.PathValue("tenant")); err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	var out []*hookd.EventType
	if s.Catalog != nil {
		out = s.Catalog.Types()
	}
	if out == nil {
		out = []*hookd.EventType{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) error {
	if s.Catalog == nil {
		return hookd.ErrNotFound
	}
	t, ok := s.Catalog.Lookup(r.PathValue("type"))
	if !ok {
		var err error
		if t, err = s.resolve(r.Context(), r.PathValue("type"), ""); err != nil {
			return hookd.Errorf(hookd.ENOTFOUND, "%s", hookd.ErrorMessage(err))
		}
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) createEventType(w http.ResponseWriter, r *http.Request) error {
	if s.Catalog == nil {
		return hookd.Errorf(hookd.EINVALID, "this server has no catalog")
	}
	var in struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Example     json.RawMessage `json:"example"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := notOperational("name", in.Name); err != nil {
		return err
	}
	if len(in.Schema) == 0 {
		in.Schema = json.RawMessage(`{"type":"object"}`)
	}
	t := &hookd.EventType{Name: in.Name, Description: in.Description, Schema: in.Schema, Example: in.Example,
		Custom: true, CreatedAt: s.Clock.Now().UnixMilli()}
	// The store decides and memory follows: a type is checked, stored,
	// and only then added here. Had another node registered the name
	// first, the store answers 409 and this node takes that node's type,
	// so no node validates against a schema the others do not have.
	if err := s.Catalog.Check(t); err != nil {
		return err
	}
	if err := s.Store.CreateEventType(r.Context(), t); err != nil {
		if hookd.ErrorCode(err) == hookd.ECONFLICT {
			s.loadCustomTypes(r.Context())
		}
		return err
	}
	// A conflict here is this node's sync having added the stored type
	// already: the same type.
	if err := s.Catalog.Add(t); err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}
