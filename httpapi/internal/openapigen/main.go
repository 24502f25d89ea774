// Command openapigen writes hookd's OpenAPI 3.1 document (httpapi/openapi.json).
//
// The document is written here, in Go, rather than by hand so that it takes
// each route's security from the route table (httpapi.Routes) and its
// examples from the catalog, and so that the schemas shared by many routes
// (the error object, the list page) are written once. Run it with
// go generate ./httpapi; a test fails when the file differs from its output.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/httpapi"
)

func main() {
	out := flag.String("o", "openapi.json", "file to write")
	flag.Parse()
	b, err := build()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
}

// obj is a JSON object of the document; encoding/json writes its keys
// sorted, so the output is stable.
type obj = map[string]any

// build returns the document, indented, with a final newline.
func build() ([]byte, error) {
	cat, err := catalog.New()
	if err != nil {
		return nil, err
	}
	ops := operations(newExamples(cat))
	access := map[string]httpapi.Access{}
	for _, r := range httpapi.Routes() {
		access[r.Pattern] = r.Access
	}
	paths := obj{}
	for _, o := range ops {
		a, ok := access[o.pattern]
		if !ok {
			return nil, fmt.Errorf("operation %q is not a route of httpapi.Routes", o.pattern)
		}
		method, path, _ := strings.Cut(o.pattern, " ")
		item, _ := paths[path].(obj)
		if item == nil {
			item = obj{}
			if params := pathParams(path); len(params) > 0 {
				item["parameters"] = params
			}
			paths[path] = item
		}
		item[strings.ToLower(method)] = o.render(a)
	}
	// A struct, not a map, so that "openapi" and "info" come first.
	doc := struct {
		OpenAPI    string `json:"openapi"`
		Info       obj    `json:"info"`
		Servers    []any  `json:"servers"`
		Security   []any  `json:"security"`
		Tags       []any  `json:"tags"`
		Paths      obj    `json:"paths"`
		Components obj    `json:"components"`
	}{
		OpenAPI: "3.1.0",
		Info: obj{
			"title":   "hookd API",
			"version": "1",
			"summary": "Webhook delivery: tenants, endpoints, event types, events, deliveries.",
			"description": "JSON over HTTP. Every route but /v1/openapi.json, /healthz, /readyz and /metrics takes " +
				"`Authorization: Bearer <token>`: the admin token, or a tenant token, which acts on its own tenant only " +
				"(another tenant's path answers 404). Routes marked admin-only refuse tenant tokens with 403. Errors " +
				"are `{\"error\":{\"code\",\"message\",\"details\"}}`; a path that exists with other methods answers 405 " +
				"with `Allow`. Lists are cursor pages `{\"data\",\"has_more\",\"next\"}`: pass `next` as `?after=`.",
			"license": obj{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		Servers:    []any{obj{"url": "http://localhost:8080", "description": "hookd serve on its default address"}},
		Security:   []any{obj{"bearer": []any{}}},
		Tags:       tags(),
		Paths:      paths,
		Components: components(),
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tags() []any {
	var out []any
	for _, t := range [][2]string{
		{"tenants", "Tenants (admin)."},
		{"tokens", "Tenant tokens and admin tokens: named, optionally expiring, revocable."},
		{"event-types", "The catalog of event types: built-in (Lean, Link Money, Weavr) and custom."},
		{"endpoints", "A tenant's receiving URLs, their wire format (profile), secrets and delivery options."},
		{"events", "Publishing events, and reading them back with their deliveries."},
		{"deliveries", "One event to one endpoint, with its attempts."},
		{"sources", "Inbound: the providers' webhooks received at /ingest/{token}, verified and published as events."},
		{"operations", "Health, readiness, metrics and this document; no token."},
	} {
		out = append(out, obj{"name": t[0], "description": t[1]})
	}
	return out
}

// pathParams declares the {name} parameters of a path.
func pathParams(path string) []any {
	var out []any
	for _, seg := range strings.Split(path, "/") {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		out = append(out, ref("#/components/parameters/"+name))
	}
	return out
}

// op is one operation of the document.
type op struct {
	pattern     string // "METHOD /path", as httpapi.Routes names it
	id, tag     string
	summary     string
	description string
	params      []any // query and header parameters
	body        obj   // request body (nil: none)
	status      int   // success status
	resp        any   // success response: a schema (nil: no content)
	respEx      any   // example of the success response
	respDesc    string
	errors      []int // error statuses beside 401, 500 and, for tenant routes and routes with a path parameter, 404
	extra       obj   // further responses (status -> response object)
}

// render writes the operation, with the security its route's access asks.
func (o op) render(a httpapi.Access) obj {
	out := obj{"operationId": o.id, "tags": []any{o.tag}, "summary": o.summary}
	desc := o.description
	errs := slices.Clone(o.errors)
	switch a {
	case httpapi.AccessPublic:
		out["security"] = []any{}
	case httpapi.AccessAdmin:
		desc = strings.TrimSpace("Admin token only. " + desc)
		errs = append(errs, 401, 403)
		if strings.Contains(o.pattern, "{") {
			errs = append(errs, 404) // what the path names may not exist
		}
		out["x-hookd-access"] = "admin"
	default:
		errs = append(errs, 401, 404)
		out["x-hookd-access"] = "tenant"
	}
	if a != httpapi.AccessPublic {
		errs = append(errs, 503)
	}
	if desc != "" {
		out["description"] = desc
	}
	if len(o.params) > 0 {
		out["parameters"] = o.params
	}
	if o.body != nil {
		out["requestBody"] = o.body
	}
	responses := obj{}
	d := o.respDesc
	if d == "" {
		d = o.summary
	}
	switch r := o.resp.(type) {
	case nil:
		responses[fmt.Sprint(o.status)] = obj{"description": d}
	case obj:
		if _, ok := r["content"]; ok {
			responses[fmt.Sprint(o.status)] = r
			break
		}
		mt := obj{"schema": r}
		if o.respEx != nil {
			mt["example"] = o.respEx
		}
		responses[fmt.Sprint(o.status)] = obj{"description": d, "content": obj{"application/json": mt}}
	}
	slices.Sort(errs)
	for _, st := range slices.Compact(errs) {
		responses[fmt.Sprint(st)] = ref(fmt.Sprintf("#/components/responses/E%d", st))
	}
	if a != httpapi.AccessPublic {
		responses["default"] = ref("#/components/responses/E500")
	}
	for k, v := range o.extra {
		responses[k] = v
	}
	out["responses"] = responses
	return out
}

func ref(to string) obj { return obj{"$ref": to} }

func schemaRef(name string) obj { return ref("#/components/schemas/" + name) }

// jsonBody is a JSON request body of a schema.
func jsonBody(schema obj, required bool, examples obj) obj {
	mt := obj{"schema": schema}
	if examples != nil {
		mt["examples"] = examples
	}
	return obj{"required": required, "content": obj{"application/json": mt}}
}

func example(summary string, value any) obj { return obj{"summary": summary, "value": value} }

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

// pageParams are the cursor parameters of a list.
var pageParams = []any{ref("#/components/parameters/after"), ref("#/components/parameters/limit")}

// page is the schema of a list page of items.
func page(item string) obj {
	return obj{
		"type":                 "object",
		"required":             []any{"data", "has_more"},
		"additionalProperties": false,
		"properties": obj{
			"data":     obj{"type": "array", "items": schemaRef(item)},
			"has_more": obj{"type": "boolean", "description": "Whether more items follow this page."},
			"next":     obj{"type": "string", "description": "The id to pass as ?after= for the next page; present when has_more is true."},
		},
	}
}

// examples are the values the document shows, taken from the catalog.
type examples struct {
	publishType    string
	publishPayload json.RawMessage
	eventType      *hookd.EventType
	eventTypes     []*hookd.EventType
}

func newExamples(cat *catalog.Catalog) examples {
	var ex examples
	for _, name := range []string{"lean:payment.created", "linkmoney:payment.created", "weavr:loginWatch", hookd.EndpointDisabled} {
		t, err := cat.Resolve(name, "")
		if err != nil {
			panic(err) // the catalog's own tests name these types
		}
		ex.eventTypes = append(ex.eventTypes, t)
	}
	ex.eventType = ex.eventTypes[0]
	ex.publishType = ex.eventType.Name
	ex.publishPayload = compact(ex.eventType.Example)
	return ex
}

func compact(b json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		panic(err) // the catalog checked its examples
	}
	return buf.Bytes()
}

// Example ids, in the forms hookd makes them.
const (
	exTenant   = "acme"
	exEndpoint = "ep_0b7d6c51-2f0a-4a8e-9d0e-5b1f7f3c2a10"
	exEvent    = "0193f4b2-7c1e-7a3d-9b2e-6f1a2c3d4e5f"
	exDelivery = "dlv_0193f4b2-7c1e-7a3d-9b2e-6f1a2c3d4e60"
	exToken    = "tok_0193f4b2-7c1e-7a3d-9b2e-6f1a2c3d4e61"
	exTime     = "2026-01-02T15:04:05Z"
)

func operations(ex examples) []op {
	publishBody := obj{"type": ex.publishType, "payload": ex.publishPayload, "ordering_key": "pay_66214bdb"}
	publishResult := obj{"id": exEvent, "deliveries": []any{obj{"id": exDelivery, "endpoint_id": exEndpoint}}}
	typeOut := func(t *hookd.EventType, full bool) obj {
		o := obj{"name": t.Name, "provider": t.Provider, "description": t.Description, "custom": t.Custom}
		if t.Message != "" {
			o["message"] = t.Message
		}
		if full {
			o["schema"], o["example"] = compact(t.Schema), compact(t.Example)
		}
		return o
	}
	var typeList []any
	for _, t := range ex.eventTypes {
		typeList = append(typeList, typeOut(t, false))
	}
	endpointEx := obj{"id": exEndpoint, "tenant_id": exTenant, "url": "https://hooks.acme.test/hookd", "profile": "standard",
		"event_types": []any{"payment.*"}, "description": "", "ordering": "none", "signature": "v1", "disabled": false,
		"created_at": exTime, "updated_at": exTime}
	withSecret := obj{}
	for k, v := range endpointEx {
		withSecret[k] = v
	}
	withSecret["secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	tenantEx := obj{"id": exTenant, "name": "Acme Ltd", "created_at": exTime, "updated_at": exTime}

	return []op{
		{pattern: "POST /v1/tenants", id: "createTenant", tag: "tenants", summary: "Create a tenant",
			body:   jsonBody(schemaRef("TenantCreate"), true, obj{"acme": example("A tenant with a chosen id", obj{"id": exTenant, "name": "Acme Ltd"})}),
			status: 201, resp: schemaRef("Tenant"), respEx: tenantEx, respDesc: "The tenant.", errors: []int{400, 409, 413}},
		{pattern: "GET /v1/tenants", id: "listTenants", tag: "tenants", summary: "List tenants",
			description: "Oldest first.", params: pageParams,
			status: 200, resp: schemaRef("TenantPage"), respDesc: "A page of tenants.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}", id: "getTenant", tag: "tenants", summary: "Get a tenant",
			status: 200, resp: schemaRef("Tenant"), respEx: tenantEx, respDesc: "The tenant."},
		{pattern: "PATCH /v1/tenants/{tenant}", id: "updateTenant", tag: "tenants", summary: "Update a tenant",
			description: "Fields left out are unchanged.",
			body:        jsonBody(schemaRef("TenantUpdate"), true, nil),
			status:      200, resp: schemaRef("Tenant"), respDesc: "The tenant as changed.", errors: []int{400, 404, 413}},
		{pattern: "DELETE /v1/tenants/{tenant}", id: "deleteTenant", tag: "tenants", summary: "Delete a tenant and all its data",
			status: 204, respDesc: "Deleted.", errors: []int{404}},
		{pattern: "POST /v1/tenants/{tenant}/tokens", id: "createTenantToken", tag: "tokens", summary: "Create a tenant token",
			description: "The token acts for this tenant only. It is shown in this answer only; hookd keeps its hash. The body may be left out.",
			body:        jsonBody(schemaRef("TokenCreate"), false, obj{"ci": example("A named token for a week", obj{"name": "ci", "expires_in": 604800})}),
			status:      201, resp: schemaRef("TokenCreated"), respEx: obj{"id": exToken, "token": "hkt_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				"name": "ci", "expires_at": "2026-01-09T15:04:05Z", "created_at": exTime, "tenant_id": exTenant},
			respDesc: "The token.", errors: []int{400, 404, 413}},
		{pattern: "GET /v1/tenants/{tenant}/tokens", id: "listTenantTokens", tag: "tokens", summary: "List a tenant's tokens",
			description: "Never the tokens themselves.", params: pageParams,
			status: 200, resp: schemaRef("TokenPage"), respDesc: "A page of tokens.", errors: []int{400}},
		{pattern: "DELETE /v1/tenants/{tenant}/tokens/{id}", id: "deleteTenantToken", tag: "tokens", summary: "Revoke a tenant token",
			description: "Refused at once on every node.",
			status:      204, respDesc: "Revoked."},
		{pattern: "POST /v1/admin-tokens", id: "createAdminToken", tag: "tokens", summary: "Create an admin token",
			description: "Beside the bootstrap admin token (HOOKD_ADMIN_TOKEN), which is not listed and cannot be revoked here. The body may be left out.",
			body:        jsonBody(schemaRef("TokenCreate"), false, obj{"ops": example("A named admin token", obj{"name": "ops"})}),
			status:      201, resp: schemaRef("TokenCreated"), respEx: obj{"id": exToken, "token": "hka_3q2-7wEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				"name": "ops", "expires_at": nil, "created_at": exTime},
			respDesc: "The token.", errors: []int{400, 413}},
		{pattern: "GET /v1/admin-tokens", id: "listAdminTokens", tag: "tokens", summary: "List admin tokens",
			description: "Never the tokens themselves; the bootstrap token is not listed.", params: pageParams,
			status: 200, resp: schemaRef("TokenPage"), respDesc: "A page of tokens.", errors: []int{400}},
		{pattern: "DELETE /v1/admin-tokens/{id}", id: "deleteAdminToken", tag: "tokens", summary: "Revoke an admin token",
			description: "Refused at once on every node.",
			status:      204, respDesc: "Revoked.", errors: []int{404}},

		{pattern: "GET /v1/event-types", id: "listEventTypes", tag: "event-types", summary: "List event types",
			description: "Every type, sorted by name: the providers' built-in types, hookd's operational types (provider hookd), the custom types. Not paged.",
			status:      200, resp: schemaRef("EventTypeList"), respEx: obj{"data": typeList}, respDesc: "The catalog."},
		{pattern: "GET /v1/event-types/{type}", id: "getEventType", tag: "event-types", summary: "Get an event type, with its schema and example",
			description: "A type two providers define is named qualified (`lean:payment.created`); any type may be.",
			status:      200, resp: schemaRef("EventType"), respEx: typeOut(ex.eventType, true), respDesc: "The type."},
		{pattern: "POST /v1/event-types", id: "createEventType", tag: "event-types", summary: "Register a custom event type",
			description: "The schema (JSON Schema 2020-12, default `{\"type\":\"object\"}`) checks publishes of the type. " +
				"Names beginning with `hookd.` are reserved.",
			body: jsonBody(schemaRef("EventTypeCreate"), true, obj{"invoice": example("A custom type", obj{
				"name": "invoice.paid", "description": "An invoice was paid.",
				"schema":  obj{"type": "object", "required": []any{"invoice_id"}, "properties": obj{"invoice_id": obj{"type": "string"}}},
				"example": obj{"invoice_id": "inv_42"}})}),
			status: 201, resp: schemaRef("EventType"), respDesc: "The type.", errors: []int{400, 409, 413, 422}},

		{pattern: "POST /v1/tenants/{tenant}/endpoints", id: "createEndpoint", tag: "endpoints", summary: "Create an endpoint",
			description: "The answer carries the signing secret: shown here and on rotation only.",
			body: jsonBody(schemaRef("EndpointCreate"), true, obj{"standard": example("Payments to a Standard Webhooks receiver",
				obj{"url": "https://hooks.acme.test/hookd", "event_types": []any{"payment.*"}, "profile": "standard"})}),
			status: 201, resp: schemaRef("EndpointCreated"), respEx: withSecret, respDesc: "The endpoint and its secret.",
			errors: []int{400, 409, 413, 422}},
		{pattern: "GET /v1/tenants/{tenant}/endpoints", id: "listEndpoints", tag: "endpoints", summary: "List endpoints",
			description: "Oldest first.", params: pageParams,
			status: 200, resp: schemaRef("EndpointPage"), respDesc: "A page of endpoints.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}/endpoints/{id}", id: "getEndpoint", tag: "endpoints", summary: "Get an endpoint",
			status: 200, resp: schemaRef("Endpoint"), respEx: endpointEx, respDesc: "The endpoint."},
		{pattern: "PATCH /v1/tenants/{tenant}/endpoints/{id}", id: "updateEndpoint", tag: "endpoints", summary: "Update an endpoint",
			description: "Fields left out (or null) are unchanged.",
			body:        jsonBody(schemaRef("EndpointUpdate"), true, obj{"pause": example("Pause it", obj{"disabled": true, "disabled_reason": "maintenance"})}),
			status:      200, resp: schemaRef("Endpoint"), respDesc: "The endpoint as changed.", errors: []int{400, 413, 422}},
		{pattern: "DELETE /v1/tenants/{tenant}/endpoints/{id}", id: "deleteEndpoint", tag: "endpoints", summary: "Delete an endpoint",
			description: "Its pending deliveries are canceled.",
			status:      204, respDesc: "Deleted."},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/rotate-secret", id: "rotateSecret", tag: "endpoints", summary: "Rotate the signing secret",
			description: "`standard` and `linkmoney` sign with the old and the new secret during the grace period; `lean` and " +
				"`weavr` send one signature value, so the old secret signs alone until `active_from` (`activate_at`, or " +
				"the end of the grace period), then the new one alone. The body may be left out.",
			body:   jsonBody(schemaRef("Rotation"), false, obj{"grace": example("One hour of overlap", obj{"grace_seconds": 3600})}),
			status: 200, resp: schemaRef("Rotated"), respEx: obj{"secret": "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
				"active_from": exTime, "previous_expires_at": "2026-01-03T15:04:05Z"},
			respDesc: "The new secret and the hand-over times.", errors: []int{400, 413}},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/enable", id: "enableEndpoint", tag: "endpoints", summary: "Enable an endpoint",
			description: "Resumes a disabled endpoint (clearing its reason); its parked deliveries become due at once.",
			status:      200, resp: schemaRef("Endpoint"), respDesc: "The endpoint."},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/disable", id: "disableEndpoint", tag: "endpoints", summary: "Disable an endpoint by hand",
			description: "No node sends to it; its deliveries wait in state `parked` until it is enabled. The reason defaults " +
				"to \"disabled by hand\"; disabling a disabled endpoint replaces only its reason. The body may be left out.",
			body:   jsonBody(schemaRef("Disable"), false, obj{"reason": example("With a reason", obj{"reason": "receiver migration"})}),
			status: 200, resp: schemaRef("Endpoint"), respDesc: "The endpoint.", errors: []int{400, 413}},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/recover", id: "recoverEndpoint", tag: "endpoints", summary: "Requeue failed deliveries",
			description: "Requeues the endpoint's failed deliveries created from `since` to `until` (default now).",
			body:        jsonBody(schemaRef("Recover"), true, obj{"day": example("Since a time", obj{"since": exTime})}),
			status:      202, resp: schemaRef("Recovered"), respEx: obj{"requeued": 12}, respDesc: "How many deliveries were requeued.",
			errors: []int{400, 413}},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/test", id: "testEndpoint", tag: "endpoints", summary: "Send a test event",
			description: "Publishes the catalog example of `type` (default: the first catalog type the endpoint wants) to this " +
				"endpoint only; the event is marked `test`. The body may be left out.",
			body:   jsonBody(schemaRef("Test"), false, obj{"type": example("A chosen type", obj{"type": ex.publishType})}),
			status: 202, resp: schemaRef("PublishResult"), respEx: publishResult, respDesc: "The test event and its delivery.",
			errors: []int{400, 413, 422}},
		{pattern: "GET /v1/tenants/{tenant}/endpoints/{id}/feed", id: "endpointFeed", tag: "endpoints", summary: "Pull the endpoint's feed",
			description: "The events meant for the endpoint, oldest first (on PostgreSQL in the order of the transactions that stored them, none shown before an older transaction still in flight has ended, so a consumer going on from `next` misses none), each with its delivery state and exactly the body " +
				"and headers hookd sends for it, signed as an attempt made at the time of the read: verify them with the code " +
				"that verifies webhooks. `next` is the cursor after the last item; with `consumer` and no `after`, the page " +
				"starts after that consumer's acknowledged cursor (feed/ack). Events past retention are not shown.",
			params: []any{queryParam("after", "A cursor: the next of an earlier page (the id of the last event read).", obj{"type": "string"}),
				queryParam("limit", "Items per page, default 100.", obj{"type": "integer", "minimum": 1, "maximum": 1000}),
				queryParam("consumer", "A named consumer whose acknowledged position the server keeps.", obj{"type": "string"})},
			status: 200, resp: schemaRef("FeedPage"), respDesc: "A page of the feed.", errors: []int{400}},
		{pattern: "POST /v1/tenants/{tenant}/endpoints/{id}/feed/ack", id: "ackFeed", tag: "endpoints", summary: "Acknowledge a feed position",
			description: "Records that `consumer` has processed the feed up to `cursor` (a `next`); its next pull with " +
				"`?consumer=` and no `after` starts there. A consumer may move back as well as forward; `\"cursor\": \"\"` " +
				"moves it back to the start.",
			body:   jsonBody(schemaRef("FeedAck"), true, obj{"ack": example("After a page", obj{"consumer": "billing", "cursor": "01a23402-0dea-776f-80ce-9c26624e26b2"})}),
			status: 200, resp: schemaRef("FeedPosition"), respDesc: "The consumer's position.", errors: []int{400, 413}},

		{pattern: "POST /v1/tenants/{tenant}/portal-links", id: "createPortalLink", tag: "tenants", summary: "Mint a portal link",
			description: "A link to the tenant's web portal: `url` carries the token in its fragment " +
				"(`/portal/#token=…`), which browsers never send to a server. The page exchanges it for a session cookie. " +
				"The body may be left out.",
			body: jsonBody(schemaRef("PortalLinkCreate"), false, obj{"replay": example("Read and replay for a week",
				obj{"expires_in": 604800, "capabilities": []any{"read", "replay"}})}),
			status: 201, resp: schemaRef("PortalLink"), respEx: obj{"url": "https://hooks.example.com/portal/#token=hkpl_3q2-7wAb",
				"token": "hkpl_3q2-7wAb", "expires_at": exTime, "capabilities": []any{"read", "manage_endpoints", "manage_secrets", "replay"}},
			respDesc: "The link, shown once.", errors: []int{400, 413}},
		{pattern: "DELETE /v1/tenants/{tenant}/portal-links", id: "revokePortalLinks", tag: "tenants", summary: "Revoke the tenant's portal links",
			description: "Every link and portal session of the tenant ends at once, on every node.",
			status:      200, resp: schemaRef("PortalLinksRevoked"), respEx: obj{"revoked": 3}, respDesc: "How many links and sessions were in force."},
		{pattern: "GET /v1/tenants/{tenant}/endpoints/{id}/stats", id: "endpointStats", tag: "endpoints", summary: "Delivery figures of an endpoint",
			description: "Buckets of `interval` from `since` to `until`: deliveries that ended succeeded or failed (counted in " +
				"the bucket of their final attempt), attempts made, and the attempts' latency p50 and p99 (nearest rank, " +
				"0 without attempts). At most 90 days and 1000 buckets, an interval of at least 1 minute.",
			params: []any{
				queryParam("since", "Start of the window, RFC 3339 (default: 24 hours before until).", dateTime),
				queryParam("until", "End of the window, RFC 3339 (default: now).", dateTime),
				queryParam("interval", "Bucket width: a duration (5m, 1h) or seconds (default: the smallest of 1m, 5m, 15m, 1h, "+
					"3h, 6h, 12h, 24h that makes at most 60 buckets).", obj{"type": "string"}),
			},
			status: 200, resp: schemaRef("Stats"), respDesc: "The buckets and the totals of the window.", errors: []int{400}},

		{pattern: "POST /v1/tenants/{tenant}/events", id: "publishEvent", tag: "events", summary: "Publish an event",
			description: "Answered once the event and its deliveries are stored. The payload is checked against the type's " +
				"schema (422 with the JSON path otherwise). An `Idempotency-Key` or event `id` names one request: the " +
				"same request again answers the first result with `duplicate: true`; a different request under it is " +
				"refused with 409, the details naming the fields that differ. The operational types (hookd.*) are hookd's to publish: refused with 400.",
			params: []any{ref("#/components/parameters/Idempotency-Key")},
			body: jsonBody(schemaRef("Publish"), true, obj{"catalog": example("The catalog example of "+ex.publishType, publishBody),
				"custom": example("A custom type with a chosen id", obj{"type": "invoice.paid", "id": "inv_42.paid", "payload": obj{"invoice_id": "inv_42"}})}),
			status: 202, resp: schemaRef("PublishResult"), respEx: publishResult, respDesc: "The event and one delivery per endpoint that wants it.",
			errors: []int{400, 409, 413, 422, 429}},
		{pattern: "POST /v1/tenants/{tenant}/events/batch", id: "publishBatch", tag: "events", summary: "Publish events in one commit",
			description: "Up to 1000 events (the server's --max-batch). Each event is checked alone: an invalid one gets its " +
				"`error` in its place of `data`, the others are published together. A batch whose JSON does not fit the schema " +
				"(a field of the wrong type, an unknown field) is refused whole, the details naming the event (`events[2].type`). " +
				"An `Idempotency-Key` gives each event without its own `idempotency_key` the key `KEY:N` (N its place): the " +
				"same batch again answers its events, as duplicates.",
			params: []any{obj{"name": "Idempotency-Key", "in": "header", "required": false,
				"description": "Names the batch: each event without its own idempotency_key takes KEY:N, N its place in the batch.",
				"schema":      obj{"type": "string", "maxLength": 251}}},
			body: jsonBody(schemaRef("Batch"), true, obj{"two": example("Two events", obj{"events": []any{
				obj{"type": ex.publishType, "payload": ex.publishPayload, "idempotency_key": "order-42"},
				obj{"type": "invoice.paid", "payload": obj{"invoice_id": "inv_42"}}}})}),
			status: 202, resp: schemaRef("BatchResult"), respDesc: "One result or error per event, in order.",
			errors: []int{400, 413, 429}},
		{pattern: "GET /v1/tenants/{tenant}/events", id: "listEvents", tag: "events", summary: "List events",
			description: "Newest first (on PostgreSQL the feed's order backwards: the order of the transactions that stored them, publish order within one).",
			params: append([]any{queryParam("type", "What an endpoint subscribed to this pattern receives: a name "+
				"(`payment.created` finds every provider's), a qualified name (`lean:payment.created`), a prefix ending at "+
				"a dot (`payment.*`) or `*` (every event but hookd's own).", obj{"type": "string"}),
				queryParam("delivery", "Only the events with at least one delivery in this state (`pending` includes parked).",
					obj{"type": "string", "enum": []any{"pending", "succeeded", "failed"}}),
				queryParam("idempotency_key", "Only the event published under this idempotency key (the Idempotency-Key header, "+
					"an event's idempotency_key in a batch, or a batch's KEY:N).", obj{"type": "string"})}, pageParams...),
			status: 200, resp: schemaRef("EventPage"), respDesc: "A page of events.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}/events/{id}", id: "getEvent", tag: "events", summary: "Get an event with its deliveries",
			status: 200, resp: schemaRef("EventWithDeliveries"), respDesc: "The event."},

		{pattern: "GET /v1/tenants/{tenant}/deliveries", id: "listDeliveries", tag: "deliveries", summary: "List deliveries",
			description: "Newest first.",
			params: append([]any{
				queryParam("endpoint", "Only this endpoint's.", obj{"type": "string"}),
				queryParam("event", "Only this event's.", obj{"type": "string"}),
				queryParam("state", "Only in this state.", schemaRef("DeliveryState")),
				queryParam("type", "Only the deliveries of events of this type, read as the events' `type` filter reads it.", obj{"type": "string"}),
			}, pageParams...),
			status: 200, resp: schemaRef("DeliveryPage"), respDesc: "A page of deliveries.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}/deliveries/{id}", id: "getDelivery", tag: "deliveries", summary: "Get a delivery with its attempts",
			status: 200, resp: schemaRef("DeliveryWithAttempts"), respDesc: "The delivery."},
		{pattern: "POST /v1/tenants/{tenant}/deliveries/{id}/retry", id: "retryDelivery", tag: "deliveries", summary: "Retry a delivery now",
			description: "Makes a finished (or waiting) delivery due at once.",
			status:      202, resp: schemaRef("Delivery"), respDesc: "The delivery, due.", errors: []int{409}},

		{pattern: "POST /v1/tenants/{tenant}/sources", id: "createSource", tag: "sources", summary: "Create a source",
			description: "A provider's webhooks sent to `ingest_url` are verified with `secrets` and published as events of the " +
				"tenant. The URL's token is shown in this answer only. Link Money signs nothing: its sources rely on the URL, " +
				"with basic_auth, header_key or allow_ips if wanted.",
			body: jsonBody(schemaRef("SourceCreate"), true, obj{
				"lean": example("Lean's webhooks", obj{"name": "lean production", "profile": "lean", "secrets": []any{"lean-webhook-secret"}}),
				"github": example("GitHub's webhooks: X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>", obj{"name": "github", "profile": "hmac", "secrets": []any{"github-webhook-secret"},
					"hmac": obj{"header": "X-Hub-Signature-256", "prefix": "sha256=", "id_header": "X-GitHub-Delivery", "type_header": "X-GitHub-Event", "type_prefix": "github."}}),
				"stripe": example("Stripe's webhooks: Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, t.body)>", obj{"name": "stripe", "profile": "hmac", "secrets": []any{"whsec_stripe-endpoint-secret"},
					"hmac": obj{"header": "Stripe-Signature", "prefix": "v1=", "signed_content": "{timestamp}.{body}", "timestamp_header": "Stripe-Signature", "timestamp_prefix": "t=", "id_path": "id", "type_path": "type", "type_prefix": "stripe."}}),
			}),
			status: 201, resp: schemaRef("Source"), respEx: obj{"id": "srcid_0b7c", "tenant_id": exTenant, "name": "lean production", "profile": "lean", "ingest_url": "https://hooks.example.com/ingest/src_9f2c", "secret_count": 1, "tolerance_seconds": 0, "created_at": exTime, "updated_at": exTime}, respDesc: "The source and its ingest URL.", errors: []int{400, 413}},
		{pattern: "GET /v1/tenants/{tenant}/sources", id: "listSources", tag: "sources", summary: "List sources",
			description: "Oldest first; never the secrets or the ingest URL.", params: pageParams,
			status: 200, resp: schemaRef("SourcePage"), respDesc: "A page of sources.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}/sources/{id}", id: "getSource", tag: "sources", summary: "Get a source",
			status: 200, resp: schemaRef("Source"), respDesc: "The source."},
		{pattern: "PATCH /v1/tenants/{tenant}/sources/{id}", id: "updateSource", tag: "sources", summary: "Update a source",
			description: "Fields left out (or null) are unchanged; secrets replaces every secret at once.",
			body:        jsonBody(schemaRef("SourceUpdate"), true, nil),
			status:      200, resp: schemaRef("Source"), respDesc: "The source as changed.", errors: []int{400, 413}},
		{pattern: "DELETE /v1/tenants/{tenant}/sources/{id}", id: "deleteSource", tag: "sources", summary: "Delete a source",
			description: "Its ingest URL answers 404 at once; the events it published stay.",
			status:      204, respDesc: "Deleted."},
		{pattern: "POST /v1/tenants/{tenant}/sources/{id}/rotate", id: "rotateSource", tag: "sources", summary: "Rotate a source's secret or URL",
			description: "A new secret is accepted at once and the older ones until the end of the grace period; with `token: true`, " +
				"a new ingest URL too, the old one working for the same grace period. The two rotate together only when asked.",
			body:   jsonBody(schemaRef("SourceRotation"), true, obj{"secret": example("A new secret, one hour of overlap", obj{"secret": "new-secret", "grace_seconds": 3600})}),
			status: 200, resp: schemaRef("Source"), respDesc: "The source; ingest_url when token was true.", errors: []int{400, 413}},
		{pattern: "GET /v1/tenants/{tenant}/sources/{id}/errors", id: "sourceErrors", tag: "sources", summary: "A source's refused requests",
			description: "The newest 100 refused requests, newest first: time, reason, headers without credentials, the start of the body.",
			status:      200, resp: schemaRef("SourceErrors"), respDesc: "The error log."},
		{pattern: "GET /v1/tenants/{tenant}/sources/{id}/requests", id: "listSourceRequests", tag: "sources", summary: "List a source's requests",
			description: "The requests the source accepted, newest first, as received: the body byte for byte, the headers but credentials, " +
				"the sender's address and the verdict. Each was committed with its event before the sender was answered 200. " +
				"A replay (the same provider id at the same source) stores no second request: it counts in the first one's duplicates. " +
				"Kept as long as events (the retention).",
			params: pageParams,
			status: 200, resp: schemaRef("SourceRequestPage"), respDesc: "A page of requests.", errors: []int{400}},
		{pattern: "GET /v1/tenants/{tenant}/sources/{id}/requests/{request}", id: "getSourceRequest", tag: "sources", summary: "Get a source's request",
			description: "One accepted request; an event received at a source names it in its source.request_id.",
			status:      200, resp: schemaRef("SourceRequest"), respDesc: "The request as received."},
		{pattern: "POST /ingest/{token}", id: "ingest", tag: "sources", summary: "Receive a provider's webhook",
			description: "Verified on the raw body with the source's profile (lean-signature; Weavr signature-v2 and its timestamp; " +
				"Standard Webhooks with a 5-minute tolerance; hmac: the source's own scheme), then published as an event of the source's tenant and answered " +
				"once the event and the request as received are committed (one transaction). Not subject to the tenant's publish rate limit. " +
				"The provider's id (Lean event_id, Weavr call-ref, webhook-id, Link Money id, an hmac source's id_header or id_path) makes a retry to the " +
				"same source a duplicate; the same id at another source is a webhook of its own. The provider's id is also the event's id while no " +
				"other event of the tenant has it (an hmac source's event always gets one of hookd's own), else event_id is a UUIDv7 of hookd's own. " +
				"A refused request (401, or 413 for a body over --max-body) is logged in the source's errors.",
			params: ingestHeaders(),
			body:   obj{"required": true, "content": obj{"application/json": obj{"schema": obj{"type": "object", "additionalProperties": true, "description": "The provider's body, verified as received."}}}},
			status: 200, resp: schemaRef("Ingested"), respEx: obj{"event_id": "8f1c1a52-4f09-4c0e-9a41-0f6d8f0b1a77", "type": "lean:payment.created", "duplicate": false},
			respDesc: "Stored.", errors: []int{400, 401, 404, 413},
			extra: obj{"503": ref("#/components/responses/E503")}},

		{pattern: "GET /v1/openapi.json", id: "getOpenAPI", tag: "operations", summary: "This document",
			status: 200, resp: schemaRef("OpenAPIDocument"), respDesc: "The OpenAPI 3.1 document."},
		{pattern: "GET /healthz", id: "health", tag: "operations", summary: "Liveness",
			status: 200, resp: schemaRef("Health"), respEx: obj{"status": "ok"}, respDesc: "The process serves."},
		{pattern: "GET /readyz", id: "ready", tag: "operations", summary: "Readiness",
			description: "503 when the store does not answer or a group commit is pending past --stuck-after.",
			status:      200, resp: schemaRef("Ready"), respEx: obj{"status": "ready"}, respDesc: "Ready to serve.",
			extra: obj{"503": obj{"description": "Not ready, with the reason.", "content": obj{"application/json": obj{
				"schema": schemaRef("Ready"), "example": obj{"status": "unavailable", "reason": "storage unreachable: database is locked"}}}}}},
		{pattern: "GET /metrics", id: "metrics", tag: "operations", summary: "Prometheus metrics",
			description: "Absent (404) when the server runs with --metrics=false.",
			status:      200, resp: obj{"description": "The metrics in the Prometheus text format (or OpenMetrics, by Accept).",
				"content": obj{"text/plain": obj{"schema": obj{"type": "string"}}, "application/openmetrics-text": obj{"schema": obj{"type": "string"}}}},
			extra: obj{"404": ref("#/components/responses/E404")}},
	}
}

// ingestHeaders are the headers the providers sign with, which the ingest
// route reads (one of the sets, by the source's profile).
func ingestHeaders() []any {
	var out []any
	for _, h := range [][2]string{
		{"lean-signature", "lean: sha512= and the hex of HMAC-SHA512(secret, body)."},
		{"call-ref", "weavr: the call's reference, its id."},
		{"published-timestamp", "weavr: epoch milliseconds, signed."},
		{"signature-v2", "weavr: base64 HMAC-SHA256(key, call-ref + body + published-timestamp)."},
		{"signature", "weavr: the legacy signature, not enough alone."},
		{"webhook-id", "standard: the message id."},
		{"webhook-timestamp", "standard: epoch seconds, signed."},
		{"webhook-signature", "standard: v1,<base64> entries."},
		{"svix-id", "standard, from a Svix sender: read when no webhook-* header is present."},
		{"svix-timestamp", "standard, from a Svix sender: as webhook-timestamp."},
		{"svix-signature", "standard, from a Svix sender: as webhook-signature."},
		{"Authorization", "A source's basic_auth, if it has one."},
	} {
		out = append(out, obj{"name": h[0], "in": "header", "required": false, "description": h[1], "schema": obj{"type": "string"}})
	}
	return out
}
