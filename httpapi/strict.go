package httpapi

import (
	"fmt"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonscan"
)

// checkJSON refuses what encoding/json accepts in a request body but JSON
// does not give one meaning: bytes that are not UTF-8. JSON text is UTF-8
// (RFC 8259), and encoding/json replaces them in a decoded string but
// keeps them in a json.RawMessage, so an event's payload would be stored,
// signed and sent with them. body has decoded into v: it is one valid JSON
// value.
//
// This is decodeBody's, a pass after encoding/json's. The publish routes'
// fast path does not come here: it reads the body once and checks its
// payload's UTF-8 in that pass (jsonscan.ValueUTF8; its other strings are
// plain, UTF-8 already), leaving any other body to decodeBody
// (publishbody.go).
func checkJSON(body []byte, v any) error {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		path, inKey := jsonscan.PathAt(body, off)
		where := "a string at " + path
		if inKey {
			where = "a key of the object at " + path
		}
		return &hookd.Error{Code: hookd.EINVALID,
			Message: fmt.Sprintf("malformed JSON body at byte %d: invalid UTF-8 in %s (JSON text must be UTF-8)", off+1, where),
			Details: []hookd.Detail{{Path: path, Rule: "utf8", Message: fmt.Sprintf("invalid UTF-8 at byte %d", off+1)}}}
	}
	return nil
}
