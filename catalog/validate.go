package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/internal/jsonscan"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// MaxDetails bounds the details of one validation error: a payload with
// ten thousand bad array items must not produce a ten-thousand-line answer.
// When there are more, the last detail (with no path) counts the rest.
const MaxDetails = 50

// Validate checks payload, the raw JSON bytes a publisher sent, against the
// schema of t. Invalid JSON is EINVALID. A payload that is JSON but does not
// match is EUNPROCESSABLE with one detail per violation:
//
//   - Path is where in the payload, as "$.payload.status",
//     "$.payload.bank_details.name" or "$.payload.permissions[2]"; a key that
//     is not a plain identifier is written ["like this"].
//   - Rule is the JSON Schema keyword that failed: "required", "enum",
//     "type", "pattern", "const", "format", "oneOf", ...
//   - Message says what is wrong, for a human.
//
// A missing required property is reported at the path of the property
// itself ("$.payload.customer_id", rule "required"), one detail per missing
// property, so that a client can attach every detail to the field it is
// about, as it does for the other rules.
//
// For a oneOf or anyOf that no alternative matches, one detail with rule
// "oneOf" ("anyOf") at the value's path says so, followed by the violations
// of the closest alternative only: listing every alternative's failures
// buries the one the publisher meant under the ones it did not.
//
// Numbers must fit a 64-bit float (at most 100 characters, exponent within
// ±400): others get rule "number". Receivers could not parse them, and the
// validator's exact arithmetic would spend seconds on a payload of 1e999999s.
//
// t is normally a type from this catalog, whose schema was compiled once in
// New or Add. A type the catalog does not hold (or holds with a different
// schema) is compiled on every call: correct, but slow.
func (c *Catalog) Validate(t *hookd.EventType, payload []byte) error {
	_, err := c.check(t, payload, false)
	return err
}

// ValidateWarn is Validate that also returns warnings: a payload that Validate
// accepts may still hold values outside a field's known values (schema
// keyword KnownValues, "x-extensible-enum"). They are accepted, as SPEC
// asks of unknown enum values, and each is one warning with the Path of the
// value, Rule "x-extensible-enum" and a Message naming the known values;
// sorted and bounded as errors' details are.
func (c *Catalog) ValidateWarn(t *hookd.EventType, payload []byte) (warnings []hookd.Detail, err error) {
	return c.check(t, payload, true)
}

func (c *Catalog) check(t *hookd.EventType, payload []byte, warn bool) ([]hookd.Detail, error) {
	if t == nil {
		return nil, hookd.Errorf(hookd.EINVALID, "event type is missing")
	}
	e := c.state.Load().byName[t.Name]
	// bytes.Equal returns at once when both slices share their bytes, which
	// they do for a type obtained from this catalog.
	if e == nil || !bytes.Equal(e.t.Schema, t.Schema) {
		e = &entry{t: *t}
		if len(bytes.TrimSpace(t.Schema)) > 0 {
			if err := e.compile(newCompiler()); err != nil {
				return nil, err
			}
		}
	}
	return e.validate(payload, warn)
}

// validate checks payload and, if warn is set and it passes, looks for
// values outside the known ones.
func (e *entry) validate(payload []byte, warn bool) ([]hookd.Detail, error) {
	v, err := e.decode(payload)
	if err != nil {
		return nil, err
	}
	if !warn || e.known == nil {
		return nil, e.check(v)
	}
	var verr *jsonschema.ValidationError
	if e.knownFirst {
		// Passing the strict twin passes the schema (knownMonotone): one
		// validation, not two, for a payload of known values.
		verr, err = e.runWith(e.known, v)
		if err == nil && verr == nil {
			return nil, nil
		}
	}
	if err := e.check(v); err != nil {
		return nil, err
	}
	if !e.knownFirst {
		verr, err = e.runWith(e.known, v)
	}
	if err != nil || verr == nil {
		return nil, nil // a warning pass never refuses what was accepted
	}
	// The strict twin fails only where a value is outside its known
	// values. Inside a oneOf, the walk follows the closest alternative, the
	// one the payload matched; other failures are not warnings.
	f := flattener{root: v, printer: message.NewPrinter(language.English), known: true}
	var out []hookd.Detail
	for _, d := range f.walk(verr) {
		if d.Rule == KnownValues {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return finish(out), nil
}

// decode parses a payload for validation. Numbers stay exact
// (json.Number); numbers a 64-bit float cannot hold are refused, with a
// detail each.
func (e *entry) decode(payload []byte) (any, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "payload", "required", "payload is empty: it must be a JSON value")
	}
	// Numbers stay json.Numbers (UseNumber, inside UnmarshalJSON), exact: a
	// float64 would round large integers and make "integer" and
	// "multipleOf" lie. jsonscan.Decode gives the same value in one pass
	// and without reflection for most payloads, and leaves the rest (and
	// every error) to encoding/json.
	v, ok := jsonscan.Decode(payload)
	if !ok {
		var err error
		if v, err = jsonschema.UnmarshalJSON(bytes.NewReader(payload)); err != nil {
			// The parser's message (what, and at which offset) is the useful
			// part for the publisher, so it goes into Message, not Err.
			return nil, hookd.FieldErrorf(hookd.EINVALID, "payload", "json", "payload is not valid JSON: %v", err)
		}
	}
	if hasBadNumber(v) {
		// Checked before the schema: the validator turns numbers into
		// big.Rat, where 1e999999 costs tens of milliseconds and 1e9999999
		// makes it panic.
		f := flattener{root: v}
		return nil, &hookd.Error{
			Code:    hookd.EUNPROCESSABLE,
			Message: "payload does not match the schema of " + e.t.Name,
			Details: finish(f.numbers(v, make([]string, 0, 8), nil)),
		}
	}
	return v, nil
}

// check validates a decoded payload against the schema.
func (e *entry) check(v any) error {
	if e.schema == nil {
		return nil
	}
	verr, err := e.run(v)
	if err != nil || verr == nil {
		return err
	}
	f := flattener{root: v, printer: message.NewPrinter(language.English)}
	details := f.walk(verr)
	if len(details) == 0 {
		return nil
	}
	return &hookd.Error{
		Code:    hookd.EUNPROCESSABLE,
		Message: "payload does not match the schema of " + e.t.Name,
		Details: finish(details),
	}
}

// finish orders and bounds details. Properties are visited in map order:
// sorting by path gives the same payload the same answer every time. The
// sort is stable, so that a oneOf summary stays ahead of what it
// summarises.
func finish(details []hookd.Detail) []hookd.Detail {
	slices.SortStableFunc(details, func(a, b hookd.Detail) int { return strings.Compare(a.Path, b.Path) })
	if len(details) > MaxDetails {
		more := len(details) - (MaxDetails - 1)
		details = append(details[:MaxDetails-1], hookd.Detail{Message: fmt.Sprintf("%d more violations not listed", more)})
	}
	return details
}

// run validates v, turning a panic of the validator into an error: a
// payload must never take the publishing process down.
func (e *entry) run(v any) (verr *jsonschema.ValidationError, err error) {
	return e.runWith(e.schema, v)
}

func (e *entry) runWith(sch *jsonschema.Schema, v any) (verr *jsonschema.ValidationError, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &hookd.Error{Code: hookd.EINTERNAL, Message: "validating the payload of " + e.t.Name + " failed",
				Err: fmt.Errorf("schema validator panicked: %v", p)}
		}
	}()
	err = sch.Validate(v)
	if err == nil {
		return nil, nil
	}
	if errors.As(err, &verr) {
		return verr, nil
	}
	return nil, &hookd.Error{Code: hookd.EINTERNAL, Message: "validating the payload of " + e.t.Name + " failed", Err: err}
}

// Limits on JSON numbers. Real payloads need at most ~25 characters and
// exponents within a float64's (about ±308); the limits leave room and keep
// the validator's exact arithmetic cheap.
const (
	maxNumberLen      = 100
	maxNumberExponent = 400
)

// numberProblem says why hookd refuses a JSON number, or "" if it does not.
// The rule, "numbers fit a 64-bit float", is also what receivers can parse.
func numberProblem(s string) string {
	if len(s) > maxNumberLen {
		return fmt.Sprintf("number has more than %d characters", maxNumberLen)
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp > maxNumberExponent || exp < -maxNumberExponent {
			return "number is out of the range of a 64-bit float"
		}
	}
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return "number is out of the range of a 64-bit float"
	}
	return ""
}

// hasBadNumber reports whether v holds a number that numberProblem refuses.
// It allocates nothing: it runs on every publish.
func hasBadNumber(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return numberProblem(string(x)) != ""
	case map[string]any:
		for _, c := range x {
			if hasBadNumber(c) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if hasBadNumber(c) {
				return true
			}
		}
	}
	return false
}

// numbers returns a detail for every refused number under v at loc.
func (f *flattener) numbers(v any, loc []string, out []hookd.Detail) []hookd.Detail {
	switch x := v.(type) {
	case json.Number:
		if msg := numberProblem(string(x)); msg != "" {
			out = append(out, hookd.Detail{Path: f.path(loc), Rule: "number", Message: msg})
		}
	case map[string]any:
		for k, c := range x {
			out = f.numbers(c, append(loc, k), out)
		}
	case []any:
		for i, c := range x {
			out = f.numbers(c, append(loc, strconv.Itoa(i)), out)
		}
	}
	return out
}

// flattener turns the library's error tree into hookd's flat details.
type flattener struct {
	root    any    // the decoded document, to tell array indexes from object keys
	prefix  string // what paths start with; "" means "$.payload"
	printer *message.Printer
	known   bool // walking the strict twin: an enum failure is a value outside the known ones
}

func (f *flattener) walk(ve *jsonschema.ValidationError) []hookd.Detail {
	switch k := ve.ErrorKind.(type) {
	case *kind.Schema, *kind.Group, *kind.Reference, *kind.AllOf:
		// Containers: the violations are their causes.
		if len(ve.Causes) > 0 {
			var out []hookd.Detail
			for _, c := range ve.Causes {
				out = append(out, f.walk(c)...)
			}
			return out
		}
	case *kind.OneOf:
		if len(k.Subschemas) > 0 {
			return []hookd.Detail{{
				Path: f.path(ve.InstanceLocation),
				Rule: "oneOf",
				Message: fmt.Sprintf("value matches more than one of the allowed alternatives (#%d and #%d): it must match exactly one",
					k.Subschemas[0]+1, k.Subschemas[1]+1),
			}}
		}
		return f.alternatives(ve, "oneOf")
	case *kind.AnyOf:
		return f.alternatives(ve, "anyOf")
	case *kind.Required:
		out := make([]hookd.Detail, len(k.Missing))
		for i, m := range k.Missing {
			out[i] = hookd.Detail{Path: f.path(append(slices.Clone(ve.InstanceLocation), m)), Rule: "required",
				Message: fmt.Sprintf("missing required property %q", m)}
		}
		return out
	case *kind.DependentRequired:
		out := make([]hookd.Detail, len(k.Missing))
		for i, m := range k.Missing {
			out[i] = hookd.Detail{Path: f.path(append(slices.Clone(ve.InstanceLocation), m)), Rule: "dependentRequired",
				Message: fmt.Sprintf("property %q is required when %q is present", m, k.Prop)}
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]hookd.Detail, len(k.Properties))
		for i, p := range k.Properties {
			out[i] = hookd.Detail{Path: f.path(append(slices.Clone(ve.InstanceLocation), p)), Rule: "additionalProperties",
				Message: fmt.Sprintf("property %q is not allowed", p)}
		}
		return out
	case *kind.Enum:
		if f.known {
			return []hookd.Detail{{Path: f.path(ve.InstanceLocation), Rule: KnownValues,
				Message: fmt.Sprintf("%s is not one of the known values %s: accepted, but receivers may not expect it",
					jsonText(k.Got), jsonList(k.Want))}}
		}
	case *kind.Not:
		return []hookd.Detail{{Path: f.path(ve.InstanceLocation), Rule: "not",
			Message: "value matches a schema it must not match"}}
	}
	return []hookd.Detail{{
		Path:    f.path(ve.InstanceLocation),
		Rule:    ruleOf(ve.ErrorKind),
		Message: ve.ErrorKind.LocalizedString(f.printer),
	}}
}

// alternatives reports a oneOf/anyOf that no alternative matched: one
// summary detail, then the violations of the closest alternative. Closest
// means, in order: fewest "const"/"not" failures (those are how
// alternatives tell themselves apart, e.g. Weavr's status values, so
// failing one says "not this alternative"), then fewest missing required
// properties (a different shape), then fewest violations, then first.
func (f *flattener) alternatives(ve *jsonschema.ValidationError, rule string) []hookd.Detail {
	type score struct{ discr, required, total int }
	best, bestScore := -1, score{}
	var bestDetails []hookd.Detail
	for i, c := range ve.Causes {
		d := f.walk(c)
		var s score
		for _, x := range d {
			switch x.Rule {
			case "const", "not":
				s.discr++
			case "required":
				s.required++
			}
		}
		s.total = len(d)
		if best < 0 || s.discr < bestScore.discr ||
			s.discr == bestScore.discr && (s.required < bestScore.required ||
				s.required == bestScore.required && s.total < bestScore.total) {
			best, bestScore, bestDetails = i, s, d
		}
	}
	summary := hookd.Detail{Path: f.path(ve.InstanceLocation), Rule: rule}
	if best < 0 {
		summary.Message = "value matches none of the allowed alternatives"
		return []hookd.Detail{summary}
	}
	summary.Message = fmt.Sprintf("value matches none of the %d allowed alternatives; the closest is #%d, which fails as listed",
		len(ve.Causes), best+1)
	return append([]hookd.Detail{summary}, bestDetails...)
}

// ruleOf names the keyword behind an error kind.
func ruleOf(k jsonschema.ErrorKind) string {
	switch k.(type) {
	case *kind.FalseSchema:
		return "false"
	case *kind.InvalidJsonValue:
		return "type"
	case *kind.Dependency:
		return "dependencies"
	}
	if p := k.KeywordPath(); len(p) > 0 {
		return p[0]
	}
	return "schema"
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// path writes an instance location as "$.payload.a.b[2]". The payload is
// walked alongside, because the library gives array indexes and object keys
// alike as strings and {"2": ...} is not [.., .., ...].
func (f *flattener) path(loc []string) string {
	var b strings.Builder
	if f.prefix == "" {
		b.WriteString("$.payload")
	} else {
		b.WriteString(f.prefix)
	}
	v := f.root
	for _, tok := range loc {
		switch x := v.(type) {
		case []any:
			b.WriteString("[" + tok + "]")
			v = nil
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(x) {
				v = x[i]
			}
			continue
		case map[string]any:
			v = x[tok]
		default:
			v = nil
		}
		if plainKey.MatchString(tok) {
			b.WriteString("." + tok)
		} else {
			b.WriteString("[" + strconv.Quote(tok) + "]")
		}
	}
	return b.String()
}

// jsonText writes a decoded JSON value back as JSON, for messages.
func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// jsonList writes values as JSON, comma-separated.
func jsonList(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = jsonText(v)
	}
	return strings.Join(parts, ", ")
}
