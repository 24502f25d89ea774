package seal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	k, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	plain := []byte("whsec_secret")
	c, err := k.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(c, plain) {
		t.Fatal("ciphertext contains the plaintext")
	}
	k2, err := LoadOrCreate(path) // the same key is read back
	if err != nil {
		t.Fatal(err)
	}
	got, err := k2.Open(c)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := LoadOrCreate(filepath.Join(t.TempDir(), "other"))
	if _, err := other.Open(c); err == nil {
		t.Fatal("another key opened the value")
	}
	c[len(c)-1] ^= 1
	if _, err := k.Open(c); err == nil {
		t.Fatal("a tampered value opened")
	}
	if _, err := ParseKey("bm90IDMyIGJ5dGVz"); err == nil {
		t.Fatal("a short key was accepted")
	}
}
