package receiver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// FuzzHMAC: whatever the scheme's template and prefix and the request's
// headers and body, Verify and Parse never panic; a scheme Check refuses
// is refused by Verify as a misconfiguration; and a request Verify
// accepts carries the MAC the recipe (written here) computes.
func FuzzHMAC(f *testing.F) {
	f.Add("{body}", "sha256=", "sha256=00", "X", `{"type":"a"}`)
	f.Add("{id}.{timestamp}.{body}", "v1,", "v1,AA v1,BB", "msg_1", `{}`)
	f.Add("{timestamp}.{body}", "v1=", "t=1709294400,v1=ab", "", `[]`)
	f.Add("{header:X-A}{body}", "", "zz", "a", `{"type":1}`)
	f.Add("{body", "=", ",,,", "", ``)
	f.Fuzz(func(t *testing.T, tmpl, prefix, sig, id, body string) {
		s := &HMACScheme{Header: "X-Sig", Prefix: prefix, SignedContent: tmpl, IDHeader: "X-Id", TypePath: "type"}
		if strings.Contains(tmpl, "{timestamp}") {
			s.TimestampHeader, s.TimestampPrefix = "X-Sig", "t="
		}
		h := http.Header{}
		h.Set("X-Sig", sig)
		h.Set("X-Id", id)
		h.Set("X-A", id)
		v := &Verifier{Profile: HMAC, HMAC: s, Secrets: []string{"k"}, Now: fixedNow}
		err := v.Verify(h, []byte(body))
		if s.Check() != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("scheme %+v refused by Check, Verify says %v", s, err)
			}
			return
		}
		s.Parse(h, []byte(body))
		if err != nil || tmpl != "{body}" {
			return
		}
		m := hmac.New(sha256.New, []byte("k"))
		m.Write([]byte(body))
		want := hex.EncodeToString(m.Sum(nil))
		found := false
		for _, item := range strings.FieldsFunc(sig, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if strings.EqualFold(item, prefix+want) {
				found = true
			}
		}
		if !strings.Contains(prefix, ",") && !found {
			t.Fatalf("accepted %q over %q without the MAC %s", sig, body, want)
		}
	})
}
