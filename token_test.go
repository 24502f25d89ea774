package hookd_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/hookd/hookd"
)

// TestHashToken: a token's stored form is the hex SHA-256 of its bytes,
// whatever its length (short ones are hashed from a copy on the stack).
func TestHashToken(t *testing.T) {
	for _, n := range []int{0, 1, 47, 127, 128, 129, 1000} {
		tok := strings.Repeat("k", n)
		sum := sha256.Sum256([]byte(tok))
		if got, want := hookd.HashToken(tok), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("HashToken of %d bytes = %s, want %s", n, got, want)
		}
	}
	if got := hookd.HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf(`HashToken("abc") = %s`, got)
	}
}
