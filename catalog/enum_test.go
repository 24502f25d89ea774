package catalog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// TestOpenEnums: a value outside a field's known values is accepted (SPEC:
// tolerate unknown enum values) and reported by ValidateWarn as a warning at its
// path; a known value gives no warning. Every case named in issue 8 is here.
func TestOpenEnums(t *testing.T) {
	c := newCatalog(t)
	cases := []struct {
		name string
		typ  string
		fn   func(m map[string]any)
		want []string // paths of the warnings
	}{
		{"lean account type freelancer", "entity.created",
			func(m map[string]any) { obj(m["bank_details"])["account_type"] = "FREELANCER" },
			[]string{"$.payload.bank_details.account_type"}},
		{"lean account type on update", "entity.updated",
			func(m map[string]any) { obj(m["bank_details"])["account_type"] = "freelancer" },
			[]string{"$.payload.bank_details.account_type"}},
		{"lean account type on reconnect", "entity.reconnected",
			func(m map[string]any) { obj(m["bank_details"])["account_type"] = "GOVERNMENT" },
			[]string{"$.payload.bank_details.account_type"}},
		{"lean account type known", "entity.created",
			func(m map[string]any) { obj(m["bank_details"])["account_type"] = "PERSONAL" }, nil},
		{"lean iban availability values", "iban_account_verification.bank.availability.updated",
			func(m map[string]any) {
				a := obj(m["availability"])
				a["global"] = "maintenance"
				obj(obj(a["account_type"])["freelancer"])["no_match"] = "partial"
				obj(a["account_type"])["sole_proprietor"] = map[string]any{"match": "beta", "no_match": "disabled"}
			},
			[]string{"$.payload.availability.account_type.freelancer.no_match",
				"$.payload.availability.account_type.sole_proprietor.match", "$.payload.availability.global"}},
		{"lean reconciliation status", "payment.reconciliation.updated",
			func(m map[string]any) { obj(m["reconciliation"])["status"] = "PARTIALLY_RECONCILED" },
			[]string{"$.payload.reconciliation.status"}},
		{"lean payment status", "lean:payment.created", func(m map[string]any) { m["status"] = "PENDING" },
			[]string{"$.payload.status"}},
		{"lean new permission", "entity.created", func(m map[string]any) {
			m["permissions"] = append(m["permissions"].([]any), "payments", "balance", "brand_new")
		}, []string{"$.payload.permissions[10]"}},
		{"link money transaction type as the field list spells it", "linkmoney:payment.created",
			func(m map[string]any) { m["transactionType"] = "Debit" }, nil},
		{"link money unknown transaction type", "payment.succeeded",
			func(m map[string]any) { m["transactionType"] = "REFUND" }, []string{"$.payload.transactionType"}},
		{"link money payment type", "payment.pending",
			func(m map[string]any) { m["paymentType"] = "Credit"; m["transactionType"] = "CREDIT" }, nil},
		{"link money unknown payment type", "payment.pending",
			func(m map[string]any) { m["paymentType"] = "INSTANT" }, []string{"$.payload.paymentType"}},
		{"link money resource type capitalised", "payment.failed",
			func(m map[string]any) { m["resourceType"] = "Payment" }, nil},
		{"link money resource type unknown", "payment.failed",
			func(m map[string]any) { m["resourceType"] = "transfer" }, []string{"$.payload.resourceType"}},
		{"link money resource type in capitals", "customer.activated",
			func(m map[string]any) { m["resourceType"] = "CUSTOMER" }, []string{"$.payload.resourceType"}},
		{"link money ach return code outside R01-R99", "payment.failed",
			func(m map[string]any) { m["achReturnCode"] = "R1A" }, nil},
		{"link money ach return code of another form", "payment.failed",
			func(m map[string]any) { m["achReturnCode"] = "X99" }, nil},
		{"link money failed without ach return code", "payment.failed",
			func(m map[string]any) { delete(m, "achReturnCode") }, nil},
		{"weavr currency", "paymentRunWatch",
			func(m map[string]any) { obj(obj(m["payments"].([]any)[0])["paymentAmount"])["currency"] = "USD" },
			[]string{"$.payload.payments[0].paymentAmount.currency"}},
		{"weavr linked account status and currency", "linkedAccountWatch",
			func(m map[string]any) { m["status"] = "CONNECTED"; m["currency"] = "USD" },
			[]string{"$.payload.currency", "$.payload.status"}},
		{"weavr consent status", "linkedAccountExpiringSoonWatch",
			func(m map[string]any) { obj(m["consent"])["status"] = "SUSPENDED" }, []string{"$.payload.consent.status"}},
		{"weavr login status", "loginWatch", func(m map[string]any) { m["status"] = "PENDING" }, []string{"$.payload.status"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ty, payload := mutate(t, c, tc.typ, tc.fn)
			if err := c.Validate(ty, payload); err != nil {
				t.Fatalf("Validate(%s) = %v %+v", payload, err, details(err))
			}
			warnings, err := c.ValidateWarn(ty, payload)
			if err != nil {
				t.Fatalf("ValidateWarn = %v", err)
			}
			var paths []string
			for _, w := range warnings {
				paths = append(paths, w.Path)
				if w.Rule != KnownValues || !strings.Contains(w.Message, "is not one of the known values") {
					t.Errorf("warning %+v", w)
				}
			}
			if !slices.Equal(paths, tc.want) {
				t.Errorf("warnings at %v, want %v: %+v", paths, tc.want, warnings)
			}
		})
	}
	// The message names the value and the known ones.
	ty, payload := mutate(t, c, "entity.created", func(m map[string]any) { obj(m["bank_details"])["account_type"] = "FREELANCER" })
	w, _ := c.ValidateWarn(ty, payload)
	want := []hookd.Detail{{Path: "$.payload.bank_details.account_type", Rule: "x-extensible-enum",
		Message: `"FREELANCER" is not one of the known values "BUSINESS", "PERSONAL": accepted, but receivers may not expect it`}}
	if !slices.Equal(w, want) {
		t.Errorf("warnings = %+v, want %+v", w, want)
	}
	// An invalid payload is refused as before, with no warnings.
	ty, payload = mutate(t, c, "entity.created", func(m map[string]any) {
		obj(m["bank_details"])["account_type"] = "FREELANCER"
		delete(m, "customer_id")
	})
	if w, err := c.ValidateWarn(ty, payload); hookd.ErrorCode(err) != hookd.EUNPROCESSABLE || w != nil {
		t.Errorf("ValidateWarn = %v, %v: want EUNPROCESSABLE and no warnings", w, err)
	}
}

// closedEnums are the enum and const keywords the catalog keeps closed,
// each with the document that closes it. Everything else that lists values
// is open (x-extensible-enum).
var closedEnums = map[string]string{
	"$defs.linkedAccountStatus.properties.status.not.enum":                                  "seed 003: the generic Linked Account Status shape excludes the statuses that select the other three shapes",
	"$defs.statusErrorDuplicatedAccount.properties.status.const":                            "seed 003: the StatusErrorDuplicatedAccount shape is selected by this status",
	"$defs.statusRejected.properties.status.const":                                          "seed 003: the StatusRejected shape is selected by this status",
	"$defs.statusRejected.properties.consent.properties.status.const":                       "seed 003: StatusRejected carries a rejected consent",
	"$defs.statusRejectedMultipleLinkedAccounts.properties.status.const":                    "seed 003: the StatusRejectedMultipleLinkedAccounts shape is selected by this status",
	"$defs.statusRejectedMultipleLinkedAccounts.properties.consent.properties.status.const": "seed 003: StatusRejectedMultipleLinkedAccounts carries a rejected consent",
}

// formatPatterns are the patterns the catalog keeps: the form of a code or
// an id, not a list of values in disguise.
var formatPatterns = map[string]string{
	"^[A-Z]{3}$":                        "ISO 4217 currency code",
	"^[A-Z]{2}$":                        "ISO 3166-1 alpha-2 country code",
	"^[0-9a-fA-F]{24}$":                 "Weavr object id",
	"^[0-9]{8}$":                        "UK account number",
	"^[0-9]{6}$":                        "UK sort code",
	"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$": "IBAN",
	"^[0-9]+$":                          "Weavr numeric id or epoch timestamp",
}

// TestEveryEnumIsOpenOrDocumentedClosed goes over every schema of the
// catalog: each enum or const is one that a document closes (closedEnums),
// each pattern is the form of a code (formatPatterns), and each list of
// known values is a non-empty list of strings on a string field, with no
// enum beside it.
func TestEveryEnumIsOpenOrDocumentedClosed(t *testing.T) {
	c := newCatalog(t)
	seenClosed := map[string]bool{}
	open := 0
	for _, ty := range c.Types() {
		var schema any
		if err := json.Unmarshal(ty.Schema, &schema); err != nil {
			t.Fatal(err)
		}
		var walk func(v any, path string)
		walk = func(v any, path string) {
			switch x := v.(type) {
			case []any:
				for i, c := range x {
					walk(c, fmt.Sprintf("%s[%d]", path, i))
				}
			case map[string]any:
				for k, c := range x {
					p := strings.TrimPrefix(path+"."+k, ".")
					switch k {
					case "enum", "const":
						if _, ok := closedEnums[p]; !ok {
							t.Errorf("%s: %s is closed; list it in x-extensible-enum, or in closedEnums with the document that closes it", ty.Name, p)
						}
						seenClosed[p] = true
						continue
					case "pattern":
						if _, ok := formatPatterns[c.(string)]; !ok {
							t.Errorf("%s: %s %q is not the form of a code: an enum in disguise?", ty.Name, p, c)
						}
					case KnownValues:
						open++
						vals, _ := c.([]any)
						if len(vals) == 0 || x["type"] != "string" || x["enum"] != nil || x["const"] != nil {
							t.Errorf("%s: %s: want a non-empty list on a string field without enum, got %v in %v", ty.Name, p, c, x)
						}
						for _, v := range vals {
							if _, ok := v.(string); !ok {
								t.Errorf("%s: %s: known value %v is not a string", ty.Name, p, v)
							}
						}
						continue
					case "examples", "default":
						continue
					}
					walk(c, p)
				}
			}
		}
		walk(schema, "")
	}
	for p := range closedEnums {
		if !seenClosed[p] {
			t.Errorf("closedEnums lists %s, which no schema has", p)
		}
	}
	if open < 100 {
		t.Errorf("found %d lists of known values, want the catalog's (over 100)", open)
	}
}

// TestKnownValuesInCustomTypes: a custom type may list known values too;
// its warnings come the same way, and a malformed list is refused when the
// type is registered.
func TestKnownValuesInCustomTypes(t *testing.T) {
	c := newCatalog(t)
	schema := `{"type":"object","required":["kind"],"properties":{
		"kind":{"type":"string","x-extensible-enum":["a","b"]},
		"items":{"type":"array","items":{"oneOf":[{"type":"string","x-extensible-enum":["x"]},{"type":"integer"}]}},
		"x-extensible-enum":{"type":"boolean"}}}`
	if err := c.Add(&hookd.EventType{Name: "acme.known", Schema: []byte(schema), Example: []byte(`{"kind":"a"}`)}); err != nil {
		t.Fatal(err)
	}
	ty, _ := c.Lookup("acme.known")
	w, err := c.ValidateWarn(ty, []byte(`{"kind":"c","items":["x","y",3],"x-extensible-enum":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range w {
		paths = append(paths, d.Path)
	}
	if want := []string{"$.payload.items[1]", "$.payload.kind"}; !slices.Equal(paths, want) {
		t.Errorf("warnings at %v, want %v (%+v)", paths, want, w)
	}
	if _, err := c.ValidateWarn(ty, []byte(`{"kind":1}`)); hookd.ErrorCode(err) != hookd.EUNPROCESSABLE {
		t.Errorf("wrong type accepted: %v", err)
	}
	for _, bad := range []string{`{"x-extensible-enum":"a"}`, `{"x-extensible-enum":[]}`,
		`{"properties":{"k":{"x-extensible-enum":{"a":1}}}}`} {
		err := c.Add(&hookd.EventType{Name: "acme.bad", Schema: []byte(bad)})
		if d := details(err); hookd.ErrorCode(err) != hookd.EINVALID || len(d) != 1 || d[0].Rule != KnownValues {
			t.Errorf("Add(%s) = %v %+v, want EINVALID naming x-extensible-enum", bad, err, d)
		}
	}
}
