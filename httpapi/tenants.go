package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookd/hookd"
)

// page reads a list's ?after= and ?limit= (1 to 1000, 100 by default).
// The store is asked for one item more than the page shows, so that list
// knows whether more follow.
func page(r *http.Request) (hookd.Page, error) {
	p := hookd.Page{After: r.URL.Query().Get("after"), Limit: hookd.PageDefault + 1}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > hookd.PageMax {
			return p, hookd.FieldErrorf(hookd.EINVALID, "limit", "range", "limit must be a number from 1 to %d", hookd.PageMax)
		}
		p.Limit = n + 1
	}
	return p, nil
}

// list writes one page of the items a store gave for page's p (one more
// than the page shows when more follow): the items, whether more follow,
// and then the cursor of the next page.
func list[T any](w http.ResponseWriter, items []T, p hookd.Page, id func(T) string) error {
	writeJSON(w, http.StatusOK, pageAnswer(items, p, id))
	return nil
}

// pageAnswer is the answer list writes.
func pageAnswer[T any](items []T, p hookd.Page, id func(T) string) map[string]any {
	if items == nil {
		items = []T{}
	}
	more := p.Limit > 1 && len(items) >= p.Limit
	if more {
		items = items[:p.Limit-1]
	}
	out := map[string]any{"data": items, "has_more": more}
	if more {
		out["next"] = id(items[len(items)-1])
	}
	return out
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
	t := &hookd.Tenant{ID: in.ID, Name: in.Name, Metadata: in.Metadata}
	if err := s.Tenants.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	ts, err := s.Tenants.Tenants(r.Context(), p)
	if err != nil {
		return err
	}
	return list(w, ts, p, func(t *hookd.Tenant) string { return t.ID })
}

func (s *Server) getTenant(w http.ResponseWriter, r *http.Request) error {
	t, err := s.Tenants.Tenant(r.Context(), r.PathValue("tenant"))
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
	t, err := s.Tenants.UpdateTenant(r.Context(), r.PathValue("tenant"), &u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteTenant(w http.ResponseWriter, r *http.Request) error {
	if err := s.Tenants.DeleteTenant(r.Context(), r.PathValue("tenant")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) error {
	out, err := s.EventTypes.EventTypes(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) error {
	t, err := s.EventTypes.EventType(r.Context(), r.PathValue("type"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) createEventType(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Example     json.RawMessage `json:"example"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	t := &hookd.EventType{Name: in.Name, Description: in.Description, Schema: in.Schema, Example: in.Example}
	if err := s.EventTypes.CreateEventType(r.Context(), t); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}
