package main

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
)

// TestFeedCatchUp: endpoints of four profiles are down while 1,000 events
// are published. A consumer of each pulls all 1,000 through the feed, in
// publish order, in pages, acknowledging each page under its name; hookd
// restarts half-way and each consumer resumes where it acknowledged.
// Every item verifies as a receiver written from the provider's documents
// verifies a webhook: the Standard Webhooks library (standard), Lean's and
// Weavr's recipes, ed25519 by the spec's recipe (linkmoney signing v1a).
// Another tenant's token reads nothing of it.
func TestFeedCatchUp(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "hookd.db")
	onDB := func(c *Config) { c.DB = db }
	a := startApp(t, onDB)
	tok := a.tenant(t, "feed")
	other := a.tenant(t, "feed-other")
	ctx := context.Background()

	const down = "http://127.0.0.1:1/hook" // nothing listens on port 1: every attempt fails to connect
	type consumer struct {
		prof, id, name, secret, publicKey string
		got                               []string
	}
	var cs []*consumer
	for _, prof := range []string{"standard", "lean", "weavr", "linkmoney"} {
		body := map[string]any{"url": down, "profile": prof, "secret": wireSecrets[prof], "event_types": []string{"*"}}
		if prof == "linkmoney" {
			delete(body, "secret")
			body["signature"] = "v1a"
		}
		ep := a.endpoint(t, "feed", tok, body)
		c := &consumer{prof: prof, id: ep.ID, name: "books-" + prof, secret: wireSecrets[prof]}
		if prof == "linkmoney" {
			got, err := a.api(tok).GetEndpoint(ctx, "feed", ep.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.publicKey = got.PublicKey
		}
		cs = append(cs, c)
	}

	const n = 1000
	payload := a.example(t, tok, "lean:payment.created")
	batch := make([]client.EventCreate, n)
	want := make([]string, n)
	for i := range batch {
		want[i] = fmt.Sprintf("ev-%04d", i)
		batch[i] = client.EventCreate{Type: "lean:payment.created", Payload: payload, ID: want[i]}
	}
	for start := 0; start < n; start += 200 { // 200 a batch: under the 256 KiB body limit
		res, err := a.api(tok).PublishBatch(ctx, "feed", batch[start:start+200])
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range res {
			if r.Err != nil {
				t.Fatalf("event %d: %v", start+i, r.Err)
			}
		}
	}

	// pull reads pages of 150 for a consumer until it has `until` items
	// or the feed ends, verifying and acknowledging each page.
	pull := func(a *testApp, c *consumer, until int) {
		t.Helper()
		api := a.api(tok)
		for len(c.got) < until {
			page, err := api.Feed(ctx, "feed", c.id, hookd.FeedQuery{Consumer: c.name, Limit: 150})
			if err != nil {
				t.Fatalf("%s: feed: %v", c.prof, err)
			}
			for _, it := range page.Data {
				h := client.FeedHeader(it)
				if c.publicKey != "" {
					if ok := verifyV1a(t, h, []byte(it.Body), c.publicKey); !ok[0] {
						t.Fatalf("%s: item %s: v1a signature does not verify", c.prof, it.EventID)
					}
				} else if err := verifyAsDocumented(c.prof, c.secret, h, []byte(it.Body)); err != nil {
					t.Fatalf("%s: item %s does not verify: %v", c.prof, it.EventID, err)
				}
				if it.State != hookd.StatePending || it.Type != "payment.created" {
					t.Fatalf("%s: item %s: state %q type %q, want pending payment.created", c.prof, it.EventID, it.State, it.Type)
				}
				c.got = append(c.got, it.EventID)
			}
			if len(page.Data) == 0 {
				return
			}
			if _, err := api.AckFeed(ctx, "feed", c.id, hookd.FeedAck{Consumer: c.name, Cursor: page.Next}); err != nil {
				t.Fatalf("%s: ack: %v", c.prof, err)
			}
			if !page.HasMore {
				return
			}
		}
	}
	for _, c := range cs {
		pull(a, c, 450) // three pages
	}
	a.stop()
	b := startApp(t, onDB)
	for _, c := range cs {
		if len(c.got) != 450 {
			t.Fatalf("%s: %d items before the restart, want 450", c.prof, len(c.got))
		}
		pull(b, c, n+1)
		if len(c.got) != n {
			t.Fatalf("%s: %d items, want %d", c.prof, len(c.got), n)
		}
		for i := range want {
			if c.got[i] != want[i] {
				t.Fatalf("%s: item %d is %s, want %s (publish order, nothing missed or repeated)", c.prof, i, c.got[i], want[i])
			}
		}
		// At the end: an empty page that keeps the position.
		page, err := b.api(tok).Feed(ctx, "feed", c.id, hookd.FeedQuery{Consumer: c.name})
		if err != nil || len(page.Data) != 0 || page.HasMore || page.Next == "" {
			t.Fatalf("%s: the page after the end: %+v %v", c.prof, page, err)
		}
		// An acknowledged "" moves the consumer back to the start.
		if pos, err := b.api(tok).AckFeed(ctx, "feed", c.id, hookd.FeedAck{Consumer: c.name}); err != nil || pos.Cursor != "" {
			t.Fatalf("%s: ack of the start: %+v %v", c.prof, pos, err)
		}
		page, err = b.api(tok).Feed(ctx, "feed", c.id, hookd.FeedQuery{Consumer: c.name, Limit: 2})
		if err != nil || len(page.Data) != 2 || page.Data[0].EventID != want[0] || page.Data[1].EventID != want[1] || !page.HasMore {
			t.Fatalf("%s: the first page after going back to the start: %+v %v", c.prof, page, err)
		}
	}

	// Another tenant's token sees nothing, and bad input is refused.
	for _, path := range []string{"/v1/tenants/feed/endpoints/" + cs[0].id + "/feed", "/v1/tenants/feed-other/endpoints/" + cs[0].id + "/feed"} {
		if code := call(t, "GET", b.url+path, other, nil, nil); code != 403 && code != 404 {
			t.Errorf("GET %s with another tenant's token: %d, want 403 or 404", path, code)
		}
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?after=no-such-event", "?consumer=" + "bad%20name"} {
		if code := call(t, "GET", b.url+"/v1/tenants/feed/endpoints/"+cs[0].id+"/feed"+q, tok, nil, nil); code != 400 {
			t.Errorf("feed%s: %d, want 400", q, code)
		}
	}
	if code := call(t, "POST", b.url+"/v1/tenants/feed/endpoints/"+cs[0].id+"/feed/ack", tok, map[string]any{"consumer": "x"}, nil); code != 400 {
		t.Errorf("ack without a cursor: %d, want 400", code)
	}
}
