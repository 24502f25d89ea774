package receiver

import (
	"encoding/json"
	"strings"

	"github.com/hookd/hookd/internal/jsonscan"
)

// envelopeField is one field of an envelope struct for fastEnvelope: its
// JSON name and where its value goes, a string or the raw value.
type envelopeField struct {
	name string
	str  *string
	raw  *json.RawMessage
}

func str(name string, p *string) envelopeField          { return envelopeField{name: name, str: p} }
func raw(name string, p *json.RawMessage) envelopeField { return envelopeField{name: name, raw: p} }

// fastEnvelope decodes body into fields as json.Unmarshal would decode it
// into their struct, in one pass and without reflection, when body has the
// common shape: a JSON object whose keys need no decoding, whose string
// fields hold strings that need none either (no escapes), whatever the
// other members are (ignored, as json.Unmarshal ignores unknown fields). It
// returns false, and leaves the fields as they were, for anything else:
// invalid JSON, a string field holding an escape or another kind of value,
// a key that matches a field only in another letter case (json.Unmarshal
// would take it) or is not ASCII. json.Unmarshal then decides
// (FuzzEnvelope).
func fastEnvelope(body []byte, fields []envelopeField) bool {
	const most = 8
	if len(fields) == 0 || len(fields) > most {
		return false
	}
	// The values found, set into the fields only once the whole body has
	// been read. A key given twice: the last value wins, as in
	// json.Unmarshal.
	var strs [most]string
	var raws [most][]byte
	var found [most]bool
	i, ok := jsonscan.Members(body, jsonscan.SkipSpace(body, 0), 0, func(key, value []byte) bool {
		for _, c := range key {
			if c >= 0x80 {
				return false // Unicode case folding: json.Unmarshal's to judge
			}
		}
		for n, f := range fields {
			if string(key) != f.name {
				if strings.EqualFold(string(key), f.name) {
					return false
				}
				continue
			}
			found[n] = true
			if f.raw != nil {
				raws[n] = value
				return true
			}
			if value[0] != '"' {
				return false // null, a number...: json.Unmarshal's to judge
			}
			s, end, ok := jsonscan.PlainString(value, 0)
			if !ok || end != len(value) {
				return false
			}
			strs[n] = s
			return true
		}
		return true
	})
	if !ok || jsonscan.SkipSpace(body, i) != len(body) {
		return false
	}
	for n, f := range fields {
		switch {
		case !found[n]:
		case f.raw != nil:
			*f.raw = append(json.RawMessage(nil), raws[n]...) // a copy, as json.Unmarshal makes
		default:
			*f.str = strs[n]
		}
	}
	return true
}
