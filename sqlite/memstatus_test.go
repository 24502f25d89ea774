//go:build cgo

package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
)

// TestMemoryNotCounted: the C library keeps no count of the memory it
// allocates (SQLITE_CONFIG_MEMSTATUS off, set before it was initialized),
// so its allocations take no process-wide mutex; a store opened and
// written through it works as before.
func TestMemoryNotCounted(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenDriver(t.Context(), CGo, filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.CreateTenant(t.Context(), &hookd.Tenant{ID: "ten_m", Name: "m", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Tenant(t.Context(), "ten_m"); err != nil {
		t.Fatal(err)
	}
	if memoryCounted() {
		t.Fatal("SQLite counts its memory: SQLITE_CONFIG_MEMSTATUS was not turned off before the library was initialized")
	}
}
