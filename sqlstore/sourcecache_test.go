package sqlstore

import (
	"testing"

	"github.com/hookd/hookd"
)

// A lookup that read the database before a write of sources dropped the
// cache does not put its answer back: it could be the source the write
// changed (its secrets, its token) or deleted.
func TestSourceCacheStaleLookup(t *testing.T) {
	var c sourceCache
	e := &cachedSource{row: sourceRow{id: "srcid_1", tokenHash: "h", data: []byte{1}}, src: hookd.Source{ID: "srcid_1", Name: "a"}}
	if got, _ := c.get("h"); got != nil {
		t.Fatal("an empty cache answered")
	}
	_, gen := c.get("h") // a lookup starts, reads the database ...
	c.drop()             // ... a change of the source commits and drops the cache ...
	c.put("h", e, gen)   // ... the lookup's answer is stale
	if got, _ := c.get("h"); got != nil {
		t.Fatalf("a lookup older than the drop was kept: %+v", got)
	}
	_, gen = c.get("h")
	c.put("h", e, gen)
	got, _ := c.get("h")
	if got == nil || got.source().ID != "srcid_1" {
		t.Fatalf("cached %+v, want srcid_1", got)
	}
	got.source().Name = "changed" // callers get a copy
	if again, _ := c.get("h"); again.source().Name != "a" {
		t.Fatalf("a caller's change reached the cache: %s", again.source().Name)
	}
	// A row read again is the cached one only if every column is the same.
	same := e.row
	same.data = []byte{1}
	if !e.row.same(&same) {
		t.Error("an identical row is not the same")
	}
	for _, change := range []func(*sourceRow){
		func(r *sourceRow) { r.data = []byte{2} },
		func(r *sourceRow) { r.tokenHash = "h2" },
		func(r *sourceRow) { r.prevTokenHash.String, r.prevTokenHash.Valid = "h", true },
		func(r *sourceRow) { r.prevTokenUntil.Int64, r.prevTokenUntil.Valid = 1, true },
		func(r *sourceRow) { r.tenantID = "ten_b" },
		func(r *sourceRow) { r.createdAt = 1 },
	} {
		other := e.row
		change(&other)
		if e.row.same(&other) {
			t.Errorf("a changed row is the same: %+v", other)
		}
	}
	c.drop()
	if got, _ := c.get("h"); got != nil {
		t.Fatal("drop kept a source")
	}
}
