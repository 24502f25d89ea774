package client_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hookd/hookd/httpapi"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
)

// The client is written by hand and tested against the real server; the
// test server also holds every exchange to the OpenAPI document: each
// request the server accepted, and each response, must fit it. TestMain
// fails the run on any misfit, and (on a run of every test) when a route of
// the API was never called through the client.

// contract validates exchanges against the OpenAPI document and records
// which routes were called.
var contract = struct {
	sync.Mutex
	v      validator.Validator // responses
	strict validator.Validator // requests
	routes *http.ServeMux      // answers a request's route pattern
	called map[string]bool
	errs   []string
}{called: map[string]bool{}}

func init() {
	doc, err := libopenapi.NewDocument(httpapi.OpenAPI())
	if err != nil {
		panic(err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		panic(fmt.Sprint(errs))
	}
	contract.v = v
	// Requests are checked strictly: a field the client sends that the
	// document does not name is a misfit (free-form objects aside: a
	// payload, metadata, custom headers, a type's schema and example).
	var free []string
	for _, name := range []string{"payload", "metadata", "headers", "schema", "example"} {
		free = append(free, "$.body."+name+".**", "$.body.**."+name+".**")
	}
	strict, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithStrictMode(), config.WithStrictIgnorePaths(free...))
	if len(errs) > 0 {
		panic(fmt.Sprint(errs))
	}
	contract.strict = strict
	contract.routes = http.NewServeMux()
	for _, r := range httpapi.Routes() {
		contract.routes.Handle(r.Pattern, http.NotFoundHandler())
	}
}

// checked wraps the API's handler with the contract check.
func checked(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())

		req := r.Clone(r.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		resp := rec.Result()
		_, pattern := contract.routes.Handler(r)
		contract.Lock()
		defer contract.Unlock()
		if pattern != "" {
			contract.called[pattern] = true
		}
		what := r.Method + " " + r.URL.Path
		// A request the server refused may well not fit; an ingest body
		// is a provider's, whatever fields it has.
		if rec.Code < 300 && !strings.HasPrefix(r.URL.Path, "/ingest/") {
			if ok, errs := contract.strict.ValidateHttpRequest(req); !ok {
				for _, e := range errs {
					contract.errs = append(contract.errs, fmt.Sprintf("request %s: %s: %s", what, e.Message, e.Reason))
				}
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		if ok, errs := contract.v.ValidateHttpResponse(req, resp); !ok {
			for _, e := range errs {
				contract.errs = append(contract.errs, fmt.Sprintf("response %d to %s: %s: %s", rec.Code, what, e.Message, e.Reason))
			}
		}
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	contract.Lock()
	defer contract.Unlock()
	for _, e := range contract.errs {
		fmt.Fprintln(os.Stderr, "OpenAPI contract:", e)
		code = 1
	}
	if f := flag.Lookup("test.run"); code == 0 && f != nil && f.Value.String() == "" && !testing.Short() {
		var missed []string
		for _, r := range httpapi.Routes() {
			if !contract.called[r.Pattern] && r.Pattern != "GET /metrics" { // the test server has no metrics
				missed = append(missed, r.Pattern)
			}
		}
		sort.Strings(missed)
		if len(missed) > 0 {
			fmt.Fprintln(os.Stderr, "routes no client test called:", strings.Join(missed, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// TestContractSeen: the contract check sees the exchanges (a check that
// saw nothing would pass everything).
func TestContractSeen(t *testing.T) {
	_, acme, _ := setup(t)
	if _, err := acme.GetTenant(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	doc, err := acme.OpenAPI(t.Context())
	if err != nil || !bytes.Equal(doc, httpapi.OpenAPI()) {
		t.Fatalf("openapi: %d bytes, %v", len(doc), err)
	}
	contract.Lock()
	defer contract.Unlock()
	if !contract.called["GET /v1/tenants/{tenant}"] || !contract.called["GET /v1/openapi.json"] {
		t.Fatalf("the contract check saw %v", contract.called)
	}
	// And it tells a misfit: a tenant whose name is a number.
	req := httptest.NewRequest("GET", "http://127.0.0.1/v1/tenants/acme", nil)
	rec := httptest.NewRecorder()
	rec.Header().Set("Content-Type", "application/json")
	rec.WriteHeader(200)
	rec.WriteString(`{"id":"acme","name":42,"created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`)
	if ok, _ := contract.v.ValidateHttpResponse(req, rec.Result()); ok {
		t.Fatal("a tenant named 42 fits the document: the check checks nothing")
	}
}
