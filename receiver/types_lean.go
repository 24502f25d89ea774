package receiver

import "encoding/json"

// Lean Technologies event types. The first thirteen are those of Lean's
// webhook library; the rest are types Lean's documentation lists without
// a payload example, whose structs are therefore partly inferred.
const (
	LeanEntityCreated                   = "entity.created"
	LeanEntityUpdated                   = "entity.updated"
	LeanResultsReady                    = "results.ready"
	LeanBankAvailabilityUpdated         = "bank.availability.updated"
	LeanIBANBankAvailabilityUpdated     = "iban_account_verification.bank.availability.updated"
	LeanReportGenerated                 = "report.generated"
	LeanReportFailed                    = "report.failed"
	LeanUnsupportedBankRequestCreated   = "hyperlink.unsupported_bank_request.created"
	LeanPaymentSourceCreated            = "payment_source.created"
	LeanPaymentSourceBeneficiaryCreated = "payment_source.beneficiary.created"
	LeanPaymentSourceBeneficiaryUpdated = "payment_source.beneficiary.updated"
	LeanPaymentCreated                  = "payment.created"
	LeanPaymentUpdated                  = "payment.updated"
	LeanEntityReconnected               = "entity.reconnected"
	LeanPaymentIntentCreated            = "payment_intent.created"
	LeanPaymentIntentExpired            = "payment_intent.expired"
	LeanPaymentSourceUpdated            = "payment_source.updated"
	LeanPaymentReconciliationUpdated    = "payment.reconciliation.updated"
	LeanBulkPaymentIntentCreated        = "bulk_payment_intent.created"
	LeanBulkPaymentIntentUpdated        = "bulk_payment_intent.updated"
	LeanEntityDataRefreshUpdated        = "entity.data.refresh.updated"
	LeanTransactionAccount              = "transaction.account"
	LeanTransactionAccountPostProcess   = "transaction.account.post_process"
	LeanPaymentTransaction              = "payment.transaction"
)

// Documented values of Lean's enumerations. Status fields are plain
// strings: Lean may add values, and a receiver must not fail on them.
const (
	// LeanPayment.Status
	LeanPaymentStatusAwaitingLoginMFA   = "AWAITING_LOGIN_MFA"
	LeanPaymentStatusAwaitingPaymentMFA = "AWAITING_PAYMENT_MFA"
	LeanPaymentStatusAwaitingAppAuth    = "AWAITING_APP_AUTH"
	LeanPaymentStatusFailed             = "FAILED"
	LeanPaymentStatusPendingWithBank    = "PENDING_WITH_BANK"
	LeanPaymentStatusAcceptedByBank     = "ACCEPTED_BY_BANK"

	// LeanPaymentSource.Status and LeanBeneficiary.Status
	LeanSourceStatusAwaitingBeneficiaryCoolOff = "AWAITING_BENEFICIARY_COOL_OFF"
	LeanSourceStatusPendingBeneficiaryCoolOff  = "PENDING_BENEFICIARY_COOL_OFF"
	LeanSourceStatusActive                     = "ACTIVE"

	// LeanBankDetails.AccountType
	LeanAccountBusiness = "BUSINESS"
	LeanAccountPersonal = "PERSONAL"

	// LeanReconciliation.Status
	LeanReconciliationReconciled  = "RECONCILED"
	LeanReconciliationOutstanding = "OUTSTANDING"
	LeanReconciliationUnreceived  = "UNRECEIVED"
)

// Lean entity permissions, the values of LeanEntity.Permissions.
const (
	LeanPermissionIdentity          = "identity"
	LeanPermissionAccounts          = "accounts"
	LeanPermissionBalance           = "balance"
	LeanPermissionTransactions      = "transactions"
	LeanPermissionIdentities        = "identities"
	LeanPermissionScheduledPayments = "scheduled_payments"
	LeanPermissionStandingOrders    = "standing_orders"
	LeanPermissionDirectDebits      = "direct_debits"
	LeanPermissionBeneficiaries     = "beneficiaries"
	LeanPermissionPayments          = "payments"
)

// LeanEnvelope is the body of a lean-profile webhook. Timestamp is RFC 3339
// in UTC with 6 to 9 fraction digits, the time of the first attempt;
// EventID is the deduplication key.
type LeanEnvelope struct {
	Type      string          `json:"type"`
	Message   string          `json:"message"`
	Payload   json.RawMessage `json:"payload"`
	Timestamp string          `json:"timestamp"`
	EventID   string          `json:"event_id"`
}

// LeanEntity is the payload of entity.created, entity.updated and
// entity.reconnected: a connected bank account's consent.
type LeanEntity struct {
	ID          string          `json:"id"`
	AppUserID   string          `json:"app_user_id"`
	CustomerID  string          `json:"customer_id"`
	Permissions []string        `json:"permissions"`
	BankDetails LeanBankDetails `json:"bank_details"`
}

// LeanBankDetails describes the bank of an entity. SwiftCode and BankType
// appear in real payloads, not in the webhook library.
type LeanBankDetails struct {
	Logo            string `json:"logo"`
	Name            string `json:"name"`
	AccountType     string `json:"account_type"`
	Identifier      string `json:"identifier"`
	MainColor       string `json:"main_color"`
	BackgroundColor string `json:"background_color"`
	SwiftCode       string `json:"swift_code,omitempty"`
	BankType        string `json:"bank_type,omitempty"`
}

// LeanResults is the payload of results.ready: the id of the
// asynchronous data request whose results can now be fetched.
type LeanResults struct {
	ID string `json:"id"`
}

// LeanBankAvailability is the payload of bank.availability.updated.
type LeanBankAvailability struct {
	Identifier   string `json:"identifier"`
	Availability struct {
		Active  LeanProductFlags `json:"active"`
		Enabled LeanProductFlags `json:"enabled"`
	} `json:"availability"`
}

// LeanProductFlags says per product whether a bank is on.
type LeanProductFlags struct {
	Payments bool `json:"payments"`
	Data     bool `json:"data"`
}

// LeanIBANBankAvailability is the payload of
// iban_account_verification.bank.availability.updated. Global and the
// match values are "enabled" or "disabled". AccountType is keyed by
// account kind ("personal", "freelancer", "business"), a map so that a
// new kind needs no change here.
type LeanIBANBankAvailability struct {
	CountryCode  string `json:"country_code"`
	BankCode     string `json:"bank_code"`
	Availability struct {
		Global      string                          `json:"global"`
		AccountType map[string]LeanIBANAvailability `json:"account_type"`
	} `json:"availability"`
}

// LeanIBANAvailability says whether IBAN verification can answer "match"
// and "no match" for one kind of account.
type LeanIBANAvailability struct {
	Match   string `json:"match"`
	NoMatch string `json:"no_match"`
}

// LeanReport is the payload of report.generated and report.failed (which
// has no ReportID).
type LeanReport struct {
	CustomerID string `json:"customer_id"`
	ReportID   string `json:"report_id,omitempty"`
}

// LeanUnsupportedBankRequest is the payload of
// hyperlink.unsupported_bank_request.created.
type LeanUnsupportedBankRequest struct {
	CustomerID     string `json:"customer_id"`
	BankIdentifier string `json:"bank_identifier"`
}

// LeanPaymentSource is the payload of payment_source.created and
// payment_source.updated.
type LeanPaymentSource struct {
	ID             string `json:"id"`
	CustomerID     string `json:"customer_id"`
	Status         string `json:"status"`
	BankIdentifier string `json:"bank_identifier"`
	BankName       string `json:"bank_name"`
}

// LeanBeneficiary is the payload of payment_source.beneficiary.created and
// .updated: the pathway from a payment source to a payment destination.
type LeanBeneficiary struct {
	ID                          string `json:"id"`
	CustomerID                  string `json:"customer_id"`
	PaymentSourceID             string `json:"payment_source_id"`
	PaymentDestinationID        string `json:"payment_destination_id"`
	Status                      string `json:"status"`
	PaymentSourceBankIdentifier string `json:"payment_source_bank_identifier,omitempty"`
}

// LeanPayment is the payload of payment.created, payment.updated and
// payment.reconciliation.updated. Amount is in major units (10.17 AED).
// Reconciliation, set by payment.reconciliation.updated, is inferred from
// Lean's reconciliation guide, which gives the payment a reconciliation
// object with its own status.
type LeanPayment struct {
	ID                       string              `json:"id"`
	CustomerID               string              `json:"customer_id"`
	IntentID                 string              `json:"intent_id"`
	Status                   string              `json:"status"`
	Amount                   float64             `json:"amount"`
	Currency                 string              `json:"currency"`
	BankTransactionReference string              `json:"bank_transaction_reference,omitempty"`
	EndUserID                string              `json:"end_user_id,omitempty"`
	PaymentDestinationID     string              `json:"payment_destination_id,omitempty"`
	Metadata                 map[string]any      `json:"metadata,omitempty"`
	Reason                   string              `json:"reason,omitempty"`
	Reconciliation           *LeanReconciliation `json:"reconciliation,omitempty"`
}

// LeanReconciliation is the reconciliation state of a payment.
type LeanReconciliation struct {
	Status    string  `json:"status"`
	Reference string  `json:"reference,omitempty"`
	Amount    float64 `json:"amount,omitempty"`
	Currency  string  `json:"currency,omitempty"`
	UpdatedAt string  `json:"updated_at,omitempty"`
}

// The payloads below are those of the types Lean lists without an
// example; their shapes are inferred from Lean's API objects and match
// hookd's catalog examples. Webhook.Payload keeps every field sent.

// LeanPaymentIntent is the payload of payment_intent.created and
// payment_intent.expired. Lean's API names the id payment_intent_id
// where webhook payloads say id; both are read. Times are RFC 3339
// strings.
type LeanPaymentIntent struct {
	ID                   string         `json:"id,omitempty"`
	PaymentIntentID      string         `json:"payment_intent_id,omitempty"`
	CustomerID           string         `json:"customer_id"`
	Amount               float64        `json:"amount"`
	Currency             string         `json:"currency"`
	PaymentDestinationID string         `json:"payment_destination_id,omitempty"`
	Description          string         `json:"description,omitempty"`
	Status               string         `json:"status,omitempty"`
	EndUserID            string         `json:"end_user_id,omitempty"`
	Metadata             map[string]any `json:"metadata,omitempty"`
	CreatedAt            string         `json:"created_at,omitempty"`
	ExpiresAt            string         `json:"expires_at,omitempty"`
	ExpiredAt            string         `json:"expired_at,omitempty"`
}

// LeanBulkPaymentIntent is the payload of bulk_payment_intent.created and
// .updated: several payment intents authorised together.
type LeanBulkPaymentIntent struct {
	ID             string              `json:"id"`
	CustomerID     string              `json:"customer_id"`
	Status         string              `json:"status"`
	TotalAmount    float64             `json:"total_amount"`
	Currency       string              `json:"currency"`
	PaymentIntents []LeanPaymentIntent `json:"payment_intents,omitempty"`
}

// LeanDataRefresh is the payload of entity.data.refresh.updated: a
// refresh of an entity's data finished (Status) or failed (Reason).
type LeanDataRefresh struct {
	EntityID    string `json:"entity_id"`
	CustomerID  string `json:"customer_id"`
	Status      string `json:"status"`
	RefreshedAt string `json:"refreshed_at,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// LeanAccountTransactions is the payload of transaction.account (an
// account's transactions were fetched, FromDate to ToDate) and
// transaction.account.post_process (their enrichment finished, Status).
type LeanAccountTransactions struct {
	EntityID          string `json:"entity_id"`
	CustomerID        string `json:"customer_id"`
	AccountID         string `json:"account_id"`
	Status            string `json:"status,omitempty"`
	TransactionsCount int    `json:"transactions_count"`
	FromDate          string `json:"from_date,omitempty"`
	ToDate            string `json:"to_date,omitempty"`
}

// LeanTransaction is the payload of payment.transaction: the bank
// transaction that carried a payment.
type LeanTransaction struct {
	PaymentID     string  `json:"payment_id"`
	IntentID      string  `json:"intent_id,omitempty"`
	CustomerID    string  `json:"customer_id"`
	TransactionID string  `json:"transaction_id"`
	Amount        float64 `json:"amount"`
	Currency      string  `json:"currency"`
	BookedAt      string  `json:"booked_at,omitempty"`
}

// leanPayloads maps each Lean event type to a new payload struct:
// what Decode knows and Types lists.
var leanPayloads = map[string]func() any{
	LeanEntityCreated:                   func() any { return new(LeanEntity) },
	LeanEntityUpdated:                   func() any { return new(LeanEntity) },
	LeanEntityReconnected:               func() any { return new(LeanEntity) },
	LeanResultsReady:                    func() any { return new(LeanResults) },
	LeanBankAvailabilityUpdated:         func() any { return new(LeanBankAvailability) },
	LeanIBANBankAvailabilityUpdated:     func() any { return new(LeanIBANBankAvailability) },
	LeanReportGenerated:                 func() any { return new(LeanReport) },
	LeanReportFailed:                    func() any { return new(LeanReport) },
	LeanUnsupportedBankRequestCreated:   func() any { return new(LeanUnsupportedBankRequest) },
	LeanPaymentSourceCreated:            func() any { return new(LeanPaymentSource) },
	LeanPaymentSourceUpdated:            func() any { return new(LeanPaymentSource) },
	LeanPaymentSourceBeneficiaryCreated: func() any { return new(LeanBeneficiary) },
	LeanPaymentSourceBeneficiaryUpdated: func() any { return new(LeanBeneficiary) },
	LeanPaymentCreated:                  func() any { return new(LeanPayment) },
	LeanPaymentUpdated:                  func() any { return new(LeanPayment) },
	LeanPaymentReconciliationUpdated:    func() any { return new(LeanPayment) },
	LeanPaymentIntentCreated:            func() any { return new(LeanPaymentIntent) },
	LeanPaymentIntentExpired:            func() any { return new(LeanPaymentIntent) },
	LeanBulkPaymentIntentCreated:        func() any { return new(LeanBulkPaymentIntent) },
	LeanBulkPaymentIntentUpdated:        func() any { return new(LeanBulkPaymentIntent) },
	LeanEntityDataRefreshUpdated:        func() any { return new(LeanDataRefresh) },
	LeanTransactionAccount:              func() any { return new(LeanAccountTransactions) },
	LeanTransactionAccountPostProcess:   func() any { return new(LeanAccountTransactions) },
	LeanPaymentTransaction:              func() any { return new(LeanTransaction) },
}
