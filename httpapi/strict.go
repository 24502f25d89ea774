package httpapi

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonscan"
)

// checkJSON refuses what encoding/json accepts in a request body but JSON
// does not give one meaning. Bytes that are not UTF-8: JSON text is UTF-8
// (RFC 8259), and encoding/json replaces them in a decoded string but
// keeps them in a json.RawMessage, so an event's payload would be stored,
// signed and sent with them. A key given twice in one object: encoding/json
// keeps the last, so {"type":"a","type":"b"} would publish "b". Keys are
// checked in the objects the request's own fields decode (v's structs,
// whose fields encoding/json matches whatever the letters' case, so "type"
// and "Type" are one key, and maps); not inside a value kept as JSON (an
// event's payload, a type's schema or example, a tenant's metadata), which
// is the caller's, kept byte for byte. body has decoded into v: it is one
// valid JSON value.
//
// This is decodeBody's, a pass after encoding/json's. The publish routes'
// fast path does not come here: in its one pass over the body it checks the
// payload's UTF-8 (jsonscan.ValueUTF8; its other strings are plain, UTF-8
// already) and gives up on a key it has seen (fastEvent's seen bits) or one
// in another case, leaving that body to decodeBody (publishbody.go): a
// body it accepts has each key once.
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
	k := &keysOnce{b: body}
	_, err := k.value(jsonscan.SkipSpace(body, 0), reflect.TypeOf(v))
	return err
}

// keysOnce finds a key given twice in the objects of a request body. It
// makes nothing for a body that gives each key once but a map per JSON
// object that decodes into a Go map (an endpoint's headers): the path of a
// member is kept as a stack and written out only for the error.
type keysOnce struct {
	b    []byte
	path []step
}

// step is one step of a JSON path: an object's member (key) or an array's
// element (index, when key is nil).
type step struct {
	key   []byte // the key as in the body, quotes included
	index int
}

// at writes the path of the stack, and of the member key when not nil.
func (k *keysOnce) at(key []byte) string {
	steps := k.path
	if key != nil {
		steps = append(steps[:len(steps):len(steps)], step{key: key})
	}
	p := "$"
	for _, s := range steps {
		if s.key != nil {
			name, _, _ := jsonscan.Key(s.key, 0)
			p = jsonscan.KeyPath(p, name)
		} else {
			p = jsonscan.IndexPath(p, s.index)
		}
	}
	return p
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// shape is t without its pointers, or nil when encoding/json does not
// decode its objects member by member itself: a json.RawMessage, any
// other type with its own UnmarshalJSON, an interface.
func shape(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) ||
		reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return nil
	}
	return t
}

// value reads the value at b[i], which decodes into a t, and returns the
// index after it.
func (k *keysOnce) value(i int, t reflect.Type) (int, error) {
	if t = shape(t); t != nil && i < len(k.b) {
		switch c := k.b[i]; {
		case c == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
			return k.object(i, t)
		case c == '[' && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
			i = jsonscan.SkipSpace(k.b, i+1)
			for n := 0; i < len(k.b) && k.b[i] != ']'; n++ {
				k.path = append(k.path, step{index: n})
				start := i
				var err error
				if i, err = k.value(i, t.Elem()); err != nil || i <= start {
					return i, err // i <= start: not valid JSON, not reached
				}
				k.path = k.path[:len(k.path)-1]
				if i = jsonscan.SkipSpace(k.b, i); i < len(k.b) && k.b[i] == ',' {
					i = jsonscan.SkipSpace(k.b, i+1)
				}
			}
			return i + 1, nil
		}
	}
	end, _ := jsonscan.Value(k.b, i, 0)
	return end, nil
}

// object reads the object at b[i], which decodes into t, a struct or a
// map: a key that names a struct's field a second time, or a map's key
// given again, is an error.
func (k *keysOnce) object(i int, t reflect.Type) (int, error) {
	var fields []field
	var seenField []bool        // by the index of a struct's field
	var seenKey map[string]bool // a map's keys
	if t.Kind() == reflect.Struct {
		fields = fieldsOf(t)
		var small [16]bool
		seenField = small[:0]
		if len(fields) > len(small) {
			seenField = make([]bool, 0, len(fields))
		}
		seenField = seenField[:len(fields)]
	} else {
		seenKey = map[string]bool{}
	}
	open := i
	i = jsonscan.SkipSpace(k.b, i+1)
	for i < len(k.b) && k.b[i] == '"' {
		keyAt := i
		_, end, ok := jsonscan.PlainBytes(k.b, i)
		var key string
		if !ok { // escaped: decoded (the plain ones need no string)
			if key, end, ok = jsonscan.Key(k.b, i); !ok {
				return end, nil // not reached: the body decoded
			}
		}
		raw := k.b[keyAt:end]
		var et reflect.Type
		if fields != nil {
			f := matchField(fields, raw, key)
			if f < 0 {
				return end, nil // not reached: unknown fields are refused
			}
			if seenField[f] {
				return keyAt, k.repeated(open, keyAt, raw, fields, f)
			}
			seenField[f], et = true, fields[f].typ
		} else {
			name, _, _ := jsonscan.Key(raw, 0)
			if seenKey[name] {
				return keyAt, k.repeated(open, keyAt, raw, nil, -1)
			}
			seenKey[name], et = true, t.Elem()
		}
		i = jsonscan.SkipSpace(k.b, jsonscan.SkipSpace(k.b, end)+1) // past the ':'
		k.path = append(k.path, step{key: raw})
		var err error
		if i, err = k.value(i, et); err != nil {
			return i, err
		}
		k.path = k.path[:len(k.path)-1]
		if i = jsonscan.SkipSpace(k.b, i); i < len(k.b) && k.b[i] == ',' {
			i = jsonscan.SkipSpace(k.b, i+1)
		}
	}
	return i + 1, nil
}

// repeated is the error of the key at b[at] in the object at b[open],
// which names again the struct's field f (fields nil: the map's key given
// again).
func (k *keysOnce) repeated(open, at int, raw []byte, fields []field, f int) error {
	key, _, _ := jsonscan.Key(raw, 0)
	first := key
	// The key as first given: read again, on this path only.
	for i := jsonscan.SkipSpace(k.b, open+1); i < at && k.b[i] == '"'; {
		name, end, _ := jsonscan.Key(k.b, i)
		if fields != nil && matchField(fields, k.b[i:end], name) == f || fields == nil && name == key {
			first = name
			break
		}
		i, _ = jsonscan.Value(k.b, jsonscan.SkipSpace(k.b, jsonscan.SkipSpace(k.b, end)+1), 0)
		i = jsonscan.SkipSpace(k.b, jsonscan.SkipSpace(k.b, i)+1) // past the ','
	}
	as := ""
	if first != key {
		as = fmt.Sprintf(", as %q and %q", first, key)
	}
	return &hookd.Error{Code: hookd.EINVALID,
		Message: fmt.Sprintf("the request body gives the key %q twice%s (at byte %d, in the object at %s): give each key once", first, as, at+1, k.at(nil)),
		Details: []hookd.Detail{{Path: k.at(raw), Rule: "duplicate_key", Message: fmt.Sprintf("the key %q is given more than once", first)}}}
}

// field is a struct field as encoding/json decodes it: its JSON name and
// its type.
type field struct {
	name string
	typ  reflect.Type
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf returns the fields encoding/json decodes into a struct type:
// the exported ones not tagged "-", named by their tag or their Go name,
// with those of an untagged embedded struct promoted.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			if et := shape(ft); et != nil && et.Kind() == reflect.Struct {
				fs = append(fs, fieldsOf(et)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, field{name, ft})
	}
	fieldCache.Store(t, fs)
	return fs
}

// matchField returns the index of the field a key decodes into, as
// encoding/json finds it: the one named exactly so, else the first whose
// name matches it whatever the case; -1 for none. raw is the key as in the
// body, quotes included; key its decoded text when it has escapes, else "".
func matchField(fs []field, raw []byte, key string) int {
	if key == "" {
		raw = raw[1 : len(raw)-1]
		for i := range fs {
			if string(raw) == fs[i].name {
				return i
			}
		}
		key = string(raw)
	} else {
		for i := range fs {
			if key == fs[i].name {
				return i
			}
		}
	}
	for i := range fs {
		if strings.EqualFold(fs[i].name, key) {
			return i
		}
	}
	return -1
}
