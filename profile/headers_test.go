package profile_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/profile"
)

// TestHeadersDeclared: each profile's Headers are exactly the headers its
// Sign sets, so the list endpoints may not set is the profiles' own, and a
// new profile cannot forget one.
func TestHeadersDeclared(t *testing.T) {
	m := &hookd.Message{Event: &hookd.Event{ID: "evt_1", Type: "payment.created", Payload: []byte(`{}`),
		CreatedAt: time.Unix(1700000000, 0)}, DeliveryID: "dlv_1", Attempt: 1, At: time.Unix(1700000001, 0)}
	for _, c := range all() {
		h := http.Header{}
		c.p.Sign(h, m, []byte(`{}`), []string{c.secret})
		var set []string
		for k := range h {
			set = append(set, k)
		}
		slices.Sort(set)
		declared := slices.Sorted(slices.Values(c.p.Headers()))
		if !slices.Equal(set, declared) {
			t.Errorf("%s: Sign sets %v, Headers declares %v", c.p.Name(), set, declared)
		}
		for _, k := range declared {
			if k != http.CanonicalHeaderKey(k) {
				t.Errorf("%s: header %q is not in canonical form", c.p.Name(), k)
			}
		}
	}
}

// TestProviderInCatalog: a profile's provider is a provider of the
// catalog, and each catalog provider has its profile.
func TestProviderInCatalog(t *testing.T) {
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	providers := map[string]bool{}
	for _, et := range cat.Types() {
		if et.Provider != "" && et.Provider != hookd.OperationalProvider { // hookd's own types go out in any format
			providers[et.Provider] = true
		}
	}
	carried := map[string]bool{}
	for _, c := range all() {
		p := c.p.Provider()
		if p == "" {
			continue
		}
		if !providers[p] {
			t.Errorf("profile %s carries provider %q, which the catalog lacks", c.p.Name(), p)
		}
		carried[p] = true
	}
	for p := range providers {
		if !carried[p] {
			t.Errorf("catalog provider %s has no profile", p)
		}
	}
}

// TestReserved: the registry refuses the framing headers and every
// profile's, whatever their case, and nothing else.
func TestReserved(t *testing.T) {
	r := profile.New(nil)
	for _, h := range []string{"content-type", "USER-AGENT", "webhook-signature", "lean-signature", "call-ref", "Signature-V2", "Published-Timestamp"} {
		if !r.Reserved(h) {
			t.Errorf("%s is not reserved", h)
		}
	}
	for _, h := range []string{"Authorization", "X-Tenant", "Signature-V3"} {
		if r.Reserved(h) {
			t.Errorf("%s is reserved", h)
		}
	}
}
