package delivery

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// TestQuickResponse: every answer quickResponse reads, it reads as
// http.ReadResponse does (status, Close, length, every header, the body to
// its end or its error, the bytes left after it); every answer it leaves,
// it leaves unread, for http.ReadResponse to read whole.
func TestQuickResponse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, raw string
		quick     bool // read by quickResponse
	}{
		{"ok", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok", true},
		{"no reason", "HTTP/1.1 202\r\nContent-Length: 0\r\n\r\n", true},
		{"empty", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
		{"lower case, spaces", "HTTP/1.1 500 Internal Server Error\r\ncontent-length:  3 \r\nretry-after:\t7 \r\n\r\nbad", true},
		{"retry after", "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n", true},
		{"retry after date", "HTTP/1.1 503 Busy\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\nContent-Length: 1\r\n\r\nx", true},
		{"close", "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx", true},
		{"keep alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx", true},
		{"bytes past the body", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", true},
		{"body cut short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true},
		{"utf-8 value", "HTTP/1.1 410 Gone\r\nX-Why: d\xc3\xa9j\xc3\xa0\r\nContent-Length: 4\r\n\r\ngone", true},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
		{"to the end", "HTTP/1.1 200 OK\r\n\r\nuntil close", false},
		{"http/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"no content", "HTTP/1.1 204 No Content\r\nDate: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n", true},
		{"not modified", "HTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1", true},
		{"no content, a length", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false},
		{"no content, chunked", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", false},
		{"interim", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"folded", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", false},
		{"bad name", "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 2\r\n\r\nok", false},
		{"control in value", "HTTP/1.1 200 OK\r\nX-A: a\x01b\r\nContent-Length: 2\r\n\r\nok", false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", false},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok\r\n\r\n", false},
		{"bad status", "HTTP/1.1 200OK\r\nContent-Length: 2\r\n\r\nok", false},
		{"trailer", "HTTP/1.1 200 OK\r\nTrailer: X\r\nContent-Length: 2\r\n\r\nok", false},
		{"pragma", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n", false},
		{"head cut short", "HTTP/1.1 200 OK\r\nContent-Len", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, wantBody, wantRest, wantErr := readWith(t, bufio.NewReader(strings.NewReader(c.raw)), nil)
			br := bufio.NewReader(strings.NewReader(c.raw))
			resp, err := quickResponse(br, 1<<20)
			if err != nil {
				t.Fatalf("quickResponse: %v", err)
			}
			if (resp != nil) != c.quick {
				t.Fatalf("read by quickResponse: %v, want %v", resp != nil, c.quick)
			}
			if resp == nil && br.Buffered() != len(c.raw) {
				t.Fatalf("left %d bytes of %d buffered, want all", br.Buffered(), len(c.raw))
			}
			got, gotBody, gotRest, gotErr := readWith(t, br, resp)
			if (want == nil) != (got == nil) || (want != nil && (got.StatusCode != want.StatusCode || got.Status != want.Status ||
				got.Close != want.Close || got.ContentLength != want.ContentLength ||
				!reflect.DeepEqual(got.Header, want.Header))) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
			if gotBody != wantBody || !sameErr(gotErr, wantErr) || gotRest != wantRest {
				t.Fatalf("body %q (%v), rest %q; want %q (%v), rest %q", gotBody, gotErr, gotRest, wantBody, wantErr, wantRest)
			}
		})
	}
	// Nothing arrived yet: quickResponse waits for the first bytes as
	// http.ReadResponse does, and fails as it does when none come.
	if _, err := quickResponse(bufio.NewReader(strings.NewReader("")), 1<<20); err != io.ErrUnexpectedEOF {
		t.Errorf("no answer: %v, want %v", err, io.ErrUnexpectedEOF)
	}
	// A head that arrives in pieces is left to http.ReadResponse.
	raw := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	br := bufio.NewReader(iotest.OneByteReader(strings.NewReader(raw)))
	if resp, err := quickResponse(br, 1<<20); resp != nil || err != nil {
		t.Errorf("head in pieces: %v, %v; want it left unread", resp, err)
	}
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 200 {
		t.Errorf("then http.ReadResponse: %v, %v", resp, err)
	}
	// A head longer than the limit is left too.
	if resp, err := quickResponse(bufio.NewReader(strings.NewReader(raw)), 16); resp != nil || err != nil {
		t.Errorf("head past the limit: %v, %v; want it left unread", resp, err)
	}
}

// readWith reads a response from br (resp, when quickResponse read its
// head; else http.ReadResponse reads it), its body to the end and what
// br holds after it.
func readWith(t *testing.T, br *bufio.Reader, resp *http.Response) (*http.Response, string, string, error) {
	t.Helper()
	if resp == nil {
		var err error
		if resp, err = http.ReadResponse(br, nil); err != nil {
			return nil, "", "", err
		}
	}
	var body strings.Builder
	buf := make([]byte, 3) // several reads
	var err error
	for {
		var n int
		n, err = resp.Body.Read(buf)
		body.WriteString(string(buf[:n]))
		if err != nil {
			break
		}
	}
	if err == io.EOF {
		err = nil
	}
	rest, _ := io.ReadAll(br)
	return resp, body.String(), string(rest), err
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return errors.Is(a, b) || a.Error() == b.Error()
}
