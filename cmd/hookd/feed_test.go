package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
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
		if _, err := b.api(tok).AckFeed(ctx, "feed", c.id, hookd.FeedAck{Consumer: c.name}); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Fatalf("%s: the client's AckFeed without a cursor: %v, want it refused", c.prof, err)
		}
		if pos, err := b.api(tok).ResetFeed(ctx, "feed", c.id, c.name); err != nil || pos.Cursor != "" {
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

// TestCLIFeed: hookd endpoint feed and feed-ack on an endpoint whose
// receiver is down. A page as a table and as the API's object, --after,
// --all (in pages of --limit, one object with every item and the last
// next), a consumer's acknowledged position and its reset by --cursor "";
// a flag left out or out of range exits 2 with the usage, a cursor the
// API refuses exits 1 with its message.
func TestCLIFeed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real binary")
	}
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "books")
	ep := a.endpoint(t, "books", tok, map[string]any{"url": "http://127.0.0.1:1/hook", "event_types": []string{"*"}})
	payload := a.example(t, tok, "lean:payment.created")
	want := []string{"ev-0", "ev-1", "ev-2", "ev-3", "ev-4"}
	for _, id := range want {
		if _, err := a.api(tok).Publish(context.Background(), "books", client.EventCreate{Type: "lean:payment.created", Payload: payload, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	env := cleanEnv("HOOKD_URL="+a.url, "HOOKD_TOKEN="+tok, "HOOKD_TENANT=books")
	ids := func(p *hookd.FeedPage) []string {
		var out []string
		for _, it := range p.Data {
			out = append(out, it.EventID)
		}
		return out
	}
	feed := func(args ...string) *hookd.FeedPage {
		t.Helper()
		var p hookd.FeedPage
		cliJSON(t, env, &p, append([]string{"endpoint", "feed", ep.ID}, args...)...)
		return &p
	}

	// One page: the API's object, each item as hookd sends it.
	p := feed("--limit", "2")
	if !slices.Equal(ids(p), want[:2]) || !p.HasMore || p.Next != "ev-1" {
		t.Fatalf("feed --limit 2: %v has_more %v next %q", ids(p), p.HasMore, p.Next)
	}
	if it := p.Data[0]; it.Type != "payment.created" || it.State != hookd.StatePending || it.Body == "" || it.Headers["Webhook-Signature"] == "" {
		t.Fatalf("feed item %+v", it)
	}
	if p = feed("--after", "ev-1", "--limit", "2"); !slices.Equal(ids(p), want[2:4]) || !p.HasMore || p.Next != "ev-3" {
		t.Fatalf("feed --after ev-1 --limit 2: %v has_more %v next %q", ids(p), p.HasMore, p.Next)
	}
	// --all follows next in pages of --limit: every item, and the cursor
	// after the last.
	if p = feed("--all", "--limit", "2"); !slices.Equal(ids(p), want) || p.HasMore || p.Next != "ev-4" {
		t.Fatalf("feed --all --limit 2: %v has_more %v next %q", ids(p), p.HasMore, p.Next)
	}
	// The table: a row per item in feed order, then next and has more.
	code, out, errOut := cli(t, env, "endpoint", "feed", ep.ID, "--limit", "2")
	if code != 0 || !strings.Contains(out, "EVENT ID") || !regexp.MustCompile(`(?s)ev-0 +payment\.created +pending +\d+\n+ev-1 .*\n\nnext +ev-1\nhas more +yes\n$`).MatchString(out) ||
		strings.Contains(out, "ev-2") {
		t.Fatalf("feed table: exit %d: %s%s", code, out, errOut)
	}
	if code, out, errOut := cli(t, env, "endpoint", "feed", ep.ID, "--all", "--limit", "2"); code != 0 || strings.Count(out, "payment.created") != 5 ||
		!strings.HasSuffix(out, "next      ev-4\nhas more  no\n") {
		t.Fatalf("feed --all table: exit %d: %s%s", code, out, errOut)
	}

	// A consumer starts where it acknowledged, --all included; --cursor ""
	// takes it back to the start.
	if p = feed("--consumer", "ledger", "--limit", "2"); !slices.Equal(ids(p), want[:2]) {
		t.Fatalf("a new consumer's first page: %v", ids(p))
	}
	var pos hookd.FeedPosition
	cliJSON(t, env, &pos, "endpoint", "feed-ack", ep.ID, "--consumer", "ledger", "--cursor", p.Next)
	if pos.Consumer != "ledger" || pos.Cursor != "ev-1" || pos.UpdatedAt.IsZero() {
		t.Fatalf("feed-ack: %+v", pos)
	}
	if p = feed("--consumer", "ledger"); !slices.Equal(ids(p), want[2:]) || p.HasMore || p.Next != "ev-4" {
		t.Fatalf("feed --consumer after the ack of ev-1: %v has_more %v next %q", ids(p), p.HasMore, p.Next)
	}
	if p = feed("--consumer", "ledger", "--all", "--limit", "1"); !slices.Equal(ids(p), want[2:]) || p.Next != "ev-4" {
		t.Fatalf("feed --consumer --all --limit 1: %v next %q", ids(p), p.Next)
	}
	if p = feed("--consumer", "other"); len(p.Data) != 5 {
		t.Fatalf("another consumer's position moved with ledger's: %v", ids(p))
	}
	code, out, errOut = cli(t, env, "endpoint", "feed-ack", ep.ID, "--consumer", "ledger", "--cursor", "")
	if code != 0 || !regexp.MustCompile(`(?m)^cursor +the start$`).MatchString(out) {
		t.Fatalf(`feed-ack --cursor "": exit %d: %s%s`, code, out, errOut)
	}
	if p = feed("--consumer", "ledger", "--limit", "1"); !slices.Equal(ids(p), want[:1]) || !p.HasMore {
		t.Fatalf(`feed --consumer after --cursor "": %v has_more %v`, ids(p), p.HasMore)
	}
	// At the end, an empty page keeps the cursor.
	if p = feed("--after", "ev-4"); p.Data == nil || len(p.Data) != 0 || p.HasMore || p.Next != "ev-4" {
		t.Fatalf("the page after the end: %+v", p)
	}

	// Mistakes in the flags: said once, with the usage, exit 2, nothing
	// sent. A cursor the API refuses: its message, exit 1.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"feed-ack", ep.ID, "--consumer", "ledger"}, `--cursor is required: the next of a feed page, or --cursor "" to go back to the start`},
		{[]string{"feed-ack", ep.ID, "--cursor", "ev-1"}, "--consumer is required"},
		{[]string{"feed", ep.ID, "--limit", "0"}, "--limit 0: want 1 to 1000 items per page (--all reads every page)"},
		{[]string{"feed", ep.ID, "--limit", "1001", "--all"}, "--limit 1001: want 1 to 1000"},
		{[]string{"feed", ep.ID, "--all=maybe"}, `invalid boolean value "maybe" for -all`},
	} {
		code, out, errOut := cli(t, env, append([]string{"endpoint"}, c.args...)...)
		if code != 2 || out != "" || strings.Count(errOut, c.want) != 1 || !strings.Contains(errOut, "usage: hookd endpoint "+c.args[0]+" [flags] ID") {
			t.Errorf("hookd endpoint %v: exit %d, stdout %q, want %q once and the usage on stderr:\n%s", c.args, code, out, c.want, errOut)
		}
	}
	code, out, errOut = cli(t, env, "endpoint", "feed-ack", ep.ID, "--consumer", "ledger", "--cursor", "no-such-event")
	if code != 1 || out != "" || !strings.Contains(errOut, `endpoint feed-ack: cursor "no-such-event" is not a cursor of this feed`) || !strings.Contains(errOut, "(invalid, HTTP 400)") {
		t.Fatalf("feed-ack of an unknown cursor: exit %d: %q %q", code, out, errOut)
	}
	code, _, errOut = cli(t, env, "endpoint", "feed", "ep_missing")
	if code != 1 || !strings.Contains(errOut, "(not_found, HTTP 404)") {
		t.Fatalf("feed of an unknown endpoint: exit %d: %q", code, errOut)
	}
}
