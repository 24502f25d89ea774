package httpapi

import (
	"encoding/json"

	"github.com/hookd/hookd/internal/jsonscan"
)

// The publish routes' bodies are most of what the API reads, and nearly all
// of them have one shape: an object of known fields with plain string values
// and a JSON object as the payload. encoding/json reads such a body two to
// three times (the Decoder's readValue, then unmarshal, then skip for the
// json.RawMessage payload), with reflection on the way. The fast path below
// recognises that shape in one pass and validates the payload, its UTF-8
// included; anything else (an unknown or duplicated field, a field in other
// letter cases, an escaped or non-string value, malformed JSON, bytes that
// are not UTF-8, trailing data) makes it give up, and the body is decoded by
// decodeBody, so every error message and every corner of encoding/json's
// behaviour stays as it was (and what decodeBody adds: checkJSON). It never
// has to produce an error: it only has to accept exactly what decodeBody
// accepts, with the same result (TestPublishFastPath, FuzzPublishFastPath).

// publishIn is the body of POST /v1/tenants/{tenant}/events.
type publishIn struct {
	Type        string          `json:"type"`
	Payload     json.RawMessage `json:"payload"`
	ID          string          `json:"id"`
	OrderingKey string          `json:"ordering_key"`
}

// batchIn is the body of POST /v1/tenants/{tenant}/events/batch.
type batchIn struct {
	Events []eventIn `json:"events"`
}

// fastPublish decodes a publish body of the common shape into in; ok false
// means it did not recognise the body (in is then undefined) and decodeBody
// must decide.
func fastPublish(b []byte, in *publishIn) bool {
	var ev eventIn
	i, ok := fastEvent(b, jsonscan.SkipSpace(b, 0), 1, &ev, false, true)
	if !ok || jsonscan.SkipSpace(b, i) != len(b) {
		return false
	}
	*in = publishIn{Type: ev.Type, Payload: ev.Payload, ID: ev.ID, OrderingKey: ev.OrderingKey}
	return true
}

// fastBatch is fastPublish for a batch body.
func fastBatch(b []byte, in *batchIn) bool {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = jsonscan.SkipSpace(b, i+1)
	if i >= len(b) || b[i] != '"' {
		return false // {} or malformed: rare, and decodeBody knows
	}
	key, i, ok := jsonscan.PlainString(b, i)
	if !ok || key != "events" {
		return false
	}
	i = jsonscan.SkipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i = jsonscan.SkipSpace(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	events := []eventIn{}
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			var ev eventIn
			if i, ok = fastEvent(b, i, 3, &ev, true, false); !ok {
				return false
			}
			events = append(events, ev)
			i = jsonscan.SkipSpace(b, i)
			if i >= len(b) {
				return false
			}
			if b[i] == ']' {
				i++
				break
			}
			if b[i] != ',' {
				return false
			}
			i = jsonscan.SkipSpace(b, i+1)
		}
	}
	i = jsonscan.SkipSpace(b, i)
	if i >= len(b) || b[i] != '}' {
		return false // a second field: unknown or a duplicate
	}
	if jsonscan.SkipSpace(b, i+1) != len(b) {
		return false
	}
	in.Events = events
	return true
}

// maxSlack is how many bytes of a single publish's body besides its
// payload may be held with the payload (the other fields, whitespace).
const maxSlack = 1024

// fastEvent reads one event object starting at b[i] (at depth, counting
// the object itself, as encoding/json counts nesting) and returns the
// index after it. withKey admits the field idempotency_key (batch events).
// alone says b holds this one event and nothing else of size (a single
// publish's body, read for it alone): its payload may then stay in b.
func fastEvent(b []byte, i, depth int, ev *eventIn, withKey, alone bool) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	var seen uint8
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		key, j, ok := jsonscan.PlainBytes(b, i) // compared, not kept: no string made
		if !ok {
			return i, false
		}
		i = jsonscan.SkipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = jsonscan.SkipSpace(b, i+1)
		var bit uint8
		var dst *string
		switch string(key) {
		case "type":
			bit, dst = 1, &ev.Type
		case "id":
			bit, dst = 2, &ev.ID
		case "ordering_key":
			bit, dst = 4, &ev.OrderingKey
		case "idempotency_key":
			if !withKey {
				return i, false
			}
			bit, dst = 8, &ev.IdempotencyKey
		case "payload":
			bit = 16
		default:
			return i, false
		}
		if seen&bit != 0 {
			return i, false // a duplicate: encoding/json's rules decide
		}
		seen |= bit
		if dst != nil {
			if i >= len(b) || b[i] != '"' {
				return i, false // null, a number...: decodeBody says what is wrong
			}
			if *dst, i, ok = jsonscan.PlainString(b, i); !ok {
				return i, false
			}
			if bit == 2 && *dst == "" {
				return i, false // "id": "", refused by the slow path
			}
		} else {
			if i >= len(b) || b[i] != '{' {
				return i, false
			}
			start := i
			// UTF-8 checked in the same pass: a payload that is
			// not is left to decodeBody, which refuses it.
			if i, ok = jsonscan.ValueUTF8(b, i, depth); !ok {
				return i, false
			}
			// A copy, as encoding/json makes: the engine may hold the
			// event in memory for long, and weighs it by its payload,
			// not by the body around it (a batch's). A single
			// publish's body, which nothing else holds or reuses, is
			// kept instead when it is little more than its payload
			// (its capacity cut, so nothing appends into the rest).
			if alone && cap(b)-(i-start) <= maxSlack {
				ev.Payload = json.RawMessage(b[start:i:i])
			} else {
				ev.Payload = append(json.RawMessage(nil), b[start:i]...)
			}
		}
		i = jsonscan.SkipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = jsonscan.SkipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}
