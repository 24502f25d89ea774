package hookd

import (
	"encoding/json"
	"regexp"
	"strings"
)

// idPattern is what a caller-chosen id (of a tenant, of an event) may look like.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$`)

// CheckID refuses a caller-chosen id that is not 1 to 128 letters, digits
// and _.:-, naming the field.
func CheckID(field, id string) error {
	if !idPattern.MatchString(id) {
		return Errorf(EINVALID, "%s must be 1-128 characters of letters, digits and _.:-", field)
	}
	return nil
}

// Validate checks a tenant's fields.
func (t *Tenant) Validate() error {
	if t.Name == "" {
		return Errorf(EINVALID, "name is required")
	}
	if err := CheckID("id", t.ID); err != nil {
		return err
	}
	return checkMetadata(t.Metadata)
}

// Validate checks the fields a tenant update sets.
func (u *TenantUpdate) Validate() error {
	if u.Name != nil && *u.Name == "" {
		return Errorf(EINVALID, "name must not be empty")
	}
	if u.Metadata != nil {
		return checkMetadata(*u.Metadata)
	}
	return nil
}

// checkMetadata refuses metadata that is not a JSON object (or null).
func checkMetadata(m json.RawMessage) error {
	if len(m) > 0 && m[0] != '{' && string(m) != "null" {
		return Errorf(EINVALID, "metadata must be a JSON object")
	}
	return nil
}

// NotOperational refuses a type name with the prefix reserved for hookd's
// own events: no publisher or custom type may pose as one.
func NotOperational(field, name string) error {
	if strings.HasPrefix(name, OperationalPrefix) {
		return Errorf(EINVALID, "%s %q: the prefix %q is reserved for hookd's operational events", field, name, OperationalPrefix)
	}
	return nil
}
