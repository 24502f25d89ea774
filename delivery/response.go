package delivery

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// A webhook's answer is nearly always a short HTTP/1.1 response whose
// status line and headers arrive in one read, with a Content-Length. The
// engine reads its status, its headers (recorded, and Retry-After for 429
// and 503) and its body (an excerpt): quickResponse reads those from the
// buffered bytes, its header map's values (and the names already in
// canonical form) cut from one copy of the head rather than allocated one
// by one as http.ReadResponse does.
// Anything else (an interim 1xx, chunked or
// close-delimited bodies, HTTP/1.0, folded lines, a header not yet
// arrived whole) is left unread for http.ReadResponse.

// quickResponse reads a simple response from br if its head is buffered
// whole, within limit bytes; nil and no error (nothing read) when the
// response is not one it reads. Waiting for the answer's first bytes fails as
// http.ReadResponse does.
func quickResponse(br *bufio.Reader, limit int64) (*http.Response, error) {
	if _, err := br.Peek(1); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	buf, _ := br.Peek(br.Buffered())
	end := bytes.Index(buf, []byte("\r\n\r\n"))
	if end < 0 || int64(end)+4 > limit {
		return nil, nil
	}
	head := buf[:end+2] // each line with its CRLF
	if bytes.Count(head, []byte("\n")) != bytes.Count(head, []byte("\r\n")) {
		return nil, nil // a line that ends in a bare LF
	}
	status, rest, _ := bytes.Cut(head, []byte("\r\n"))
	// HTTP/1.1 SP 3DIGIT SP reason
	if len(status) < 12 || string(status[:9]) != "HTTP/1.1 " || (len(status) > 12 && status[12] != ' ') {
		return nil, nil
	}
	code := 0
	for _, c := range status[9:12] {
		if c < '0' || c > '9' {
			return nil, nil
		}
		code = code*10 + int(c-'0')
	}
	// Interim answers are left to http.ReadResponse.
	if code < 200 {
		return nil, nil
	}
	bodyless := code == http.StatusNoContent || code == http.StatusNotModified
	n := bytes.Count(rest, []byte("\r\n"))
	resp := &http.Response{StatusCode: code, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: make(http.Header, n)}
	values := make([]string, n) // each header's first value
	text := string(rest)        // the names and values are cut from it
	length := int64(-1)
	for i := 0; text != ""; i++ {
		var line string
		line, text, _ = strings.Cut(text, "\r\n")
		nameText, valueText, ok := strings.Cut(line, ":")
		if !ok || !validName(nameText) {
			return nil, nil // folded, malformed: as http.ReadResponse sees it
		}
		valueText = strings.Trim(valueText, " \t")
		if !validValue(valueText) {
			return nil, nil
		}
		key := textproto.CanonicalMIMEHeaderKey(nameText)
		if vs, ok := resp.Header[key]; ok {
			resp.Header[key] = append(vs, valueText)
		} else {
			values[i] = valueText
			resp.Header[key] = values[i : i+1 : i+1]
		}
		name, value := nameText, valueText
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length >= 0 || len(value) == 0 || len(value) > 18 {
				return nil, nil
			}
			length = 0
			for _, c := range value {
				if c < '0' || c > '9' {
					return nil, nil
				}
				length = length*10 + int64(c-'0')
			}
		case asciiEqualFold(name, "Transfer-Encoding"), asciiEqualFold(name, "Trailer"), asciiEqualFold(name, "Pragma"):
			// Pragma: http.ReadResponse adds a Cache-Control for
			// "no-cache"; the headers recorded are its.
			return nil, nil
		case asciiEqualFold(name, "Connection"):
			for tok := range strings.SplitSeq(value, ",") {
				if asciiEqualFold(strings.Trim(tok, " \t"), "close") {
					resp.Close = true
				}
			}
		}
	}
	if resp.Close {
		delete(resp.Header, "Connection") // as http.ReadResponse leaves it
	}
	switch {
	case bodyless && length < 0:
		length = 0 // no body, whatever the headers say: none said anything
	case bodyless:
		return nil, nil // a Content-Length, ignored: as http.ReadResponse does
	case length < 0:
		return nil, nil // read to the connection's end
	}
	br.Discard(end + 4)
	st := status[len("HTTP/1.1 "):]
	if resp.Status = statusTexts[string(st)]; resp.Status == "" {
		resp.Status = string(st)
	}
	resp.ContentLength = length
	if length == 0 {
		resp.Body = http.NoBody
	} else {
		resp.Body = &lengthBody{br: br, n: length}
	}
	return resp, nil
}

// statusTexts are the usual status texts ("200 OK"), kept rather than
// made for every answer.
var statusTexts = func() map[string]string {
	m := map[string]string{}
	for code := 100; code < 600; code++ {
		if t := http.StatusText(code); t != "" {
			s := strconv.Itoa(code) + " " + t
			m[s] = s
		}
	}
	return m
}()

// lengthBody is a body of known length read from the connection.
type lengthBody struct {
	br *bufio.Reader
	n  int64
}

func (b *lengthBody) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.br.Read(p)
	b.n -= int64(n)
	switch {
	case b.n == 0:
		err = io.EOF
	case err == io.EOF:
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *lengthBody) Close() error { return nil }

// asciiEqualFold reports whether b is s, ASCII letters in either case.
func asciiEqualFold[T string | []byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
