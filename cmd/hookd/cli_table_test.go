package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestCLITableOneLinePerRow: a value with line breaks or tabs (a refused
// request's pretty-printed body, a description) stays in its cell.
func TestCLITableOneLinePerRow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	a := startApp(t, nil)
	env := cleanEnv("HOOKD_URL="+a.url, "HOOKD_TOKEN="+testAdmin, "HOOKD_TENANT=acme")
	var ten struct{ ID string }
	cliJSON(t, env, &ten, "tenant", "create", "--id", "acme", "--name", "Acme")
	var src struct {
		ID        string
		IngestURL string `json:"ingest_url"`
	}
	cliJSON(t, env, &src, "source", "create", "--profile", "lean", "--name", "s", "--secrets", "sek")
	resp, err := http.Post(src.IngestURL, "application/json", strings.NewReader("{\n\t\"type\": \"payment.created\"\n}\n"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("an unsigned webhook: %d", resp.StatusCode)
	}
	code, out, errOut := cli(t, env, "source", "errors", src.ID)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 2 {
		t.Errorf("a header and one row, got %d lines:\n%s", len(lines), out)
	}
}
