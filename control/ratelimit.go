package control

import "github.com/hookd/hookd"

// rateWindow counts one tenant's publishes in the current second.
type rateWindow struct {
	second int64
	n      int
}

// allow applies the per-tenant publish rate limit to n events. A batch of
// more events than the rate can never pass: its answer says so, and how
// to split it.
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
	if n > s.PublishRate {
		return hookd.FieldErrorf(hookd.ERATELIMIT, "events", "rate",
			"a batch of %d events is more than the publish rate of %d events per second allows at once: send it in batches of at most %d", n, s.PublishRate, s.PublishRate)
	}
	if w.n+n > s.PublishRate {
		return hookd.Errorf(hookd.ERATELIMIT, "publish rate limit of %d events per second reached", s.PublishRate)
	}
	w.n += n
	return nil
}

// refund gives back the count of n events allow let through that were
// not published: repeats of events published before, which store
// nothing.
func (s *Service) refund(tenant string, n int) {
	if s.PublishRate <= 0 || n == 0 {
		return
	}
	sec := s.now().Now().Unix()
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	if w := s.limits[tenant]; w != nil && w.second == sec {
		w.n = max(0, w.n-n)
	}
}
