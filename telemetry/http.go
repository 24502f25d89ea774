package telemetry

import (
	"net/http"
	"strconv"
)

func statusClass(s int) string {
	if s == 0 {
		s = http.StatusOK // nothing written: net/http answers 200
	}
	if s < 100 || s > 599 {
		return strconv.Itoa(s)
	}
	return strconv.Itoa(s/100) + "xx"
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
