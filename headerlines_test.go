package hookd

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestHeaderLines: an answer's headers recorded sorted, one line per value,
// storable, cut at a whole line within the limit; shown as an object of
// joined values; read back from it.
func TestHeaderLines(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}, "X-Trace": {"a", "b"}, "Date": {"Fri, 04 Dec 2026 23:00:00 GMT"},
		"X-Odd": {"bad\xffbyte\x00nul\r\nsplit"}}
	got := HeaderLinesOf(h)
	want := "Content-Type: application/json\nDate: Fri, 04 Dec 2026 23:00:00 GMT\nX-Odd: bad\uFFFDbyte\uFFFDnul  split\nX-Trace: a\nX-Trace: b\n"
	if string(got) != want {
		t.Fatalf("HeaderLinesOf = %q, want %q", got, want)
	}
	b, err := json.Marshal(struct {
		H HeaderLines `json:"h,omitempty"`
		E HeaderLines `json:"e,omitempty"`
	}{H: got})
	if err != nil {
		t.Fatal(err)
	}
	wantJSON := `{"h":{"Content-Type":"application/json","Date":"Fri, 04 Dec 2026 23:00:00 GMT","X-Odd":"bad` + "\uFFFD" + `byte` +
		"\uFFFD" + `nul  split","X-Trace":"a, b"}}`
	if string(b) != wantJSON {
		t.Fatalf("JSON %s, want %s", b, wantJSON)
	}
	var back struct{ H HeaderLines }
	if err := json.Unmarshal(b, &back); err != nil || back.H.object() != got.object() {
		t.Fatalf("read back %q (%v), want the same object as %q", back.H, err, got)
	}

	big := http.Header{}
	for i := range 100 {
		big.Set("X-Header-"+strings.Repeat("x", 3)+string(rune('A'+i%26))+string(rune('a'+i/26)), strings.Repeat("v", 40))
	}
	cut := HeaderLinesOf(big)
	if len(cut) > ResponseHeadersLimit || len(cut) < ResponseHeadersLimit-60 || !strings.HasSuffix(string(cut), "\n") {
		t.Fatalf("%d bytes recorded of %d headers, want whole lines up to %d", len(cut), len(big), ResponseHeadersLimit)
	}
	if h := got.Header(); h.Get("X-Trace") != "a" || len(h["X-Trace"]) != 2 || h.Get("Content-Type") != "application/json" || len(h) != 4 {
		t.Fatalf("Header() = %v", h)
	}
	if HeaderLinesOf(nil) != "" {
		t.Fatal("no headers recorded as something")
	}
}

// object is the lines as the API shows them.
func (l HeaderLines) object() string {
	b, _ := l.MarshalJSON()
	return string(b)
}
