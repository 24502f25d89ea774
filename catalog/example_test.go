package catalog_test

import (
	"errors"
	"fmt"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
)

// A publisher may write the short name of a type that two providers share
// only when it says which provider it means.
func ExampleCatalog_Resolve() {
	c, err := catalog.New()
	if err != nil {
		panic(err)
	}
	_, err = c.Resolve("payment.created", "")
	fmt.Println(err)

	t, _ := c.Resolve("payment.created", "linkmoney")
	fmt.Println(t.Name, hookd.WireType(t.Name))
	// Output:
	// event type "payment.created" is ambiguous: qualify it with its provider, as one of lean:payment.created, linkmoney:payment.created
	// linkmoney:payment.created payment.created
}

func ExampleCatalog_Validate() {
	c, err := catalog.New()
	if err != nil {
		panic(err)
	}
	t, _ := c.Lookup("payment.failed")
	err = c.Validate(t, []byte(`{"resourceType":"payment","achReturnCode":3}`))
	var he *hookd.Error
	if errors.As(err, &he) {
		fmt.Println(he.Code, he.Message)
		for _, d := range he.Details {
			fmt.Println(d.Path, d.Rule, d.Message)
		}
	}
	// Output:
	// validation_failed payload does not match the schema of payment.failed
	// $.payload.achReturnCode type got number, want string
	// $.payload.resourceId required missing required property "resourceId"
}

// A value outside a field's known values is accepted; ValidateWarn reports it.
func ExampleCatalog_ValidateWarn() {
	c, err := catalog.New()
	if err != nil {
		panic(err)
	}
	t, _ := c.Lookup("payment.failed")
	warnings, err := c.ValidateWarn(t, []byte(`{"resourceId":"225f715c","resourceType":"payment","transactionType":"REFUND"}`))
	fmt.Println(err)
	for _, w := range warnings {
		fmt.Println(w.Path, w.Rule, w.Message)
	}
	// Output:
	// <nil>
	// $.payload.transactionType x-extensible-enum "REFUND" is not one of the known values "DEBIT", "CREDIT", "Debit", "Credit": accepted, but receivers may not expect it
}

func ExampleCatalog_Message() {
	c, err := catalog.New()
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Message("entity.created"))
	fmt.Println(c.Message("customer.created"))
	// Output:
	// An entity object has been created.
	// A customer.created event occurred.
}
