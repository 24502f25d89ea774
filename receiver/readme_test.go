package receiver_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/receiver"
)

// readmeSample is one profile's subsection of the README's "Profiles: the
// wire formats": its prose, the request in its http block and the Go lines
// in its go block that verify it.
type readmeSample struct {
	name, prose, http, goCode string
}

// readmeSamples reads the per-profile subsections of the README.
func readmeSamples(t *testing.T) []readmeSample {
	t.Helper()
	doc, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(doc), "\n## Profiles: the wire formats\n")
	if !ok {
		t.Fatal(`README.md has no section "## Profiles: the wire formats"`)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	// Every subsection ends the one before; those named by a `word`
	// are kept.
	heading := regexp.MustCompile("(?m)^### (?:`(\\w+)`)?.*\n")
	httpBlock := regexp.MustCompile("(?s)```http\n(.*?)```")
	goBlock := regexp.MustCompile("(?s)```go\n(.*?)```")
	var out []readmeSample
	heads := heading.FindAllStringSubmatchIndex(sec, -1)
	for i, h := range heads {
		part := sec[h[1]:]
		if i+1 < len(heads) {
			part = sec[h[1]:heads[i+1][0]]
		}
		if h[2] < 0 {
			continue
		}
		s := readmeSample{name: sec[h[2]:h[3]], prose: part}
		if m := httpBlock.FindStringSubmatch(part); m != nil {
			s.http = m[1]
		}
		if m := goBlock.FindStringSubmatch(part); m != nil {
			s.goCode = m[1]
		}
		if j := strings.Index(part, "```"); j >= 0 {
			s.prose = part[:j]
		}
		out = append(out, s)
	}
	return out
}

// readmeKeys are the body's top-level keys in each profile, in order.
var readmeKeys = map[receiver.Profile][]string{
	receiver.Standard:  {"type", "timestamp", "data"},
	receiver.Lean:      {"payload", "type", "message", "timestamp", "event_id"},
	receiver.Weavr:     {"type", "payload"},
	receiver.LinkMoney: {"id", "creationTime", "eventType", "metadata"},
}

// linkMoneyTime is creationTime as Link Money writes it: no zone,
// milliseconds.
var linkMoneyTime = regexp.MustCompile(`"creationTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}"`)

// TestREADMESamples keeps the README's per-profile samples true: each is a
// request HTTP can read, whose Content-Length is its body's; its body is
// the one hookd's profile makes today of the event it carries, with its
// keys in the order the profile sends; the receiver detects its profile,
// and verifies it with the secret the Go lines beside it name (the secret
// the prose shows), one changed byte failing; it decodes to the type those
// lines name. When a wire format changes, capture the samples again as the
// README says.
func TestREADMESamples(t *testing.T) {
	cat := loadCatalog(t)
	reg := profile.New(cat.Message)
	profOf := regexp.MustCompile(`Profile: receiver\.(\w+)`)
	secretsOf := regexp.MustCompile(`Secrets: \[\]string\{"([^"]+)"\}`)
	decodesTo := regexp.MustCompile(`w\.(?:Decode\(\)|DecodeAs\(receiver\.(\w+)\)).*// (\*receiver\.\w+)`)
	named := map[string]receiver.Profile{"Standard": receiver.Standard, "Lean": receiver.Lean, "Weavr": receiver.Weavr, "LinkMoney": receiver.LinkMoney}
	seen := map[receiver.Profile]bool{}
	for _, s := range readmeSamples(t) {
		prof := receiver.Profile(s.name)
		if !slices.Contains(receiver.Profiles(), prof) {
			continue // another subsection, such as the receiver package's
		}
		seen[prof] = true
		what := "README.md, profile " + s.name
		if s.http == "" || s.goCode == "" {
			t.Errorf("%s: no http block or no go block", what)
			continue
		}
		pm, sm := profOf.FindStringSubmatch(s.goCode), secretsOf.FindStringSubmatch(s.goCode)
		if pm == nil || sm == nil || named[pm[1]] != prof {
			t.Errorf("%s: the go block names no Verifier of this profile with Secrets: %s", what, s.goCode)
			continue
		}
		secret := sm[1]
		if !strings.Contains(s.prose, "`"+secret+"`") {
			t.Errorf("%s: the prose does not show the secret the go block uses, %q", what, secret)
		}

		// The markdown has LF line ends and a newline after the body;
		// the wire has CRLF and none.
		raw := strings.ReplaceAll(strings.TrimSuffix(s.http, "\n"), "\n", "\r\n")
		rd := bufio.NewReader(strings.NewReader(raw))
		req, err := http.ReadRequest(rd)
		if err != nil {
			t.Errorf("%s: not an HTTP request: %v", what, err)
			continue
		}
		body, err := io.ReadAll(req.Body)
		if rest, _ := io.ReadAll(rd); err != nil || len(rest) > 0 {
			t.Errorf("%s: Content-Length %d, body of %d bytes (%v)", what, req.ContentLength, len(body)+len(rest), err)
			continue
		}
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s: %s, Content-Type %q", what, req.Method, req.Header.Get("Content-Type"))
		}
		if got := receiver.Detect(req.Header, body); got != prof {
			t.Errorf("%s: Detect says %s", what, got)
		}
		if keys := topKeys(body); !slices.Equal(keys, readmeKeys[prof]) {
			t.Errorf("%s: body keys %v, want %v", what, keys, readmeKeys[prof])
		}
		if prof == receiver.LinkMoney && !linkMoneyTime.Match(body) {
			t.Errorf("%s: creationTime is not UTC without a zone, with milliseconds: %s", what, body)
		}
		if prof == receiver.Lean && !strings.Contains(s.prose, "`payload`, `type`, `message`, `timestamp`, `event_id`") {
			t.Errorf("%s: the prose does not state Lean's key order", what)
		}

		w, err := receiver.Parse(prof, req.Header, body)
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		// The receiver's clock at the attempt's time: the signed
		// timestamp (weavr: published-timestamp, Parse's Timestamp).
		sent := w.Timestamp
		switch prof {
		case receiver.Standard, receiver.LinkMoney:
			sec, err := strconv.ParseInt(req.Header.Get("Webhook-Timestamp"), 10, 64)
			if err != nil {
				t.Errorf("%s: webhook-timestamp: %v", what, err)
			}
			sent = time.Unix(sec, 0)
		}
		v := &receiver.Verifier{Profile: prof, Secrets: []string{secret}, Now: func() time.Time { return sent }}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if _, err := v.VerifyRequest(req); err != nil {
			t.Errorf("%s: the sample does not verify with %q: %v", what, secret, err)
		}
		// The same JSON, one byte more: not the bytes that were signed.
		tampered := append(slices.Clone(body[:len(body)-1]), ' ', '}')
		if err := v.Verify(req.Header, tampered); err == nil {
			t.Errorf("%s: a changed body verifies too", what)
		}
		if d := decodesTo.FindStringSubmatch(s.goCode); d != nil {
			var p any
			if d[1] != "" {
				p, err = w.DecodeAs(named[d[1]])
			} else {
				p, err = w.Decode()
			}
			if got := fmt.Sprintf("%T", p); err != nil || got != d[2] {
				t.Errorf("%s: decodes to %s (%v), the go block says %s", what, got, err, d[2])
			}
		}

		// The body is the one the profile makes of that event today.
		p, err := reg.Get(s.name)
		if err != nil {
			t.Fatal(err)
		}
		ev := &hookd.Event{ID: w.ID, Type: w.Type, Payload: w.Payload, CreatedAt: w.Timestamp}
		if prof == receiver.Standard { // w.Timestamp is webhook-timestamp, in seconds
			var env struct{ Timestamp time.Time }
			if err := json.Unmarshal(body, &env); err != nil {
				t.Errorf("%s: %v", what, err)
			}
			ev.CreatedAt = env.Timestamp
		}
		if want, err := p.Body(ev); err != nil || !bytes.Equal(want, body) {
			t.Errorf("%s: the profile makes another body of that event (%v):\n got %s\nwant %s", what, err, body, want)
		}
		// And the signature headers are the profile's.
		var sigHeaders []string
		for k := range req.Header {
			if !slices.Contains(hookd.FramingHeaders, k) && k != "User-Agent" && k != "Content-Type" {
				sigHeaders = append(sigHeaders, k)
			}
		}
		slices.Sort(sigHeaders)
		if want := slices.Sorted(slices.Values(p.Headers())); !slices.Equal(sigHeaders, want) {
			t.Errorf("%s: headers %v besides the framing ones, the profile sends %v", what, sigHeaders, want)
		}
	}
	for _, p := range receiver.Profiles() {
		if !seen[p] {
			t.Errorf("README.md has no subsection for profile %s", p)
		}
	}
}

// topKeys lists a JSON object's top-level keys in order.
func topKeys(body []byte) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return keys
		}
	}
	return keys
}
