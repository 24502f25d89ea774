package receiver_test

// The contract between the two sides of each wire format: what hookd's
// profiles send (package profile, with the catalog's types) is what this
// package verifies, detects, parses and decodes. A new provider that
// forgets one side fails here, with the list of what is missing.

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/receiver"
)

func loadCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// carriers are the profiles that may carry a catalog type: its provider's,
// and those that carry any provider's (standard).
func carriers(reg profile.Registry, et *hookd.EventType) []hookd.Profile {
	var out []hookd.Profile
	for _, name := range reg.Names() {
		if p := reg[name]; p.Provider() == "" || p.Provider() == et.Provider {
			out = append(out, p)
		}
	}
	return out
}

// TestContractSignVerify: every profile signs each catalog example it may
// carry, with each signature scheme it has (v1, and v1a for the Standard
// Webhooks ones), with the secrets of an endpoint in the middle of a
// rotation; the receiver detects the profile, verifies the signature with
// the secrets (v1a: public keys) the profile's hand-over lets a receiver
// hold, and parses and decodes the event. Standard Webhooks (standard,
// linkmoney) signs with the old and new secret side by side; lean and
// weavr send one signature value, so the old secret signs alone until the
// switch, then the new one.
func TestContractSignVerify(t *testing.T) {
	cat := loadCatalog(t)
	reg := profile.New(cat.Message)
	t0 := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	n := 0
	for _, et := range cat.Types() {
		if len(et.Example) == 0 || et.Provider == "" || et.Provider == hookd.OperationalProvider {
			continue
		}
		var payload bytes.Buffer
		if err := json.Compact(&payload, et.Example); err != nil {
			t.Fatal(err)
		}
		for _, p := range carriers(reg, et) {
			for _, sig := range []string{hookd.SignatureV1, hookd.SignatureV1a} {
				if sig == hookd.SignatureV1a && !hookd.SignsV1a(p) {
					continue
				}
				n++
				signAndVerify(t, p, sig, et, payload.Bytes(), t0)
			}
		}
	}
	if n == 0 {
		t.Fatal("no catalog example was signed")
	}
}

// signAndVerify signs an event of type et with profile p, on an endpoint
// signing with sig whose secret was rotated at t0, and checks what a
// receiver makes of it during and after the grace period.
func signAndVerify(t *testing.T, p hookd.Profile, sig string, et *hookd.EventType, payload []byte, t0 time.Time) {
	t.Helper()
	old, err := hookd.SignatureSecret(p, sig, "")
	if err != nil {
		t.Fatal(err)
	}
	e := &hookd.Endpoint{Profile: p.Name(), Signature: sig, Secrets: []hookd.Secret{{Value: old}}}
	rot, err := e.Rotate(p, hookd.Rotation{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	newSecret := e.Secrets[0].Value // rot.Secret is empty for a v1a key, never shown
	ev := &hookd.Event{ID: "evt_" + et.Name, Type: et.Name, Payload: payload, CreatedAt: t0}
	body, err := p.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		at          time.Time
		old, new    bool // which secret alone verifies
		description string
	}{
		{t0.Add(time.Minute), true, p.MultiSignature(), "during the grace period"},
		{rot.PreviousExpiresAt.Add(time.Minute), false, true, "after the grace period"},
	} {
		m := &hookd.Message{Event: ev, DeliveryID: "dlv_1", Attempt: 1, At: c.at}
		h := http.Header{}
		p.Sign(h, m, body, e.SigningSecrets(c.at, p.MultiSignature()))
		what := p.Name() + " " + sig + " " + et.Name + " " + c.description

		rp := receiver.Detect(h, body)
		if string(rp) != p.Name() {
			t.Errorf("%s: Detect says %s", what, rp)
			continue
		}
		// A receiver holds the secrets, or for v1a the public keys.
		verify := func(secrets ...string) error {
			v := &receiver.Verifier{Profile: rp, Now: func() time.Time { return c.at }}
			for _, s := range secrets {
				if sig == hookd.SignatureV1a {
					v.PublicKeys = append(v.PublicKeys, hookd.PublicKeyOf(s))
				} else {
					v.Secrets = append(v.Secrets, s)
				}
			}
			return v.Verify(h, body)
		}
		if err := verify(old, newSecret); err != nil {
			t.Errorf("%s: a receiver holding both secrets: %v", what, err)
		}
		for _, s := range []struct {
			name, secret string
			ok           bool
		}{{"old", old, c.old}, {"new", newSecret, c.new}} {
			err := verify(s.secret)
			if s.ok && err != nil {
				t.Errorf("%s: a receiver holding the %s secret alone: %v", what, s.name, err)
			}
			if !s.ok && !errors.Is(err, receiver.ErrBadSignature) {
				t.Errorf("%s: a receiver holding the %s secret alone: %v, want ErrBadSignature", what, s.name, err)
			}
		}

		wh, err := receiver.Parse(rp, h, body)
		if err != nil {
			t.Errorf("%s: Parse: %v", what, err)
			continue
		}
		if wh.Type != hookd.WireType(et.Name) || !bytes.Equal(wh.Payload, ev.Payload) {
			t.Errorf("%s: parsed type %q payload %s", what, wh.Type, wh.Payload)
		}
		wantID := ev.ID
		if p.Name() == "weavr" {
			wantID = m.DeliveryID // the call-ref
		}
		if wh.ID != wantID {
			t.Errorf("%s: parsed id %q, want %q", what, wh.ID, wantID)
		}
		v, err := wh.DecodeAs(receiver.Profile(et.Provider))
		if _, raw := v.(json.RawMessage); err != nil || raw {
			t.Errorf("%s: DecodeAs(%s) = %T, %v", what, et.Provider, v, err)
		}
	}
}

// TestContractExamplesDecodeStrictly: every catalog example of a provider
// decodes into its receiver struct with unknown fields refused, so no
// field the provider documents is missing from the struct. (hookd's own
// operational types are no provider's: catalog.TestOperationalTypes holds
// their example to hookd.EndpointDisabledPayload.)
func TestContractExamplesDecodeStrictly(t *testing.T) {
	cat := loadCatalog(t)
	n := 0
	for _, et := range cat.Types() {
		if len(et.Example) == 0 || et.Provider == "" || et.Provider == hookd.OperationalProvider {
			continue
		}
		provider, wire := receiver.Profile(et.Provider), hookd.WireType(et.Name)
		v, err := (&receiver.Webhook{Profile: provider, Type: wire, Payload: json.RawMessage(`{}`)}).DecodeAs(provider)
		if _, raw := v.(json.RawMessage); err != nil || raw {
			t.Errorf("%s %s: no receiver struct (%T, %v)", et.Provider, wire, v, err)
			continue
		}
		strict := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		dec := json.NewDecoder(bytes.NewReader(et.Example))
		dec.DisallowUnknownFields()
		if err := dec.Decode(strict); err != nil {
			t.Errorf("%s %s: the catalog example does not decode strictly into %T: %v", et.Provider, wire, strict, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no catalog example found")
	}
}

// weavrAliases are type names the receiver decodes that the catalog does
// not list: Weavr subscribes buyerActivatedWatch under the name buyerWatch.
var weavrAliases = []string{receiver.WeavrBuyerWatch}

// TestContractTypeNames: each provider's receiver types are the catalog's
// wire names of that provider, nothing forgotten on either side.
func TestContractTypeNames(t *testing.T) {
	cat := loadCatalog(t)
	catalogTypes := map[string][]string{}
	for _, et := range cat.Types() {
		if et.Provider != "" && et.Provider != hookd.OperationalProvider {
			catalogTypes[et.Provider] = append(catalogTypes[et.Provider], hookd.WireType(et.Name))
		}
	}
	if len(catalogTypes) == 0 {
		t.Fatal("the catalog has no provider types")
	}
	for provider, names := range catalogTypes {
		got := receiver.Types(receiver.Profile(provider))
		if provider == "weavr" {
			got = slices.DeleteFunc(got, func(n string) bool { return slices.Contains(weavrAliases, n) })
		}
		var missing, extra []string
		for _, n := range names {
			if !slices.Contains(got, n) {
				missing = append(missing, n)
			}
		}
		for _, n := range got {
			if !slices.Contains(names, n) {
				extra = append(extra, n)
			}
		}
		if len(missing) > 0 {
			t.Errorf("%s: the receiver has no type constant and payload struct for catalog types %s", provider, strings.Join(missing, ", "))
		}
		if len(extra) > 0 {
			t.Errorf("%s: the receiver decodes types its catalog lacks: %s", provider, strings.Join(extra, ", "))
		}
	}
}

// TestContractProfiles: the receiver reads every profile hookd sends, and
// nothing else.
func TestContractProfiles(t *testing.T) {
	sent := profile.New(nil).Names() // sorted
	var read []string
	for _, p := range receiver.Profiles() {
		read = append(read, string(p))
	}
	slices.Sort(read)
	if !slices.Equal(sent, read) {
		t.Errorf("hookd sends profiles %v; the receiver reads %v", sent, read)
	}
}

// TestDetect: the profile of a request by its headers and body alone.
func TestDetect(t *testing.T) {
	for _, c := range []struct {
		h    http.Header
		body string
		want receiver.Profile
	}{
		{http.Header{"Lean-Signature": {"sha512=00"}}, `{"type":"x"}`, receiver.Lean},
		{http.Header{"Signature-V2": {"x"}}, `{"type":"x"}`, receiver.Weavr},
		{http.Header{"Call-Ref": {"x"}}, `{}`, receiver.Weavr},
		{http.Header{"Published-Timestamp": {"1"}}, `{}`, receiver.Weavr},
		{http.Header{"Webhook-Id": {"m"}}, `{"id":"1","creationTime":"2024-01-01T00:00:00.000","eventType":"payment.failed","metadata":{}}`, receiver.LinkMoney},
		{http.Header{"Webhook-Id": {"m"}}, `{"type":"payment.created","timestamp":"t","data":{}}`, receiver.Standard},
		{http.Header{}, ``, receiver.Standard},
	} {
		if got := receiver.Detect(c.h, []byte(c.body)); got != c.want {
			t.Errorf("%v %s: %s, want %s", c.h, c.body, got, c.want)
		}
	}
}
