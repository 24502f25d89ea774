package catalog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// seedDir holds copies of the seed documents, so the catalog tests need
// nothing outside the checkout; sharedSeeds is where the originals live
// when shared/ sits beside the checkout, and the copies are then checked
// against them.
const (
	seedDir     = "testdata/seeds"
	sharedSeeds = "../../shared/seeds"
)

const (
	seedLean      = "000_a9b706ef4252ded5.txt"
	seedLinkMoney = "001_aab9f4bee2e628cc.txt"
	seedWeavr     = "003_7101d96929905126.txt"
)

func newCatalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func readSeed(t *testing.T, name string) []string {
	t.Helper()
	p := filepath.Join(seedDir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		abs, _ := filepath.Abs(p)
		t.Fatalf("seed %s is missing (%v), expected at %s", name, err, abs)
	}
	if orig, err := os.ReadFile(filepath.Join(sharedSeeds, name)); err == nil && !bytes.Equal(orig, b) {
		t.Fatalf("%s differs from %s: copy the seed again", p, filepath.Join(sharedSeeds, name))
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

var (
	leanTypeLine    = regexp.MustCompile(`^\s*"type":\s*"([^"]+)"`)
	leanMessageLine = regexp.MustCompile(`^\s*"message":\s*"([^"]+)"`)
	lmEventLine     = regexp.MustCompile(`^[a-z]+(\.[a-z]+)+$`)
	weavrValueLine  = regexp.MustCompile(`^\s*Value:\s*"([A-Za-z]+)"`)
)

// seedTypes extracts every event type the seeds name, by provider.
func seedTypes(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	add := func(p, w string) {
		if !slices.Contains(out[p], w) {
			out[p] = append(out[p], w)
		}
	}
	for _, l := range readSeed(t, seedLean) {
		if m := leanTypeLine.FindStringSubmatch(l); m != nil {
			add(ProviderLean, m[1])
		}
	}
	inList := false
	for _, l := range readSeed(t, seedLinkMoney) {
		switch {
		case l == "Event Type":
			inList = true
		case l == "Response Body":
			inList = false
		case inList && lmEventLine.MatchString(l):
			add(ProviderLinkMoney, l)
		}
	}
	for _, l := range readSeed(t, seedWeavr) {
		if m := weavrValueLine.FindStringSubmatch(l); m != nil {
			add(ProviderWeavr, m[1])
		}
	}
	return out
}

func TestSeedTypesAreInCatalog(t *testing.T) {
	c := newCatalog(t)
	seeds := seedTypes(t)
	// The seed counts guard the extraction itself: a parser that finds
	// nothing would otherwise pass.
	want := map[string]int{ProviderLean: 13, ProviderLinkMoney: 16, ProviderWeavr: 2}
	for p, n := range want {
		if len(seeds[p]) != n {
			t.Errorf("seed of %s: found %d types %v, want %d", p, len(seeds[p]), seeds[p], n)
		}
	}
	have := map[string]bool{}
	for _, ty := range c.Types() {
		have[ty.Provider+" "+hookd.WireType(ty.Name)] = true
	}
	for p, wires := range seeds {
		for _, w := range wires {
			if !have[p+" "+w] {
				t.Errorf("seed type %s of %s is not in the catalog", w, p)
			}
		}
	}
}

func TestCatalogContents(t *testing.T) {
	c := newCatalog(t)
	types := c.Types()
	perProvider := map[string]int{}
	var qualified []string
	for i, ty := range types {
		perProvider[ty.Provider]++
		if i > 0 && types[i-1].Name >= ty.Name {
			t.Errorf("Types not sorted by name: %s before %s", types[i-1].Name, ty.Name)
		}
		if strings.Contains(ty.Name, ":") {
			qualified = append(qualified, ty.Name)
			if !strings.HasPrefix(ty.Name, ty.Provider+":") {
				t.Errorf("%s is qualified with another provider than %s", ty.Name, ty.Provider)
			}
		}
		if ty.Custom || ty.Description == "" || len(ty.Schema) == 0 || len(ty.Example) == 0 {
			t.Errorf("%s: want a built-in with description, schema and example: %+v", ty.Name, ty)
		}
		if (ty.Provider == ProviderLean) != (ty.Message != "") {
			t.Errorf("%s: Lean types and only they carry a message, got %q", ty.Name, ty.Message)
		}
		if got, ok := c.Lookup(ty.Name); !ok || got.Name != ty.Name {
			t.Errorf("Lookup(%s) = %v, %v", ty.Name, got, ok)
		}
	}
	want := map[string]int{ProviderLean: 24, ProviderLinkMoney: 16, ProviderWeavr: 13, ProviderHookd: len(hookd.OperationalTypes)}
	if !reflect.DeepEqual(perProvider, want) {
		t.Errorf("types per provider = %v, want %v", perProvider, want)
	}
	if want := []string{"lean:payment.created", "linkmoney:payment.created"}; !slices.Equal(qualified, want) {
		t.Errorf("qualified names = %v, want %v", qualified, want)
	}
	if _, ok := c.Lookup("payment.created"); ok {
		t.Error("Lookup(payment.created) found a type: the shared name must be qualified")
	}
	for _, extra := range []string{"entity.reconnected", "payment_intent.created", "payment_intent.expired",
		"payment_source.updated", "payment.reconciliation.updated", "bulk_payment_intent.created",
		"bulk_payment_intent.updated", "entity.data.refresh.updated", "transaction.account",
		"transaction.account.post_process", "payment.transaction",
		"buyerKYBWatch", "buyerBeneficiaryStatusWatch", "buyerActivatedWatch", "buyerDeactivatedWatch",
		"paymentRunWatch", "paymentRunPaymentWatch", "paymentRunGroupNotFunded", "sweepingWatch",
		"loginWatch", "stepupWatch", "authenticationFactorsWatch"} {
		if _, ok := c.Lookup(extra); !ok {
			t.Errorf("type %s of PROVIDERS.md is missing", extra)
		}
	}
}

// TestOperationalTypes: hookd's operational types are in the catalog,
// provider "hookd", with a description, a schema and an example, as every
// type is; the payload hookd publishes for hookd.endpoint.disabled
// (hookd.EndpointDisabledPayload) passes its schema, with and without
// failing_since and in any time zone; the example decodes into it with no
// field left over, and the schema names each of its fields.
func TestOperationalTypes(t *testing.T) {
	c := newCatalog(t)
	for _, name := range hookd.OperationalTypes {
		ty, ok := c.Lookup(name)
		if !ok {
			t.Fatalf("the operational type %s is not in the catalog", name)
		}
		if ty.Provider != ProviderHookd || ty.Custom || ty.Description == "" || len(ty.Schema) == 0 || len(ty.Example) == 0 {
			t.Errorf("%s: %+v, want provider hookd with a description, a schema and an example", name, ty)
		}
		if got, err := c.Resolve(name, ProviderLean); err != nil || got.Name != name {
			t.Errorf("Resolve(%s) = %v, %v", name, got, err)
		}
	}
	ty, _ := c.Lookup(hookd.EndpointDisabled)
	since := time.Date(2026, 1, 2, 15, 4, 5, 0, time.FixedZone("GST", 4*3600))
	for _, p := range []hookd.EndpointDisabledPayload{
		{EndpointID: "ep_1", URL: "https://hooks.acme.test/x?y=1", Reason: "the endpoint answered 410 Gone",
			DisabledAt: time.Date(2026, 1, 7, 15, 4, 5, 123456789, time.UTC), FailingSince: &since},
		{EndpointID: "ep_2", URL: "http://[::1]:8080/", Reason: "failing continuously since 2026-01-02T11:04:05Z", DisabledAt: since.UTC()},
	} {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(ty, b); err != nil {
			t.Errorf("the published payload %s: %v %+v", b, err, details(err))
		}
	}
	dec := json.NewDecoder(bytes.NewReader(ty.Example))
	dec.DisallowUnknownFields()
	var ex hookd.EndpointDisabledPayload
	if err := dec.Decode(&ex); err != nil || ex.FailingSince == nil || ex.EndpointID == "" {
		t.Errorf("the example does not decode into hookd.EndpointDisabledPayload: %+v %v", ex, err)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(ty.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	var fields []string
	st := reflect.TypeFor[hookd.EndpointDisabledPayload]()
	for i := range st.NumField() {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	if got := slices.Sorted(maps.Keys(schema.Properties)); !slices.Equal(got, slices.Sorted(slices.Values(fields))) {
		t.Errorf("the schema's properties %v, the payload's fields %v", got, fields)
	}
}

func TestExamplesValidate(t *testing.T) {
	c := newCatalog(t)
	for _, ty := range c.Types() {
		if err := c.Validate(ty, ty.Example); err != nil {
			t.Errorf("example of %s: %v %+v", ty.Name, err, details(err))
		}
	}
}

// TestLeanMessagesMatchSeed checks that every envelope sentence is the
// seed's, character for character.
func TestLeanMessagesMatchSeed(t *testing.T) {
	c := newCatalog(t)
	last, n := "", 0
	for _, l := range readSeed(t, seedLean) {
		if m := leanTypeLine.FindStringSubmatch(l); m != nil {
			last = m[1]
		}
		if m := leanMessageLine.FindStringSubmatch(l); m != nil {
			n++
			if got := c.Message(last); got != m[1] {
				t.Errorf("Message(%s) = %q, seed says %q", last, got, m[1])
			}
		}
	}
	if n != 13 {
		t.Errorf("found %d messages in the Lean seed, want 13", n)
	}
}

// seedJSONBlocks returns the JSON documents of a seed: from a line that is
// "{" (after an optional line number) to the line that closes it.
func seedJSONBlocks(lines []string, lineNumbers bool) []string {
	num := regexp.MustCompile(`^\d+ ?`)
	var blocks []string
	var cur strings.Builder
	depth := 0
	for _, l := range lines {
		if lineNumbers {
			l = num.ReplaceAllString(l, "")
		}
		if depth == 0 && strings.TrimSpace(l) != "{" {
			continue
		}
		depth += strings.Count(l, "{") - strings.Count(l, "}")
		cur.WriteString(l + "\n")
		if depth == 0 {
			blocks = append(blocks, cur.String())
			cur.Reset()
		}
	}
	return blocks
}

// repairSeedJSON makes the seeds' almost-JSON parse, the way the catalog's
// examples were made: the first of "BUSINESS" | "PERSONAL", no comments, no
// trailing commas.
func repairSeedJSON(s string) string {
	s = strings.ReplaceAll(s, `"BUSINESS" | "PERSONAL"`, `"BUSINESS"`)
	s = regexp.MustCompile(`(?m)\s+//[^\n]*$`).ReplaceAllString(s, "")
	return regexp.MustCompile(`,(\s*[}\]])`).ReplaceAllString(s, "$1")
}

func decodeJSON(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return v
}

// TestExamplesAreSeedPayloads checks that the examples of seed types are the
// seeds' payloads (Lean) and metadata objects (Link Money), repaired.
func TestExamplesAreSeedPayloads(t *testing.T) {
	c := newCatalog(t)
	check := func(blocks []string, typeKey, payloadKey, provider string, want int) {
		seen := 0
		for _, b := range blocks {
			doc, ok := decodeJSON(t, []byte(repairSeedJSON(b))).(map[string]any)
			if !ok {
				t.Fatalf("seed block is not an object: %s", b)
			}
			wire, _ := doc[typeKey].(string)
			ty, err := c.Resolve(wire, provider)
			if err != nil {
				t.Errorf("seed block of %q: %v", wire, err)
				continue
			}
			seen++
			if got := decodeJSON(t, ty.Example); !reflect.DeepEqual(got, doc[payloadKey]) {
				t.Errorf("example of %s = %s\nseed has %v", ty.Name, ty.Example, doc[payloadKey])
			}
		}
		if seen != want {
			t.Errorf("%s: compared %d seed payloads, want %d", provider, seen, want)
		}
	}
	check(seedJSONBlocks(readSeed(t, seedLean), false), "type", "payload", ProviderLean, 13)
	check(seedJSONBlocks(readSeed(t, seedLinkMoney), true), "eventType", "metadata", ProviderLinkMoney, 2)
}

// mutate returns the example of a type changed by fn.
func mutate(t *testing.T, c *Catalog, name string, fn func(m map[string]any)) (*hookd.EventType, []byte) {
	t.Helper()
	ty, ok := c.Lookup(name)
	if !ok {
		t.Fatalf("no type %s", name)
	}
	m, ok := decodeJSON(t, ty.Example).(map[string]any)
	if !ok {
		t.Fatalf("example of %s is not an object", name)
	}
	fn(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return ty, b
}

func details(err error) []hookd.Detail {
	var he *hookd.Error
	if errors.As(err, &he) {
		return he.Details
	}
	return nil
}

func obj(v any) map[string]any { return v.(map[string]any) }

func TestValidateViolations(t *testing.T) {
	c := newCatalog(t)
	cases := []struct {
		name string
		typ  string
		fn   func(m map[string]any)
		// want lists the details that must be present; exact means no others.
		want  []hookd.Detail
		exact bool
	}{
		{"amount not a number", "lean:payment.created",
			func(m map[string]any) { m["amount"] = "ten" },
			[]hookd.Detail{{Path: "$.payload.amount", Rule: "type"}}, true},
		// Missing required properties are reported at their own path.
		{"missing customer_id", "entity.created",
			func(m map[string]any) { delete(m, "customer_id") },
			[]hookd.Detail{{Path: "$.payload.customer_id", Rule: "required", Message: `missing required property "customer_id"`}}, true},
		// An open enum still checks its type.
		{"open enum of the wrong type", "entity.created",
			func(m map[string]any) { obj(m["bank_details"])["account_type"] = 1 },
			[]hookd.Detail{{Path: "$.payload.bank_details.account_type", Rule: "type"}}, true},
		{"array item", "entity.updated",
			func(m map[string]any) { m["permissions"].([]any)[2] = 42 },
			[]hookd.Detail{{Path: "$.payload.permissions[2]", Rule: "type"}}, true},
		{"uuid format", "payment.updated",
			func(m map[string]any) { m["intent_id"] = "not-a-uuid" },
			[]hookd.Detail{{Path: "$.payload.intent_id", Rule: "format"}}, true},
		{"reconciliation status not a string", "payment.reconciliation.updated",
			func(m map[string]any) { obj(m["reconciliation"])["status"] = []any{"RECONCILED"} },
			[]hookd.Detail{{Path: "$.payload.reconciliation.status", Rule: "type"}}, true},
		{"iban availability not a string", "iban_account_verification.bank.availability.updated",
			func(m map[string]any) { obj(m["availability"])["global"] = true },
			[]hookd.Detail{{Path: "$.payload.availability.global", Rule: "type"}}, true},
		{"ach return code not a string", "payment.failed",
			func(m map[string]any) { m["achReturnCode"] = 3 },
			[]hookd.Detail{{Path: "$.payload.achReturnCode", Rule: "type"}}, true},
		{"resource type missing", "payment.failed",
			func(m map[string]any) { delete(m, "resourceType") },
			[]hookd.Detail{{Path: "$.payload.resourceType", Rule: "required"}}, true},
		{"resource type empty", "customer.created",
			func(m map[string]any) { m["resourceType"] = "" },
			[]hookd.Detail{{Path: "$.payload.resourceType", Rule: "minLength"}}, true},
		{"transaction type not a string", "linkmoney:payment.created",
			func(m map[string]any) { m["transactionType"] = false },
			[]hookd.Detail{{Path: "$.payload.transactionType", Rule: "type"}}, true},
		{"resource id missing", "payment.failed",
			func(m map[string]any) { delete(m, "resourceId"); m["paymentType"] = 2 },
			[]hookd.Detail{{Path: "$.payload.paymentType", Rule: "type"}, {Path: "$.payload.resourceId", Rule: "required"}}, true},
		{"weavr currency not a string", "paymentRunWatch",
			func(m map[string]any) { obj(obj(m["payments"].([]any)[0])["paymentAmount"])["currency"] = 826 },
			[]hookd.Detail{{Path: "$.payload.payments[0].paymentAmount.currency", Rule: "type"}}, true},
		{"linked account id", "linkedAccountWatch",
			func(m map[string]any) { m["id"] = "xyz" },
			[]hookd.Detail{{Path: "$.payload", Rule: "oneOf"}, {Path: "$.payload.id", Rule: "pattern"}}, true},
		{"linked account consent date", "linkedAccountExpiringSoonWatch",
			func(m map[string]any) { obj(m["consent"])["expiresAt"] = "tomorrow" },
			[]hookd.Detail{{Path: "$.payload", Rule: "oneOf"}, {Path: "$.payload.consent.expiresAt", Rule: "format"}}, true},
		{"friendly name too long", "linkedAccountWatch",
			func(m map[string]any) { m["friendlyName"] = strings.Repeat("x", 81) },
			[]hookd.Detail{{Path: "$.payload", Rule: "oneOf"}, {Path: "$.payload.friendlyName", Rule: "maxLength"}}, true},
		{"sort code inside nested oneOf", "linkedAccountWatch",
			func(m map[string]any) { obj(m["accountIdentification"])["sortCode"] = "12-34-56" },
			[]hookd.Detail{{Path: "$.payload.accountIdentification", Rule: "oneOf"},
				{Path: "$.payload.accountIdentification.sortCode", Rule: "pattern"}}, false},
		{"payment run amount in minor units", "paymentRunWatch",
			func(m map[string]any) { obj(obj(m["payments"].([]any)[0])["paymentAmount"])["amount"] = 10.5 },
			[]hookd.Detail{{Path: "$.payload.payments[0].paymentAmount.amount", Rule: "type"}}, true},
		{"payment run id", "paymentRunWatch",
			func(m map[string]any) { m["id"] = "65f1c0a2" },
			[]hookd.Detail{{Path: "$.payload.id", Rule: "pattern"}}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ty, payload := mutate(t, c, tc.typ, tc.fn)
			err := c.Validate(ty, payload)
			var he *hookd.Error
			if !errors.As(err, &he) || he.Code != hookd.EUNPROCESSABLE {
				t.Fatalf("Validate(%s) = %v, want an EUNPROCESSABLE *hookd.Error", payload, err)
			}
			if want := "payload does not match the schema of " + ty.Name; he.Message != want {
				t.Errorf("message %q, want %q", he.Message, want)
			}
			for _, w := range tc.want {
				i := slices.IndexFunc(he.Details, func(d hookd.Detail) bool {
					return d.Path == w.Path && d.Rule == w.Rule && (w.Message == "" || d.Message == w.Message)
				})
				if i < 0 {
					t.Errorf("no detail %+v in %+v", w, he.Details)
				}
			}
			if tc.exact && len(he.Details) != len(tc.want) {
				t.Errorf("details %+v, want only %+v", he.Details, tc.want)
			}
			for _, d := range he.Details {
				if d.Message == "" {
					t.Errorf("detail without message: %+v", d)
				}
			}
		})
	}
}

func TestValidateTolerates(t *testing.T) {
	c := newCatalog(t)
	cases := []struct {
		name string
		typ  string
		fn   func(m map[string]any)
	}{
		{"unknown linked account status", "linkedAccountWatch", func(m map[string]any) { m["status"] = "CONNECTED" }},
		{"unknown linked account status 2", "linkedAccountExpiringSoonWatch", func(m map[string]any) { m["status"] = "DISCONNECTED" }},
		{"rejected linked account with id", "linkedAccountWatch", func(m map[string]any) { m["status"] = "REJECTED" }},
		{"unknown consent status", "linkedAccountWatch", func(m map[string]any) { obj(m["consent"])["status"] = "SUSPENDED" }},
		{"unknown payment status", "lean:payment.created", func(m map[string]any) { m["status"] = "PENDING" }},
		{"documented extras", "payment.updated", func(m map[string]any) {
			m["payment_destination_id"] = "99da636d-d022-4e0a-a450-a293ecdcb125"
			m["metadata"] = map[string]any{"order": "42"}
			m["reason"] = "insufficient funds"
			m["status"] = "FAILED"
			delete(m, "bank_transaction_reference") // a failed payment has none
		}},
		{"bank details extras", "entity.created", func(m map[string]any) {
			obj(m["bank_details"])["swift_code"] = "LEANSARI"
			obj(m["bank_details"])["bank_type"] = "OPEN_BANKING"
			delete(obj(m["bank_details"]), "account_type")
		}},
		{"new permission", "entity.created", func(m map[string]any) {
			m["permissions"] = append(m["permissions"].([]any), "payments", "balance", "brand_new")
		}},
		{"undocumented field", "results.ready", func(m map[string]any) { m["entity_id"] = "dd64bba9-9446-4ca0-b9ed-bec2b2a49024" }},
		{"resource type in capitals", "payment.failed", func(m map[string]any) { m["resourceType"] = "Payment" }},
		{"payment.created of Link Money needs no return code", "linkmoney:payment.created", func(m map[string]any) { delete(m, "achReturnCode") }},
		{"unknown payment run status", "paymentRunWatch", func(m map[string]any) { m["status"] = "ARCHIVED" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ty, payload := mutate(t, c, tc.typ, tc.fn)
			if err := c.Validate(ty, payload); err != nil {
				t.Errorf("Validate(%s) = %v %+v", payload, err, details(err))
			}
		})
	}
}

// TestLinkedAccountVariants checks that each of Weavr's four payload shapes
// matches exactly one alternative of the oneOf.
func TestLinkedAccountVariants(t *testing.T) {
	c := newCatalog(t)
	ty, _ := c.Lookup("linkedAccountWatch")
	valid := map[string]string{
		"duplicated account": `{"accountIdentification":{"iban":"DE89370400440532013000"},"currency":"EUR","institution":{"countries":["DE"]},"status":"ERROR_DUPLICATED_ACCOUNT"}`,
		"rejected":           `{"status":"REJECTED","consent":{"status":"REJECTED"}}`,
		"multiple accounts":  `{"status":"CANNOT_LINK_MULTIPLE_ACCOUNTS","consent":{"status":"REJECTED"}}`,
	}
	for name, p := range valid {
		if err := c.Validate(ty, []byte(p)); err != nil {
			t.Errorf("%s: %v %+v", name, err, details(err))
		}
	}
	invalid := map[string]string{
		"rejected with active consent":  `{"status":"REJECTED","consent":{"status":"ACTIVE"}}`,
		"multiple without consent":      `{"status":"CANNOT_LINK_MULTIPLE_ACCOUNTS"}`,
		"duplicated, currency a number": `{"accountIdentification":{"accountNumber":"12345678","sortCode":"123456"},"currency":826,"institution":{},"status":"ERROR_DUPLICATED_ACCOUNT"}`,
		"not an object":                 `"LINKED"`,
	}
	for name, p := range invalid {
		if err := c.Validate(ty, []byte(p)); hookd.ErrorCode(err) != hookd.EUNPROCESSABLE {
			t.Errorf("%s: Validate = %v, want EUNPROCESSABLE", name, err)
		}
	}
	// The closest alternative is the one reported: a rejected payload that
	// forgot its consent is a StatusRejected (#3) missing "consent", not a
	// Linked Account Status missing seven properties.
	err := c.Validate(ty, []byte(`{"status":"REJECTED"}`))
	want := []hookd.Detail{
		{Path: "$.payload", Rule: "oneOf", Message: "value matches none of the 4 allowed alternatives; the closest is #3, which fails as listed"},
		{Path: "$.payload.consent", Rule: "required", Message: `missing required property "consent"`},
	}
	if got := details(err); !reflect.DeepEqual(got, want) {
		t.Errorf("details = %+v\nwant %+v", got, want)
	}
}

func TestValidateInvalidJSON(t *testing.T) {
	c := newCatalog(t)
	ty, _ := c.Lookup("entity.created")
	for _, p := range []string{``, `   `, `{`, `{"id": }`, `{} {}`, `{"a":1}x`, `nul`} {
		err := c.Validate(ty, []byte(p))
		if code := hookd.ErrorCode(err); code != hookd.EINVALID {
			t.Errorf("Validate(%q) = %v (code %q), want EINVALID", p, err, code)
		}
	}
	if err := c.Validate(nil, []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("Validate(nil type) = %v, want EINVALID", err)
	}
}

func TestValidateNumbers(t *testing.T) {
	c := newCatalog(t)
	ty, _ := c.Lookup("payment.updated")
	base := obj(decodeJSON(t, ty.Example))
	for _, n := range []string{"1e9999999", "1e999999", "-1e-999999", "1e400", "1" + strings.Repeat("0", 120)} {
		m := maps.Clone(base)
		m["amount"] = json.Number(n)
		m["metadata"] = map[string]any{"list": []any{json.Number("1"), json.Number(n)}}
		payload, _ := json.Marshal(m)
		start := time.Now()
		err := c.Validate(ty, payload)
		if time.Since(start) > 50*time.Millisecond {
			t.Errorf("%.20s took %v", n, time.Since(start))
		}
		want := []hookd.Detail{{Path: "$.payload.amount", Rule: "number"}, {Path: "$.payload.metadata.list[1]", Rule: "number"}}
		d := details(err)
		for i := range d {
			d[i].Message = ""
		}
		if !reflect.DeepEqual(d, want) {
			t.Errorf("amount %.20s: %v %+v, want %+v", n, err, d, want)
		}
	}
	for _, n := range []string{"1e300", "1.7976931348623157e308", "5e-324", "1e-400", "0.1000000000000000055511151231257827021181583404541015625"} {
		m := maps.Clone(base)
		m["amount"] = json.Number(n)
		payload, _ := json.Marshal(m)
		if err := c.Validate(ty, payload); err != nil {
			t.Errorf("amount %s refused: %v %+v", n, err, details(err))
		}
	}
}

func TestValidateCapsDetails(t *testing.T) {
	c := newCatalog(t)
	ty, _ := c.Lookup("entity.created")
	perms := make([]int, 500)
	payload, _ := json.Marshal(map[string]any{"permissions": perms})
	d := details(c.Validate(ty, payload))
	if len(d) != MaxDetails {
		t.Fatalf("%d details, want %d", len(d), MaxDetails)
	}
	if last := d[len(d)-1]; !strings.HasSuffix(last.Message, "more violations not listed") {
		t.Errorf("last detail %+v, want a count of the rest", last)
	}
}

func TestResolve(t *testing.T) {
	c := newCatalog(t)
	ok := []struct{ name, prefer, want string }{
		{"entity.created", "", "entity.created"},
		{"entity.created", "linkmoney", "entity.created"},
		{"lean:entity.created", "", "entity.created"},
		{"payment.created", "lean", "lean:payment.created"},
		{"payment.created", "linkmoney", "linkmoney:payment.created"},
		{"lean:payment.created", "", "lean:payment.created"},
		{"linkmoney:payment.created", "lean", "linkmoney:payment.created"},
		{"payment.failed", "", "payment.failed"},
		{"linkedAccountWatch", "", "linkedAccountWatch"},
		{"weavr:linkedAccountWatch", "", "linkedAccountWatch"},
	}
	for _, tc := range ok {
		got, err := c.Resolve(tc.name, tc.prefer)
		if err != nil || got.Name != tc.want {
			t.Errorf("Resolve(%q, %q) = %v, %v; want %s", tc.name, tc.prefer, got, err, tc.want)
		}
	}
	bad := []struct{ name, prefer string }{
		{"nope", ""},
		{"payment.created", ""},
		{"payment.created", "weavr"},
		{"weavr:entity.created", ""},
		{"acme:payment.created", ""},
		{":payment.created", ""},
		{"", ""},
	}
	for _, tc := range bad {
		got, err := c.Resolve(tc.name, tc.prefer)
		if hookd.ErrorCode(err) != hookd.EUNPROCESSABLE {
			t.Errorf("Resolve(%q, %q) = %v, %v; want EUNPROCESSABLE", tc.name, tc.prefer, got, err)
		}
	}
	_, err := c.Resolve("payment.created", "")
	for _, q := range []string{"lean:payment.created", "linkmoney:payment.created", "qualify"} {
		if !strings.Contains(hookd.ErrorMessage(err), q) {
			t.Errorf("ambiguity error %q does not mention %q", hookd.ErrorMessage(err), q)
		}
	}
}

func TestMessage(t *testing.T) {
	c := newCatalog(t)
	for in, want := range map[string]string{
		"entity.created":            "An entity object has been created.",
		"results.ready":             "Your results are ready.",
		"payment.created":           "A payment object has been created.",
		"lean:payment.created":      "A payment object has been created.",
		"linkmoney:payment.created": "A payment object has been created.",
		"entity.reconnected":        "An entity object has been reconnected.",
		"customer.created":          "A customer.created event occurred.",
		"linkedAccountWatch":        "A linkedAccountWatch event occurred.",
		"no.such.type":              "A no.such.type event occurred.",
	} {
		if got := c.Message(in); got != want {
			t.Errorf("Message(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdd(t *testing.T) {
	c := newCatalog(t)
	schema := []byte(`{"type":"object","required":["invoice_id","amount"],"properties":{
		"invoice_id":{"type":"string","minLength":1},
		"amount":{"type":"integer","minimum":1},
		"a.b":{"type":"boolean"}}}`)
	custom := &hookd.EventType{
		Name:        "acme.invoice.paid",
		Provider:    "lean", // ignored: custom types have no provider
		Description: "An invoice was paid.",
		Schema:      schema,
		Example:     []byte(`{"invoice_id":"inv_1","amount":1200}`),
		Message:     "An invoice has been paid.",
	}
	if err := c.Add(custom); err != nil {
		t.Fatalf("Add: %v", err)
	}
	schema[0] = 'X' // the catalog keeps its own copy
	got, ok := c.Lookup("acme.invoice.paid")
	if !ok || !got.Custom || got.Provider != "" || got.Schema[0] != '{' {
		t.Fatalf("Lookup after Add = %+v, %v", got, ok)
	}
	if r, err := c.Resolve("acme.invoice.paid", ""); err != nil || r.Name != got.Name {
		t.Errorf("Resolve(custom) = %v, %v", r, err)
	}
	if m := c.Message("acme.invoice.paid"); m != "An invoice has been paid." {
		t.Errorf("Message(custom) = %q", m)
	}
	if !slices.ContainsFunc(c.Types(), func(t *hookd.EventType) bool { return t.Name == "acme.invoice.paid" }) {
		t.Error("Types does not list the custom type")
	}
	if err := c.Validate(got, []byte(`{"invoice_id":"inv_2","amount":5}`)); err != nil {
		t.Errorf("valid payload: %v", err)
	}
	err := c.Validate(got, []byte(`{"invoice_id":"","amount":0,"a.b":"yes"}`))
	want := []hookd.Detail{
		{Path: "$.payload.amount", Rule: "minimum"},
		{Path: "$.payload.invoice_id", Rule: "minLength"},
		{Path: `$.payload["a.b"]`, Rule: "type"},
	}
	d := details(err)
	for i := range d {
		d[i].Message = ""
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("details = %+v, want %+v", d, want)
	}

	refused := []struct {
		name string
		t    *hookd.EventType
		code string
	}{
		{"duplicate", &hookd.EventType{Name: "acme.invoice.paid"}, hookd.ECONFLICT},
		{"built-in name", &hookd.EventType{Name: "entity.created"}, hookd.ECONFLICT},
		{"built-in wire type", &hookd.EventType{Name: "payment.created"}, hookd.ECONFLICT},
		{"qualified name", &hookd.EventType{Name: "lean:payment.created"}, hookd.EINVALID},
		{"empty name", &hookd.EventType{Name: ""}, hookd.EINVALID},
		{"space in name", &hookd.EventType{Name: "acme invoice"}, hookd.EINVALID},
		{"long name", &hookd.EventType{Name: strings.Repeat("a", MaxNameLen+1)}, hookd.EINVALID},
		{"schema not JSON", &hookd.EventType{Name: "acme.a", Schema: []byte(`{"type":`)}, hookd.EINVALID},
		{"schema wrong", &hookd.EventType{Name: "acme.b", Schema: []byte(`{"type":12}`)}, hookd.EINVALID},
		{"bad regexp", &hookd.EventType{Name: "acme.c", Schema: []byte(`{"pattern":"(["}`)}, hookd.EINVALID},
		{"file ref", &hookd.EventType{Name: "acme.d", Schema: []byte(`{"$ref":"file:///etc/passwd"}`)}, hookd.EINVALID},
		{"remote ref", &hookd.EventType{Name: "acme.e", Schema: []byte(`{"$ref":"https://example.com/s.json"}`)}, hookd.EINVALID},
		{"no schema is fine", &hookd.EventType{Name: "acme.f"}, ""},
		{"example fails schema", &hookd.EventType{Name: "acme.g", Schema: []byte(`{"type":"object","required":["x"]}`), Example: []byte(`{}`)}, hookd.EINVALID},
		{"example not JSON", &hookd.EventType{Name: "acme.h", Schema: []byte(`{"type":"object"}`), Example: []byte(`{`)}, hookd.EINVALID},
		{"nil", nil, hookd.EINVALID},
	}
	for _, tc := range refused {
		err := c.Add(tc.t)
		if got := hookd.ErrorCode(err); got != tc.code {
			t.Errorf("%s: Add = %v (code %q), want code %q", tc.name, err, got, tc.code)
		}
	}
	// A schema that breaks the meta-schema is explained like a payload is.
	err = c.Add(&hookd.EventType{Name: "acme.j", Schema: []byte(`{"properties":{"id":{"type":"text"}}}`)})
	if d := details(err); hookd.ErrorCode(err) != hookd.EINVALID ||
		!slices.ContainsFunc(d, func(d hookd.Detail) bool { return d.Path == "$.schema.properties.id.type" && d.Rule == "enum" }) {
		t.Errorf("bad schema: %v %+v, want a detail at $.schema.properties.id.type", err, d)
	}
	if _, ok := c.Lookup("acme.g"); ok {
		t.Error("a refused type was registered")
	}
	if d := details(c.Add(&hookd.EventType{Name: "acme.i", Schema: []byte(`{"type":"object","required":["x"]}`), Example: []byte(`{}`)})); len(d) != 1 || d[0].Path != "$.example.x" {
		t.Errorf("refused example details = %+v, want the missing x", d)
	}
	// A type without schema accepts any JSON but still refuses non-JSON.
	free, _ := c.Lookup("acme.f")
	if err := c.Validate(free, []byte(`[1,"two"]`)); err != nil {
		t.Errorf("schemaless type: %v", err)
	}
	if err := c.Validate(free, []byte(`[1,`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("schemaless type, bad JSON: %v", err)
	}
}

// TestAddStored: the stored custom types the catalog lacks are added, one
// it holds already is left as it is, and one it cannot add is skipped:
// the rest still go in, and the first error is reported.
func TestAddStored(t *testing.T) {
	c := newCatalog(t)
	if err := c.Add(&hookd.EventType{Name: "acme.held", Description: "first", Schema: []byte(`{"type":"object"}`)}); err != nil {
		t.Fatal(err)
	}
	stored := []*hookd.EventType{
		{Name: "acme.held", Description: "again", Schema: []byte(`{"type":"object"}`)},
		{Name: "acme.bad", Schema: []byte(`{"type":"text"}`)},
		{Name: "acme.new", Schema: []byte(`{"type":"object"}`)},
		{Name: "acme.worse", Schema: []byte(`{"properties":{"id":{"type":"text"}}}`)},
	}
	added, err := c.AddStored(stored)
	if !added || hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(err.Error(), "schema of acme.bad") {
		t.Fatalf("AddStored = %v, %v; want added and the schema error of acme.bad", added, err)
	}
	if held, _ := c.Lookup("acme.held"); held.Description != "first" {
		t.Errorf("a type the catalog held was replaced: %q", held.Description)
	}
	if _, ok := c.Lookup("acme.new"); !ok {
		t.Error("the type after a bad one was not added")
	}
	for _, name := range []string{"acme.bad", "acme.worse"} {
		if _, ok := c.Lookup(name); ok {
			t.Errorf("%s was added", name)
		}
	}
	if added, err := c.AddStored(stored[:1]); added || err != nil {
		t.Errorf("AddStored of a type held = %v, %v; want nothing added, no error", added, err)
	}
}

// TestValidateUnregisteredType covers a type the catalog does not hold,
// e.g. a custom type read from the store before Add: it is compiled on the
// spot.
func TestValidateUnregisteredType(t *testing.T) {
	c := newCatalog(t)
	ty := &hookd.EventType{Name: "adhoc", Schema: []byte(`{"type":"object","required":["n"]}`)}
	if err := c.Validate(ty, []byte(`{"n":1}`)); err != nil {
		t.Errorf("valid: %v", err)
	}
	if d := details(c.Validate(ty, []byte(`{}`))); len(d) != 1 || d[0].Rule != "required" {
		t.Errorf("invalid: %+v", d)
	}
	// Same name as a built-in but another schema: the given schema wins.
	other := &hookd.EventType{Name: "entity.created", Schema: []byte(`{"type":"array"}`)}
	if err := c.Validate(other, []byte(`[]`)); err != nil {
		t.Errorf("own schema not used: %v", err)
	}
	bad := &hookd.EventType{Name: "adhoc2", Schema: []byte(`{"type":1}`)}
	if err := c.Validate(bad, []byte(`{}`)); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Errorf("uncompilable schema: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := newCatalog(t)
	ty, _ := c.Lookup("entity.created")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				if i%2 == 0 {
					name := fmt.Sprintf("acme.t%d.%d", i, j)
					if err := c.Add(&hookd.EventType{Name: name, Schema: []byte(`{"type":"object"}`)}); err != nil {
						t.Error(err)
						return
					}
					if _, err := c.Resolve(name, ""); err != nil {
						t.Error(err)
						return
					}
				} else {
					if err := c.Validate(ty, ty.Example); err != nil {
						t.Error(err)
						return
					}
					_ = c.Types()
				}
			}
		}()
	}
	wg.Wait()
	if n, want := len(c.Types()), 53+len(hookd.OperationalTypes)+4*50; n != want {
		t.Errorf("%d types after concurrent adds, want %d", n, want)
	}
}

func FuzzValidate(f *testing.F) {
	c := newCatalog(f)
	types := c.Types()
	for _, ty := range types {
		f.Add([]byte(ty.Example))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, ty := range types {
			err := c.Validate(ty, payload)
			if err == nil {
				continue
			}
			var he *hookd.Error
			if !errors.As(err, &he) {
				t.Fatalf("%s: %T %v is not a *hookd.Error", ty.Name, err, err)
			}
			switch he.Code {
			case hookd.EINVALID:
				if json.Valid(payload) {
					t.Fatalf("%s: valid JSON %q refused as invalid: %v", ty.Name, payload, err)
				}
			case hookd.EUNPROCESSABLE:
				if !json.Valid(payload) {
					t.Fatalf("%s: invalid JSON %q got past the parser", ty.Name, payload)
				}
				if len(he.Details) == 0 || len(he.Details) > MaxDetails {
					t.Fatalf("%s: %d details", ty.Name, len(he.Details))
				}
				for i, d := range he.Details {
					last := i == len(he.Details)-1 && len(he.Details) == MaxDetails
					if !last && (!strings.HasPrefix(d.Path, "$.payload") || d.Rule == "" || d.Message == "") {
						t.Fatalf("%s: bad detail %+v", ty.Name, d)
					}
				}
			default:
				t.Fatalf("%s: unexpected code %q: %v", ty.Name, he.Code, err)
			}
		}
	})
}

func BenchmarkValidate(b *testing.B) {
	c := newCatalog(b)
	for _, name := range []string{"entity.created", "linkedAccountWatch", "paymentRunWatch", "payment.failed"} {
		ty, _ := c.Lookup(name)
		payload := ty.Example
		if name == "paymentRunWatch" {
			// Grow the payment run to about 1 KB: three payments.
			var m map[string]any
			_ = json.Unmarshal(payload, &m)
			p := m["payments"].([]any)
			m["payments"] = append(p, p[0], p[0])
			payload, _ = json.Marshal(m)
		}
		b.Run(fmt.Sprintf("%s/%dB", name, len(payload)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if err := c.Validate(ty, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		// What publish runs: Validate and the search for unknown values.
		b.Run(fmt.Sprintf("%s/%dB/warn", name, len(payload)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				if _, err := c.ValidateWarn(ty, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestHasWire: a type is found by its wire name (the Name without the
// provider's qualifier), built-in or added; a qualified or unknown name is
// not a wire name.
func TestHasWire(t *testing.T) {
	c := newCatalog(t)
	for _, w := range []string{"payment.created", "entity.created"} {
		if !c.HasWire(w) {
			t.Errorf("HasWire(%q) = false for a built-in type", w)
		}
	}
	for _, w := range []string{"lean:payment.created", "acme.made", ""} {
		if c.HasWire(w) {
			t.Errorf("HasWire(%q) = true", w)
		}
	}
	if err := c.Add(&hookd.EventType{Name: "acme.made", Schema: []byte(`{"type":"object"}`)}); err != nil {
		t.Fatal(err)
	}
	if !c.HasWire("acme.made") {
		t.Error("HasWire(acme.made) = false after Add")
	}
}

// BenchmarkUnknownWire measures the check a publish of a type outside the
// catalog makes (is the name some type's wire name?): HasWire, against
// the copy of every type it replaced.
func BenchmarkUnknownWire(b *testing.B) {
	c := newCatalog(b)
	b.Run("HasWire", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if c.HasWire("bench.event") {
				b.Fatal("bench.event is in the catalog")
			}
		}
	})
	b.Run("copy-of-Types", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, t := range c.Types() {
				if hookd.WireType(t.Name) == "bench.event" {
					b.Fatal("bench.event is in the catalog")
				}
			}
		}
	})
}

// TestAddBadExampleNamesIt: a custom type whose example does not match its
// schema is refused with details whose paths are in the example
// ("$.example.n"), the request's field, not a payload's.
func TestAddBadExampleNamesIt(t *testing.T) {
	c := newCatalog(t)
	err := c.Add(&hookd.EventType{Name: "acme.count", Schema: []byte(`{"type":"object","properties":{"n":{"type":"integer"}}}`),
		Example: []byte(`{"n":"x"}`)})
	var he *hookd.Error
	if !errors.As(err, &he) || he.Code != hookd.EINVALID || len(he.Details) != 1 || he.Details[0].Path != "$.example.n" {
		t.Fatalf("Add with a bad example: %v (%+v), want EINVALID with the detail at $.example.n", err, he)
	}
}
