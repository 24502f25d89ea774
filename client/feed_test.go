package client_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/client"
	verify "github.com/hookd/hookd/receiver"
)

// TestFeed: an endpoint's feed in pages, each item verifying with the
// endpoint's secret; a named consumer's acknowledged position; the events
// list filtered by delivery state.
func TestFeed(t *testing.T) {
	_, acme, _ := setup(t)
	ctx := context.Background()
	hook, got := receiver()
	defer hook.Close()
	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"f-1", "f-2", "f-3"} {
		if _, err := acme.Publish(ctx, "acme", client.EventCreate{Type: "lean:payment.created", Payload: payment, ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		select {
		case <-got:
		case <-time.After(30 * time.Second):
			t.Fatal("webhooks did not arrive")
		}
	}
	v := &verify.Verifier{Profile: verify.Standard, Secrets: []string{ep.Secret}}
	var ids []string
	q := hookd.FeedQuery{Limit: 2}
	for pages := 0; ; pages++ {
		page, err := acme.Feed(ctx, "acme", ep.ID, q)
		if err != nil || pages > 2 {
			t.Fatalf("feed page %d: %+v %v", pages, page, err)
		}
		for _, it := range page.Data {
			if err := v.Verify(client.FeedHeader(it), []byte(it.Body)); err != nil {
				t.Errorf("feed item %s does not verify: %v", it.EventID, err)
			}
			ids = append(ids, it.EventID)
		}
		q.After = page.Next
		if !page.HasMore {
			break
		}
	}
	if !slices.Equal(ids, []string{"f-1", "f-2", "f-3"}) {
		t.Fatalf("feed in publish order: %v", ids)
	}

	first, err := acme.Feed(ctx, "acme", ep.ID, hookd.FeedQuery{Limit: 1})
	if err != nil || len(first.Data) != 1 {
		t.Fatalf("first page: %+v %v", first, err)
	}
	pos, err := acme.AckFeed(ctx, "acme", ep.ID, hookd.FeedAck{Consumer: "books", Cursor: first.Next})
	if err != nil || pos.Consumer != "books" || pos.Cursor != first.Next {
		t.Fatalf("ack: %+v %v", pos, err)
	}
	rest, err := acme.Feed(ctx, "acme", ep.ID, hookd.FeedQuery{Consumer: "books"})
	if err != nil || len(rest.Data) != 2 || rest.Data[0].EventID != "f-2" || rest.HasMore {
		t.Fatalf("the consumer's page: %+v %v", rest, err)
	}
	if _, err := acme.AckFeed(ctx, "acme", ep.ID, hookd.FeedAck{Consumer: "books", Cursor: "no-such-event"}); !isCode(err, hookd.EINVALID) {
		t.Fatalf("ack of an unknown cursor: %v, want invalid", err)
	}

	eventually := func(state string, want []string) {
		t.Helper()
		var ids []string
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			evs, err := client.Collect(acme.ListEvents(ctx, "acme", client.EventListOptions{Delivery: state}))
			if err != nil {
				t.Fatal(err)
			}
			ids = ids[:0]
			for _, e := range evs {
				ids = append(ids, e.ID)
			}
			if slices.Equal(ids, want) {
				return
			}
		}
		t.Fatalf("events with a %s delivery: %v, want %v", state, ids, want)
	}
	eventually(hookd.StateSucceeded, []string{"f-3", "f-2", "f-1"})
	eventually(hookd.StateFailed, nil)
	if _, err := client.Collect(acme.ListEvents(ctx, "acme", client.EventListOptions{Delivery: "parked"})); !isCode(err, hookd.EINVALID) {
		t.Fatalf("delivery=parked: %v, want invalid", err)
	}
}

func isCode(err error, code string) bool {
	he, ok := err.(*hookd.Error)
	return ok && he.Code == code
}
