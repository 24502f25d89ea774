package client_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
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

// TestFeedBodyNotUTF8: a webhook a source took in with bytes that are not
// UTF-8 in a string (a provider's JSON, kept byte for byte) is relayed
// with those bytes, and the feed gives the same bytes: read over HTTP as
// the API documents it, and through the client, each verifying with the
// endpoint's secret by the Standard Webhooks recipe computed here.
func TestFeedBodyNotUTF8(t *testing.T) {
	_, acme, srv := setup(t)
	ctx := context.Background()
	hook, got := receiver()
	defer hook.Close()
	ep, err := acme.CreateEndpoint(ctx, "acme", client.EndpointCreate{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	src, err := acme.CreateSource(ctx, "acme", client.SourceCreate{Name: "gh", Profile: "hmac", Secrets: []string{"gh-secret"},
		HMAC: &hookd.HMACScheme{Header: "X-Hub-Signature-256", Prefix: "sha256=", TypeHeader: "X-GitHub-Event", TypePrefix: "github."}})
	if err != nil {
		t.Fatal(err)
	}
	in := "{\"title\":\"caf\xe9 \xff\"}" // Latin-1, as some senders write
	m := hmac.New(sha256.New, []byte("gh-secret"))
	m.Write([]byte(in))
	req, _ := http.NewRequest(http.MethodPost, src.IngestURL, strings.NewReader(in))
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("X-GitHub-Event", "issues")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ingest: %d", resp.StatusCode)
	}
	var sent []byte
	select {
	case sent = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook did not arrive")
	}
	if !bytes.Contains(sent, []byte(in)) {
		t.Fatalf("the endpoint got %q, without the payload %q as received", sent, in)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ep.Secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string, body []byte, h http.Header) {
		t.Helper()
		if !bytes.Equal(body, sent) {
			t.Errorf("%s: the feed's body %q, the endpoint got %q", how, body, sent)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(h.Get("Webhook-Id") + "." + h.Get("Webhook-Timestamp") + "."))
		mac.Write(body)
		if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); h.Get("Webhook-Signature") != want {
			t.Errorf("%s: signature %q does not sign the body (want %q)", how, h.Get("Webhook-Signature"), want)
		}
	}

	// Over HTTP: the item's body, or its body_base64 where the body is
	// not UTF-8.
	hreq, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/tenants/acme/endpoints/"+ep.ID+"/feed", nil)
	hreq.Header.Set("Authorization", "Bearer "+adminToken)
	hresp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer hresp.Body.Close()
	var page struct {
		Data []struct {
			Body       string            `json:"body"`
			BodyBase64 *string           `json:"body_base64"`
			Headers    map[string]string `json:"headers"`
		} `json:"data"`
	}
	if err := json.NewDecoder(hresp.Body).Decode(&page); err != nil || len(page.Data) != 1 {
		t.Fatalf("the feed over HTTP: %+v %v", page, err)
	}
	it := page.Data[0]
	body := []byte(it.Body)
	if it.BodyBase64 != nil {
		if body, err = base64.StdEncoding.DecodeString(*it.BodyBase64); err != nil {
			t.Fatal(err)
		}
	}
	h := http.Header{}
	for k, v := range it.Headers {
		h.Set(k, v)
	}
	check("over HTTP", body, h)

	cp, err := acme.Feed(ctx, "acme", ep.ID, hookd.FeedQuery{})
	if err != nil || len(cp.Data) != 1 {
		t.Fatalf("the client's feed: %+v %v", cp, err)
	}
	check("the client", []byte(cp.Data[0].Body), client.FeedHeader(cp.Data[0]))
}
