package receiver

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// Bodies from the seed documents; the Lean one with its
// `"BUSINESS" | "PERSONAL"` placeholder made valid JSON.
const (
	seedLeanEntityCreated = `{
"type": "entity.created",
"message": "An entity object has been created.",
"payload": {
"id": "dd64bba9-9446-4ca0-b9ed-bec2b2a49024",
"app_user_id": "lean_test_framework_user_1678954843328",
"customer_id": "a8e9bf82-245a-4f5c-b048-9024fd7910cb",
"permissions": [
"transactions", "identity", "identities", "accounts",
"standing_orders", "direct_debits", "scheduled_payments", "beneficiaries"
],
"bank_details": {
"logo": "https://cdn.leantech.me/img/banks/white-lean.png",
"name": "Lean SAMA Open Banking MockBank",
"account_type": "BUSINESS",
"identifier": "LEA1_SAMAOB_SAU",
"main_color": "#1beb75",
"background_color": "#ffffff"
}
}
}`
	seedLeanPaymentUpdated = `{
"payload": {
"id": "e4e672fb-7f3c-43ea-be31-84195a65d0d7",
"customer_id": "8ad2437d-2815-4b5c-82fd-543d85567668",
"intent_id": "17e030df-91a9-4463-964c-6656605d5bcf",
"status": "ACCEPTED_BY_BANK",
"amount": 670,
"currency": "AED",
"bank_transaction_reference": "44778733",
"end_user_id": "eb3b08f9-4d5e-4ea3-8d28-09b4917a61a9"
},
"type": "payment.updated",
"message": "A payment object has been updated.",
"timestamp": "2022-10-07T10:43:45.128593273Z",
"event_id": "db2d5765-a303-4f0a-8bbe-b7a4711cf60b"
}`
	seedLinkMoneyPaymentFailed = `{
 "id":"b973a6e3b-a7d2-bb40-f811-be2df2d5d56",
 "creationTime":"2023-12-08T17:30:42.505",
 "eventType":"payment.failed",
 "metadata":{
 "resourceId":"225f715c-a016-4222-8b8c-966e838deb66",
 "resourceType":"payment",
 "clientReferenceId":"898-jdhf-83784-jfss",
 "transactionType":"DEBIT",
 "achReturnCode":"R03"
 }
}`
	// The seed's sample collapses the payload; this one fills it with the
	// Linked Account Status variant of Weavr's specification.
	seedWeavrLinkedAccount = `{
  "type": "linkedAccountWatch",
  "payload": {
    "id": "652d25b73541d8084a88a38d",
    "accountIdentification": {"accountNumber": "12345678", "sortCode": "040004"},
    "currency": "GBP",
    "institution": {
      "displayName": "Mock Bank",
      "countries": ["GB"],
      "images": {"icon": "https://example.com/i.png", "logo": "https://example.com/l.png"},
      "info": {"loginUrl": "https://bank.example.com", "helplinePhoneNumber": "+44 20 0000 0000"}
    },
    "consent": {"expiresAt": "2024-06-01T00:00:00Z", "expiresIn": 90, "status": "ACTIVE"},
    "status": "LINKED",
    "buyerId": "110747174434373672",
    "userId": "110747174434373673",
    "friendlyName": "Operating account"
  }
}`
)

func TestParseDecodeLean(t *testing.T) {
	t.Parallel()
	w, err := Parse(Lean, nil, []byte(seedLeanEntityCreated))
	if err != nil {
		t.Fatal(err)
	}
	// The seed's example has no event_id nor timestamp.
	if w.Type != LeanEntityCreated || w.ID != "" || !w.Timestamp.IsZero() {
		t.Errorf("webhook = %+v", w)
	}
	v, err := w.Decode()
	if err != nil {
		t.Fatal(err)
	}
	e, ok := v.(*LeanEntity)
	if !ok {
		t.Fatalf("Decode = %T", v)
	}
	want := LeanEntity{
		ID:         "dd64bba9-9446-4ca0-b9ed-bec2b2a49024",
		AppUserID:  "lean_test_framework_user_1678954843328",
		CustomerID: "a8e9bf82-245a-4f5c-b048-9024fd7910cb",
		Permissions: []string{LeanPermissionTransactions, LeanPermissionIdentity, LeanPermissionIdentities,
			LeanPermissionAccounts, LeanPermissionStandingOrders, LeanPermissionDirectDebits,
			LeanPermissionScheduledPayments, LeanPermissionBeneficiaries},
		BankDetails: LeanBankDetails{
			Logo:            "https://cdn.leantech.me/img/banks/white-lean.png",
			Name:            "Lean SAMA Open Banking MockBank",
			AccountType:     LeanAccountBusiness,
			Identifier:      "LEA1_SAMAOB_SAU",
			MainColor:       "#1beb75",
			BackgroundColor: "#ffffff",
		},
	}
	if !reflect.DeepEqual(*e, want) {
		t.Errorf("entity = %+v\nwant     %+v", *e, want)
	}

	w, err = Parse(Lean, nil, []byte(seedLeanPaymentUpdated))
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != "db2d5765-a303-4f0a-8bbe-b7a4711cf60b" ||
		!w.Timestamp.Equal(time.Date(2022, 10, 7, 10, 43, 45, 128593273, time.UTC)) {
		t.Errorf("webhook = %+v", w)
	}
	v, err = w.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := v.(*LeanPayment); !ok || p.Amount != 670 || p.Status != LeanPaymentStatusAcceptedByBank ||
		p.EndUserID != "eb3b08f9-4d5e-4ea3-8d28-09b4917a61a9" {
		t.Errorf("Decode = %#v", v)
	}
}

func TestParseDecodeLinkMoney(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("webhook-id", "evt_1")
	w, err := Parse(LinkMoney, h, []byte(seedLinkMoneyPaymentFailed))
	if err != nil {
		t.Fatal(err)
	}
	if w.Type != LinkMoneyPaymentFailed || w.ID != "evt_1" ||
		!w.Timestamp.Equal(time.Date(2023, 12, 8, 17, 30, 42, 505e6, time.UTC)) {
		t.Errorf("webhook = %+v", w)
	}
	v, err := w.Decode()
	if err != nil {
		t.Fatal(err)
	}
	want := LinkMoneyMetadata{
		ResourceID:        "225f715c-a016-4222-8b8c-966e838deb66",
		ResourceType:      LinkMoneyResourcePayment,
		ClientReferenceID: "898-jdhf-83784-jfss",
		TransactionType:   LinkMoneyDebit,
		AchReturnCode:     "R03",
	}
	if m, ok := v.(*LinkMoneyMetadata); !ok || *m != want {
		t.Errorf("Decode = %#v", v)
	}
	// Without the header the body's id is the dedupe id.
	if w, err := Parse(LinkMoney, nil, []byte(seedLinkMoneyPaymentFailed)); err != nil || w.ID != "b973a6e3b-a7d2-bb40-f811-be2df2d5d56" {
		t.Errorf("Parse without webhook-id: %+v, %v", w, err)
	}
	var env LinkMoneyEnvelope
	if err := json.Unmarshal([]byte(seedLinkMoneyPaymentFailed), &env); err != nil || env.Metadata != want {
		t.Errorf("LinkMoneyEnvelope = %+v, %v", env, err)
	}
}

func TestParseDecodeWeavr(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("call-ref", "ref-1")
	h.Set("published-timestamp", "1709294400123")
	w, err := Parse(Weavr, h, []byte(seedWeavrLinkedAccount))
	if err != nil {
		t.Fatal(err)
	}
	if w.Type != WeavrLinkedAccountWatch || w.ID != "ref-1" || !w.Timestamp.Equal(time.UnixMilli(1709294400123)) {
		t.Errorf("webhook = %+v", w)
	}
	v, err := w.Decode()
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.(*WeavrLinkedAccount)
	if !ok {
		t.Fatalf("Decode = %T", v)
	}
	if a.ID != "652d25b73541d8084a88a38d" || a.Status != WeavrLinkedAccountStatusLinked ||
		a.AccountIdentification.SortCode != "040004" || a.Institution.Info.LoginURL != "https://bank.example.com" ||
		a.Consent.Status != WeavrConsentStatusActive || a.Consent.ExpiresIn != 90 || a.FriendlyName != "Operating account" {
		t.Errorf("linked account = %+v", a)
	}

	// The other variants, and a status the specification does not list.
	for _, tc := range []struct{ body, status, consent string }{
		{`{"type":"linkedAccountWatch","payload":{"status":"REJECTED","consent":{"status":"REJECTED"}}}`, "REJECTED", "REJECTED"},
		{`{"type":"linkedAccountWatch","payload":{"status":"CANNOT_LINK_MULTIPLE_ACCOUNTS","consent":{"status":"REJECTED"}}}`, "CANNOT_LINK_MULTIPLE_ACCOUNTS", "REJECTED"},
		{`{"type":"linkedAccountExpiringSoonWatch","payload":{"status":"ERROR_DUPLICATED_ACCOUNT","currency":"EUR","accountIdentification":{"iban":"DE89370400440532013000"},"institution":{"countries":["DE"]}}}`, "ERROR_DUPLICATED_ACCOUNT", ""},
		{`{"type":"linkedAccountWatch","payload":{"id":"652d25b73541d8084a88a38d","status":"CONNECTED"}}`, "CONNECTED", ""},
	} {
		w, err := Parse(Weavr, nil, []byte(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		v, err := w.Decode()
		if err != nil {
			t.Fatal(err)
		}
		if a := v.(*WeavrLinkedAccount); a.Status != tc.status || a.Consent.Status != tc.consent {
			t.Errorf("%s: %+v", tc.body, a)
		}
	}
}

func TestDecodeStandard(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", "1709294400")
	parse := func(typ, data string) *Webhook {
		t.Helper()
		w, err := Parse(Standard, h, []byte(`{"type":"`+typ+`","timestamp":"2024-03-01T12:00:00.000000Z","data":`+data+`}`))
		if err != nil {
			t.Fatal(err)
		}
		if w.ID != "msg_1" || !w.Timestamp.Equal(time.Unix(1709294400, 0)) {
			t.Errorf("webhook = %+v", w)
		}
		return w
	}
	if v, err := parse(WeavrPaymentRunWatch, `{"id":"r1","status":"EXECUTING","payments":[{"id":"p1","status":"AWAITING_FUNDS","paymentAmount":{"currency":"GBP","amount":454321}}]}`).Decode(); err != nil {
		t.Error(err)
	} else if r, ok := v.(*WeavrPaymentRun); !ok || r.Payments[0].PaymentAmount.Amount != 454321 {
		t.Errorf("paymentRunWatch: %#v", v)
	}

	// payment.created is both Lean's and Link Money's: Decode leaves it raw.
	w := parse("payment.created", `{"id":"p1","amount":10.17,"resourceId":"r1"}`)
	if v, err := w.Decode(); err != nil || reflect.TypeOf(v) != reflect.TypeFor[json.RawMessage]() {
		t.Errorf("ambiguous Decode = %T, %v", v, err)
	}
	if v, err := w.DecodeAs(Lean); err != nil || v.(*LeanPayment).Amount != 10.17 {
		t.Errorf("DecodeAs(Lean) = %#v, %v", v, err)
	}
	if v, err := w.DecodeAs(LinkMoney); err != nil || v.(*LinkMoneyMetadata).ResourceID != "r1" {
		t.Errorf("DecodeAs(LinkMoney) = %#v, %v", v, err)
	}
	if v, err := parse("invoice.paid", `{"n":1}`).Decode(); err != nil || string(v.(json.RawMessage)) != `{"n":1}` {
		t.Errorf("unknown type: %#v, %v", v, err)
	}
	if _, err := parse(LeanEntityCreated, `"not an object"`).Decode(); !errors.Is(err, ErrMalformed) {
		t.Errorf("bad payload: %v, want ErrMalformed", err)
	}
}

func TestCatalogDecodes(t *testing.T) {
	t.Parallel()
	catalog := map[Profile][]string{
		Lean: {LeanEntityCreated, LeanEntityUpdated, LeanResultsReady, LeanBankAvailabilityUpdated,
			LeanIBANBankAvailabilityUpdated, LeanReportGenerated, LeanReportFailed,
			LeanUnsupportedBankRequestCreated, LeanPaymentSourceCreated, LeanPaymentSourceBeneficiaryCreated,
			LeanPaymentSourceBeneficiaryUpdated, LeanPaymentCreated, LeanPaymentUpdated, LeanEntityReconnected,
			LeanPaymentIntentCreated, LeanPaymentIntentExpired, LeanPaymentSourceUpdated,
			LeanPaymentReconciliationUpdated, LeanBulkPaymentIntentCreated, LeanBulkPaymentIntentUpdated,
			LeanEntityDataRefreshUpdated, LeanTransactionAccount, LeanTransactionAccountPostProcess,
			LeanPaymentTransaction},
		LinkMoney: {LinkMoneyCustomerCreated, LinkMoneyCustomerActivated, LinkMoneyCustomerDeactivated,
			LinkMoneyCustomerAccountLinked, LinkMoneyCustomerAccountDeactivated, LinkMoneyPaymentCreated,
			LinkMoneyPaymentPending, LinkMoneyPaymentAuthorized, LinkMoneyPaymentScheduled,
			LinkMoneyPaymentInitiated, LinkMoneyPaymentSucceeded, LinkMoneyPaymentDisbursed,
			LinkMoneyPaymentCanceled, LinkMoneyPaymentFailed, LinkMoneyReportDelivered,
			LinkMoneyReportDeliveryFailed},
		Weavr: {WeavrBuyerKYBWatch, WeavrBuyerBeneficiaryStatusWatch, WeavrBuyerActivatedWatch,
			WeavrBuyerWatch, WeavrBuyerDeactivatedWatch, WeavrPaymentRunWatch, WeavrPaymentRunPaymentWatch,
			WeavrPaymentRunGroupNotFunded, WeavrLinkedAccountWatch, WeavrLinkedAccountExpiringSoonWatch,
			WeavrSweepingWatch, WeavrLoginWatch, WeavrStepupWatch, WeavrAuthenticationFactorsWatch},
	}
	counts := map[Profile]int{Lean: 24, LinkMoney: 16, Weavr: 14}
	for p, types := range catalog {
		if len(types) != counts[p] {
			t.Errorf("%s: %d types listed, want %d", p, len(types), counts[p])
		}
		for _, typ := range types {
			w := &Webhook{Profile: p, Type: typ, Payload: json.RawMessage(`{}`)}
			v, err := w.Decode()
			if err != nil {
				t.Errorf("%s %s: %v", p, typ, err)
			}
			if _, raw := v.(json.RawMessage); raw || v == nil {
				t.Errorf("%s %s: no typed payload", p, typ)
			}
			// Under the standard profile every type but the shared one
			// finds its provider.
			sv, _ := (&Webhook{Profile: Standard, Type: typ, Payload: w.Payload}).Decode()
			if _, raw := sv.(json.RawMessage); raw != (typ == "payment.created") {
				t.Errorf("standard %s: Decode = %T", typ, sv)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p    Profile
		h    http.Header
		body string
		want error
	}{
		{Standard, nil, ``, ErrMalformed},
		{Standard, nil, `null`, ErrMalformed},
		{Standard, nil, `[]`, ErrMalformed},
		{Standard, nil, `{"data":{}}`, ErrMalformed},
		{Standard, nil, `{"type":7}`, ErrMalformed},
		{Standard, nil, `{"type":"x"} {}`, ErrMalformed},
		{Standard, nil, `{"type":"x","timestamp":"yesterday"}`, ErrMalformed},
		{Standard, http.Header{"Webhook-Timestamp": {"x"}}, `{"type":"x"}`, ErrMalformed},
		{Lean, nil, `{"payload":{},"type":"results.ready",}`, ErrMalformed}, // the seed's trailing comma
		{Lean, nil, `{"type":"x","timestamp":"2021-09-02 15:38:54"}`, ErrMalformed},
		{LinkMoney, nil, `{"eventType":"payment.failed","creationTime":"08/12/2023"}`, ErrMalformed},
		{LinkMoney, nil, `{"type":"payment.failed"}`, ErrMalformed},
		{Weavr, http.Header{"Published-Timestamp": {"1.5e12"}}, `{"type":"x"}`, ErrMalformed},
		{"other", nil, `{"type":"x"}`, ErrConfig},
	} {
		if _, err := Parse(tc.p, tc.h, []byte(tc.body)); !errors.Is(err, tc.want) {
			t.Errorf("Parse(%s, %q) = %v, want %v", tc.p, tc.body, err, tc.want)
		}
	}
	// A creationTime with a zone is unambiguous and accepted.
	w, err := Parse(LinkMoney, nil, []byte(`{"eventType":"payment.failed","creationTime":"2023-12-08T17:30:42.505+01:00"}`))
	if err != nil || !w.Timestamp.Equal(time.Date(2023, 12, 8, 16, 30, 42, 505e6, time.UTC)) {
		t.Errorf("creationTime with zone: %+v, %v", w, err)
	}
}
