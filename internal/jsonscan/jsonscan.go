// Package jsonscan reads JSON in one pass without reflection, for the hot
// paths that only need to recognise a common shape and validate the rest
// (the publish bodies, a webhook's resource id). It accepts exactly what
// encoding/json accepts (FuzzValid); its callers give up on anything
// unusual and leave it to encoding/json, whose errors they keep.
package jsonscan

import (
	"encoding/binary"
	"unicode/utf8"
)

// MaxDepth is encoding/json's limit of nested arrays and objects.
const MaxDepth = 10000

// PlainString returns the string whose opening quote is b[i] when it needs
// no decoding (no escapes, no control characters, valid UTF-8: the bytes
// are the string), and the index after its closing quote.
func PlainString(b []byte, i int) (string, int, bool) {
	s, end, ok := PlainBytes(b, i)
	return string(s), end, ok
}

// PlainBytes is PlainString without the string's allocation: the bytes
// between the quotes, a part of b.
func PlainBytes(b []byte, i int) ([]byte, int, bool) {
	start := i + 1
	end, ascii := stringEnd(b, start)
	if end >= len(b) || b[end] != '"' {
		return nil, i, false
	}
	s := b[start:end]
	if !ascii && !utf8.Valid(s) {
		return nil, i, false // encoding/json would replace the bad bytes
	}
	return s, end + 1, true
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

// SkipSpace returns the index of the first byte at or after i that is not
// JSON whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// Valid reports whether b is one JSON value with optional whitespace
// around it, exactly as json.Valid does (FuzzValid).
func Valid(b []byte) bool {
	i, ok := Value(b, SkipSpace(b, 0), 0)
	return ok && SkipSpace(b, i) == len(b)
}

// Value validates the JSON value starting at b[i], inside depth arrays
// and objects (MaxDepth at most, as encoding/json allows), and returns the
// index after it; ok false if it is not valid JSON. Strings are checked as
// encoding/json's scanner checks them: escapes, no control characters, any
// other byte (UTF-8 is not checked).
func Value(b []byte, i, depth int) (int, bool) {
	return value(b, i, depth, false)
}

// ValueUTF8 is Value that also refuses a string, key or value, whose bytes
// are not UTF-8: JSON text is UTF-8 (RFC 8259), which encoding/json does
// not check (it keeps such bytes in a json.RawMessage and replaces them in
// a decoded string). Still one pass: a run of a string's bytes that the
// scan has just passed (up to a quote, a backslash or a control byte) is
// checked by utf8.Valid while it is in cache, and only when it holds a
// byte that is not ASCII (the scan tracks that anyway), so ASCII costs
// nothing more. Decoding each sequence as the scan meets it measured
// slower (docs/performance.md).
func ValueUTF8(b []byte, i, depth int) (int, bool) {
	return value(b, i, depth, true)
}

// value is Value, with the strings' UTF-8 checked when utf is set.
func value(b []byte, i, depth int, utf bool) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return scanString(b, i, utf)
	case c == '{':
		return object(b, i, depth, nil, utf)
	case c == '[':
		if depth++; depth > MaxDepth {
			return i, false
		}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok, more bool
			if i, ok = value(b, SkipSpace(b, i), depth, utf); !ok {
				return i, false
			}
			if i, more, ok = after(b, i, ']'); !ok || !more {
				return i, ok
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

// scanString validates the string whose opening quote is b[i], and its
// UTF-8 when utf is set.
func scanString(b []byte, i int, utf bool) (int, bool) {
	i++
	for {
		start := i
		var ascii bool
		i, ascii = stringEnd(b, i)
		if utf && !ascii && !utf8.Valid(b[start:i]) {
			// A run ends at an ASCII byte, where no UTF-8 sequence
			// is cut: the runs are valid if and only if the string is.
			return start, false
		}
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

// Members reads the object whose '{' is b[i] (inside depth arrays and
// objects, as Value counts them), calling fn with each member's key and
// the bytes of its value (a valid JSON value, a part of b), in order, and
// returns the index after the object. ok is false when the object is not
// valid JSON, a key needs decoding (see PlainBytes), or fn returns false.
func Members(b []byte, i, depth int, fn func(key, value []byte) bool) (int, bool) {
	return object(b, i, depth, fn, false)
}

// object validates the object whose '{' is b[i], as value does; with fn,
// as Members does.
func object(b []byte, i, depth int, fn func(key, value []byte) bool, utf bool) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	if depth++; depth > MaxDepth {
		return i, false
	}
	i = SkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i = SkipSpace(b, i); i >= len(b) || b[i] != '"' {
			return i, false
		}
		var key []byte
		j, ok := i, false
		if fn != nil {
			key, j, ok = PlainBytes(b, i)
		} else {
			j, ok = scanString(b, i, utf)
		}
		if !ok {
			return i, false
		}
		i = SkipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		start := SkipSpace(b, i+1)
		if i, ok = value(b, start, depth, utf); !ok || (fn != nil && !fn(key, b[start:i])) {
			return i, false
		}
		var more bool
		if i, more, ok = after(b, i, '}'); !ok || !more {
			return i, ok
		}
	}
}

// after reads what follows an object's member or an array's element at
// b[i] (after spaces): a ',' (more) or the closing byte, and returns the
// index after it; ok is false for anything else. Small enough to be
// inlined in the loops that call it.
func after(b []byte, i int, closing byte) (next int, more, ok bool) {
	i = SkipSpace(b, i)
	if i < len(b) && (b[i] == ',' || b[i] == closing) {
		return i + 1, b[i] == ',', true
	}
	return i, false, false
}
