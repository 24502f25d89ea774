package portal

import (
	"net/http"
	"slices"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
)

// hidden stands for a header value derived from a secret.
const hidden = "(hidden: derived from the endpoint's secret)"

// hiddenCustom stands for the value of an endpoint's own header, often a
// credential of the receiver's, to a grant that may not manage the
// endpoint (which sees it in the edit form) nor its secrets.
const hiddenCustom = "(hidden: an endpoint header, shown to those who may manage endpoints or secrets)"

// request rebuilds the request each attempt sent: the body (the same on
// every attempt) and the headers, as the sender sets them. Headers whose
// value depends on the secret (the signatures) are shown as hidden: the
// request is signed twice with two stand-in secrets and the headers that
// differ are the secret's. The endpoint's own headers are shown as hidden
// too unless custom is set.
func (s *Server) request(e *hookd.Endpoint, ev *hookd.Event, d *hookd.Delivery, attempts []*hookd.Attempt, custom bool) ([]byte, [][]header) {
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
			} else if !custom && hasHeader(e.Headers, k) {
				val = hiddenCustom
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

// hasHeader reports whether the endpoint's headers set k, in any case.
func hasHeader(hs map[string]string, k string) bool {
	for name := range hs {
		if http.CanonicalHeaderKey(name) == k {
			return true
		}
	}
	return false
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
