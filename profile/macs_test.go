package profile_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// TestSignReusesKeysCorrectly: the HMAC states kept per secret sign every
// body as a fresh HMAC would, whichever secret signed before, from several
// goroutines at once; and one secret string keys each profile its own way
// (standard decodes it, weavr and lean sign with its bytes), whichever
// profile signed with it first.
func TestSignReusesKeysCorrectly(t *testing.T) {
	t.Parallel()
	const whsecA, whsecB = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_ZWJlc3Rfc2VjcmV0X2Zvcl9oYXNoX3Rlc3Rz"
	at := time.Unix(1700000000, 0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				body := fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i)
				id := fmt.Sprintf("msg_%d_%d", g, i)
				m := &hookd.Message{Event: &hookd.Event{ID: id}, DeliveryID: "dlv_" + id, At: at}
				secrets := []string{whsecA, whsecB}
				if i%2 == 1 {
					secrets = []string{whsecB}
				}
				h := http.Header{}
				profile.Standard{}.Sign(h, m, body, secrets)
				verifyStandard(t, h, body, id, secrets...)
				// The same secret strings, as weavr's and lean's raw keys.
				h = http.Header{}
				profile.Weavr{}.Sign(h, m, body, secrets[:1])
				verifyWeavr(t, h, body, secrets[0])
				h = http.Header{}
				profile.Lean{}.Sign(h, m, body, secrets[:1])
				verifyLean(t, h, body, secrets[0])
			}
		})
	}
	wg.Wait()
}
