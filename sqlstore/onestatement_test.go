package sqlstore

import "testing"

// Every shape of the one statement gets its own text, the one built for
// it, from the cache as when first built.
func TestOneStatementCache(t *testing.T) {
	s := &Store{d: Dialect{Numbered: true}}
	texts := map[string]int{}
	for i := range oneShapes {
		f := func(n int) bool { return i&(1<<n) != 0 }
		sh := oneShape{pubs: f(0), res: resultsShape{results: f(1), inline: f(2), attempts: f(3)}, version: f(4), tokens: f(5),
			repeats: f(6), requests: f(7)}
		want := s.q(oneStatementSQL(sh))
		for range 2 {
			if got := s.oneStatement(sh); got != want {
				t.Fatalf("shape %08b: the cached text is not the one built for it", i)
			}
		}
		texts[want]++
	}
	// oneStatementSQL ignores some flags in some shapes (no results: the
	// results' flags), so texts repeat; a cache slot shared by two shapes
	// would have failed above.
	if len(texts) < 2 {
		t.Fatalf("%d texts", len(texts))
	}
}

// BenchmarkOneStatementText is the text a group commit of publishes and
// results runs, as the writer gets it.
func BenchmarkOneStatementText(b *testing.B) {
	s := &Store{d: Dialect{Numbered: true}}
	res := resultsShape{results: true, inline: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.oneStatement(oneShape{pubs: true, res: res, version: true, tokens: true})
	}
}

// BenchmarkOneStatementTextBuilt is the same built at every commit, as
// before the cache.
func BenchmarkOneStatementTextBuilt(b *testing.B) {
	s := &Store{d: Dialect{Numbered: true}}
	res := resultsShape{results: true, inline: true}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.q(oneStatementSQL(oneShape{pubs: true, res: res, version: true, tokens: true}))
	}
}
