package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/hookd/hookd"
)

// decode reads a JSON body strictly: unknown fields and trailing data are
// refused, so a typo is an error rather than a silently ignored field.
// Every route decodes here, so every route's errors name the field and the
// rule in the API's terms, never the Go types behind them.
func decode(r *http.Request, v any) error {
	empty, err := decodeOptional(r, v)
	if err == nil && empty {
		return hookd.Errorf(hookd.EINVALID, "the request body is empty: this route takes a JSON object")
	}
	return err
}

// decodeOptional is decode for a route whose body may be left out: an
// empty body decodes to nothing and is reported as empty.
func decodeOptional(r *http.Request, v any) (empty bool, err error) {
	body, err := readBody(r)
	if err != nil {
		return false, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return true, nil
	}
	return false, decodeBody(body, v)
}

// noFields checks the body of a route that takes none: it may be left
// out or be {} (or null, which some clients send for no body), and
// anything else (malformed JSON, a field) is refused as decode refuses
// it, before the route does anything.
func noFields(r *http.Request) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if b := bytes.TrimSpace(body); len(b) == 0 || string(b) == "null" {
		return nil
	}
	return decodeBody(body, &struct{}{})
}

// decodeFast is decode with a fast path: fast decodes a body of the
// common shape itself (into v, or what v is copied from) and reports
// whether it did; a body it does not recognise is decoded as decode does,
// with decode's errors.
func decodeFast(r *http.Request, v any, fast func([]byte) bool) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if fast(body) {
		return nil
	}
	return decodeSlow(body, v)
}

// decodeSlow is decodeFast's way for a body its fast path did not
// recognise.
func decodeSlow(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return hookd.Errorf(hookd.EINVALID, "the request body is empty: this route takes a JSON object")
	}
	return decodeBody(body, v)
}

// readBody reads the request body whole. The buffer is sized from
// Content-Length when the client sends one (up to 1 MiB: a larger body
// grows it as it arrives), so a publish is read in one allocation; the
// body's limit is the reader's (http.MaxBytesReader), whatever the header
// says. A body over it is an *http.MaxBytesError, with what was read of it.
func readBody(r *http.Request) ([]byte, error) {
	var body []byte
	var err error
	if n := r.ContentLength; n > 0 && n < 1<<20 {
		body, err = readAll(r.Body, make([]byte, 0, n+1))
	} else {
		body, err = io.ReadAll(r.Body)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return body, err
		}
		return nil, hookd.Errorf(hookd.EINVALID, "cannot read the request body")
	}
	return body, nil
}

// readAll is io.ReadAll into b's spare capacity, growing it as needed.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

func decodeBody(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, body, v)
	}
	if dec.More() {
		return hookd.Errorf(hookd.EINVALID, "malformed JSON body: data after the JSON value")
	}
	return checkJSON(body, v)
}

// decodeError translates an error of encoding/json into the API's words.
func decodeError(err error, body []byte, v any) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return hookd.Errorf(hookd.EINVALID, "malformed JSON body at byte %d: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return hookd.Errorf(hookd.EINVALID, "malformed JSON body: it ends before the JSON value does")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return hookd.Errorf(hookd.EINVALID, "the request body must be a JSON object, not %s", jsonValue(typ.Value))
		}
		return hookd.FieldErrorf(hookd.EINVALID, typ.Field, "type", "%s must be %s, not %s", typ.Field, expected(typ.Type), jsonValue(typ.Value))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return hookd.FieldErrorf(hookd.EINVALID, strings.Trim(name, `"`), "unknown_field", "unknown field %s", name)
	}
	// The error came from a field's own decoder (a duration, a time),
	// which does not know the field's name: find the field that fails.
	field, ft := failingField(body, reflect.TypeOf(v))
	fail := func(rule, format string, args ...any) error {
		if field == "" {
			return hookd.Errorf(hookd.EINVALID, format, append([]any{"a field"}, args...)...)
		}
		return hookd.FieldErrorf(hookd.EINVALID, field, rule, format, append([]any{field}, args...)...)
	}
	var he *hookd.Error
	var pe *time.ParseError
	switch {
	case errors.As(err, &he):
		return fail("format", "%s: %s", he.Message)
	case errors.As(err, &pe) || strings.HasPrefix(err.Error(), "Time.") || isTime(ft):
		return fail("format", "%s must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\"")
	}
	return fail("format", "%s has an invalid value")
}

var timeType = reflect.TypeFor[time.Time]()

func isTime(t reflect.Type) bool {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t == timeType
}

// failingField returns the JSON name (with an index for an array element)
// and type of the first top-level field of struct type t whose value in
// body does not decode on its own.
func failingField(body []byte, t reflect.Type) (string, reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var fields map[string]json.RawMessage
	if t.Kind() != reflect.Struct || json.Unmarshal(body, &fields) != nil {
		return "", nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		raw, ok := fields[name]
		if !ok || json.Unmarshal(raw, reflect.New(f.Type).Interface()) == nil {
			continue
		}
		et := f.Type
		for et.Kind() == reflect.Pointer {
			et = et.Elem()
		}
		var elems []json.RawMessage
		if et.Kind() == reflect.Slice && json.Unmarshal(raw, &elems) == nil {
			for j, e := range elems {
				if json.Unmarshal(e, reflect.New(et.Elem()).Interface()) != nil {
					return fmt.Sprintf("%s[%d]", name, j), et.Elem()
				}
			}
		}
		return name, f.Type
	}
	return "", nil
}

// expected names what a Go type accepts in JSON terms.
func expected(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another JSON value"
}

// jsonValue names a JSON value as encoding/json reports it ("array",
// "number 1.5").
func jsonValue(v string) string {
	switch kind, rest, _ := strings.Cut(v, " "); kind {
	case "array", "object":
		return "an " + v
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "number":
		if rest != "" {
			return "the number " + rest
		}
		return "a number"
	}
	return v
}
