package receiver

// Weavr (embedded payment run) event types, as the body's type field
// names them. Weavr subscribes buyerActivatedWatch under the name
// buyerWatch; Decode knows both.
const (
	WeavrBuyerKYBWatch                  = "buyerKYBWatch"
	WeavrBuyerBeneficiaryStatusWatch    = "buyerBeneficiaryStatusWatch"
	WeavrBuyerActivatedWatch            = "buyerActivatedWatch"
	WeavrBuyerWatch                     = "buyerWatch"
	WeavrBuyerDeactivatedWatch          = "buyerDeactivatedWatch"
	WeavrPaymentRunWatch                = "paymentRunWatch"
	WeavrPaymentRunPaymentWatch         = "paymentRunPaymentWatch"
	WeavrPaymentRunGroupNotFunded       = "paymentRunGroupNotFunded"
	WeavrLinkedAccountWatch             = "linkedAccountWatch"
	WeavrLinkedAccountExpiringSoonWatch = "linkedAccountExpiringSoonWatch"
	WeavrSweepingWatch                  = "sweepingWatch"
	WeavrLoginWatch                     = "loginWatch"
	WeavrStepupWatch                    = "stepupWatch"
	WeavrAuthenticationFactorsWatch     = "authenticationFactorsWatch"
)

// Documented values of Weavr's status enumerations. Status fields are
// plain strings: Weavr's own tests show values its specification does not
// list (CONNECTED, DISCONNECTED), and a receiver must not fail on them.
const (
	// WeavrLinkedAccount.Status; the last two are the error variants.
	WeavrLinkedAccountStatusLinked                     = "LINKED"
	WeavrLinkedAccountStatusUnlinked                   = "UNLINKED"
	WeavrLinkedAccountStatusPendingChallenge           = "PENDING_CHALLENGE"
	WeavrLinkedAccountStatusPendingFunding             = "PENDING_FUNDING"
	WeavrLinkedAccountStatusPendingVerification        = "PENDING_VERIFICATION"
	WeavrLinkedAccountStatusRejected                   = "REJECTED"
	WeavrLinkedAccountStatusErrorDuplicatedAccount     = "ERROR_DUPLICATED_ACCOUNT"
	WeavrLinkedAccountStatusCannotLinkMultipleAccounts = "CANNOT_LINK_MULTIPLE_ACCOUNTS"

	// WeavrConsent.Status
	WeavrConsentStatusActive   = "ACTIVE"
	WeavrConsentStatusExpired  = "EXPIRED"
	WeavrConsentStatusRevoked  = "REVOKED"
	WeavrConsentStatusRejected = "REJECTED"

	// WeavrPaymentRun.Status
	WeavrRunStatusQueued              = "QUEUED"
	WeavrRunStatusCancelled           = "CANCELLED"
	WeavrRunStatusCompleted           = "COMPLETED"
	WeavrRunStatusCompletedWithErrors = "COMPLETED_WITH_ERRORS"
	WeavrRunStatusExecuting           = "EXECUTING"
	WeavrRunStatusInvalid             = "INVALID"
	WeavrRunStatusPendingChallenge    = "PENDING_CHALLENGE"
	WeavrRunStatusPendingConfirmation = "PENDING_CONFIRMATION"
	WeavrRunStatusPendingFunding      = "PENDING_FUNDING"
	WeavrRunStatusSCAFailed           = "SCA_FAILED"

	// WeavrPayment.Status
	WeavrPaymentStatusQueued              = "QUEUED"
	WeavrPaymentStatusCancelled           = "CANCELLED"
	WeavrPaymentStatusCompleted           = "COMPLETED"
	WeavrPaymentStatusFailed              = "FAILED"
	WeavrPaymentStatusPendingChallenge    = "PENDING_CHALLENGE"
	WeavrPaymentStatusPendingConfirmation = "PENDING_CONFIRMATION"
	WeavrPaymentStatusPendingFunding      = "PENDING_FUNDING"
	WeavrPaymentStatusReturned            = "RETURNED"
	WeavrPaymentStatusAwaitingFunds       = "AWAITING_FUNDS"
	WeavrPaymentStatusExecuting           = "EXECUTING"
	WeavrPaymentStatusSCAFailed           = "SCA_FAILED"

	// WeavrBuyerKYB.Status and .OngoingStatus
	WeavrKYBStatusNotStarted    = "NOT_STARTED"
	WeavrKYBStatusInitiated     = "INITIATED"
	WeavrKYBStatusPendingReview = "PENDING_REVIEW"
	WeavrKYBStatusApproved      = "APPROVED"
	WeavrKYBStatusRejected      = "REJECTED"

	// WeavrSweeping.Status
	WeavrSweepingStatusSubmitted = "SUBMITTED"
	WeavrSweepingStatusRejected  = "REJECTED"
	WeavrSweepingStatusApproved  = "APPROVED"
	WeavrSweepingStatusFailed    = "FAILED"
	WeavrSweepingStatusCompleted = "COMPLETED"
	WeavrSweepingStatusReturned  = "RETURNED"

	// WeavrChallenge.Status (loginWatch, stepupWatch)
	WeavrChallengeVerified = "VERIFIED"
	WeavrChallengeDeclined = "DECLINED"
	WeavrChallengeExpired  = "EXPIRED"

	// WeavrAuthenticationFactors.Status
	WeavrFactorActive   = "ACTIVE"
	WeavrFactorInactive = "INACTIVE"
)

// WeavrLinkedAccount is the payload of linkedAccountWatch and
// linkedAccountExpiringSoonWatch. Weavr sends one of four variants
// without a discriminator; this struct is their union, told apart by
// Status and by whether ID is set:
//
//   - a linked account: ID and every field set, Status LINKED, UNLINKED,
//     PENDING_* or REJECTED;
//   - ERROR_DUPLICATED_ACCOUNT: AccountIdentification, Currency and
//     Institution, no ID;
//   - REJECTED or CANNOT_LINK_MULTIPLE_ACCOUNTS: only Status and
//     Consent.Status (REJECTED).
type WeavrLinkedAccount struct {
	ID                    string           `json:"id,omitempty"`
	AccountIdentification WeavrBankDetails `json:"accountIdentification"`
	Currency              string           `json:"currency,omitempty"`
	Institution           WeavrInstitution `json:"institution"`
	Consent               WeavrConsent     `json:"consent"`
	Status                string           `json:"status"`
	BuyerID               string           `json:"buyerId,omitempty"`
	UserID                string           `json:"userId,omitempty"`
	FriendlyName          string           `json:"friendlyName,omitempty"`
}

// WeavrBankDetails identifies a bank account: AccountNumber and SortCode
// (with SecondaryReference) for Faster Payments, or IBAN and
// BankIdentifierCode for SEPA.
type WeavrBankDetails struct {
	AccountNumber      string `json:"accountNumber,omitempty"`
	SortCode           string `json:"sortCode,omitempty"`
	SecondaryReference string `json:"secondaryReference,omitempty"`
	IBAN               string `json:"iban,omitempty"`
	BankIdentifierCode string `json:"bankIdentifierCode,omitempty"`
}

// WeavrInstitution is the bank of a linked account.
type WeavrInstitution struct {
	DisplayName string   `json:"displayName,omitempty"`
	Countries   []string `json:"countries,omitempty"`
	Images      struct {
		Icon string `json:"icon,omitempty"`
		Logo string `json:"logo,omitempty"`
	} `json:"images"`
	Info struct {
		LoginURL            string `json:"loginUrl,omitempty"`
		HelplinePhoneNumber string `json:"helplinePhoneNumber,omitempty"`
	} `json:"info"`
}

// WeavrConsent is the open-banking consent of a linked account.
// ExpiresAt is an RFC 3339 date-time, kept as a string so that a
// variation in its format does not fail the whole payload. Weavr does not
// document the unit of ExpiresIn.
type WeavrConsent struct {
	ExpiresAt string `json:"expiresAt,omitempty"`
	ExpiresIn int64  `json:"expiresIn,omitempty"`
	Status    string `json:"status"`
}

// WeavrAmount is an amount in minor units (1000 GBP = £10.00).
type WeavrAmount struct {
	Currency string `json:"currency"`
	Amount   int64  `json:"amount"`
}

// WeavrPaymentRun is the payload of paymentRunWatch. Dates are RFC 3339
// strings.
type WeavrPaymentRun struct {
	ID            string         `json:"id"`
	PaymentRunRef string         `json:"paymentRunRef,omitempty"`
	Tag           string         `json:"tag,omitempty"`
	Description   string         `json:"description,omitempty"`
	CreatedBy     string         `json:"createdBy"`
	BuyerID       string         `json:"buyerId,omitempty"`
	Status        string         `json:"status"`
	StatusReason  string         `json:"statusReason,omitempty"`
	Payments      []WeavrPayment `json:"payments"`
	CreatedAt     string         `json:"createdAt"`
}

// WeavrPayment is one payment of a run, and the payload of
// paymentRunPaymentWatch, which adds PaymentRunID.
type WeavrPayment struct {
	ID                 string                   `json:"id"`
	PaymentRunID       string                   `json:"paymentRunId,omitempty"`
	Status             string                   `json:"status"`
	ExternalRef        string                   `json:"externalRef,omitempty"`
	PaymentRef         string                   `json:"paymentRef,omitempty"`
	PaymentAmount      WeavrAmount              `json:"paymentAmount"`
	Reference          string                   `json:"reference,omitempty"`
	Supplier           WeavrSupplier            `json:"supplier"`
	ValidationOutcomes []WeavrValidationOutcome `json:"validationOutcomes,omitempty"`
}

// WeavrSupplier is the payee of a payment. Type (PERSONAL or BUSINESS) is
// set for Faster Payments.
type WeavrSupplier struct {
	Name               string           `json:"name"`
	Address            string           `json:"address,omitempty"`
	BankName           string           `json:"bankName,omitempty"`
	BankAddress        string           `json:"bankAddress,omitempty"`
	BankCountry        string           `json:"bankCountry,omitempty"`
	Type               string           `json:"type,omitempty"`
	BankAccountDetails WeavrBankDetails `json:"bankAccountDetails"`
}

// WeavrValidationOutcome is the result of a check on a payee, such as UK
// Confirmation of Payee (Match EXACT_MATCH, CLOSE_MATCH or NO_MATCH).
type WeavrValidationOutcome struct {
	Category       string `json:"category"`
	CategoryResult struct {
		Match       string `json:"match,omitempty"`
		ReasonCode  string `json:"reasonCode,omitempty"`
		AccountName string `json:"accountName,omitempty"`
	} `json:"categoryResult"`
}

// WeavrGroupNotFunded is the payload of paymentRunGroupNotFunded: a group
// of a run's payments whose funding has not arrived. Reference starts the
// payment-initiation UI component. Status is the funding instruction's:
// PENDING_FUNDING, AWAITING_FUNDS, CANCELLED, EXECUTING, COMPLETED or
// COMPLETED_WITH_ERRORS.
type WeavrGroupNotFunded struct {
	PaymentRunID string         `json:"paymentRunId"`
	Reference    string         `json:"reference"`
	TotalAmount  WeavrAmount    `json:"totalAmount"`
	Status       string         `json:"status"`
	FundingDate  string         `json:"fundingDate,omitempty"`
	Payments     []WeavrPayment `json:"payments"`
}

// WeavrBuyerKYB is the payload of buyerKYBWatch. Details lists what to
// fix after a temporary rejection.
type WeavrBuyerKYB struct {
	BuyerID          string   `json:"buyerId"`
	Status           string   `json:"status"`
	OngoingStatus    string   `json:"ongoingStatus,omitempty"`
	Details          []string `json:"details,omitempty"`
	RejectionComment string   `json:"rejectionComment,omitempty"`
}

// WeavrBeneficiaryStatus is the payload of buyerBeneficiaryStatusWatch.
// Event names what changed (STATUS_UPDATED, EMAIL_UPDATED, ...).
type WeavrBeneficiaryStatus struct {
	Event                 []string `json:"event"`
	EventDetails          []string `json:"eventDetails,omitempty"`
	AdditionalInformation struct {
		BuyerID        string `json:"buyerId"`
		BuyerName      string `json:"buyerName,omitempty"`
		AdminUserEmail string `json:"adminUserEmail,omitempty"`
		KYBStatus      string `json:"kybStatus,omitempty"`
		Beneficiary    struct {
			Type             string `json:"type,omitempty"`
			FirstName        string `json:"firstName,omitempty"`
			MiddleName       string `json:"middleName,omitempty"`
			LastName         string `json:"lastName,omitempty"`
			Email            string `json:"email,omitempty"`
			Status           string `json:"status,omitempty"`
			OngoingKYBStatus string `json:"ongoingKybStatus,omitempty"`
		} `json:"beneficiary"`
	} `json:"additionalInformation"`
	RejectionComment string `json:"rejectionComment,omitempty"`
}

// WeavrBuyer is the payload of buyerActivatedWatch and
// buyerDeactivatedWatch (which adds ReasonCode). ActionDoneBy is ADMIN,
// EMBEDDER or UNDEFINED.
type WeavrBuyer struct {
	ActionDoneBy        string `json:"actionDoneBy"`
	BuyerID             string `json:"buyerId"`
	ReasonCode          string `json:"reasonCode,omitempty"`
	SupportedCurrencies []struct {
		Currency string `json:"currency"`
		Status   string `json:"status"`
	} `json:"supportedCurrencies"`
}

// WeavrSweeping is the payload of sweepingWatch. TransactionDate is kept
// as a string: Weavr's own example of it is not valid RFC 3339.
type WeavrSweeping struct {
	BuyerID           string      `json:"buyerId"`
	SweepingID        string      `json:"sweepingId"`
	Reference         string      `json:"reference,omitempty"`
	TransactionDate   string      `json:"transactionDate"`
	TransactionAmount WeavrAmount `json:"transactionAmount"`
	Status            string      `json:"status"`
	Destination       struct {
		LinkedAccountID    string           `json:"linkedAccountId"`
		BankAccountDetails WeavrBankDetails `json:"bankAccountDetails"`
	} `json:"destination"`
}

// WeavrCredential identifies a user: Type ROOT or USER, and its id.
type WeavrCredential struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// WeavrChallenge is the payload of loginWatch and stepupWatch (which adds
// ChallengeID and AuthToken). PublishedTimestamp is epoch milliseconds as
// a decimal string.
type WeavrChallenge struct {
	Credential         WeavrCredential `json:"credential"`
	BuyerID            string          `json:"buyerId,omitempty"`
	ChallengeID        string          `json:"challengeId,omitempty"`
	Type               string          `json:"type"`
	Status             string          `json:"status"`
	PublishedTimestamp string          `json:"publishedTimestamp"`
	AuthToken          string          `json:"authToken,omitempty"`
}

// WeavrAuthenticationFactors is the payload of authenticationFactorsWatch.
type WeavrAuthenticationFactors struct {
	Credential         WeavrCredential `json:"credential"`
	CredentialID       string          `json:"credentialId,omitempty"`
	Type               string          `json:"type"`
	Status             string          `json:"status"`
	PublishedTimestamp string          `json:"publishedTimestamp"`
}

// weavrPayloads maps each Weavr event type to a new payload struct:
// what Decode knows and Types lists.
var weavrPayloads = map[string]func() any{
	WeavrLinkedAccountWatch:             func() any { return new(WeavrLinkedAccount) },
	WeavrLinkedAccountExpiringSoonWatch: func() any { return new(WeavrLinkedAccount) },
	WeavrPaymentRunWatch:                func() any { return new(WeavrPaymentRun) },
	WeavrPaymentRunPaymentWatch:         func() any { return new(WeavrPayment) },
	WeavrPaymentRunGroupNotFunded:       func() any { return new(WeavrGroupNotFunded) },
	WeavrBuyerKYBWatch:                  func() any { return new(WeavrBuyerKYB) },
	WeavrBuyerBeneficiaryStatusWatch:    func() any { return new(WeavrBeneficiaryStatus) },
	WeavrBuyerActivatedWatch:            func() any { return new(WeavrBuyer) },
	WeavrBuyerWatch:                     func() any { return new(WeavrBuyer) },
	WeavrBuyerDeactivatedWatch:          func() any { return new(WeavrBuyer) },
	WeavrSweepingWatch:                  func() any { return new(WeavrSweeping) },
	WeavrLoginWatch:                     func() any { return new(WeavrChallenge) },
	WeavrStepupWatch:                    func() any { return new(WeavrChallenge) },
	WeavrAuthenticationFactorsWatch:     func() any { return new(WeavrAuthenticationFactors) },
}
