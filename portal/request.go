package portal

import (
	"net/http"
	"slices"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// hidden stands for a header value derived from a secret.
const hidden = "(hidden: derived from the endpoint's secret)"

// request rebuilds the request each attempt sent: the body (the same on
// every attempt) and the headers, as the sender sets them. Headers whose
// value depends on the secret (the signatures) are shown as hidden: the
// request is signed twice with two stand-in secrets and the headers that
// differ are the secret's.
func (s *Server) request(e *hookd.Endpoint, ev *hookd.Event, d *hookd.Delivery, attempts []*hookd.Attempt) ([]byte, [][]header) {
	p, err := s.Profiles.Get(e.Profile)
	if err != nil {
		return nil, make([][]header, len(attempts))
	}
	body, err := p.Body(ev)
	if err != nil {
		return nil, make([][]header, len(attempts))
	}
	a1, a2, err := standIns(p)
	out := make([][]header, len(attempts))
	if err != nil {
		return body, out
	}
	for i, a := range attempts {
		sign := func(secret string) http.Header {
			h := http.Header{}
			for k, v := range e.Headers {
				h.Set(k, v)
			}
			h["Content-Type"] = []string{"application/json"}
			h["User-Agent"] = []string{delivery.UserAgent}
			p.Sign(h, &hookd.Message{Event: ev, DeliveryID: d.ID, Attempt: a.N, At: a.At}, body, []string{secret})
			return h
		}
		h1, h2 := sign(a1), sign(a2)
		var hs []header
		for k, v := range h1 {
			val := v[0]
			if !slices.Equal(v, h2[k]) {
				val = hidden
			}
			hs = append(hs, header{Name: k, Value: val})
		}
		slices.SortFunc(hs, func(a, b header) int {
			if a.Name < b.Name {
				return -1
			}
			if a.Name > b.Name {
				return 1
			}
			return 0
		})
		out[i] = hs
	}
	return body, out
}

// standIns returns two different secrets of the profile's format.
func standIns(p hookd.Profile) (string, string, error) {
	a, err := p.NewSecret()
	if err != nil {
		return "", "", err
	}
	b, err := p.NewSecret()
	return a, b, err
}
