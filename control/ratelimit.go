package control

import "github.com/hookd/hookd"

// rateWindow counts one tenant's publishes in the current second.
type rateWindow struct {
	second int64
	n      int
}

// allow applies the per-tenant publish rate limit to n events.
func (s *Service) allow(tenant string, n int) error {
	if s.PublishRate <= 0 {
		return nil
	}
	sec := s.now().Now().Unix()
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	if s.limits == nil {
		s.limits = map[string]*rateWindow{}
	}
	w := s.limits[tenant]
	if w == nil || w.second != sec {
		w = &rateWindow{second: sec}
		s.limits[tenant] = w
	}
	if w.n+n > s.PublishRate {
		return hookd.Errorf(hookd.ERATELIMIT, "publish rate limit of %d events per second reached", s.PublishRate)
	}
	w.n += n
	return nil
}
