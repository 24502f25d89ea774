package main

import (
	"errors"
	"net/http"
	"testing"

	"github.com/hookd/hookd/egress"
)

// TestOutgoingClientNoRedirect: serve's outgoing client does not follow
// redirects: a 3xx is the endpoint's answer, a failure (the engine's
// TestRedirectNotFollowed shows what it makes of one).
func TestOutgoingClientNoRedirect(t *testing.T) {
	guard, err := egress.New("")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(guard)
	if c.CheckRedirect == nil {
		t.Fatal("the outgoing client follows redirects")
	}
	if err := c.CheckRedirect(&http.Request{}, nil); !errors.Is(err, http.ErrUseLastResponse) {
		t.Fatalf("CheckRedirect = %v, want http.ErrUseLastResponse", err)
	}
}
