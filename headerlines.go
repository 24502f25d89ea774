package hookd

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// ResponseHeadersLimit is how much of an answer's headers an attempt
// records: whole lines, the first names in order, up to this many bytes.
const ResponseHeadersLimit = 2 << 10

// HeaderLines are the headers of an answer as an attempt records them: one
// "Name: value" line per value, ending in "\n", names sorted (a name's
// values in their order), valid UTF-8 without NUL. The API shows them as an
// object of each name and its values joined by ", ", as the feed shows a
// request's headers.
type HeaderLines string

// HeaderLinesOf records h: sorted, each line made storable (invalid UTF-8
// and NUL become U+FFFD, which PostgreSQL's text requires), cut after the
// last whole line within ResponseHeadersLimit.
func HeaderLinesOf(h http.Header) HeaderLines {
	if len(h) == 0 {
		return ""
	}
	var few [8]string // an answer's few headers, sorted without an allocation
	names, size := few[:0], 0
	for name, vs := range h {
		names = append(names, name)
		for _, v := range vs {
			size += len(name) + len(v) + 3
		}
	}
	slices.Sort(names)
	var b strings.Builder
	b.Grow(min(size, ResponseHeadersLimit))
	for _, name := range names {
		for _, v := range h[name] {
			line := name + ": " + v + "\n"
			if !utf8.ValidString(line) || strings.IndexByte(line, 0) >= 0 || strings.ContainsAny(line[:len(line)-1], "\r\n") {
				line = lineReplacer.Replace(strings.ToValidUTF8(line[:len(line)-1], "\uFFFD")) + "\n"
			}
			if b.Len()+len(line) > ResponseHeadersLimit {
				return HeaderLines(b.String())
			}
			b.WriteString(line)
		}
	}
	return HeaderLines(b.String())
}

// lineReplacer makes a line storable and one line: NUL, which
// PostgreSQL's text refuses, and line ends (which no parser lets through).
var lineReplacer = strings.NewReplacer("\x00", "\uFFFD", "\r", " ", "\n", " ")

// lines calls f with each line's name and value, in order.
func (l HeaderLines) lines(f func(name, value string)) {
	for s := string(l); s != ""; {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		if name, value, ok := strings.Cut(line, ": "); ok {
			f(name, value)
		}
	}
}

// Each calls f with each name and its values joined by ", ", in order.
func (l HeaderLines) Each(f func(name, value string)) {
	var name, value string
	l.lines(func(n, v string) {
		switch {
		case name == "":
			name, value = n, v
		case n == name:
			value += ", " + v
		default:
			f(name, value)
			name, value = n, v
		}
	})
	if name != "" {
		f(name, value)
	}
}

// Header returns the lines as an http.Header, each value of a name apart
// as recorded. The API's JSON joins a name's values with ", " (as the feed
// does), so lines read back from it (UnmarshalJSON) hold one value per name.
func (l HeaderLines) Header() http.Header {
	h := http.Header{}
	l.lines(func(name, value string) { h[name] = append(h[name], value) })
	return h
}

// MarshalJSON shows the lines as an object, in their order.
func (l HeaderLines) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	var err error
	l.Each(func(name, value string) {
		if err != nil {
			return
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		var k, v []byte
		if k, err = json.Marshal(name); err == nil {
			v, err = json.Marshal(value)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	})
	b.WriteByte('}')
	return b.Bytes(), err
}

// UnmarshalJSON reads the object MarshalJSON writes.
func (l *HeaderLines) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	h := make(http.Header, len(m))
	for k, v := range m {
		h[k] = []string{v}
	}
	*l = HeaderLinesOf(h)
	return nil
}
