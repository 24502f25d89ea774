package hookd_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// TestSetRequestHeadersShared: the framing headers' values are shared by
// every request, so a header added to one request's values is not seen by
// the next request's.
func TestSetRequestHeadersShared(t *testing.T) {
	p, err := profile.New(nil).Get("standard")
	if err != nil {
		t.Fatal(err)
	}
	secret, err := profile.Standard{}.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: secret}}, Headers: map[string]string{"X-Team": "a"}}
	m := &hookd.Message{Event: &hookd.Event{ID: "evt_1", Type: "payment.created", Payload: []byte(`{}`)},
		DeliveryID: "dlv_1", Attempt: 1, At: time.Unix(1700000000, 0)}
	first := http.Header{}
	ep.SetRequestHeaders(first, p, m, []byte(`{}`))
	first.Add("Content-Type", "text/plain")
	first.Add("User-Agent", "other/1")
	second := http.Header{}
	ep.SetRequestHeaders(second, p, m, []byte(`{}`))
	for k, want := range map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {hookd.UserAgent},
		"X-Team": {"a"}} {
		if got := second[k]; !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	if got := first["User-Agent"]; !slices.Equal(got, []string{hookd.UserAgent, "other/1"}) {
		t.Errorf("the first request's User-Agent: %q", got)
	}
}
