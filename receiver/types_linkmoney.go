package receiver

// Link Money event types. Every one carries a LinkMoneyMetadata.
const (
	LinkMoneyCustomerCreated            = "customer.created"
	LinkMoneyCustomerActivated          = "customer.activated"
	LinkMoneyCustomerDeactivated        = "customer.deactivated"
	LinkMoneyCustomerAccountLinked      = "customer.account.linked"
	LinkMoneyCustomerAccountDeactivated = "customer.account.deactivated"
	LinkMoneyPaymentCreated             = "payment.created"
	LinkMoneyPaymentPending             = "payment.pending"
	LinkMoneyPaymentAuthorized          = "payment.authorized"
	LinkMoneyPaymentScheduled           = "payment.scheduled"
	LinkMoneyPaymentInitiated           = "payment.initiated"
	LinkMoneyPaymentSucceeded           = "payment.succeeded"
	LinkMoneyPaymentDisbursed           = "payment.disbursed"
	LinkMoneyPaymentCanceled            = "payment.canceled"
	LinkMoneyPaymentFailed              = "payment.failed"
	LinkMoneyReportDelivered            = "report.delivered"
	LinkMoneyReportDeliveryFailed       = "report.delivery.failed"
)

// Documented values of Link Money's enumerations; fields stay plain
// strings so that other values (Link Money's own field list capitalises
// them) decode too.
const (
	// LinkMoneyMetadata.ResourceType, lowercase in Link Money's examples.
	LinkMoneyResourceCustomer = "customer"
	LinkMoneyResourcePayment  = "payment"

	// LinkMoneyMetadata.TransactionType
	LinkMoneyDebit  = "DEBIT"
	LinkMoneyCredit = "CREDIT"
)

// LinkMoneyEnvelope is the body of a linkmoney-profile webhook.
// CreationTime is a local date-time without zone, milliseconds
// ("2023-12-08T17:30:42.505"); hookd sends UTC.
type LinkMoneyEnvelope struct {
	ID           string            `json:"id"`
	CreationTime string            `json:"creationTime"`
	EventType    string            `json:"eventType"`
	Metadata     LinkMoneyMetadata `json:"metadata"`
}

// LinkMoneyMetadata is the payload of every Link Money event type.
type LinkMoneyMetadata struct {
	// ResourceID is the customerId or the paymentId, by ResourceType.
	ResourceID   string `json:"resourceId"`
	ResourceType string `json:"resourceType"`
	// ClientReferenceID is set when the payment was created with one.
	ClientReferenceID string `json:"clientReferenceId,omitempty"`
	TransactionType   string `json:"transactionType,omitempty"`
	// PaymentType is the name Link Money's field list gives to what its
	// examples send as transactionType; read in case it is ever sent.
	PaymentType string `json:"paymentType,omitempty"`
	// AchReturnCode is the NACHA return code (R01, R03, ...) of a
	// payment.failed.
	AchReturnCode string `json:"achReturnCode,omitempty"`
}

// linkMoneyPayloads maps each Link Money event type to a new payload struct:
// what Decode knows and Types lists.
var linkMoneyPayloads = map[string]func() any{
	LinkMoneyCustomerCreated:            func() any { return new(LinkMoneyMetadata) },
	LinkMoneyCustomerActivated:          func() any { return new(LinkMoneyMetadata) },
	LinkMoneyCustomerDeactivated:        func() any { return new(LinkMoneyMetadata) },
	LinkMoneyCustomerAccountLinked:      func() any { return new(LinkMoneyMetadata) },
	LinkMoneyCustomerAccountDeactivated: func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentCreated:             func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentPending:             func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentAuthorized:          func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentScheduled:           func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentInitiated:           func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentSucceeded:           func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentDisbursed:           func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentCanceled:            func() any { return new(LinkMoneyMetadata) },
	LinkMoneyPaymentFailed:              func() any { return new(LinkMoneyMetadata) },
	LinkMoneyReportDelivered:            func() any { return new(LinkMoneyMetadata) },
	LinkMoneyReportDeliveryFailed:       func() any { return new(LinkMoneyMetadata) },
}
