package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGenerated: httpapi/openapi.json is what this program writes, so a
// hand edit of the file, or a change here not followed by go generate, fails.
func TestGenerated(t *testing.T) {
	want, err := build()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("httpapi/openapi.json is stale: run go generate ./httpapi")
	}
}
