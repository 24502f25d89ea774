package profile_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// all returns every built-in profile with a secret in its format.
func all() []struct {
	p      hookd.Profile
	secret string
} {
	return []struct {
		p      hookd.Profile
		secret string
	}{
		{profile.Standard{}, whsec},
		{profile.Lean{Messages: leanMessages}, "lean-test-secret-0123456789abcdef"},
		{profile.Weavr{}, "weavr-api-key-0123456789ABCDEF=="},
		{profile.LinkMoney{}, whsec},
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := profile.New(func(typ string) string { return "Sentence for " + typ + "." })
	if got, want := strings.Join(r.Names(), ","), "lean,linkmoney,standard,weavr"; got != want {
		t.Fatalf("Names = %s, want %s", got, want)
	}
	for _, name := range r.Names() {
		p, err := r.Get(name)
		if err != nil || p.Name() != name {
			t.Errorf("Get(%q) = %v, %v", name, p, err)
		}
	}
	// New hands its messages to lean.
	p, _ := r.Get("lean")
	body, err := p.Body(&hookd.Event{ID: "e", Type: "lean:entity.created", Payload: []byte(`{}`)})
	if err != nil || !bytes.Contains(body, []byte(`"message":"Sentence for entity.created."`)) {
		t.Errorf("lean body %s, %v: want the message of New's function", body, err)
	}
	p, _ = profile.New(nil).Get("lean")
	body, _ = p.Body(&hookd.Event{ID: "e", Type: "entity.created", Payload: []byte(`{}`)})
	if !bytes.Contains(body, []byte(`"message":"A entity.created event occurred."`)) {
		t.Errorf("lean body %s: want the generic message when New gets nil", body)
	}
}

// TestMultiSignature: Standard Webhooks' list carries a signature per
// secret; lean and weavr carry one value.
func TestMultiSignature(t *testing.T) {
	t.Parallel()
	for _, c := range all() {
		want := c.p.Name() == "standard" || c.p.Name() == "linkmoney"
		if c.p.MultiSignature() != want {
			t.Errorf("%s: MultiSignature = %v, want %v", c.p.Name(), !want, want)
		}
	}
}

// TestBodyPayloadVerbatim: the payload is embedded byte for byte, odd
// spacing, key order and number spelling included.
func TestBodyPayloadVerbatim(t *testing.T) {
	t.Parallel()
	for _, payload := range []string{`{ "a" :1 }`, `{"z":1,"a":1.50e+2,"u":"\u00e9"}`, `[1, 2]`, `"s"`, `null`} {
		for _, c := range all() {
			ev := &hookd.Event{ID: "evt_1", Type: "payment.created", Payload: []byte(payload),
				CreatedAt: time.Date(2024, 1, 9, 10, 0, 0, 0, time.UTC)}
			body, err := c.p.Body(ev)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(body) {
				t.Errorf("%s: body is not valid JSON: %s", c.p.Name(), body)
			}
			key := map[string]string{"standard": "data", "lean": "payload", "weavr": "payload", "linkmoney": "metadata"}[c.p.Name()]
			var env map[string]json.RawMessage
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatal(err)
			}
			if string(env[key]) != payload || !bytes.Contains(body, []byte(`"`+key+`":`+payload)) {
				t.Errorf("%s: %s = %s, want %s verbatim", c.p.Name(), key, env[key], payload)
			}
		}
	}
}

// TestBodyEscaping: types and ids with characters JSON must escape still
// give valid JSON that decodes back to the same strings.
func TestBodyEscaping(t *testing.T) {
	t.Parallel()
	typ := "odd\"type\\with\tcontrol\x01é\u2028"
	id := "id \"quoted\" \n</script>"
	for _, c := range all() {
		ev := &hookd.Event{ID: id, Type: typ, Payload: []byte(`{}`), CreatedAt: time.Now()}
		body, err := c.p.Body(ev)
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(body) {
			t.Fatalf("%s: body is not valid JSON: %q", c.p.Name(), body)
		}
		var env map[string]any
		if err := json.Unmarshal(body, &env); err != nil {
			t.Fatal(err)
		}
		typeKey, idKey := "type", ""
		switch c.p.Name() {
		case "lean":
			idKey = "event_id"
			if want := "A " + typ + " event occurred."; env["message"] != want {
				t.Errorf("lean message = %q, want %q", env["message"], want)
			}
		case "linkmoney":
			typeKey, idKey = "eventType", "id"
		}
		if env[typeKey] != typ {
			t.Errorf("%s: %s = %q, want %q", c.p.Name(), typeKey, env[typeKey], typ)
		}
		if idKey != "" && env[idKey] != id {
			t.Errorf("%s: %s = %q, want %q", c.p.Name(), idKey, env[idKey], id)
		}
	}
}

// TestSignOverHTTP sends signed requests with two secrets through a real
// server on loopback: repeated header values must arrive as such, and the
// receiver's checks must pass on what it got.
func TestSignOverHTTP(t *testing.T) {
	t.Parallel()
	type got struct {
		h    http.Header
		body []byte
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Header, b}
	}))
	defer srv.Close()

	secrets := map[string][]string{
		"standard":  {whsec, "whsec_dGhlLXByZXZpb3VzLXNlY3JldC1rZXktMzI="},
		"lean":      {"lean-test-secret-0123456789abcdef", "an-older-lean-secret-kept-in-grace"},
		"weavr":     {"weavr-api-key-0123456789ABCDEF==", "the-previous-weavr-api-key-still-valid"},
		"linkmoney": {whsec, "whsec_dGhlLXByZXZpb3VzLXNlY3JldC1rZXktMzI="},
	}
	for _, c := range all() {
		ev := linkMoneyEvent()
		body, _ := c.p.Body(ev)
		req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		c.p.Sign(req.Header, &hookd.Message{Event: ev, DeliveryID: "dlv_5", Attempt: 1, At: time.Now()},
			body, secrets[c.p.Name()])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		g := <-ch
		if !bytes.Equal(g.body, body) {
			t.Errorf("%s: body changed in transit", c.p.Name())
		}
		s := secrets[c.p.Name()]
		switch c.p.Name() {
		case "lean": // one value: the first secret's
			verifyLean(t, g.h, g.body, s[0])
		case "weavr":
			verifyWeavr(t, g.h, g.body, s[0])
		default:
			verifyStandard(t, g.h, g.body, ev.ID, s...)
			verifyOfficial(t, g.h, g.body, s[1])
		}
	}
}

// TestSignWithoutSecrets: an endpoint whose secrets all expired gets no
// signature, and none is left over from a previous Sign of the same header.
func TestSignWithoutSecrets(t *testing.T) {
	t.Parallel()
	for _, c := range all() {
		ev := linkMoneyEvent()
		body, _ := c.p.Body(ev)
		m := &hookd.Message{Event: ev, DeliveryID: "dlv_6", Attempt: 1, At: time.Now()}
		h := http.Header{}
		c.p.Sign(h, m, body, []string{c.secret})
		c.p.Sign(h, m, body, nil)
		for _, k := range []string{"Lean-Signature", "Signature", "Signature-V2"} {
			if v, ok := h[k]; ok {
				t.Errorf("%s: %s = %q after signing with no secret", c.p.Name(), k, v)
			}
		}
	}
}

func TestNewSecretsDiffer(t *testing.T) {
	t.Parallel()
	for _, c := range all() {
		a, err1 := c.p.NewSecret()
		b, err2 := c.p.NewSecret()
		if err1 != nil || err2 != nil || a == b {
			t.Errorf("%s: NewSecret gave %q and %q (%v, %v)", c.p.Name(), a, b, err1, err2)
		}
		if err := c.p.CheckSecret(c.secret); err != nil {
			t.Errorf("%s: CheckSecret(%q) = %v", c.p.Name(), c.secret, err)
		}
	}
}

// BenchmarkBodySign measures the hot path of one delivery: build the body
// of a 1 KB payload and sign it with one secret.
func BenchmarkBodySign(b *testing.B) {
	const head = `{"id":"66214bdb-5f1a-4127-9ddc-cc44c0446c82","status":"ACCEPTED_BY_BANK","pad":"`
	payload := []byte(head + strings.Repeat("x", 1024-len(head)-2) + `"}`)
	if len(payload) != 1024 || !json.Valid(payload) {
		b.Fatalf("payload is %d bytes, valid %v", len(payload), json.Valid(payload))
	}
	ev := &hookd.Event{ID: "f8752072-cef2-4056-9ff0-d5d2aa1e4558", Type: "lean:payment.created",
		Payload: payload, CreatedAt: time.Now()}
	m := &hookd.Message{Event: ev, DeliveryID: "dlv_01HKRZ8V3Q9W6T2M4N5P7R8S0A", Attempt: 1, At: time.Now()}
	for _, c := range all() {
		b.Run(c.p.Name(), func(b *testing.B) {
			secrets := []string{c.secret}
			h := http.Header{}
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				body, err := c.p.Body(ev)
				if err != nil {
					b.Fatal(err)
				}
				clear(h)
				c.p.Sign(h, m, body, secrets)
			}
		})
	}
}
