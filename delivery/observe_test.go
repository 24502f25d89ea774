package delivery

import (
	"testing"

	"github.com/hookd/hookd"
)

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		a    hookd.Attempt
		want string
	}{
		{hookd.Attempt{Status: 200}, OutcomeSuccess},
		{hookd.Attempt{Status: 204}, OutcomeSuccess},
		{hookd.Attempt{Status: 302, ErrorClass: hookd.ClassStatus}, Outcome3xx},
		{hookd.Attempt{Status: 410, ErrorClass: hookd.ClassStatus}, Outcome4xx},
		{hookd.Attempt{Status: 503, ErrorClass: hookd.ClassStatus}, Outcome5xx},
		{hookd.Attempt{Status: 101, ErrorClass: hookd.ClassStatus}, OutcomeOther},
		{hookd.Attempt{ErrorClass: hookd.ClassTimeout}, OutcomeTimeout},
		{hookd.Attempt{ErrorClass: hookd.ClassConnect}, OutcomeConnect},
		{hookd.Attempt{ErrorClass: hookd.ClassTLS}, OutcomeTLS},
		{hookd.Attempt{ErrorClass: hookd.ClassBlocked}, OutcomeBlocked},
		{hookd.Attempt{}, OutcomeConnect},
	} {
		if got := Outcome(&c.a); got != c.want {
			t.Errorf("Outcome(%+v) = %q, want %q", c.a, got, c.want)
		}
	}
}
