package jsonscan

import (
	"encoding/json"
	"strings"
	"testing"
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
