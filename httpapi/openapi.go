package httpapi

import (
	_ "embed"
	"net/http"
)

// The OpenAPI 3.1 document of the API, generated from the route table's
// access levels, the types of this package and the catalog's examples by
// internal/openapigen; a test keeps the file equal to what the generator
// writes, and another keeps its paths equal to the route table.
//
//go:generate go run ./internal/openapigen -o openapi.json
//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the OpenAPI 3.1 document served at GET /v1/openapi.json.
func OpenAPI() []byte { return openapiJSON }

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openapiJSON)
	return nil
}
