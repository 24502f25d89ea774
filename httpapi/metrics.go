package httpapi

import (
	"fmt"
	"net/http"
)

// metrics writes the engine's counters in the Prometheus text format. The
// handful of series does not justify the client library.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st := s.Engine.Stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	for _, m := range []struct {
		name, help, kind string
		v                int64
	}{
		{"hookd_events_published_total", "Events committed.", "counter", st.Published.Load()},
		{"hookd_attempts_total", "HTTP attempts made.", "counter", st.Attempts.Load()},
		{"hookd_deliveries_succeeded_total", "Deliveries that succeeded.", "counter", st.Delivered.Load()},
		{"hookd_deliveries_failed_total", "Deliveries that failed for good.", "counter", st.Failed.Load()},
		{"hookd_retries_scheduled_total", "Retries scheduled after a failed attempt.", "counter", st.Retried.Load()},
		{"hookd_commits_total", "Group commits.", "counter", st.Commits.Load()},
		{"hookd_committed_rows_total", "Publishes and results committed.", "counter", st.CommittedRows.Load()},
		{"hookd_deliveries_held", "Deliveries held in memory.", "gauge", s.Engine.Held()},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.kind, m.name, m.v)
	}
}
