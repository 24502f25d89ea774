package httpapi

import (
	"net/http"

	"github.com/hookd/hookd"
)

func (s *Server) listSourceRequests(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	rs, err := s.Sources.SourceRequests(r.Context(), r.PathValue("tenant"), r.PathValue("id"), p)
	if err != nil {
		return err
	}
	return list(w, rs, p, func(sr *hookd.SourceRequest) string { return sr.ID })
}

func (s *Server) getSourceRequest(w http.ResponseWriter, r *http.Request) error {
	sr, err := s.Sources.SourceRequest(r.Context(), r.PathValue("tenant"), r.PathValue("id"), r.PathValue("request"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sr)
	return nil
}
