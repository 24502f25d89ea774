package httpapi

import (
	"net/http"

	"github.com/hookd/hookd"
)

// endpointOut is an endpoint as the API shows it: the secret only on
// creation and rotation.
type endpointOut struct {
	*hookd.Endpoint
	Secret string `json:"secret,omitempty"`
}

func (s *Server) createEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		URL           string            `json:"url"`
		Profile       string            `json:"profile"`
		EventTypes    []string          `json:"event_types"`
		Description   string            `json:"description"`
		Secret        string            `json:"secret"`
		RateLimit     int               `json:"rate_limit_per_s"`
		Ordering      string            `json:"ordering"`
		Headers       map[string]string `json:"headers"`
		TimeoutMS     *int              `json:"timeout_ms"`
		RetrySchedule []hookd.Duration  `json:"retry_schedule"`
		Signature     string            `json:"signature"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	u := &hookd.EndpointUpdate{URL: &in.URL, Profile: &in.Profile, EventTypes: &in.EventTypes, Description: &in.Description,
		RateLimit: &in.RateLimit, Ordering: &in.Ordering, Headers: &in.Headers, TimeoutMS: in.TimeoutMS, RetrySchedule: &in.RetrySchedule,
		Signature: &in.Signature}
	e, err := s.Endpoints.CreateEndpoint(r.Context(), r.PathValue("tenant"), u, in.Secret)
	if err != nil {
		return err
	}
	out := endpointOut{Endpoint: e}
	if sec := e.Secrets[0].Value; !hookd.IsSigningKey(sec) {
		out.Secret = sec // a v1a signing key never leaves hookd: its public_key is shown
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) listEndpoints(w http.ResponseWriter, r *http.Request) error {
	p, err := page(r)
	if err != nil {
		return err
	}
	eps, err := s.Endpoints.Endpoints(r.Context(), r.PathValue("tenant"), p)
	if err != nil {
		return err
	}
	return list(w, eps, p, func(e *hookd.Endpoint) string { return e.ID })
}

func (s *Server) getEndpoint(w http.ResponseWriter, r *http.Request) error {
	e, err := s.Endpoints.Endpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) updateEndpoint(w http.ResponseWriter, r *http.Request) error {
	var u hookd.EndpointUpdate
	if err := decode(r, &u); err != nil {
		return err
	}
	e, err := s.Endpoints.UpdateEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), &u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) deleteEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := s.Endpoints.DeleteEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) error {
	var in hookd.Rotation
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	out, err := s.Endpoints.RotateSecret(r.Context(), r.PathValue("tenant"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) enableEndpoint(w http.ResponseWriter, r *http.Request) error {
	if err := noFields(r); err != nil {
		return err
	}
	e, err := s.Endpoints.EnableEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) disableEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	e, err := s.Endpoints.DisableEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}

func (s *Server) recoverEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in hookd.Recovery
	if err := decode(r, &in); err != nil {
		return err
	}
	n, err := s.Endpoints.RecoverEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"requeued": n})
	return nil
}

func (s *Server) testEndpoint(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Type string `json:"type"`
	}
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return err
		}
	}
	res, err := s.Endpoints.TestEndpoint(r.Context(), r.PathValue("tenant"), r.PathValue("id"), in.Type)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, res)
	return nil
}
