package client

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

// Generated idempotency keys sort in the order of their times, so the
// server's unique index takes each at its end, and keys made in the same
// millisecond still differ.
func TestKeysSortByTime(t *testing.T) {
	format := regexp.MustCompile(`^idem_[0-9a-f]{32}$`)
	t0 := time.UnixMilli(1_796_000_000_000)
	var keys []string
	for i := range 200 {
		at := t0.Add(time.Duration(i/4) * time.Millisecond) // 4 keys per millisecond
		k := keyAt(at)
		if !format.MatchString(k) {
			t.Fatalf("key %q: want idem_ and 32 hex digits", k)
		}
		keys = append(keys, k)
	}
	for i := 4; i < len(keys); i++ {
		if keys[i-4] >= keys[i] {
			t.Fatalf("key %d (%s) does not sort after key %d (%s), made a millisecond before", i, keys[i], i-4, keys[i-4])
		}
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	if n := len(slices.Compact(sorted)); n != len(keys) {
		t.Fatalf("%d distinct keys of %d", n, len(keys))
	}
	// A key made now carries this millisecond.
	before := keyAt(time.Now().Add(-time.Second))
	if k := newKey(); k <= before {
		t.Fatalf("newKey %s sorts before a key of a second ago %s", k, before)
	}
}
