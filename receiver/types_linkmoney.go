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

// newLinkMoneyPayload returns the payload struct of a Link Money event
// type.
func newLinkMoneyPayload(typ string) any {
	switch typ {
	case LinkMoneyCustomerCreated, LinkMoneyCustomerActivated, LinkMoneyCustomerDeactivated,
		LinkMoneyCustomerAccountLinked, LinkMoneyCustomerAccountDeactivated,
		LinkMoneyPaymentCreated, LinkMoneyPaymentPending, LinkMoneyPaymentAuthorized,
		LinkMoneyPaymentScheduled, LinkMoneyPaymentInitiated, LinkMoneyPaymentSucceeded,
		LinkMoneyPaymentDisbursed, LinkMoneyPaymentCanceled, LinkMoneyPaymentFailed,
		LinkMoneyReportDelivered, LinkMoneyReportDeliveryFailed:
		return new(LinkMoneyMetadata)
	}
	return nil
}
