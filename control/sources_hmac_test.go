package control_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/receiver"
)

// githubScheme is GitHub's: X-Hub-Signature-256: sha256=<hex
// HMAC-SHA256(secret, body)>, the delivery's id in X-GitHub-Delivery, the
// event in X-GitHub-Event.
var githubScheme = hookd.HMACScheme{Header: "X-Hub-Signature-256", Prefix: "sha256=", IDHeader: "X-GitHub-Delivery",
	TypeHeader: "X-GitHub-Event", TypePrefix: "github."}

// githubRequest signs a GitHub webhook with GitHub's recipe.
func githubRequest(secret, delivery, event, body string) *hookd.IngestRequest {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
	h.Set("X-GitHub-Delivery", delivery)
	h.Set("X-GitHub-Event", event)
	h.Set("Content-Type", "application/json")
	return &hookd.IngestRequest{Header: h, Body: []byte(body), RemoteIP: net.ParseIP("127.0.0.1")}
}

// stripeScheme is Stripe's: Stripe-Signature: t=<unix s>,v1=<hex
// HMAC-SHA256(secret, t.body)>; the event's id and type in the body.
var stripeScheme = hookd.HMACScheme{Header: "Stripe-Signature", Prefix: "v1=", SignedContent: "{timestamp}.{body}",
	TimestampHeader: "Stripe-Signature", TimestampPrefix: "t=", IDPath: "id", TypePath: "type", TypePrefix: "stripe."}

func stripeRequest(secret string, at time.Time, body string) *hookd.IngestRequest {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	h := http.Header{}
	h.Set("Stripe-Signature", "t="+ts+",v1="+hex.EncodeToString(m.Sum(nil)))
	return &hookd.IngestRequest{Header: h, Body: []byte(body), RemoteIP: net.ParseIP("127.0.0.1")}
}

const githubIssue = `{"action":"opened","issue":{"id":1,"number":7},"repository":{"full_name":"acme/api"}}`

// TestSourceHMACRelayed: a GitHub-style webhook is verified, published
// once (a redelivery with the same X-GitHub-Delivery is a duplicate) and
// relayed to the tenant's endpoint, where it verifies with the endpoint's
// secret; the source shows its scheme, never its secret.
func TestSourceHMACRelayed(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	scheme := githubScheme
	src, ep, sk := sourceSetup(t, b, &hookd.Source{Name: "github", Profile: "hmac", Secrets: []hookd.Secret{{Value: "gh-secret"}}, HMAC: &scheme})
	got, err := b.svc.Ingest(ctx, src.Token, githubRequest("gh-secret", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issues", githubIssue))
	if err != nil {
		t.Fatal(err)
	}
	if got.Duplicate || got.Type != "github.issues" {
		t.Fatalf("ingested %+v: want a new event of type github.issues", got)
	}
	again, err := b.svc.Ingest(ctx, src.Token, githubRequest("gh-secret", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issues", githubIssue))
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.EventID != got.EventID {
		t.Fatalf("redelivery: %+v, want a duplicate of %s", again, got.EventID)
	}
	if evs := events(t, b); len(evs) != 1 || evs[0].Type != "github.issues" {
		t.Fatalf("events %+v: want one github.issues", evs)
	}
	reqs := sk.wait(t, 1)
	v := receiver.Verifier{Profile: receiver.Standard, Secrets: []string{ep.Secrets[0].Value}}
	if err := v.Verify(reqs[0].Header, reqs[0].Body); err != nil {
		t.Fatalf("the relayed webhook does not verify with the endpoint's secret: %v", err)
	}
	var body struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil || body.Type != "github.issues" || string(body.Data) != githubIssue {
		t.Fatalf("relayed body %s (%v)", reqs[0].Body, err)
	}
	read, err := b.svc.Source(ctx, "acme", src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.HMAC == nil || *read.HMAC != githubScheme || read.SecretCount != 1 {
		t.Fatalf("read %+v: want the scheme and a count of secrets", read)
	}
	time.Sleep(200 * time.Millisecond)
	if n := sk.count(); n != 1 {
		t.Fatalf("the receiver got %d requests, want 1 (the redelivery is not relayed)", n)
	}
}

// TestSourceHMACRejections: a wrong secret, an altered body, a missing
// header, a wrong prefix or encoding, a stale or missing timestamp: 401,
// an entry in the error log each, nothing published or relayed.
func TestSourceHMACRejections(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	gs, ss := githubScheme, stripeScheme
	gh, _, sk := sourceSetup(t, b, &hookd.Source{Name: "github", Profile: "hmac", Secrets: []hookd.Secret{{Value: "gh-secret"}}, HMAC: &gs})
	st, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "stripe", Profile: "hmac", Secrets: []hookd.Secret{{Value: "whsec_stripe"}}, HMAC: &ss})
	if err != nil {
		t.Fatal(err)
	}
	now := b.clock.Now()
	altered := githubRequest("gh-secret", "d2", "issues", githubIssue)
	altered.Body = []byte(strings.Replace(githubIssue, `"number":7`, `"number":8`, 1))
	missing := githubRequest("gh-secret", "d3", "issues", githubIssue)
	missing.Header.Del("X-Hub-Signature-256")
	prefix := githubRequest("gh-secret", "d4", "issues", githubIssue)
	prefix.Header.Set("X-Hub-Signature-256", strings.Replace(prefix.Header.Get("X-Hub-Signature-256"), "sha256=", "sha1=", 1))
	encoding := githubRequest("gh-secret", "d5", "issues", githubIssue)
	mac, _ := hex.DecodeString(strings.TrimPrefix(encoding.Header.Get("X-Hub-Signature-256"), "sha256="))
	encoding.Header.Set("X-Hub-Signature-256", "sha256="+base64.StdEncoding.EncodeToString(mac))
	stripeBody := `{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`
	noT := stripeRequest("whsec_stripe", now, stripeBody)
	noT.Header.Set("Stripe-Signature", strings.SplitN(noT.Header.Get("Stripe-Signature"), ",", 2)[1])
	for _, c := range []struct {
		name, token string
		req         *hookd.IngestRequest
		reason      string
	}{
		{"wrong secret", gh.Token, githubRequest("other", "d1", "issues", githubIssue), "X-Hub-Signature-256 does not match"},
		{"altered body", gh.Token, altered, "X-Hub-Signature-256 does not match"},
		{"missing header", gh.Token, missing, "missing header: X-Hub-Signature-256"},
		{"wrong prefix", gh.Token, prefix, "no sha256=<hex> value"},
		{"wrong encoding", gh.Token, encoding, "X-Hub-Signature-256 does not match"},
		{"stale timestamp", st.Token, stripeRequest("whsec_stripe", now.Add(-6*time.Minute), stripeBody), "more than 5m0s old"},
		{"missing timestamp", st.Token, noT, "missing header: t= in Stripe-Signature"},
		{"stripe wrong secret", st.Token, stripeRequest("whsec_other", now, stripeBody), "Stripe-Signature does not match"},
	} {
		_, err := b.svc.Ingest(ctx, c.token, c.req)
		if hookd.ErrorCode(err) != hookd.EUNAUTHORIZED {
			t.Errorf("%s: %v, want unauthorized", c.name, err)
		}
	}
	if evs := events(t, b); len(evs) != 0 {
		t.Fatalf("%d events published from refused requests", len(evs))
	}
	for _, c := range []struct {
		id      string
		reasons []string
	}{
		{gh.ID, []string{"X-Hub-Signature-256 does not match", "no sha256=<hex> value", "missing header: X-Hub-Signature-256", "does not match", "does not match"}},
		{st.ID, []string{"Stripe-Signature does not match", "missing header: t= in Stripe-Signature", "more than 5m0s old"}},
	} {
		log, err := b.svc.SourceErrors(ctx, "acme", c.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(log) != len(c.reasons) {
			t.Fatalf("error log %+v: want %d entries", log, len(c.reasons))
		}
		for i, want := range c.reasons {
			if !strings.Contains(log[i].Reason, want) || log[i].Body == "" || len(log[i].Headers) == 0 {
				t.Errorf("error log entry %d %+v: want %q with headers and body", i, log[i], want)
			}
		}
	}
	// A Shopify topic's slash becomes a dot.
	shop, err := b.svc.CreateSource(ctx, "acme", &hookd.Source{Name: "shopify", Profile: "hmac", Secrets: []hookd.Secret{{Value: "shpss"}},
		HMAC: &hookd.HMACScheme{Header: "X-Shopify-Hmac-Sha256", Encoding: "base64", IDHeader: "X-Shopify-Webhook-Id", TypeHeader: "X-Shopify-Topic"}})
	if err != nil {
		t.Fatal(err)
	}
	order := `{"id":820982911946154508,"email":"jon@example.com"}`
	m := hmac.New(sha256.New, []byte("shpss"))
	m.Write([]byte(order))
	sh := http.Header{}
	sh.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	sh.Set("X-Shopify-Topic", "orders/create")
	sh.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
	if got, err := b.svc.Ingest(ctx, shop.Token, &hookd.IngestRequest{Header: sh, Body: []byte(order)}); err != nil || got.Type != "orders.create" {
		t.Fatalf("shopify: %+v %v", got, err)
	}
	// A valid Stripe event after all that: accepted, its body id dedups.
	for i := 0; i < 2; i++ {
		got, err := b.svc.Ingest(ctx, st.Token, stripeRequest("whsec_stripe", now.Add(time.Duration(i)*time.Second), stripeBody))
		if err != nil || got.Type != "stripe.invoice.paid" || got.Duplicate != (i == 1) {
			t.Fatalf("stripe request %d: %+v %v", i, got, err)
		}
	}
	sk.wait(t, 2)
	time.Sleep(100 * time.Millisecond)
	if n := sk.count(); n != 2 {
		t.Fatalf("the receiver got %d requests, want only the two valid ones", n)
	}
}

// TestSourceHMACRotation: during the grace period both secrets verify,
// after it only the new one.
func TestSourceHMACRotation(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	scheme := githubScheme
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "github", Profile: "hmac", Secrets: []hookd.Secret{{Value: "old-secret"}}, HMAC: &scheme})
	grace := int64(3600)
	rot, err := b.svc.RotateSource(ctx, "acme", src.ID, &hookd.SourceRotation{Secret: "new-secret", GraceSeconds: &grace})
	if err != nil {
		t.Fatal(err)
	}
	if rot.SecretCount != 2 || rot.HMAC == nil {
		t.Fatalf("rotated %+v: want two secrets and the scheme kept", rot)
	}
	for i, secret := range []string{"old-secret", "new-secret"} {
		if _, err := b.svc.Ingest(ctx, src.Token, githubRequest(secret, fmt.Sprint("during-", i), "push", githubIssue)); err != nil {
			t.Fatalf("during the grace period, %s: %v", secret, err)
		}
	}
	b.clock.mu.Lock()
	b.clock.t = b.clock.t.Add(time.Hour + time.Second)
	b.clock.mu.Unlock()
	_, err = b.svc.Ingest(ctx, src.Token, githubRequest("old-secret", "after-1", "push", githubIssue))
	code(t, err, hookd.EUNAUTHORIZED)
	if _, err := b.svc.Ingest(ctx, src.Token, githubRequest("new-secret", "after-2", "push", githubIssue)); err != nil {
		t.Fatalf("after the grace period, the new secret: %v", err)
	}
	if evs := events(t, b); len(evs) != 3 {
		t.Fatalf("%d events, want 3", len(evs))
	}
}

// TestSourceHMACValidation: a bad scheme is refused with the field and
// the rule named, and an update that is refused changes nothing.
func TestSourceHMACValidation(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	scheme := githubScheme
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "github", Profile: "hmac", Secrets: []hookd.Secret{{Value: "s"}}, HMAC: &scheme})
	sec := []hookd.Secret{{Value: "s"}}
	for _, c := range []struct {
		src  hookd.Source
		want string
	}{
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec}, "hmac is required for profile hmac"},
		{hookd.Source{Name: "x", Profile: "lean", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X"}}, "hmac is only for profile hmac"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{}}, "hmac.header is required"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", Algorithm: "md5"}}, "hmac.algorithm must be one of sha256, sha512, sha384, sha1"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", Encoding: "b64"}}, "hmac.encoding"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "Bad Header"}}, "hmac.header \"Bad Header\" is not a valid header name"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", SignedContent: "{timestamp}"}}, "hmac.signed_content must hold {body} exactly once"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", SignedContent: "{body}{url}"}}, "unknown placeholder {url}"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", TimestampHeader: "X-Ts"}}, "has no {timestamp}"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", TimestampFormat: "unix"}}, "need hmac.timestamp_header"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", IDPath: "data..id"}}, "hmac.id_path"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: sec, HMAC: &hookd.HMACScheme{Header: "X", DefaultType: "has space"}}, "hmac.default_type"},
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: []hookd.Secret{{Value: "!!"}}, HMAC: &hookd.HMACScheme{Header: "X", SecretEncoding: "base64"}}, "secrets[0]"},
		{hookd.Source{Name: "x", Profile: "hmac", HMAC: &hookd.HMACScheme{Header: "X"}}, "secrets is required"},
		// The message says what is wrong, never a piece of the secret.
		{hookd.Source{Name: "x", Profile: "hmac", Secrets: []hookd.Secret{{Value: "00ffzq"}}, HMAC: &hookd.HMACScheme{Header: "X", SecretEncoding: "hex"}}, "hex digits"},
	} {
		_, err := b.svc.CreateSource(ctx, "acme", &c.src)
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(hookd.ErrorMessage(err), c.want) {
			t.Errorf("%+v: %v, want invalid: %q", c.src.HMAC, err, c.want)
		}
		if msg := hookd.ErrorMessage(err); strings.Contains(msg, "'z'") || strings.Contains(msg, "U+00") {
			t.Errorf("%v: the message shows a piece of the secret", err)
		}
	}
	bad := &hookd.HMACScheme{Header: "X", SignedContent: "{id}"}
	if _, err := b.svc.UpdateSource(ctx, "acme", src.ID, &hookd.SourceUpdate{HMAC: bad}); hookd.ErrorCode(err) != hookd.EINVALID {
		t.Fatalf("a bad update: %v", err)
	}
	read, err := b.svc.Source(ctx, "acme", src.ID)
	if err != nil || *read.HMAC != githubScheme {
		t.Fatalf("after a refused update: %+v %v", read.HMAC, err)
	}
	sha512 := githubScheme
	sha512.Algorithm, sha512.Prefix = "sha512", "sha512="
	if up, err := b.svc.UpdateSource(ctx, "acme", src.ID, &hookd.SourceUpdate{HMAC: &sha512}); err != nil || *up.HMAC != sha512 {
		t.Fatalf("update: %+v %v", up, err)
	}
	if list, err := b.svc.Sources(ctx, "acme", hookd.Page{}); err != nil || len(list) != 1 {
		t.Fatalf("list: %d %v", len(list), err)
	}
}

// TestSourceRotateBadSecretNamed: a rotation's bad new secret is named as
// the request names it (secret), not as the list it joins.
func TestSourceRotateBadSecretNamed(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	src, _, _ := sourceSetup(t, b, &hookd.Source{Name: "gh", Profile: "hmac", Secrets: []hookd.Secret{{Value: "00ff"}},
		HMAC: &hookd.HMACScheme{Header: "X-Sig", SecretEncoding: "hex"}})
	_, err := b.svc.RotateSource(ctx, "acme", src.ID, &hookd.SourceRotation{Secret: "deadbeefXdeadbeef"})
	var he *hookd.Error
	if !errors.As(err, &he) || he.Code != hookd.EINVALID || len(he.Details) != 1 || he.Details[0].Path != "secret" || !strings.HasPrefix(he.Message, "secret: ") {
		t.Fatalf("a bad new secret: %+v", err)
	}
}
