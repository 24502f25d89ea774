package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

var seeds = []string{
	`{"type":"payment.created","payload":{"id":"p1","amount":10.17}}`,
	"\t\r\n {\"a\" : [true,false,null,-0.5e+3,0,1E9,\"\\u00e9\\n\\\"\"]}  \n",
	`{"é":"ü","s":"\u2028<>&","bad":"` + "\xff\xfe" + `"}`,
	`{}`, ` `, ``, `[]`, `[1,]`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":-}`, `{"a":1e}`, `{"a":"\x"}`,
	`{"a":"\u12"}`, `{"a":tru}`, `{"a" 1}`, `{"a":1}}`, `{"a":1} x`, "\"a\tb\"", `0`, `-0`, `-`, `1.5e-3`,
	`"\ud800"`, "\"\x7f\"", `nul`, `[1 2]`, `{"a"}`, `"` + strings.Repeat("x", 70) + `\"` + strings.Repeat("y", 9) + `"`,
}

// FuzzValid: Valid accepts exactly what json.Valid accepts.
func FuzzValid(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

// TestValidDepth: nesting is limited as encoding/json limits it.
func TestValidDepth(t *testing.T) {
	for _, n := range []int{MaxDepth - 1, MaxDepth, MaxDepth + 1} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		if Valid(b) != json.Valid(b) {
			t.Errorf("depth %d: Valid %v, json.Valid %v", n, Valid(b), json.Valid(b))
		}
		o := []byte(strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n))
		if Valid(o) != json.Valid(o) {
			t.Errorf("object depth %d: Valid %v, json.Valid %v", n, Valid(o), json.Valid(o))
		}
	}
}

// TestPlainString: the strings that need no decoding, and those that do.
func TestPlainString(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`"abc"`, "abc", true}, {`"é ☕"`, "é ☕", true}, {`""`, "", true}, {`"a\"b"`, "", false},
		{"\"a\x01\"", "", false}, {"\"a\xff\"", "", false}, {`"abc`, "", false},
		{`"` + strings.Repeat("x", 20) + `"`, strings.Repeat("x", 20), true},
	} {
		got, end, ok := PlainString([]byte(c.in), 0)
		if ok != c.ok || got != c.want || ok && end != len(c.in) {
			t.Errorf("PlainString(%q) = %q, %d, %v; want %q, %v", c.in, got, end, ok, c.want, c.ok)
		}
		var v string
		if ok && (json.Unmarshal([]byte(c.in), &v) != nil || v != got) {
			t.Errorf("PlainString(%q) = %q, json.Unmarshal %q", c.in, got, v)
		}
	}
}

// FuzzDecode: what Decode decodes, encoding/json decodes (a Decoder with
// UseNumber, into an any) to the same value; what encoding/json refuses,
// Decode does not decode.
func FuzzDecode(f *testing.F) {
	for _, s := range append(seeds, `{"a":1,"a":[2,{"b":null}]}`, `[[],{},"",-1.5E+2]`, `{"k":"v"} `) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, ok := Decode(b)
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		var want any
		err := d.Decode(&want)
		if err == nil {
			if _, terr := d.Token(); terr != io.EOF {
				err = errors.New("data after the value")
			}
		}
		switch {
		case ok && err != nil:
			t.Fatalf("Decode(%q) = %#v, encoding/json: %v", b, got, err)
		case ok && !reflect.DeepEqual(got, want):
			t.Fatalf("Decode(%q) = %#v, encoding/json %#v", b, got, want)
		case !ok && err == nil && Valid(b) && !strings.Contains(string(b), `\`) && utf8.Valid(b):
			t.Fatalf("Decode(%q) gave up on valid JSON without escapes or bad UTF-8", b)
		}
	})
}

// FuzzValueUTF8: ValueUTF8 accepts exactly the JSON values json.Valid
// accepts whose bytes are UTF-8 (outside strings, JSON is ASCII: the
// bytes that are not are a string's).
func FuzzValueUTF8(f *testing.F) {
	for _, s := range append(seeds, `{"k`+"\xc3"+`":1}`, `["`+"\xe2\x82"+`"]`, `"`+strings.Repeat("é", 9)+"\xff"+`"`, `"\u00e9\`+"\xff"+`"`) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		i, ok := ValueUTF8(b, SkipSpace(b, 0), 0)
		got := ok && SkipSpace(b, i) == len(b)
		if want := json.Valid(b) && utf8.Valid(b); got != want {
			t.Fatalf("ValueUTF8(%q) = %v, want %v", b, got, want)
		}
		if got != Valid(b) && utf8.Valid(b) {
			t.Fatalf("ValueUTF8(%q) = %v, Value %v on UTF-8", b, got, Valid(b))
		}
	})
}

// TestPathAt: the path of the value (or the key) that holds a byte.
func TestPathAt(t *testing.T) {
	doc := `{"type":"a.b", "payload":{"note":"x` + "\xff" + `","list":[1,{"k` + "\xfe" + `y":2},"z` + "\xfd" + `"],"a-b":{"":"` + "\xfc" + `"}},` +
		`"ty\u0070e":"` + "\xfb" + `"}`
	for _, c := range []struct {
		bad   byte
		path  string
		inKey bool
	}{
		{0xff, "$.payload.note", false},
		{0xfe, "$.payload.list[1]", true},
		{0xfd, "$.payload.list[2]", false},
		{0xfc, `$.payload["a-b"][""]`, false},
		{0xfb, "$.type", false},
	} {
		off := strings.IndexByte(doc, c.bad)
		if path, inKey := PathAt([]byte(doc), off); path != c.path || inKey != c.inKey {
			t.Errorf("PathAt(byte %d, %#x) = %s, %v; want %s, %v", off, c.bad, path, inKey, c.path, c.inKey)
		}
	}
	if path, _ := PathAt([]byte(doc), 0); path != "$" {
		t.Errorf("PathAt(0) = %s, want $", path)
	}
}

// FuzzPathAt: on any valid JSON, PathAt answers a path for every byte.
func FuzzPathAt(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s), 3)
	}
	f.Fuzz(func(t *testing.T, b []byte, off int) {
		if !json.Valid(b) || len(b) == 0 {
			return
		}
		off = (off%len(b) + len(b)) % len(b)
		if path, _ := PathAt(b, off); !strings.HasPrefix(path, "$") {
			t.Fatalf("PathAt(%q, %d) = %q", b, off, path)
		}
	})
}
