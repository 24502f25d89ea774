package httpapi

import "github.com/hookd/hookd"

// The answers of the publish routes, encoded without reflection: the same
// bytes as json.Marshal of the same values (TestPublishAnswer). A value
// holding what the encoder below does not handle (warnings, an error, a
// string that needs escaping) is left to writeJSON.

// publishAnswer is the body of a publish's 202: r as json.Marshal encodes
// it, and a newline; ok false when writeJSON must encode it.
func publishAnswer(r *hookd.PublishResult) ([]byte, bool) {
	n := 48 + len(r.ID)
	for _, d := range r.Deliveries {
		n += 28 + len(d.ID) + len(d.EndpointID)
	}
	b, ok := appendResult(make([]byte, 0, n), r)
	return append(b, '\n'), ok
}

// batchAnswer is the body of a batch publish's 202: {"data":out} as
// json.Marshal encodes it, and a newline; ok false when writeJSON must
// encode it (an event was refused, or warned about).
func batchAnswer(out []batchResult) ([]byte, bool) {
	if out == nil {
		return nil, false
	}
	b := make([]byte, 0, 16+100*len(out))
	b = append(b, `{"data":[`...)
	for i := range out {
		if i > 0 {
			b = append(b, ',')
		}
		if out[i].PublishResult == nil || out[i].Error != nil {
			return nil, false
		}
		var ok bool
		if b, ok = appendResult(b, out[i].PublishResult); !ok {
			return nil, false
		}
	}
	return append(b, "]}\n"...), true
}

// ingestAnswer is the body of an ingest's 200: in as json.Marshal encodes
// it, and a newline; ok false when writeJSON must encode it.
func ingestAnswer(in *hookd.Ingested) ([]byte, bool) {
	b := make([]byte, 0, 64+len(in.EventID)+len(in.Type)+len(in.Invalid))
	ok := true
	b = append(b, `{"event_id":`...)
	b, ok = appendString(b, in.EventID, ok)
	b = append(b, `,"type":`...)
	b, ok = appendString(b, in.Type, ok)
	if in.Duplicate {
		b = append(b, `,"duplicate":true`...)
	} else {
		b = append(b, `,"duplicate":false`...)
	}
	if in.Invalid != "" {
		b = append(b, `,"invalid":`...)
		b, ok = appendString(b, in.Invalid, ok)
	}
	return append(b, "}\n"...), ok
}

// appendResult appends r as json.Marshal encodes a hookd.PublishResult;
// ok false (and b to be dropped) when r holds what it does not encode.
func appendResult(b []byte, r *hookd.PublishResult) ([]byte, bool) {
	if len(r.Warnings) > 0 {
		return b, false
	}
	ok := true
	b = append(b, `{"id":`...)
	b, ok = appendString(b, r.ID, ok)
	b = append(b, `,"deliveries":`...)
	if r.Deliveries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, d := range r.Deliveries {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":`...)
			b, ok = appendString(b, d.ID, ok)
			b = append(b, `,"endpoint_id":`...)
			b, ok = appendString(b, d.EndpointID, ok)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Duplicate {
		b = append(b, `,"duplicate":true`...)
	}
	return append(b, '}'), ok
}

// appendString appends s quoted when it needs no escaping in json.Marshal's
// terms (printable ASCII other than the quote, the backslash and the HTML
// characters it escapes); ok becomes false otherwise.
func appendString(b []byte, s string, ok bool) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if !plainASCII[s[i]] {
			ok = false
			break
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), ok
}

// plainASCII are the bytes json.Marshal writes as they are in a string.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()
