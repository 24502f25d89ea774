package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
	"github.com/hookd/hookd/storetest"
)

// TestStore runs the conformance suite on a real SQLite file per subtest.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hookd.Store {
		dir := t.TempDir()
		key, err := seal.LoadOrCreate(filepath.Join(dir, "hookd.db.key"))
		if err != nil {
			t.Fatal(err)
		}
		st, err := sqlite.Open(t.Context(), filepath.Join(dir, "hookd.db"), key)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := st.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
		return st
	})
}

// TestOneProcessPerFile: a second Open of the same file is refused while
// the first holds it, and allowed once it is closed.
func TestOneProcessPerFile(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	st, err := sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	if st2, err := sqlite.Open(t.Context(), path, key); err == nil {
		st2.Close()
		t.Fatal("a second Open of a file in use succeeded")
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	st.Close()
}
