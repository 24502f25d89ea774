package control

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receiver"
)

// sourceVerifier is the receiver's verifier of a source: its profile, the
// given secrets, its tolerance and, for profile hmac, its scheme (the two
// HMACScheme types have the same fields). A standard source's secret that
// is a Standard Webhooks v1a public key (whpk_) verifies v1a signatures.
func sourceVerifier(src *hookd.Source, secrets []string, now time.Time) *receiver.Verifier {
	v := &receiver.Verifier{Profile: receiver.Profile(src.Profile), Tolerance: src.Tolerance(),
		Now: func() time.Time { return now }}
	for _, s := range secrets {
		if src.Profile == hookd.SourceStandard && strings.HasPrefix(s, "whpk_") {
			v.PublicKeys = append(v.PublicKeys, s)
		} else {
			v.Secrets = append(v.Secrets, s)
		}
	}
	if src.HMAC != nil {
		s := receiver.HMACScheme(*src.HMAC)
		v.HMAC = &s
	}
	return v
}

// parseWebhook reads a verified webhook of the source. An hmac sender's
// type becomes a hookd type name with its slashes as dots (Shopify's
// orders/create is orders.create): type names have no slash.
func parseWebhook(src *hookd.Source, r *hookd.IngestRequest, now time.Time) (*receiver.Webhook, error) {
	w, err := sourceVerifier(src, nil, now).Parse(r.Header, r.Body)
	if err == nil && src.Profile == hookd.SourceHMAC {
		w.Type = strings.ReplaceAll(w.Type, "/", ".")
	}
	return w, err
}

// checkScheme asks the receiver, which verifies with it, whether an hmac
// source's scheme holds together (its template's grammar, {timestamp}
// with timestamp_header, ...).
func checkScheme(src *hookd.Source) error {
	if src.HMAC == nil {
		return nil
	}
	s := receiver.HMACScheme(*src.HMAC)
	if err := s.Check(); err != nil {
		return hookd.Errorf(hookd.EINVALID, "%s", strings.TrimPrefix(err.Error(), "receiver: bad configuration: "))
	}
	return nil
}

// intakeIDs are the event id and idempotency key of a webhook whose
// provider id is id ("" when it has none: a new event each time). The key
// is scoped by the source (profile:source:id, the id hashed when the key
// would pass 256 bytes): a provider's retry to the same source is a
// duplicate, while the same id arriving at another source (two accounts
// of one provider, or hookd relaying one event to sources of several
// profiles) is a webhook of its own. The named providers' ids are also
// the event's id, as receivers downstream deduplicate on it, while that id
// is free in the tenant (publishIngested gives the event one of its own
// otherwise); an hmac source's ids are the sender's own, which may be
// short numbers that another sender uses too, so its event always gets
// an id of its own.
func intakeIDs(src *hookd.Source, id string) (eventID, key string) {
	eventID = newEventID()
	if id == "" {
		return eventID, ""
	}
	key = src.Profile + ":" + src.ID + ":" + id
	if len(key) > 256 || !hookd.PlainText(id) {
		sum := sha256.Sum256([]byte(id))
		key = src.Profile + ":" + src.ID + ":sha256:" + hex.EncodeToString(sum[:])
	}
	if src.Profile != hookd.SourceHMAC && hookd.CheckID("id", id) == nil {
		eventID = id
	}
	return eventID, key
}

// newEventID is the id of an ingested event that does not take its
// provider's: a UUIDv7, in time order like the ids of published events.
func newEventID() string { return uuid.Must(uuid.NewV7()).String() }
