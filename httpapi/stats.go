package httpapi

import (
	"net/http"

	"github.com/hookd/hookd"
)

func (s *Server) endpointStats(w http.ResponseWriter, r *http.Request) error {
	q, err := hookd.ParseStatsQuery(r.URL.Query())
	if err != nil {
		return err
	}
	st, err := s.Stats.EndpointStats(r.Context(), r.PathValue("tenant"), r.PathValue("id"), q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}
