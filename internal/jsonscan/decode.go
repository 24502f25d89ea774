package jsonscan

import "encoding/json"

// Decode returns the JSON value b holds as encoding/json's Decoder with
// UseNumber gives it to an `any` (map[string]any, []any, string,
// json.Number, bool, nil; a key given twice keeps its last value), in one
// pass and without reflection; ok false when b is not one valid JSON value
// (whitespace around it aside) or holds what it leaves to encoding/json: a
// string that needs decoding (an escape, invalid UTF-8), nesting deeper than
// MaxDepth. The caller then decodes b with encoding/json, whose answer and
// errors stand (FuzzDecode).
func Decode(b []byte) (v any, ok bool) {
	v, i, ok := decodeValue(b, SkipSpace(b, 0), 0)
	if !ok || SkipSpace(b, i) != len(b) {
		return nil, false
	}
	return v, true
}

func decodeValue(b []byte, i, depth int) (any, int, bool) {
	if i >= len(b) {
		return nil, i, false
	}
	switch c := b[i]; {
	case c == '"':
		s, end, ok := PlainString(b, i)
		return s, end, ok
	case c == '{':
		if depth++; depth > MaxDepth {
			return nil, i, false
		}
		m := map[string]any{}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return m, i + 1, true
		}
		for {
			if i = SkipSpace(b, i); i >= len(b) || b[i] != '"' {
				return nil, i, false
			}
			key, end, ok := PlainString(b, i)
			if !ok {
				return nil, i, false
			}
			i = SkipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return nil, i, false
			}
			var v any
			if v, i, ok = decodeValue(b, SkipSpace(b, i+1), depth); !ok {
				return nil, i, false
			}
			m[key] = v
			var more bool
			if i, more, ok = after(b, i, '}'); !ok || !more {
				return m, i, ok
			}
		}
	case c == '[':
		if depth++; depth > MaxDepth {
			return nil, i, false
		}
		a := []any{}
		i = SkipSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return a, i + 1, true
		}
		for {
			v, end, ok := decodeValue(b, SkipSpace(b, i), depth)
			if !ok {
				return nil, end, false
			}
			a = append(a, v)
			var more bool
			if i, more, ok = after(b, end, ']'); !ok || !more {
				return a, i, ok
			}
		}
	case c == '-' || (c >= '0' && c <= '9'):
		end, ok := scanNumber(b, i)
		if !ok {
			return nil, i, false
		}
		return json.Number(b[i:end]), end, true
	case c == 't':
		end, ok := literal(b, i, "true")
		return true, end, ok
	case c == 'f':
		end, ok := literal(b, i, "false")
		return false, end, ok
	case c == 'n':
		end, ok := literal(b, i, "null")
		return nil, end, ok
	}
	return nil, i, false
}
