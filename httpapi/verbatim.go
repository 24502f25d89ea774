package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/hookd/hookd"
)

// verbatim shows events' payloads in an answer byte for byte as they were
// published. encoding/json compacts a json.RawMessage (and escapes <, >
// and & in its strings), so each payload is encoded as a placeholder
// string first, and the answer's bytes get the payloads back in its place.
// A placeholder holds a random nonce of the process: no value of an
// answer can be one by chance, and a request never sees it.
type verbatim struct {
	payloads []json.RawMessage
}

var placeholderNonce = func() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return "hookd-payload-" + hex.EncodeToString(b) + "-"
}()

func placeholder(i int) []byte {
	return []byte(`"` + placeholderNonce + strconv.Itoa(i) + `"`)
}

// event returns a copy of ev whose payload is the next placeholder (ev
// itself when it has no payload, which encodes as null).
func (v *verbatim) event(ev *hookd.Event) *hookd.Event {
	if len(ev.Payload) == 0 {
		return ev
	}
	c := *ev
	c.Payload = placeholder(len(v.payloads))
	v.payloads = append(v.payloads, ev.Payload)
	return &c
}

// events returns copies of evs whose payloads are placeholders.
func (v *verbatim) events(evs []*hookd.Event) []*hookd.Event {
	out := make([]*hookd.Event, len(evs))
	for i, ev := range evs {
		out[i] = v.event(ev)
	}
	return out
}

// marshal encodes a value holding the events made by event, their
// placeholders replaced by the payloads, in order (an event a page left
// out has none in the answer: it and those after it are skipped).
func (v *verbatim) marshal(val any) ([]byte, error) {
	b, err := json.Marshal(val)
	if err != nil {
		return nil, err
	}
	n := len(b)
	for _, p := range v.payloads {
		n += len(p)
	}
	out := make([]byte, 0, n+1)
	for i, p := range v.payloads {
		ph := placeholder(i)
		at := bytes.Index(b, ph)
		if at < 0 {
			break
		}
		out = append(append(out, b[:at]...), p...)
		b = b[at+len(ph):]
	}
	return append(out, b...), nil
}

// write is writeJSON for a value holding the events made by event.
func (v *verbatim) write(w http.ResponseWriter, status int, val any) {
	b, err := v.marshal(val)
	if err != nil {
		writeJSON(w, status, val)
		return
	}
	writeBody(w, status, append(b, '\n'))
}
