package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// documented returns the operations of the OpenAPI document as
// "METHOD /path" patterns, and its operations' security by pattern.
func documented(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	ops := map[string]json.RawMessage{}
	for path, item := range doc.Paths {
		for method, op := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				ops[strings.ToUpper(method)+" "+path] = op
			}
		}
	}
	return ops
}

// TestOpenAPIRoutes: the document describes every route the router has,
// and no route it does not have, with the security the route asks.
func TestOpenAPIRoutes(t *testing.T) {
	ops := documented(t)
	var routes []string
	for _, r := range Routes() {
		routes = append(routes, r.Pattern)
		raw, ok := ops[r.Pattern]
		if !ok {
			t.Errorf("route %s is not in the OpenAPI document (httpapi/internal/openapigen)", r.Pattern)
			continue
		}
		var op struct {
			Security *[]map[string][]string `json:"security"`
			Access   string                 `json:"x-hookd-access"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		public := op.Security != nil && len(*op.Security) == 0
		switch {
		case r.Access == AccessPublic && !public:
			t.Errorf("%s needs no token, but the document asks for one", r.Pattern)
		case r.Access != AccessPublic && public:
			t.Errorf("%s needs a token, but the document says it does not", r.Pattern)
		case r.Access == AccessAdmin && op.Access != "admin", r.Access == AccessTenant && op.Access != "tenant":
			t.Errorf("%s: x-hookd-access %q does not match the route's access", r.Pattern, op.Access)
		}
	}
	for p := range ops {
		if !slices.Contains(routes, p) {
			t.Errorf("the OpenAPI document describes %s, which the router does not have", p)
		}
	}
}

// TestOpenAPIValid: the document is a valid OpenAPI 3.1 document (checked
// against the specification's schema by libopenapi-validator), and every
// schema in it compiles.
func TestOpenAPIValid(t *testing.T) {
	doc, err := libopenapi.NewDocument(OpenAPI())
	if err != nil {
		t.Fatal(err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("%s: %s", e.Message, e.Reason)
			for _, s := range e.SchemaValidationErrors {
				t.Errorf("  %s (%s): %s", s.FieldPath, s.KeywordLocation, s.Reason)
			}
		}
	}
}

// TestOpenAPIServed: GET /v1/openapi.json answers the document without a
// token.
func TestOpenAPIServed(t *testing.T) {
	srv := httptest.NewServer((&Server{AdminTokenHash: HashToken("admin-token-for-tests")}).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || !bytes.Equal(b, OpenAPI()) {
		t.Fatalf("status %d, type %q, %d bytes; want 200 application/json and the document", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
}

// TestOpenAPISchemas: every schema of the document is a valid JSON Schema
// 2020-12 schema (the dialect of OpenAPI 3.1), and every example of a
// request or response body satisfies its schema.
func TestOpenAPISchemas(t *testing.T) {
	var doc any
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	compile := func(ptr string) *jsonschema.Schema {
		s, err := c.Compile("openapi.json#" + ptr)
		if err != nil {
			t.Errorf("%s: %v", ptr, err)
		}
		return s
	}
	root := doc.(map[string]any)
	for name := range root["components"].(map[string]any)["schemas"].(map[string]any) {
		compile("/components/schemas/" + name)
	}
	checked := 0
	for path, item := range root["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op, ok := o.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			bodies := map[string]any{}
			if rb, ok := op["requestBody"].(map[string]any); ok {
				bodies["requestBody"] = rb
			}
			for st, r := range op["responses"].(map[string]any) {
				bodies["responses/"+st] = r
			}
			for where, b := range bodies {
				content, _ := b.(map[string]any)["content"].(map[string]any)
				for mt, m := range content {
					m := m.(map[string]any)
					if _, ok := m["schema"]; !ok {
						continue
					}
					ptr := "/paths/" + strings.ReplaceAll(strings.ReplaceAll(path, "~", "~0"), "/", "~1") + "/" + method + "/" + where + "/content/" + strings.ReplaceAll(mt, "/", "~1") + "/schema"
					s := compile(ptr)
					if s == nil {
						continue
					}
					var exs []any
					if ex, ok := m["example"]; ok {
						exs = append(exs, ex)
					}
					named, _ := m["examples"].(map[string]any)
					for _, ex := range named {
						exs = append(exs, ex.(map[string]any)["value"])
					}
					for _, ex := range exs {
						checked++
						if err := s.Validate(ex); err != nil {
							t.Errorf("%s %s %s: example does not fit its schema: %v", method, path, where, err)
						}
					}
				}
			}
		}
	}
	if checked < 10 {
		t.Fatalf("%d examples checked: the walk misses them", checked)
	}
}
