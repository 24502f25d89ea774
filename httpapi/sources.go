package httpapi

import (
	"errors"
	"net"
	"net/http"

	"github.com/hookd/hookd"
)

// sourceIn is the body of a source's create.
type sourceIn struct {
	Name             string            `json:"name"`
	Profile          string            `json:"profile"`
	Secrets          []string          `json:"secrets"`
	BasicAuth        *hookd.BasicAuth  `json:"basic_auth"`
	HeaderKey        *hookd.HeaderKey  `json:"header_key"`
	AllowIPs         []string          `json:"allow_ips"`
	HMAC             *hookd.HMACScheme `json:"hmac"`
	ToleranceSeconds int               `json:"tolerance_seconds"`
}

// withURL sets a source's ingest URL from the token an answer carries.
func (s *Server) withURL(r *http.Request, src *hookd.Source) *hookd.Source {
	if src.Token != "" {
		src.IngestURL = s.baseURL(r) + "/ingest/" + src.Token
	}
	return src
}

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) error {
	var in sourceIn
	if err := decode(r, &in); err != nil {
		return err
	}
	src := &hookd.Source{Name: in.Name, Profile: in.Profile, BasicAuth: in.BasicAuth, HeaderKey: in.HeaderKey,
		AllowIPs: in.AllowIPs, HMAC: in.HMAC, ToleranceSeconds: in.ToleranceSeconds}
	for _, v := range in.Secrets {
		src.Secrets = append(src.Secrets, hookd.Secret{Value: v})
	}
	out, err := s.Sources.CreateSource(r.Context(), r.PathValue("tenant"), src)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.withURL(r, out))
	return nil
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	srcs, err := s.Sources.Sources(r.Context(), r.PathValue("tenant"), p)
	if err != nil {
		return err
	}
	return list(w, srcs, p, func(src *hookd.Source) string { return src.ID })
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) error {
	src, err := s.Sources.Source(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) updateSource(w http.ResponseWriter, r *http.Request) error {
	var u hookd.SourceUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	src, err := s.Sources.UpdateSource(r.Context(), r.PathValue("tenant"), r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, src)
	return nil
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request) error {
	if err := s.Sources.DeleteSource(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateSource(w http.ResponseWriter, r *http.Request) error {
	var in hookd.SourceRotation
	if err := decode(r, &in); err != nil {
		return err
	}
	src, err := s.Sources.RotateSource(r.Context(), r.PathValue("tenant"), r.PathValue("id"), &in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.withURL(r, src))
	return nil
}

func (s *Server) sourceErrors(w http.ResponseWriter, r *http.Request) error {
	es, err := s.Sources.SourceErrors(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": es})
	return nil
}

// ingest takes a provider's webhook: the raw body (bounded by MaxBody) is
// verified and published by the source service; 200 once it is stored.
func (s *Server) ingest(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxBody)
	in := &hookd.IngestRequest{Header: r.Header}
	var err error
	if in.Body, err = readBody(r); err != nil {
		// A body over the limit is the source's to refuse (413), so
		// that it is counted and logged as its other refusals are.
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			return err
		}
		in.TooLarge = mbe.Limit
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		in.RemoteIP = net.ParseIP(host)
	}
	out, err := s.Sources.Ingest(r.Context(), r.PathValue("token"), in)
	if err != nil {
		return err
	}
	if b, ok := ingestAnswer(out); ok {
		writeBody(w, http.StatusOK, b)
	} else {
		writeJSON(w, http.StatusOK, out)
	}
	return nil
}
