package jsonscan

import (
	"encoding/json"
	"strconv"
)

// KeyPath extends a JSON path with an object's member: prefix.key when the
// key is a plain name (a letter or '_', then letters, digits and '_'),
// else prefix["key"], as the catalog writes its paths ("$.payload.a_b",
// `$.payload["a-b"]`).
func KeyPath(prefix, key string) string {
	plain := key != ""
	for i := 0; i < len(key) && plain; i++ {
		c := key[i]
		plain = c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
	}
	if plain {
		return prefix + "." + key
	}
	return prefix + "[" + strconv.Quote(key) + "]"
}

// IndexPath extends a JSON path with an array's element: prefix[i].
func IndexPath(prefix string, i int) string {
	return prefix + "[" + strconv.Itoa(i) + "]"
}

// Key returns the key whose opening quote is b[i], decoded, and the index
// after its closing quote; ok false when b[i] starts no valid string.
func Key(b []byte, i int) (key string, end int, ok bool) {
	if key, end, ok = PlainString(b, i); ok {
		return key, end, true
	}
	if end, ok = scanString(b, i, false); !ok || json.Unmarshal(b[i:end], &key) != nil {
		return "", i, false
	}
	return key, end, true
}

// PathAt returns the JSON path, from "$", of the innermost value of the
// JSON text b that holds the byte at off (a string's byte: the string's
// path), and whether that byte is in one of the keys of the object at
// that path rather than in a value. b must be valid JSON (json.Valid); for
// an off outside every value, it answers "$". One pass, up to off.
func PathAt(b []byte, off int) (path string, inKey bool) {
	if _, p, k, found := pathAt(b, SkipSpace(b, 0), off, "$"); found {
		return p, k
	}
	return "$", false
}

// pathAt reads the value at b[i] and returns the index after it, or, as
// soon as off is found in it, its path and found set.
func pathAt(b []byte, i, off int, path string) (end int, p string, inKey, found bool) {
	if i >= len(b) {
		return i, "", false, false
	}
	start := i
	switch b[i] {
	case '{':
		i = SkipSpace(b, i+1)
		for i < len(b) && b[i] == '"' {
			key, kend, ok := Key(b, i)
			if !ok {
				return kend, "", false, false
			}
			if off >= i && off < kend {
				return kend, path, true, true
			}
			i = SkipSpace(b, SkipSpace(b, kend)+1) // past the ':'
			if i, p, inKey, found = pathAt(b, i, off, KeyPath(path, key)); found {
				return i, p, inKey, true
			}
			if i = SkipSpace(b, i); i >= len(b) || b[i] != ',' {
				break
			}
			i = SkipSpace(b, i+1)
		}
		end = i + 1 // past the '}'
	case '[':
		i = SkipSpace(b, i+1)
		for n := 0; i < len(b) && b[i] != ']'; n++ {
			if i, p, inKey, found = pathAt(b, i, off, IndexPath(path, n)); found {
				return i, p, inKey, true
			}
			if i = SkipSpace(b, i); i >= len(b) || b[i] != ',' {
				break
			}
			i = SkipSpace(b, i+1)
		}
		end = i + 1 // past the ']'
	default:
		end, _ = Value(b, i, 0) // a string, a number, a literal
	}
	return end, path, false, off >= start && off < end
}
