package main

import (
	"fmt"

	"github.com/hookd/hookd"
)

// Schema helpers. Request bodies are closed (additionalProperties false):
// the API refuses unknown fields. Responses are open, so that a field added
// later does not break a client that validates.

func str(desc string) obj { return obj{"type": "string", "description": desc} }

func withDesc(s obj, desc string) obj {
	out := obj{"description": desc}
	for k, v := range s {
		out[k] = v
	}
	return out
}

// orNull lets a request field be null, which the API reads as "left out".
func orNull(s obj) obj {
	out := obj{}
	for k, v := range s {
		out[k] = v
	}
	switch t := s["type"].(type) {
	case string:
		out["type"] = []any{t, "null"}
	default:
		return obj{"anyOf": []any{s, obj{"type": "null"}}}
	}
	return out
}

var (
	dateTime = obj{"type": "string", "format": "date-time"}
	idStr    = obj{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$", "maxLength": 128}
	anyObj   = obj{"type": "object"}
)

func object(required []string, props obj) obj {
	o := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		req := make([]any, len(required))
		for i, r := range required {
			req[i] = r
		}
		o["required"] = req
	}
	return o
}

func closed(required []string, props obj) obj {
	o := object(required, props)
	o["additionalProperties"] = false
	return o
}

// optional is the closed schema of a body that may be left out: the API
// reads an empty body, or null, as {}.
func optional(props obj) obj {
	o := closed(nil, props)
	o["type"] = []any{"object", "null"}
	o["description"] = "May be left out, or null: read as {}."
	return o
}

// sourceProfiles are the profiles a source may have.
var sourceProfiles = func() []any {
	out := make([]any, len(hookd.SourceProfiles))
	for i, p := range hookd.SourceProfiles {
		out[i] = p
	}
	return out
}()

func enumOf(values []string) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
	}
	return out
}

// hmacScheme is the schema of hookd.HMACScheme, a source of profile hmac's
// signature.
func hmacScheme() obj {
	header := func(desc string) obj { return obj{"type": "string", "maxLength": 100, "description": desc} }
	path := func(desc string) obj { return obj{"type": "string", "maxLength": 200, "description": desc} }
	s := closed([]string{"header"}, obj{
		"algorithm": obj{"type": "string", "enum": enumOf(hookd.HMACAlgorithms), "description": "Default sha256."},
		"header":    header("The header that carries the signatures (X-Hub-Signature-256, Stripe-Signature): each repeated line and each comma- or space-separated item is a candidate (space-separated only when prefix holds a comma)."),
		"prefix":    obj{"type": "string", "maxLength": 64, "description": "What starts each signature item, exactly (sha256=, v1=); items without it are ignored. Default: none."},
		"encoding":  obj{"type": "string", "enum": enumOf(hookd.HMACEncodings), "description": "Default hex (either case); base64 and base64url with or without padding."},
		"signed_content": obj{"type": "string", "maxLength": 512, "description": "What is signed: literal text and {body} (the raw body, exactly once), {timestamp} (from timestamp_header, as received), " +
			"{id} (from id_header) and {header:Name}. Default {body}."},
		"secret_encoding":  obj{"type": "string", "enum": enumOf(hookd.HMACSecretEncodings), "description": "How a secret becomes the key: raw (default, its bytes), base64 (after an optional whsec_), hex."},
		"timestamp_header": header("The header of the signed timestamp, checked against tolerance_seconds before the MAC; signed_content must then hold {timestamp}."),
		"timestamp_prefix": obj{"type": "string", "maxLength": 64, "description": "Finds the timestamp among the comma-separated items of timestamp_header (Stripe: t=)."},
		"timestamp_format": obj{"type": "string", "enum": enumOf(hookd.HMACTimestampFormats), "description": "Default auto: digits below 100000000000 are unix seconds, from there unix milliseconds; anything else RFC 3339."},
		"id_header":        header("The header of the sender's webhook id, which makes a retry a duplicate (X-GitHub-Delivery, webhook-id)."),
		"id_path":          path("Else the body field of that id, a dotted path (id, data.id); a string or a number. Neither: every request is a new event."),
		"type_header":      header("The header of the event type (X-GitHub-Event, X-Shopify-Topic); a / in the type becomes a . (orders/create is orders.create)."),
		"type_path":        path("Else the body field of the type, a dotted path; default type when none of type_header, type_path and default_type is set."),
		"type_prefix":      obj{"type": "string", "maxLength": 64, "description": "Put before the type found (github.)."},
		"default_type":     obj{"type": "string", "maxLength": 128, "description": "The type when none is found."},
	})
	s["description"] = "Required for a source of profile hmac (refused for the others): how its sender signs, ALGORITHM(secret, signed_content), encoded, in header behind prefix; verified on the raw body in constant time."
	return s
}

func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }

// endpointFields are the fields an endpoint is created and updated with.
func endpointFields(nullable bool) obj {
	f := func(s obj) obj {
		if nullable {
			return orNull(s)
		}
		return s
	}
	return obj{
		"url":         f(obj{"type": "string", "maxLength": 2048, "description": "http or https; a private, loopback or link-local target is refused unless the operator allows it."}),
		"profile":     f(obj{"type": "string", "description": "The wire format: standard (default), lean, weavr, linkmoney."}),
		"event_types": f(obj{"type": "array", "maxItems": 256, "items": schemaRef("TypePattern"), "description": "Default [\"*\"]."}),
		"description": f(obj{"type": "string", "maxLength": 1024}),
		"rate_limit_per_s": f(obj{"type": "integer", "minimum": 0, "maximum": 100000,
			"description": "Requests per second at most; 0: no limit."}),
		"ordering": f(obj{"type": "string", "enum": []any{"none", "key"},
			"description": "key: deliveries of one ordering_key are sent in publish order."}),
		"headers": f(obj{"type": "object", "maxProperties": 20, "additionalProperties": obj{"type": "string", "maxLength": 4096},
			"description": "Custom headers sent with each webhook; the headers hookd sets are refused."}),
		"timeout_ms": f(obj{"type": "integer", "minimum": 100, "maximum": 60000,
			"description": "Leave it out for the profile's timeout."}),
		"retry_schedule": f(obj{"type": "array", "maxItems": 20, "items": schemaRef("DurationIn"),
			"description": "Delays between tries (1 s to 7 days each); replaces the profile's schedule."}),
		"signature": f(obj{"type": "string", "enum": []any{hookd.SignatureV1, hookd.SignatureV1a},
			"description": "standard and linkmoney: the Standard Webhooks scheme, v1 (HMAC, default) or v1a (ed25519). Chosen at creation; a PATCH may only repeat it."}),
	}
}

func components() obj {
	errorCodes := []any{hookd.EINVALID, hookd.EUNAUTHORIZED, hookd.EFORBIDDEN, hookd.ENOTFOUND, hookd.EMETHOD,
		hookd.ECONFLICT, hookd.ETOOLARGE, hookd.EUNPROCESSABLE, hookd.ERATELIMIT, hookd.EUNAVAILABLE, hookd.EINTERNAL}

	source := object([]string{"id", "tenant_id", "name", "profile", "secret_count", "tolerance_seconds", "created_at", "updated_at"}, obj{
		"id":                str("srcid_…"),
		"tenant_id":         obj{"type": "string"},
		"name":              obj{"type": "string"},
		"profile":           obj{"type": "string", "enum": sourceProfiles},
		"ingest_url":        str("The URL to give the provider: in the answers of create and of rotate with token only (hookd keeps a hash)."),
		"secret_count":      obj{"type": "integer", "description": "Secrets accepted now; never the secrets."},
		"basic_auth":        schemaRef("BasicAuth"),
		"header_key":        schemaRef("HeaderKey"),
		"allow_ips":         arrayOf(obj{"type": "string"}),
		"hmac":              schemaRef("HMACScheme"),
		"tolerance_seconds": obj{"type": "integer"},
		"created_at":        dateTime,
		"updated_at":        dateTime,
	})
	endpoint := object([]string{"id", "tenant_id", "url", "profile", "event_types", "description", "ordering", "signature", "disabled", "created_at", "updated_at"}, obj{
		"id":               str("ep_…"),
		"tenant_id":        obj{"type": "string"},
		"url":              obj{"type": "string"},
		"profile":          obj{"type": "string"},
		"event_types":      arrayOf(obj{"type": "string"}),
		"description":      obj{"type": "string"},
		"rate_limit_per_s": obj{"type": "integer", "description": "Absent: no limit."},
		"ordering":         obj{"type": "string", "enum": []any{"none", "key"}},
		"headers":          obj{"type": "object", "additionalProperties": obj{"type": "string"}},
		"timeout_ms":       obj{"type": "integer", "description": "Absent: the profile's timeout."},
		"retry_schedule":   arrayOf(obj{"type": "number", "description": "Seconds."}),
		"signature":        obj{"type": "string", "enum": []any{hookd.SignatureV1, hookd.SignatureV1a}, "description": "v1 (HMAC) or v1a (ed25519)."},
		"public_key":       str("v1a: the whpk_ public key of the newest signing key, which receivers verify with; not secret."),
		"disabled":         obj{"type": "boolean"},
		"disabled_reason":  obj{"type": "string"},
		"failing_since":    withDesc(dateTime, "When the current run of failures began; absent when the last attempt succeeded."),
		"created_at":       dateTime,
		"updated_at":       dateTime,
	})

	publishResult := object([]string{"id", "deliveries"}, obj{
		"id": str("The event's id."),
		"deliveries": arrayOf(object([]string{"id", "endpoint_id"}, obj{
			"id": obj{"type": "string"}, "endpoint_id": obj{"type": "string"}})),
		"duplicate": obj{"type": "boolean", "description": "The id or Idempotency-Key was published before: nothing new was created; this is the first result."},
		"warnings":  withDesc(arrayOf(schemaRef("Detail")), "Accepted values outside a field's known values (x-extensible-enum)."),
	})

	event := object([]string{"id", "tenant_id", "type", "payload", "created_at"}, obj{
		"id":              obj{"type": "string"},
		"tenant_id":       obj{"type": "string"},
		"type":            obj{"type": "string"},
		"payload":         anyObj,
		"ordering_key":    obj{"type": "string"},
		"idempotency_key": obj{"type": "string"},
		"test":            obj{"type": "boolean", "description": "Published by the endpoint test route."},
		"created_at":      dateTime,
		"source": withDesc(object([]string{"source_id", "request_id"}, obj{"source_id": str("srcid_…"), "request_id": str("sreq_…")}),
			"An event received at a source's ingest URL: the source and the request it came as (GET .../sources/{id}/requests/{request}). In the answer of GET .../events/{id} only."),
	})

	delivery := object([]string{"id", "tenant_id", "event_id", "endpoint_id", "event_type", "state", "attempt_count", "created_at", "updated_at"}, obj{
		"id":              obj{"type": "string"},
		"tenant_id":       obj{"type": "string"},
		"event_id":        obj{"type": "string"},
		"endpoint_id":     obj{"type": "string"},
		"event_type":      obj{"type": "string"},
		"state":           schemaRef("DeliveryState"),
		"attempt_count":   obj{"type": "integer", "minimum": 0},
		"next_attempt_at": withDesc(dateTime, "When it is due; absent once finished, and while parked."),
		"first_sent_at":   dateTime,
		"last_status":     obj{"type": "integer"},
		"last_error":      obj{"type": "string"},
		"created_at":      dateTime,
		"updated_at":      dateTime,
	})

	attempt := object([]string{"id", "delivery_id", "n", "at", "duration_ms"}, obj{
		"id":          str("Opaque."),
		"delivery_id": obj{"type": "string"},
		"n":           obj{"type": "integer", "minimum": 1},
		"at":          dateTime,
		"duration_ms": obj{"type": "integer", "minimum": 0},
		"status":      obj{"type": "integer", "description": "The HTTP status the endpoint answered; absent when none came."},
		"response":    str("The start of the endpoint's answer."),
		"response_headers": obj{"type": "object", "additionalProperties": obj{"type": "string"},
			"description": "The headers of the endpoint's answer, each name's values joined by \", \" (at most 2 KiB of them); absent when none came."},
		"error_class": obj{"type": "string", "description": "Why the attempt failed (absent when it succeeded).",
			"enum": []string{hookd.ClassTimeout, hookd.ClassConnect, hookd.ClassTLS, hookd.ClassBlocked, hookd.ClassStatus}},
		"error": obj{"type": "string"},
	})

	publish := closed([]string{"type", "payload"}, obj{
		"type":         schemaRef("TypeName"),
		"payload":      withDesc(anyObj, "Checked against the type's schema."),
		"id":           orNull(withDesc(idStr, "The event's id (default, also when null: a UUIDv7); a repeated id is a duplicate; an empty one is refused.")),
		"ordering_key": orNull(obj{"type": "string", "maxLength": 256}),
	})
	// A batch event is checked alone: only a body that does not decode
	// (an unknown field, a field of the wrong JSON type) refuses the whole
	// batch; a missing type, a payload that is not an object or a bad id
	// is that event's error, in its place of the answer.
	batchEvent := closed(nil, obj{
		"type":            obj{"type": "string", "description": "Required: an event without one gets its error in the answer."},
		"payload":         obj{"description": "A JSON object, checked against the type's schema; anything else is this event's error in the answer."},
		"id":              orNull(obj{"type": "string", "description": "As in a single publish; an invalid one is this event's error."}),
		"ordering_key":    orNull(obj{"type": "string"}),
		"idempotency_key": orNull(obj{"type": "string", "description": "As the Idempotency-Key header of a single publish."}),
	})

	schemas := obj{
		"Error": closed([]string{"error"}, obj{"error": schemaRef("ErrorBody")}),
		"ErrorBody": object([]string{"code", "message", "details"}, obj{
			"code":    obj{"type": "string", "enum": errorCodes},
			"message": obj{"type": "string"},
			"details": arrayOf(schemaRef("Detail")),
		}),
		"Detail": object([]string{"message"}, obj{
			"path":    str("What the detail is about: a request field by its JSON name, with the index of a list's entry (url, profile, event_types[1]), or a place in the body as a JSON path ($.payload.amount)."),
			"rule":    str("The rule that failed, such as type or required."),
			"message": obj{"type": "string"},
		}),
		"TypeName": obj{"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,128}$",
			"description": "An event type's name, qualified with its provider when two providers define it (lean:payment.created)."},
		"TypePattern": obj{"type": "string", "pattern": `^(\*|[A-Za-z0-9_.:-]{1,128}\*?)$`,
			"description": "An exact type name, a prefix ending at a dot and *, or * (every type but hookd.*)."},
		"DurationIn": obj{"oneOf": []any{obj{"type": "number", "description": "Seconds."},
			obj{"type": "string", "description": "A Go duration such as 90s or 5m."}}},
		"DeliveryState": obj{"type": "string", "enum": []any{hookd.StatePending, hookd.StateParked, hookd.StateSucceeded, hookd.StateFailed, hookd.StateCanceled}},

		"Tenant": object([]string{"id", "name", "created_at", "updated_at"}, obj{
			"id": obj{"type": "string"}, "name": obj{"type": "string"},
			"metadata":   obj{"type": []any{"object", "null"}},
			"created_at": dateTime, "updated_at": dateTime,
		}),
		"TenantCreate": closed([]string{"name"}, obj{
			"id":       withDesc(idStr, "Default: ten_ and a UUID."),
			"name":     obj{"type": "string", "minLength": 1},
			"metadata": obj{"type": []any{"object", "null"}},
		}),
		"TenantUpdate": closed(nil, obj{
			"name":     obj{"type": []any{"string", "null"}, "minLength": 1},
			"metadata": obj{"type": []any{"object", "null"}},
		}),
		"TenantPage": page("Tenant"),
		"TokenCreate": optional(obj{
			"name":       obj{"type": "string", "maxLength": 200},
			"expires_in": obj{"type": []any{"integer", "null"}, "minimum": 1, "maximum": 31622400, "description": "Seconds; left out: the token does not expire."},
		}),
		"TokenCreated": object([]string{"id", "token", "name", "expires_at", "created_at"}, obj{
			"id":         str("tok_…"),
			"token":      str("The bearer token: shown once."),
			"name":       obj{"type": "string"},
			"expires_at": obj{"type": []any{"string", "null"}, "format": "date-time", "description": "null: does not expire."},
			"created_at": dateTime,
			"tenant_id":  str("The tenant a tenant token acts for; absent for admin tokens."),
		}),
		"Token": object([]string{"id", "name", "expires_at", "last_used_at", "created_at"}, obj{
			"id":           obj{"type": "string"},
			"name":         obj{"type": "string"},
			"expires_at":   obj{"type": []any{"string", "null"}, "format": "date-time", "description": "null: does not expire."},
			"last_used_at": obj{"type": []any{"string", "null"}, "format": "date-time", "description": "To the minute; null: never used."},
			"created_at":   dateTime,
		}),
		"TokenPage": page("Token"),

		"EventType": object([]string{"name", "custom"}, obj{
			"name":        obj{"type": "string"},
			"provider":    str("lean, linkmoney or weavr; hookd for hookd's operational types (hookd.endpoint.disabled: hookd publishes them, endpoints subscribe to them by name or with hookd.*, tenants may not publish them); absent for custom types."),
			"description": obj{"type": "string"},
			"schema":      withDesc(obj{"type": []any{"object", "boolean"}}, "The JSON Schema of the payload."),
			"example":     obj{"description": "An example payload."},
			"message":     str("The human sentence of Lean's envelope for this type."),
			"custom":      obj{"type": "boolean"},
		}),
		"EventTypeList": object([]string{"data"}, obj{"data": arrayOf(schemaRef("EventType"))}),
		"EventTypeCreate": closed([]string{"name"}, obj{
			"name":        schemaRef("TypeName"),
			"description": obj{"type": "string"},
			"schema":      withDesc(obj{"type": []any{"object", "boolean"}}, "JSON Schema 2020-12 of the payload; default {\"type\":\"object\"}."),
			"example":     obj{"description": "An example payload, checked against the schema."},
		}),

		"Endpoint":        endpoint,
		"EndpointCreated": obj{"allOf": []any{schemaRef("Endpoint"), object(nil, obj{"secret": str("The signing secret: shown here and on rotation only; absent for v1a, whose signing key never leaves hookd (public_key is shown).")})}},
		"EndpointCreate": closed([]string{"url"}, merge(endpointFields(false), obj{
			"secret": str("Default: one made in the profile's format."),
		})),
		"EndpointUpdate": closed(nil, merge(endpointFields(true), obj{
			"disabled":        obj{"type": []any{"boolean", "null"}, "description": "true pauses the endpoint, false resumes it."},
			"disabled_reason": obj{"type": []any{"string", "null"}, "maxLength": 1024, "description": "With disabled: true, or on a disabled endpoint."},
		})),
		"EndpointPage": page("Endpoint"),
		"Source":       source,
		"SourcePage":   page("Source"),
		"SourceCreate": closed([]string{"name", "profile"}, obj{
			"name":              obj{"type": "string", "maxLength": 200},
			"profile":           obj{"type": "string", "enum": sourceProfiles},
			"secrets":           withDesc(arrayOf(obj{"type": "string"}), "The provider's signing secrets (lean: the webhook secret, weavr: the API key, standard: whsec_…). Required but for linkmoney, which signs nothing."),
			"basic_auth":        schemaRef("BasicAuth"),
			"header_key":        schemaRef("HeaderKey"),
			"allow_ips":         withDesc(arrayOf(obj{"type": "string"}), "Addresses or CIDR ranges the sender may send from; empty: any."),
			"hmac":              schemaRef("HMACScheme"),
			"tolerance_seconds": obj{"type": "integer", "minimum": 0, "maximum": 86400, "description": "How far a signed timestamp may be from now (weavr, standard, hmac with a timestamp_header); default 300."},
		}),
		"SourceUpdate": closed(nil, obj{
			"name":              obj{"type": []any{"string", "null"}, "maxLength": 200},
			"secrets":           withDesc(obj{"type": []any{"array", "null"}, "items": obj{"type": "string"}}, "Replaces every secret at once (rotate keeps the old one for a while)."),
			"basic_auth":        withDesc(obj{"anyOf": []any{schemaRef("BasicAuth"), obj{"type": "null"}}}, "{} removes it."),
			"header_key":        withDesc(obj{"anyOf": []any{schemaRef("HeaderKey"), obj{"type": "null"}}}, "{} removes it."),
			"allow_ips":         obj{"type": []any{"array", "null"}, "items": obj{"type": "string"}},
			"hmac":              withDesc(obj{"anyOf": []any{schemaRef("HMACScheme"), obj{"type": "null"}}}, "profile hmac: replaces the whole scheme."),
			"tolerance_seconds": obj{"type": []any{"integer", "null"}, "minimum": 0, "maximum": 86400},
		}),
		"HMACScheme": hmacScheme(),
		"BasicAuth":  closed(nil, obj{"username": obj{"type": "string"}, "password": str("Never shown.")}),
		"HeaderKey":  closed(nil, obj{"name": str("A header name."), "value": str("Never shown.")}),
		"SourceRotation": closed(nil, obj{
			"secret":        str("The new secret; the older ones stay accepted for grace_seconds."),
			"grace_seconds": obj{"type": []any{"integer", "null"}, "minimum": 0, "maximum": 2592000, "description": "Default 86400."},
			"token":         obj{"type": "boolean", "description": "Also make a new ingest URL; the old one keeps working for grace_seconds."},
		}),
		"SourceErrors": object([]string{"data"}, obj{"data": arrayOf(object([]string{"at", "reason", "headers", "body_excerpt"}, obj{
			"at": dateTime, "reason": obj{"type": "string"},
			"headers":      obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Credentials redacted."},
			"body_excerpt": str("The first 1024 bytes of the body."),
		}))}),
		"SourceRequest": object([]string{"id", "tenant_id", "source_id", "event_id", "received_at", "remote_addr", "headers", "verdict", "duplicates"}, obj{
			"id":          str("sreq_…"),
			"tenant_id":   obj{"type": "string"},
			"source_id":   obj{"type": "string"},
			"event_id":    str("The event the request became."),
			"received_at": dateTime,
			"remote_addr": str("The sender's IP address."),
			"headers": obj{"type": "object", "additionalProperties": arrayOf(obj{"type": "string"}),
				"description": "As received; Authorization, Proxy-Authorization, Cookie and the source's header key are \"[redacted]\"."},
			"body":              str("The body as received, when it is UTF-8."),
			"body_base64":       str("The body as received, base64, when it is not UTF-8."),
			"verdict":           obj{"type": "string", "enum": []any{hookd.VerdictAccepted, hookd.VerdictInvalidPayload}},
			"invalid":           str("verdict invalid_payload: why the payload does not match its catalog type."),
			"duplicates":        obj{"type": "integer", "description": "Replays of the request answered since; they stored nothing."},
			"last_duplicate_at": dateTime,
		}),
		"SourceRequestPage": page("SourceRequest"),
		"Ingested": object([]string{"event_id", "type", "duplicate"}, obj{
			"event_id":  obj{"type": "string"},
			"type":      obj{"type": "string"},
			"duplicate": obj{"type": "boolean", "description": "The provider's id was received before: nothing new was stored."},
			"invalid":   str("Why the payload does not match its catalog type: published all the same, flagged."),
		}),
		"Rotation": optional(obj{
			"secret":        str("The new secret; default: one made in the profile's format."),
			"grace_seconds": obj{"type": []any{"integer", "null"}, "minimum": 0, "maximum": 2592000, "description": "How long the older secrets keep signing; default 86400."},
			"activate_at": obj{"type": []any{"string", "null"}, "format": "date-time",
				"description": "lean and weavr only: when the new secret takes over (at most 30 days ahead; a past time means now). Not with grace_seconds."},
		}),
		"Rotated": object([]string{"active_from", "previous_expires_at"}, obj{
			"secret":              str("The new secret; absent for v1a, whose signing key is never shown."),
			"public_key":          str("v1a: the new key's whpk_ public key."),
			"active_from":         withDesc(dateTime, "When the new secret starts signing."),
			"previous_expires_at": withDesc(dateTime, "When the older secrets stop signing."),
		}),
		"Disable":   optional(obj{"reason": obj{"type": "string", "maxLength": 1024}}),
		"Recover":   closed([]string{"since"}, obj{"since": dateTime, "until": withDesc(obj{"type": []any{"string", "null"}, "format": "date-time"}, "Default: now.")}),
		"Recovered": object([]string{"requeued"}, obj{"requeued": obj{"type": "integer", "minimum": 0}}),
		"Test":      optional(obj{"type": schemaRef("TypeName")}),
		"PortalLinkCreate": optional(obj{
			"expires_in": obj{"type": []any{"integer", "null"}, "minimum": 3600, "maximum": 604800, "description": "Seconds; default 86400."},
			"capabilities": withDesc(obj{"type": []any{"array", "null"}, "items": schemaRef("Capability")},
				"Default: all. read is always granted."),
		}),
		"Capability": obj{"type": "string", "enum": []any{"read", "manage_endpoints", "manage_secrets", "replay"}},
		"PortalLink": object([]string{"url", "token", "expires_at", "capabilities"}, obj{
			"url":          obj{"type": "string", "format": "uri"},
			"token":        obj{"type": "string"},
			"expires_at":   dateTime,
			"capabilities": arrayOf(schemaRef("Capability")),
		}),
		"PortalLinksRevoked": object([]string{"revoked"}, obj{"revoked": obj{"type": "integer", "minimum": 0}}),
		"StatsTotals": object([]string{"succeeded", "failed", "attempts", "p50_ms", "p99_ms"}, obj{
			"succeeded": obj{"type": "integer", "minimum": 0},
			"failed":    obj{"type": "integer", "minimum": 0},
			"attempts":  obj{"type": "integer", "minimum": 0},
			"p50_ms":    obj{"type": "integer", "minimum": 0},
			"p99_ms":    obj{"type": "integer", "minimum": 0},
		}),
		"StatsBucket": obj{"allOf": []any{schemaRef("StatsTotals"), object([]string{"start"}, obj{"start": dateTime})}},
		"Stats": object([]string{"buckets", "totals"}, obj{
			"buckets": arrayOf(schemaRef("StatsBucket")),
			"totals":  schemaRef("StatsTotals"),
		}),

		"Publish":       publish,
		"BatchEvent":    batchEvent,
		"PublishResult": publishResult,
		"Batch":         closed([]string{"events"}, obj{"events": obj{"type": "array", "minItems": 1, "items": schemaRef("BatchEvent")}}),
		"BatchResult": object([]string{"data"}, obj{"data": arrayOf(obj{"anyOf": []any{
			schemaRef("PublishResult"),
			object([]string{"error"}, obj{"error": schemaRef("ErrorBody")}),
		}})}),
		"Event":               event,
		"EventWithDeliveries": obj{"allOf": []any{schemaRef("Event"), object([]string{"deliveries"}, obj{"deliveries": arrayOf(schemaRef("Delivery"))})}},
		"EventPage":           page("Event"),
		"FeedPage": object([]string{"data", "has_more", "next"}, obj{
			"data": arrayOf(object([]string{"event_id", "type", "state", "body", "headers"}, obj{
				"event_id":    obj{"type": "string"},
				"type":        str("The type as the wire carries it."),
				"state":       obj{"type": "string", "enum": []any{"pending", "parked", "succeeded", "failed", "canceled"}},
				"body":        str("The request body, exactly the bytes hookd sends (when they are UTF-8; otherwise with U+FFFD in place of the bytes that are not, and body_base64 holds them)."),
				"body_base64": str("The request body, base64, when it is not UTF-8 (a source's webhook taken in byte for byte): exactly the bytes hookd sends."),
				"headers":     obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "The request headers hookd sends, signature headers included."},
			})),
			"has_more": obj{"type": "boolean", "description": "Whether more items follow now."},
			"next":     str("The cursor after the last item, the id of its event (after the page asked for when empty, and empty when that is the start): pass it as after, or acknowledge it."),
		}),
		"FeedAck": closed([]string{"consumer", "cursor"}, obj{
			"consumer": obj{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"},
			"cursor":   str("A next of the feed, or \"\" to go back to the start."),
		}),
		"FeedPosition": object([]string{"consumer", "cursor", "updated_at"}, obj{
			"consumer": obj{"type": "string"}, "cursor": obj{"type": "string"}, "updated_at": dateTime,
		}),

		"Delivery":             delivery,
		"DeliveryWithAttempts": obj{"allOf": []any{schemaRef("Delivery"), object([]string{"attempts"}, obj{"attempts": arrayOf(schemaRef("Attempt"))})}},
		"DeliveryPage":         page("Delivery"),
		"Attempt":              attempt,

		"OpenAPIDocument": object([]string{"openapi", "info", "paths"}, obj{
			"openapi":    obj{"type": "string", "pattern": "^3\\.1\\.\\d+$"},
			"info":       anyObj,
			"servers":    arrayOf(anyObj),
			"security":   arrayOf(anyObj),
			"tags":       arrayOf(anyObj),
			"paths":      anyObj,
			"components": anyObj,
		}),
		"Health": object([]string{"status"}, obj{"status": obj{"type": "string", "const": "ok"}}),
		"Ready": object([]string{"status"}, obj{
			"status": obj{"type": "string", "enum": []any{"ready", "unavailable"}},
			"reason": str("Why not ready."),
		}),
	}

	responses := obj{}
	for st, desc := range map[int]string{
		400: "Malformed request (JSON that is not UTF-8, a key given twice, an unknown field, a value out of its bounds): the message names the field and the rule, and the details name the field.",
		401: "No token, or an unknown one.",
		403: "The route needs the admin token.",
		404: "No such resource, or another tenant's.",
		409: "Conflict: the id exists, or a repeated key or id names a different request.",
		413: "The body is larger than the limit (256 KiB by default).",
		422: "Well-formed but refused: the payload fails its type's schema (details name the JSON path), or the type is unknown or ambiguous.",
		429: "Publish rate limit reached; retry after Retry-After seconds.",
		500: "Internal error: retrying will not help.",
		503: "Storage unavailable, or shutting down; retry after Retry-After seconds.",
	} {
		r := obj{"description": desc, "content": obj{"application/json": obj{"schema": schemaRef("Error")}}}
		if st == 429 || st == 503 {
			r["headers"] = obj{"Retry-After": obj{"description": "Seconds to wait.", "schema": obj{"type": "integer"}}}
		}
		if st == 401 {
			r["headers"] = obj{"WWW-Authenticate": obj{"description": "`Bearer realm=\"hookd\"` on the API's routes (not on an ingest URL, whose 401 is a signature).",
				"schema": obj{"type": "string"}}}
		}
		responses[fmt.Sprintf("E%d", st)] = r
	}

	return obj{
		"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer",
			"description": "The admin token (HOOKD_ADMIN_TOKEN, or generated and printed at first start), or a tenant token from POST /v1/tenants/{tenant}/tokens."}},
		"parameters": obj{
			"tenant":  obj{"name": "tenant", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "The tenant's id."},
			"id":      obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string"}},
			"type":    obj{"name": "type", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "The type's name, qualified or not."},
			"token":   obj{"name": "token", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "A source's ingest token (from its ingest_url)."},
			"request": obj{"name": "request", "in": "path", "required": true, "schema": obj{"type": "string"}, "description": "A source request's id (sreq_…)."},
			"after":   queryParam("after", "The next of the previous page: items after this id.", obj{"type": "string"}),
			"limit":   queryParam("limit", "Items per page (default 100).", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
			"Idempotency-Key": obj{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "Names one publish: a retry with the same key and request answers the first result.",
				"schema":      obj{"type": "string", "maxLength": 256}},
		},
		"schemas":   schemas,
		"responses": responses,
	}
}

func merge(a, b obj) obj {
	out := obj{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
