package sqlstore

import (
	"testing"

	"github.com/hookd/hookd"
)

// A lookup that read the database before a write dropped the cache does not
// put its answer back: it could be the token the write revoked.
func TestTokenCacheStaleLookup(t *testing.T) {
	var c tokenCache
	tok := &hookd.Token{ID: "tok_a"}
	if got, _ := c.get("h"); got != nil {
		t.Fatal("an empty cache answered")
	}
	_, gen := c.get("h") // a lookup starts, reads the database ...
	c.drop()             // ... a revocation commits and drops the cache ...
	c.put("h", tok, gen) // ... the lookup's answer is stale
	if got, _ := c.get("h"); got != nil {
		t.Fatalf("a lookup older than the drop was kept: %+v", got)
	}
	_, gen = c.get("h")
	c.put("h", tok, gen)
	got, _ := c.get("h")
	if got == nil || got.ID != "tok_a" {
		t.Fatalf("cached %+v, want tok_a", got)
	}
	got.ID = "changed" // callers get a copy
	if again, _ := c.get("h"); again.ID != "tok_a" {
		t.Fatalf("a caller's change reached the cache: %s", again.ID)
	}
	c.drop()
	if got, _ := c.get("h"); got != nil {
		t.Fatal("drop kept a token")
	}
}
