package profile

import (
	"net/http"
	"slices"

	"github.com/hookd/hookd"
)

// LinkMoney is Link Money's format: body
// {"id","creationTime","eventType","metadata"}, where creationTime is the
// event's time in UTC without a zone, to the millisecond
// ("2023-12-08T17:30:42.505"), as in the seed.
//
// Link Money documents no signature (its subscribe call takes a secretKey
// "used later to validate"), so deliveries carry the Standard Webhooks
// headers, with the event id as webhook-id, and secrets are whsec_ keys.
type LinkMoney struct{}

// Name implements hookd.Profile.
func (LinkMoney) Name() string { return "linkmoney" }

// Provider implements hookd.Profile.
func (LinkMoney) Provider() string { return "linkmoney" }

// Headers implements hookd.Profile: Standard Webhooks'.
func (LinkMoney) Headers() []string { return slices.Clone(standardHeaders) }

// Body implements hookd.Profile. The seed's creationTime has no zone; UTC is
// the only reading a receiver can count on without being told.
func (LinkMoney) Body(ev *hookd.Event) ([]byte, error) {
	typ := hookd.WireType(ev.Type)
	b := make([]byte, 0, len(ev.Payload)+len(typ)+len(ev.ID)+80)
	b = append(b, `{"id":`...)
	b = appendJSONString(b, ev.ID)
	b = append(b, `,"creationTime":"`...)
	b = ev.CreatedAt.UTC().AppendFormat(b, "2006-01-02T15:04:05.000")
	b = append(b, `","eventType":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"metadata":`...)
	b = append(b, ev.Payload...)
	return append(b, '}'), nil
}

// Sign implements hookd.Profile with the Standard Webhooks headers.
func (LinkMoney) Sign(h http.Header, m *hookd.Message, body []byte, secrets []string) {
	signStandard(h, m.Event.ID, m.At, body, secrets)
}

// MultiSignature implements hookd.Profile: the Standard Webhooks list.
func (LinkMoney) MultiSignature() bool { return true }

// Policy implements hookd.Profile: Link Money documents no retries, so
// standard's.
func (LinkMoney) Policy() hookd.Policy { return standardPolicy }

// NewSecret implements hookd.Profile: a standard whsec_ secret.
func (LinkMoney) NewSecret() (string, error) { return Standard{}.NewSecret() }

// SignsV1a implements hookd.V1aSigner: linkmoney sends the Standard
// Webhooks headers.
func (LinkMoney) SignsV1a() bool { return true }

// CheckSecret implements hookd.Profile: as standard's.
func (LinkMoney) CheckSecret(s string) error { return checkStandardSecret(s) }
