package hookd

import (
	"encoding/json"
	"strings"
)

// EventType is a name publishers use, with the JSON Schema its payload must
// satisfy and an example payload. Built-in types come from the catalog of the
// three providers; operators register custom ones.
type EventType struct {
	// Name is unique. Built-in names that two providers share are
	// qualified with the provider ("lean:payment.created"); see WireType.
	Name        string          `json:"name"`
	Provider    string          `json:"provider,omitempty"` // lean, linkmoney, weavr; hookd (OperationalProvider) for OperationalTypes; "" for custom
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	// Message is the human sentence of Lean's envelope for this type.
	Message   string `json:"message,omitempty"`
	Custom    bool   `json:"custom"`
	CreatedAt int64  `json:"-"`
}

// WireType returns the type name as it appears on the wire: the name
// without its provider qualifier ("lean:payment.created" -> "payment.created").
func WireType(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}
