// Package catalog is hookd's catalog of event types: the built-in types of
// the three seed providers (Lean, Link Money, Weavr) and hookd's own
// operational types (hookd.OperationalTypes, provider "hookd"), embedded as
// data files, plus the custom types an operator registers, each with a JSON
// Schema that published payloads are validated against.
//
// Schemas use JSON Schema draft 2020-12 unless they declare another draft
// with "$schema". Unlike the draft's default, "format" is asserted: a
// "date-time" that is not a date-time is refused, because that is what a
// schema author writing "format" means in practice. Schemas may only $ref
// into themselves: nothing is loaded from files or the network.
//
// Built-in names are the providers' wire types ("entity.created",
// "linkedAccountWatch"). A wire type that two providers define is qualified
// with the provider ("lean:payment.created", "linkmoney:payment.created");
// see Resolve for how publishers may still write the short form.
package catalog

import (
	"bytes"
	"cmp"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hookd/hookd"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// data holds one JSON file per provider, named after the provider.
//
//go:embed lean.json linkmoney.json weavr.json hookd.json
var data embed.FS

// Provider names as used in EventType.Provider and in qualified names.
const (
	ProviderLean      = "lean"
	ProviderLinkMoney = "linkmoney"
	ProviderWeavr     = "weavr"
	// ProviderHookd is the provider of hookd's operational types
	// (hookd.endpoint.disabled): hookd publishes them itself, tenants
	// subscribe to them. It is no wire format and qualifies no name.
	ProviderHookd = hookd.OperationalProvider
)

// providers lists the embedded files of the providers in a fixed order, so
// that errors and "did you mean" lists read the same on every run.
var providers = []string{ProviderLean, ProviderLinkMoney, ProviderWeavr}

// MaxNameLen bounds a custom type's name.
const MaxNameLen = 128

var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Catalog holds the built-in event types plus the custom ones. Make one with
// New; the zero value is not usable. It is safe for concurrent use. Reads (Lookup, Resolve, Validate: the publish hot path) are
// lock-free: they load an immutable snapshot, and Add publishes a new one.
type Catalog struct {
	mu    sync.Mutex // serialises writers; readers never take it
	state atomic.Pointer[snapshot]
}

// snapshot is one immutable version of the catalog. Add copies it; nothing
// mutates a snapshot once it is published.
type snapshot struct {
	byName map[string]*entry
	// byWire maps a wire type to every type that has it: one for most, two
	// for "payment.created" (Lean and Link Money).
	byWire map[string][]*entry
	sorted []*entry // by Name
}

// entry is a type with its compiled schema. t is never handed out: callers
// get copies so they cannot change the catalog behind its back.
type entry struct {
	t      hookd.EventType
	schema *jsonschema.Schema // nil: no schema, any JSON value is accepted
	// known is schema with every x-extensible-enum turned into an enum:
	// a payload that passes schema but fails known has values outside the
	// known ones, which ValidateWarn reports as warnings. nil when the schema
	// names no known values.
	known *jsonschema.Schema
	// knownFirst: every enum the twin adds is in a place where a
	// stricter schema can only make the whole stricter (knownMonotone),
	// so a payload that passes known passes schema, and ValidateWarn
	// runs known alone for the payloads that pass it (most do).
	knownFirst bool
}

// builtin is the shape of one element of an embedded data file.
type builtin struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Message     string          `json:"message,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	Example     json.RawMessage `json:"example"`
}

// New loads the embedded catalog and compiles every schema, so that Validate
// never compiles on the publish path. An error means the embedded data is
// broken (a schema that does not compile, an example that does not validate,
// a duplicate): a bug of this package, reported rather than hidden.
func New() (*Catalog, error) {
	type loaded struct {
		provider string
		b        builtin
	}
	var all []loaded
	for _, p := range append(slices.Clone(providers), ProviderHookd) {
		raw, err := data.ReadFile(p + ".json")
		if err != nil {
			return nil, fmt.Errorf("catalog: %w", err)
		}
		var list []builtin
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields() // a misspelt key in a data file is a bug
		if err := dec.Decode(&list); err != nil {
			return nil, fmt.Errorf("catalog: %s.json: %w", p, err)
		}
		for _, b := range list {
			// The operational types are hookd.OperationalTypes, each
			// described once; no provider's type poses as one.
			if (p == ProviderHookd) != slices.Contains(hookd.OperationalTypes, b.Name) || strings.HasPrefix(b.Name, hookd.OperationalPrefix) != (p == ProviderHookd) {
				return nil, fmt.Errorf("catalog: %s.json: %q: hookd.json, and only it, describes hookd.OperationalTypes, the names under %q", p, b.Name, hookd.OperationalPrefix)
			}
			all = append(all, loaded{p, b})
		}
	}
	for _, name := range hookd.OperationalTypes {
		if !slices.ContainsFunc(all, func(l loaded) bool { return l.b.Name == name }) {
			return nil, fmt.Errorf("catalog: hookd.json lacks the operational type %q", name)
		}
	}

	// Qualify every wire type that more than one provider defines. Found by
	// counting rather than listed by hand, so a future collision is handled
	// the same way as payment.created.
	providersOf := map[string]map[string]bool{}
	for _, l := range all {
		if providersOf[l.b.Name] == nil {
			providersOf[l.b.Name] = map[string]bool{}
		}
		if providersOf[l.b.Name][l.provider] {
			return nil, fmt.Errorf("catalog: %s.json defines %q twice", l.provider, l.b.Name)
		}
		providersOf[l.b.Name][l.provider] = true
	}

	c := &Catalog{}
	s := &snapshot{byName: map[string]*entry{}, byWire: map[string][]*entry{}}
	comp := newCompiler()
	for _, l := range all {
		if strings.ContainsRune(l.b.Name, ':') || l.b.Name == "" {
			return nil, fmt.Errorf("catalog: %s.json: bad name %q", l.provider, l.b.Name)
		}
		name := l.b.Name
		if len(providersOf[name]) > 1 {
			name = l.provider + ":" + name
		}
		e := &entry{t: hookd.EventType{
			Name:        name,
			Provider:    l.provider,
			Description: l.b.Description,
			Schema:      l.b.Schema,
			Example:     l.b.Example,
			Message:     l.b.Message,
		}}
		if err := e.compile(comp); err != nil {
			return nil, fmt.Errorf("catalog: %w", describe(err))
		}
		if len(l.b.Example) > 0 {
			if _, err := e.validate(l.b.Example, false); err != nil {
				return nil, fmt.Errorf("catalog: example of %s: %w", name, describe(err))
			}
		}
		s.add(e)
	}
	s.sort()
	c.state.Store(s)
	return c, nil
}

func (s *snapshot) add(e *entry) {
	s.byName[e.t.Name] = e
	w := hookd.WireType(e.t.Name)
	s.byWire[w] = append(s.byWire[w], e)
	s.sorted = append(s.sorted, e)
}

func (s *snapshot) sort() {
	slices.SortFunc(s.sorted, func(a, b *entry) int { return strings.Compare(a.t.Name, b.t.Name) })
}

// clone returns a copy that Add may change before publishing it. Entries are
// shared: they are immutable.
func (s *snapshot) clone() *snapshot {
	n := &snapshot{
		byName: maps.Clone(s.byName),
		byWire: make(map[string][]*entry, len(s.byWire)+1),
		sorted: slices.Clone(s.sorted),
	}
	for k, v := range s.byWire {
		n.byWire[k] = slices.Clone(v)
	}
	return n
}

// Types returns every type, built-in and custom, sorted by Name. The
// returned values are copies; their Schema and Example bytes must not be
// modified.
func (c *Catalog) Types() []*hookd.EventType {
	s := c.state.Load()
	out := make([]*hookd.EventType, len(s.sorted))
	for i, e := range s.sorted {
		t := e.t
		out[i] = &t
	}
	return out
}

// HasWire reports whether any type, built-in or custom, goes on the wire
// as wire (its Name without a provider's qualifier). It copies nothing: a
// publish of an unknown type asks it every time.
func (c *Catalog) HasWire(wire string) bool {
	return len(c.state.Load().byWire[wire]) > 0
}

// Lookup returns the type with exactly this Name (qualified for the types
// two providers share), as a copy.
func (c *Catalog) Lookup(name string) (*hookd.EventType, bool) {
	e, ok := c.state.Load().byName[name]
	if !ok {
		return nil, false
	}
	t := e.t
	return &t, true
}

// Resolve maps what a publisher wrote to a catalog type:
//
//   - an exact Name ("entity.created", "lean:payment.created", a custom name);
//   - a qualified "provider:type", also for a type that needs no qualifier
//     ("lean:entity.created");
//   - an unqualified wire type. When two providers define it
//     ("payment.created"), prefer (a provider name, may be "") picks one;
//     without it the name is ambiguous and the error lists the qualified
//     names to use instead.
//
// An unknown or ambiguous name is an EUNPROCESSABLE error: the request is
// well-formed, the name is not usable.
func (c *Catalog) Resolve(name, prefer string) (*hookd.EventType, error) {
	s := c.state.Load()
	if e, ok := s.byName[name]; ok {
		t := e.t
		return &t, nil
	}
	if provider, wire, ok := strings.Cut(name, ":"); ok {
		for _, e := range s.byWire[wire] {
			if e.t.Provider == provider && provider != "" {
				t := e.t
				return &t, nil
			}
		}
		if !slices.Contains(providers, provider) {
			return nil, hookd.Errorf(hookd.EUNPROCESSABLE,
				"unknown event type %q: %q is not a provider (use %s)", name, provider, strings.Join(providers, ", "))
		}
		return nil, hookd.Errorf(hookd.EUNPROCESSABLE, "unknown event type %q: %s defines no type %q", name, provider, wire)
	}
	cands := s.byWire[name]
	switch len(cands) {
	case 0:
		return nil, hookd.Errorf(hookd.EUNPROCESSABLE, "unknown event type %q", name)
	case 1:
		t := cands[0].t
		return &t, nil
	}
	for _, e := range cands {
		if prefer != "" && e.t.Provider == prefer {
			t := e.t
			return &t, nil
		}
	}
	names := make([]string, len(cands))
	for i, e := range cands {
		names[i] = e.t.Name
	}
	slices.Sort(names)
	return nil, hookd.Errorf(hookd.EUNPROCESSABLE,
		"event type %q is ambiguous: qualify it with its provider, as one of %s", name, strings.Join(names, ", "))
}

// Add registers a custom type. It is stored as a copy with Custom set and
// Provider cleared. The name must be 1-128 characters of [A-Za-z0-9._-] (no
// ':', which qualifies provider types), not "." or ".." alone, and must be neither an existing name
// nor a built-in wire type (a custom "payment.created" would make the
// provider types unreachable by their short name): ECONFLICT. The schema,
// if any, must compile (else EINVALID with the compiler's message), and the
// example, if any, must validate against it (else EINVALID with the
// violations as details).
func (c *Catalog) Add(t *hookd.EventType) error {
	e, err := newEntry(t)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.state.Load()
	if err := s.clash(e.t.Name); err != nil {
		return err
	}
	n := s.clone()
	n.add(e)
	n.sort()
	c.state.Store(n)
	return nil
}

// AddStored adds the custom types read from the store that the catalog
// lacks: all of them when a node starts, those another node registered
// since when it reads them again. It goes on past a type it cannot add,
// and reports whether it added any and the first error.
func (c *Catalog) AddStored(ts []*hookd.EventType) (added bool, err error) {
	for _, t := range ts {
		if _, ok := c.Lookup(t.Name); ok {
			continue
		}
		if e := c.Add(t); e != nil {
			err = cmp.Or(err, e)
			continue
		}
		added = true
	}
	return added, err
}

// Check reports the error Add would return for t, and adds nothing: a type
// is checked before it is stored, and added only once the store took it,
// so the catalog never holds a schema the store refused.
func (c *Catalog) Check(t *hookd.EventType) error {
	e, err := newEntry(t)
	if err != nil {
		return err
	}
	return c.state.Load().clash(e.t.Name)
}

// clash refuses a custom type's name that exists already.
func (s *snapshot) clash(name string) error {
	if _, ok := s.byName[name]; ok {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q exists already", name)
	}
	if cands := s.byWire[name]; len(cands) > 0 {
		return hookd.Errorf(hookd.ECONFLICT, "event type %q is a built-in type of %s", name, cands[0].t.Provider)
	}
	return nil
}

// newEntry checks a custom type and compiles its schema.
func newEntry(t *hookd.EventType) (*entry, error) {
	if t == nil {
		return nil, hookd.Errorf(hookd.EINVALID, "event type is missing")
	}
	// "." and ".." alone are path segments that GET /v1/event-types/{type}
	// cannot carry: clients and servers clean them away.
	if len(t.Name) > MaxNameLen || !validName.MatchString(t.Name) || t.Name == "." || t.Name == ".." {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "name", "pattern",
			"event type name %q is invalid: use 1 to %d characters of A-Z, a-z, 0-9, '.', '_' and '-', not \".\" or \"..\" alone", t.Name, MaxNameLen)
	}
	if err := hookd.CheckText("description", t.Description); err != nil {
		return nil, err
	}
	e := &entry{t: *t}
	e.t.Custom = true
	e.t.Provider = ""
	// Own copies: the caller may reuse its buffers.
	e.t.Schema = bytes.Clone(t.Schema)
	e.t.Example = bytes.Clone(t.Example)
	if len(bytes.TrimSpace(e.t.Schema)) > 0 {
		// A fresh compiler per type: compilers are not safe for concurrent
		// use, and one type's resources must not leak into another's.
		if err := e.compile(newCompiler()); err != nil {
			return nil, err
		}
	} else {
		e.t.Schema = nil
	}
	if len(bytes.TrimSpace(e.t.Example)) > 0 {
		if _, err := e.validate(e.t.Example, false); err != nil {
			var he *hookd.Error
			switch {
			case !errors.As(err, &he):
				return nil, err
			case he.Code == hookd.EUNPROCESSABLE:
				// The example is part of the request: a bad one makes a bad
				// request (EINVALID), not a refused payload.
				// Its details say where in the request: the example, not
				// a payload.
				details := make([]hookd.Detail, len(he.Details))
				for i, d := range he.Details {
					if rest, ok := strings.CutPrefix(d.Path, "$.payload"); ok {
						d.Path = "$.example" + rest
					}
					details[i] = d
				}
				return nil, &hookd.Error{Code: hookd.EINVALID,
					Message: "example of " + e.t.Name + " does not match its schema", Details: details}
			default:
				return nil, hookd.FieldErrorf(hookd.EINVALID, "example", "schema", "example of %s: %s", e.t.Name, he.Message)
			}
		}
	} else {
		e.t.Example = nil
	}
	return e, nil
}

// Message returns the sentence of Lean's envelope "message" field for a
// wire type ("entity.created" -> "An entity object has been created."). A
// qualified name is accepted too. Types without a sentence of their own get
// a generic one: "A <type> event occurred."
func (c *Catalog) Message(wireType string) string {
	s := c.state.Load()
	w := hookd.WireType(wireType)
	if e, ok := s.byName[wireType]; ok && e.t.Message != "" {
		return e.t.Message
	}
	// Lean's sentence wins for a shared wire type: "message" is a field of
	// Lean's envelope, so it is Lean's wording that receivers expect.
	for _, e := range s.byWire[w] {
		if e.t.Provider == ProviderLean && e.t.Message != "" {
			return e.t.Message
		}
	}
	for _, e := range s.byWire[w] {
		if e.t.Message != "" {
			return e.t.Message
		}
	}
	return "A " + w + " event occurred."
}

// newCompiler returns a compiler set up the same way for built-in and custom
// schemas.
func newCompiler() *jsonschema.Compiler {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	// The default loader reads file:// URLs: a custom schema could otherwise
	// $ref a file of the server. Only the schema itself and the embedded
	// meta-schemas may be referenced.
	c.UseLoader(noLoader{})
	return c
}

type noLoader struct{}

func (noLoader) Load(u string) (any, error) {
	return nil, fmt.Errorf("$ref to %s: schemas may only reference themselves", u)
}

// schemaURL names a type's schema resource inside a compiler. The URL is
// never fetched.
func schemaURL(name string) string {
	return "hookd:///event-types/" + url.PathEscape(name) + ".json"
}

// compile compiles the entry's schema and, when it names known values, the
// strict twin (see entry.known).
func (e *entry) compile(c *jsonschema.Compiler) error {
	sch, err := compile(c, e.t.Name, e.t.Schema)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(e.t.Schema))
	if err != nil {
		return err // compile parsed it already
	}
	strict, found, kerr := closeKnown(doc, "$.schema")
	if kerr != nil {
		return &hookd.Error{Code: hookd.EINVALID, Message: "schema of " + e.t.Name + " is not a valid JSON Schema",
			Details: []hookd.Detail{{Path: kerr.path, Rule: KnownValues, Message: kerr.msg}}}
	}
	e.schema = sch
	if !found {
		return nil
	}
	raw, err := json.Marshal(strict)
	if err != nil {
		return err
	}
	// A compiler of its own: the strict twin has the same resource URL
	// and $ids as the schema itself.
	e.known, err = compile(newCompiler(), e.t.Name, raw)
	e.knownFirst = err == nil && knownMonotone(doc)
	return err
}

// Keywords under which a stricter subschema makes the schema stricter
// (a conjunction, an alternative of anyOf, a branch of if, what a
// property, an item or a present dependency must be), so an enum added
// below them only narrows what the whole accepts. Under the others it
// may widen it: "not", "oneOf" (one alternative fewer may leave exactly
// one), "if" (another branch chosen), "contains" (with maxContains),
// what "unevaluated…" sees after a subschema fails.
var (
	monotoneMaps   = []string{"properties", "patternProperties", "dependentSchemas", "dependencies"}
	monotoneOne    = []string{"items", "additionalItems", "additionalProperties", "then", "else"}
	monotoneArrays = []string{"items", "prefixItems", "allOf", "anyOf"}
)

// knownMonotone reports whether every KnownValues list that closeKnown
// turns into an enum in the schema doc is reached, from its root, only
// through monotone keywords: then the strict twin accepts no payload the
// schema refuses. A reference within the document ("#/$defs/x", a JSON
// pointer) is followed as if its schema stood where the reference is;
// definitions are not walked on their own (unreferenced, they validate
// nothing). Any other reference, or an $id below the root (pointers
// would then be relative to it), makes the answer false.
func knownMonotone(doc any) bool {
	type visit struct {
		ref string
		ok  bool
	}
	seen := map[visit]bool{}
	var walk func(s any, ok, root bool) bool
	walk = func(s any, ok, root bool) bool {
		m, isMap := s.(map[string]any)
		if !isMap {
			return true
		}
		if _, has := m["$id"]; has && !root {
			return false
		}
		for _, k := range []string{"$dynamicRef", "$recursiveRef"} {
			if _, has := m[k]; has {
				return false
			}
		}
		if r, has := m["$ref"]; has {
			ref, isStr := r.(string)
			if !isStr {
				return false
			}
			target, found := pointer(doc, ref)
			if !found {
				return false
			}
			if v := (visit{ref, ok}); !seen[v] {
				seen[v] = true
				if !walk(target, ok, false) {
					return false
				}
			}
		}
		if _, has := m[KnownValues]; has && !ok {
			_, hasEnum := m["enum"]
			_, hasConst := m["const"]
			if !hasEnum && !hasConst {
				return false
			}
		}
		monotone := func(k string, list []string) bool { return ok && slices.Contains(list, k) }
		for _, k := range schemaMaps {
			if k == "$defs" || k == "definitions" {
				continue
			}
			if sub, isMap := m[k].(map[string]any); isMap {
				for _, v := range sub {
					if !walk(v, monotone(k, monotoneMaps), false) {
						return false
					}
				}
			}
		}
		for _, k := range schemaOne {
			if v, isMap := m[k].(map[string]any); isMap && !walk(v, monotone(k, monotoneOne), false) {
				return false
			}
		}
		for _, k := range schemaArrays {
			if arr, isArr := m[k].([]any); isArr {
				// A oneOf whose alternatives exclude each other is an
				// anyOf: at most one matches, in the schema as in its
				// stricter twin.
				each := monotone(k, monotoneArrays) || (ok && k == "oneOf" && exclusive(doc, arr))
				for _, v := range arr {
					if !walk(v, each, false) {
						return false
					}
				}
			}
		}
		return true
	}
	return walk(doc, true, true)
}

// exclusive reports whether no value can match two of the schemas alts
// (of doc, whose references they may be), by a rule that sees it without
// validating: for each pair, a property both require whose values they
// keep apart (const, enum, or "not" an enum, of strings), one requiring a
// property the other says must be absent ("not": {"required": [...]}), or
// types that do not meet. false when it cannot tell.
func exclusive(doc any, alts []any) bool {
	shapes := make([]map[string]any, len(alts))
	for i, a := range alts {
		m, ok := a.(map[string]any)
		if r, isRef := m["$ref"].(string); ok && isRef && len(m) == 1 {
			target, _ := pointer(doc, r) // nil when it points to nothing
			m, ok = target.(map[string]any)
		}
		if !ok {
			return false
		}
		shapes[i] = m
	}
	for i := range shapes {
		for j := i + 1; j < len(shapes); j++ {
			if !apart(shapes[i], shapes[j]) {
				return false
			}
		}
	}
	return true
}

// apart is exclusive's rule for two schemas.
func apart(a, b map[string]any) bool {
	if ta, tb := stringList(a["type"]), stringList(b["type"]); ta != nil && tb != nil && !slices.ContainsFunc(ta, func(t string) bool {
		return slices.Contains(tb, t) || (t == "number" && slices.Contains(tb, "integer")) || (t == "integer" && slices.Contains(tb, "number"))
	}) {
		return true
	}
	ra, rb := stringList(a["required"]), stringList(b["required"])
	if slices.ContainsFunc(ra, absent(b)) || slices.ContainsFunc(rb, absent(a)) {
		return true
	}
	for _, p := range ra {
		if !slices.Contains(rb, p) {
			continue
		}
		inA, outA := values(a, p)
		inB, outB := values(b, p)
		switch {
		case inA != nil && inB != nil && !slices.ContainsFunc(inA, func(v string) bool { return slices.Contains(inB, v) }):
			return true
		case inA != nil && outB != nil && !slices.ContainsFunc(inA, func(v string) bool { return !slices.Contains(outB, v) }):
			return true
		case inB != nil && outA != nil && !slices.ContainsFunc(inB, func(v string) bool { return !slices.Contains(outA, v) }):
			return true
		}
	}
	return false
}

// absent returns whether s says that a property must not be there.
func absent(s map[string]any) func(string) bool {
	not, _ := s["not"].(map[string]any)
	forbidden := stringList(not["required"])
	return func(p string) bool { return len(not) == 1 && len(forbidden) == 1 && forbidden[0] == p }
}

// values returns what the schema s lets its property p be, as strings:
// in, the only values (const or enum), or out, values it may not be
// ("not": {"enum"} or {"const"}); nil for each it does not say, or says
// with anything other than strings.
func values(s map[string]any, p string) (in, out []string) {
	props, _ := s["properties"].(map[string]any)
	ps, _ := props[p].(map[string]any)
	if c, ok := ps["const"].(string); ok {
		in = []string{c}
	} else if e := stringList(ps["enum"]); e != nil {
		in = e
	}
	if not, ok := ps["not"].(map[string]any); ok && len(not) == 1 {
		if c, ok := not["const"].(string); ok {
			out = []string{c}
		} else {
			out = stringList(not["enum"])
		}
	}
	return in, out
}

// stringList returns v as a list of strings (a string alone is a list of
// one), or nil if it is anything else.
func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil
			}
			out = append(out, s)
		}
		return out
	}
	return nil
}

// pointer resolves a reference that is a JSON pointer into doc ("#",
// "#/$defs/a~1b"); false for any other reference or a pointer to nothing.
func pointer(doc any, ref string) (any, bool) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, false
	}
	frag, err := url.PathUnescape(frag)
	if err != nil || (frag != "" && !strings.HasPrefix(frag, "/")) {
		return nil, false
	}
	v := doc
	if frag == "" {
		return v, true
	}
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := v.(type) {
		case map[string]any:
			if v, ok = c[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			v = c[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// KnownValues is the schema keyword that lists a field's known values
// without closing it (the "x-extensible-enum" of Zalando's API guidelines,
// also read by OpenAPI tools): any value of the field's type is accepted,
// and one outside the list is reported as a warning with this rule. The
// providers' enums are written this way unless a document closes them
// (SPEC: tolerate unknown enum values); "enum" and "const" remain for
// values that are closed, such as the discriminators of Weavr's variants.
const KnownValues = "x-extensible-enum"

// knownError is a misuse of KnownValues in a schema.
type knownError struct{ path, msg string }

// Keywords whose value is a map from names to schemas, one schema, or an
// array of schemas: closeKnown walks only schema positions, so a property
// that happens to be called x-extensible-enum is not taken for the keyword.
var (
	schemaMaps   = []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas", "dependencies"}
	schemaOne    = []string{"items", "additionalItems", "additionalProperties", "unevaluatedProperties", "unevaluatedItems", "contains", "propertyNames", "not", "if", "then", "else", "contentSchema"}
	schemaArrays = []string{"items", "prefixItems", "allOf", "anyOf", "oneOf"}
)

// closeKnown returns a copy of the schema s in which every KnownValues list
// is also an enum (unless the schema has an enum or const of its own), and
// whether there was any.
func closeKnown(s any, path string) (any, bool, *knownError) {
	m, ok := s.(map[string]any)
	if !ok {
		return s, false, nil
	}
	out := maps.Clone(m)
	found := false
	visit := func(v any, p string) (any, *knownError) {
		c, f, err := closeKnown(v, p)
		found = found || f
		return c, err
	}
	for _, k := range schemaMaps {
		if sub, ok := m[k].(map[string]any); ok {
			n := maps.Clone(sub)
			for name, v := range sub {
				c, err := visit(v, path+"."+k+"["+strconv.Quote(name)+"]")
				if err != nil {
					return nil, false, err
				}
				n[name] = c
			}
			out[k] = n
		}
	}
	for _, k := range schemaOne {
		if v, ok := m[k].(map[string]any); ok {
			c, err := visit(v, path+"."+k)
			if err != nil {
				return nil, false, err
			}
			out[k] = c
		}
	}
	for _, k := range schemaArrays {
		if arr, ok := m[k].([]any); ok {
			n := make([]any, len(arr))
			for i, v := range arr {
				c, err := visit(v, path+"."+k+"["+strconv.Itoa(i)+"]")
				if err != nil {
					return nil, false, err
				}
				n[i] = c
			}
			out[k] = n
		}
	}
	if v, ok := m[KnownValues]; ok {
		vals, ok := v.([]any)
		if !ok || len(vals) == 0 {
			return nil, false, &knownError{path + "." + KnownValues, KnownValues + " must be a non-empty array of the known values"}
		}
		_, hasEnum := m["enum"]
		_, hasConst := m["const"]
		if !hasEnum && !hasConst {
			out["enum"] = vals
			found = true
		}
	}
	return out, found, nil
}

// compile compiles the schema of the type called name. Its errors are
// EINVALID *hookd.Errors written for the client who sent the schema.
func compile(c *jsonschema.Compiler, name string, raw json.RawMessage) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, hookd.FieldErrorf(hookd.EINVALID, "schema", "json", "schema of %s is not valid JSON: %v", name, err)
	}
	loc := schemaURL(name)
	if err := c.AddResource(loc, doc); err != nil {
		return nil, &hookd.Error{Code: hookd.EINVALID, Message: "schema of " + name + " cannot be used", Err: err}
	}
	sch, err := c.Compile(loc)
	if err == nil {
		return sch, nil
	}
	// Not a valid JSON Schema: say where, as Validate does for payloads,
	// with paths into the schema ("$.schema.properties.id.type").
	var se *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &se) && errors.As(se.Err, &ve) {
		f := flattener{root: doc, prefix: "$.schema", printer: message.NewPrinter(language.English)}
		return nil, &hookd.Error{Code: hookd.EINVALID,
			Message: "schema of " + name + " is not a valid JSON Schema", Details: finish(f.walk(ve))}
	}
	// Other compile errors (a $ref that does not resolve, ...) carry the
	// internal resource URL, which means nothing to the client.
	msg := strings.ReplaceAll(err.Error(), loc, "")
	return nil, hookd.FieldErrorf(hookd.EINVALID, "schema", "compile", "schema of %s does not compile: %s", name, msg)
}

// describe renders a validation error of an embedded example with its
// details, for New's error.
func describe(err error) error {
	var he *hookd.Error
	if !errors.As(err, &he) || len(he.Details) == 0 {
		return err
	}
	parts := make([]string, len(he.Details))
	for i, d := range he.Details {
		parts[i] = d.Path + " (" + d.Rule + "): " + d.Message
	}
	return fmt.Errorf("%s: %s", he.Message, strings.Join(parts, "; "))
}
