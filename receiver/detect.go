package receiver

import (
	"bytes"
	"net/http"
)

// Profiles lists the wire formats this package reads, in the order hookd
// documents them.
func Profiles() []Profile { return []Profile{Standard, Lean, Weavr, LinkMoney} }

// Detect names the profile of a webhook from its headers and body, for a
// receiver that takes several (hookd listen does): lean by its
// lean-signature header, weavr by call-ref, published-timestamp or
// signature-v2, linkmoney by its body's eventType and creationTime fields;
// anything else is read as standard. Header names are matched in any case,
// as Verify matches them. It guesses from the shape only: the signature is
// Verifier's to check, with the profile Detect names.
func Detect(h http.Header, body []byte) Profile {
	switch {
	case header(h, hdrLeanSignature) != "":
		return Lean
	case header(h, hdrSignatureV2) != "" || header(h, hdrCallRef) != "" || header(h, hdrPublishedTimestamp) != "":
		return Weavr
	case bytes.Contains(body, []byte(`"eventType"`)) && bytes.Contains(body, []byte(`"creationTime"`)):
		return LinkMoney
	}
	return Standard
}
