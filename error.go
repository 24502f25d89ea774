package hookd

import (
	"errors"
	"fmt"
	"net/http"
)

// Error codes. Each maps to one HTTP status in the API adapter.
const (
	EINVALID       = "invalid"            // 400: malformed request
	EUNAUTHORIZED  = "unauthorized"       // 401: missing or wrong token
	EFORBIDDEN     = "forbidden"          // 403: token lacks the right
	ENOTFOUND      = "not_found"          // 404
	EMETHOD        = "method_not_allowed" // 405: the path exists, not with this method
	ECONFLICT      = "conflict"           // 409: already exists
	ETOOLARGE      = "payload_too_large"  // 413
	EUNPROCESSABLE = "validation_failed"  // 422: well-formed but refused (schema)
	ERATELIMIT     = "rate_limited"       // 429
	EUNAVAILABLE   = "unavailable"        // 503: storage fault, shutting down
	EINTERNAL      = "internal"           // 500
)

// Error is hookd's error: a code the API maps to a status, a message the
// client may see, and optional details (for example schema violations).
type Error struct {
	Code    string
	Message string
	Details []Detail
	Err     error // the cause, logged but never shown to clients
}

// Detail names one problem of a request, e.g. the JSON path that failed.
type Detail struct {
	Path    string `json:"path,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one field of a request: the
// formatted message, which names the field, and one detail with the
// field's path (its JSON name, with the index of a list's entry:
// "event_types[1]"), the rule it breaks and the same message.
func FieldErrorf(code, path, rule, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: code, Message: msg, Details: []Detail{{Path: path, Rule: rule, Message: msg}}}
}

// At gives err, when it is an *Error without details, one detail: the
// field's path, the rule and the error's message. A check that knows
// nothing of the request (a catalog look-up) says what is wrong; its
// caller, which knows the field, says where.
func At(err error, path, rule string) error {
	var e *Error
	if errors.As(err, &e) && len(e.Details) == 0 && e.Code != EINTERNAL && e.Code != EUNAVAILABLE {
		c := *e
		c.Details = []Detail{{Path: path, Rule: rule, Message: e.Message}}
		return &c
	}
	return err
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-visible message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// statuses maps error codes to HTTP statuses: the one table, read by the
// API to answer an error and by the client to name an answer that is not
// the API's own error object (a proxy's page).
var statuses = map[string]int{
	EMETHOD:        http.StatusMethodNotAllowed,
	EINVALID:       http.StatusBadRequest,
	EUNAUTHORIZED:  http.StatusUnauthorized,
	EFORBIDDEN:     http.StatusForbidden,
	ENOTFOUND:      http.StatusNotFound,
	ECONFLICT:      http.StatusConflict,
	ETOOLARGE:      http.StatusRequestEntityTooLarge,
	EUNPROCESSABLE: http.StatusUnprocessableEntity,
	ERATELIMIT:     http.StatusTooManyRequests,
	EUNAVAILABLE:   http.StatusServiceUnavailable,
	EINTERNAL:      http.StatusInternalServerError,
}

// HTTPStatus is the HTTP status of an error code: the table's, or 500 for a
// code the table lacks, so a new code is never answered with status 0.
func HTTPStatus(code string) int {
	if st, ok := statuses[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// CodeOfStatus is the error code of an HTTP error status, the table read
// backwards: a gateway's 502 and 504 are unavailable as 503 is, another
// 5xx internal, another 4xx invalid.
func CodeOfStatus(status int) string {
	switch status {
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		return EUNAVAILABLE
	}
	for code, st := range statuses {
		if st == status && code != EINVALID {
			return code
		}
	}
	if status >= 500 {
		return EINTERNAL
	}
	return EINVALID
}

// ErrNotFound is returned by stores for a missing row.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}

// ErrChanged is returned by Store.SaveEndpoint when the endpoint was
// changed since it was read (Endpoint.IfUpdatedAt): read it again and redo
// the change.
var ErrChanged = &Error{Code: ECONFLICT, Message: "the endpoint was changed meanwhile: try again"}

// ErrBlocked is wrapped by errors for a delivery target that the egress
// guard refuses (a private, loopback or link-local address).
var ErrBlocked = errors.New("target address is not allowed")
