package httpapi

import (
	"encoding/binary"
	"encoding/json"
	"unicode/utf8"
)

// The publish routes' bodies are most of what the API reads, and nearly all
// of them have one shape: an object of known fields with plain string values
// and a JSON object as the payload. encoding/json reads such a body two to
// three times (the Decoder's readValue, then unmarshal, then skip for the
// json.RawMessage payload), with reflection on the way. The fast path below
// recognises that shape in one pass and validates the payload; anything else
// (an unknown or duplicated field, a field in other letter cases, an escaped
// or non-string value, malformed JSON, trailing data) makes it give up, and
// the body is decoded by decodeBody as before, so every error message and
// every corner of encoding/json's behaviour stays as it was. It never has to
// produce an error: it only has to accept exactly what decodeBody accepts,
// with the same result (TestPublishFastPath, FuzzPublishFastPath).

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

// maxDepth is encoding/json's limit of nested arrays and objects.
const maxDepth = 10000

// fastPublish decodes a publish body of the common shape into in; ok false
// means it did not recognise the body (in is then undefined) and decodeBody
// must decide.
func fastPublish(b []byte, in *publishIn) bool {
	var ev eventIn
	i, ok := fastEvent(b, skipSpace(b, 0), 1, &ev, false)
	if !ok || skipSpace(b, i) != len(b) {
		return false
	}
	*in = publishIn{Type: ev.Type, Payload: ev.Payload, ID: ev.ID, OrderingKey: ev.OrderingKey}
	return true
}

// fastBatch is fastPublish for a batch body.
func fastBatch(b []byte, in *batchIn) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i >= len(b) || b[i] != '"' {
		return false // {} or malformed: rare, and decodeBody knows
	}
	key, i, ok := plainString(b, i)
	if !ok || key != "events" {
		return false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return false
	}
	i = skipSpace(b, i+1)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	events := []eventIn{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		i++
	} else {
		for {
			var ev eventIn
			if i, ok = fastEvent(b, i, 3, &ev, true); !ok {
				return false
			}
			events = append(events, ev)
			i = skipSpace(b, i)
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
			i = skipSpace(b, i+1)
		}
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != '}' {
		return false // a second field: unknown or a duplicate
	}
	if skipSpace(b, i+1) != len(b) {
		return false
	}
	in.Events = events
	return true
}

// fastEvent reads one event object starting at b[i] (at depth, counting
// the object itself, as encoding/json counts nesting) and returns the
// index after it. withKey admits the field idempotency_key (batch events).
func fastEvent(b []byte, i, depth int, ev *eventIn, withKey bool) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	var seen uint8
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		key, j, ok := plainString(b, i)
		if !ok {
			return i, false
		}
		i = skipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = skipSpace(b, i+1)
		var bit uint8
		var dst *string
		switch key {
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
			if *dst, i, ok = plainString(b, i); !ok {
				return i, false
			}
		} else {
			if i >= len(b) || b[i] != '{' {
				return i, false
			}
			start := i
			if i, ok = scanValue(b, i, depth); !ok {
				return i, false
			}
			// A copy, as encoding/json makes: the engine may hold the
			// event in memory for long, and weighs it by its payload,
			// not by the body around it (a batch's).
			ev.Payload = append(json.RawMessage(nil), b[start:i]...)
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return i, false
		}
	}
}

// plainString returns the string whose opening quote is b[i] when it needs
// no decoding (no escapes, no control characters, valid UTF-8: the bytes
// are the string), and the index after its closing quote.
func plainString(b []byte, i int) (string, int, bool) {
	start := i + 1
	end, ascii := stringEnd(b, start)
	if end >= len(b) || b[end] != '"' {
		return "", i, false
	}
	s := b[start:end]
	if !ascii && !utf8.Valid(s) {
		return "", i, false // encoding/json would replace the bad bytes
	}
	return string(s), end + 1, true
}

// stringEnd returns the index of the first byte at or after i that a
// string cannot hold as it is (a quote, a backslash, a control character),
// and whether the bytes before it are all ASCII.
func stringEnd(b []byte, i int) (int, bool) {
	// Eight bytes at a time while none of them ends the run (payloads are
	// mostly long strings), then byte by byte.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high8 uint64
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		quote, backslash := x^('"'*ones), x^('\\'*ones)
		if ((x-0x20*ones)&^x|(quote-ones)&^quote|(backslash-ones)&^backslash)&highs != 0 {
			break // a byte below 0x20, a quote or a backslash among them
		}
		high8 |= x
	}
	high := byte(0)
	if high8&highs != 0 {
		high = utf8.RuneSelf
	}
	for i < len(b) {
		c := b[i]
		if c < 0x20 || c == '"' || c == '\\' {
			break
		}
		high |= c
		i++
	}
	return i, high < utf8.RuneSelf
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// validJSON reports whether b is one JSON value with optional whitespace
// around it, exactly as json.Valid does (FuzzValidJSON).
func validJSON(b []byte) bool {
	i, ok := scanValue(b, skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// scanValue validates the JSON value starting at b[i], inside depth arrays
// and objects, and returns the index after it. Strings are checked as
// encoding/json's scanner checks them: escapes, no control characters, any
// other byte (UTF-8 is not checked).
func scanValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i)
	case c == '{':
		if depth++; depth > maxDepth {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = scanString(b, i); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = scanValue(b, skipSpace(b, i+1), depth); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
			case '}':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '[':
		if depth++; depth > maxDepth {
			return i, false
		}
		i = skipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = scanValue(b, i, depth); !ok {
				return i, false
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case ',':
				i = skipSpace(b, i+1)
			case ']':
				return i + 1, true
			default:
				return i, false
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return scanNumber(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// scanString validates the string whose opening quote is b[i].
func scanString(b []byte, i int) (int, bool) {
	i++
	for {
		i, _ = stringEnd(b, i)
		if i >= len(b) {
			return i, false
		}
		switch b[i] {
		case '"':
			return i + 1, true
		case '\\':
			i++
			if i >= len(b) {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if len(b)-i < 5 {
					return i, false
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return i, false
					}
				}
				i += 5
			default:
				return i, false
			}
		default: // a control character
			return i, false
		}
	}
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber validates the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return i, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
