package receiver

import (
	"net/http"
	"strconv"
	"testing"
)

// TestDetectHandBuiltHeaders: a header map built by hand with lowercase
// keys (as serverless platforms hand them over), which Verify and Parse
// read, names its profile to Detect as the canonical one does, so that
// Verify with the detected profile accepts a webhook it signs (the
// signatures computed here from the providers' recipes).
func TestDetectHandBuiltHeaders(t *testing.T) {
	t.Parallel()
	ts := strconv.FormatInt(testNow.UnixMilli(), 10)
	_, v2 := signWeavrTest(testRaw, testCallRef, testBodies[Weavr], ts)
	for p, h := range map[Profile]http.Header{
		Lean:  {"lean-signature": {signLeanTest(testRaw, testBodies[Lean])}},
		Weavr: {"call-ref": {testCallRef}, "published-timestamp": {ts}, "signature-v2": {v2}},
	} {
		got := Detect(h, testBodies[p])
		if got != p {
			t.Errorf("%v: Detect = %s, want %s", h, got, p)
		}
		v := &Verifier{Profile: got, Secrets: []string{testRaw}, Now: fixedNow}
		if err := v.Verify(h, testBodies[p]); err != nil {
			t.Errorf("%s webhook, verified as the %s Detect names: %v", p, got, err)
		}
	}
}
