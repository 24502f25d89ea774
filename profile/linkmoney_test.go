package profile_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

// The example secret of the Standard Webhooks specification.
const whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// verifyStandard checks the Standard Webhooks v1 headers from the spec's
// recipe: entry i of webhook-signature is "v1," + base64
// HMAC-SHA256(base64-decoded secret, id "." timestamp "." body), signed
// with secrets[i].
func verifyStandard(t *testing.T, h http.Header, body []byte, id string, secrets ...string) {
	t.Helper()
	if got := h.Get("webhook-id"); got != id {
		t.Errorf("webhook-id = %q, want %q", got, id)
	}
	ts := h.Get("webhook-timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		t.Errorf("webhook-timestamp %q is not an integer", ts)
	}
	entries := strings.Split(h.Get("webhook-signature"), " ")
	if len(entries) != len(secrets) {
		t.Fatalf("webhook-signature %q, want %d entries", h.Get("webhook-signature"), len(secrets))
	}
	for i, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			t.Fatal(err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + ts + "."))
		mac.Write(body)
		if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); entries[i] != want {
			t.Errorf("webhook-signature entry %d = %q, want %q", i, entries[i], want)
		}
	}
}

// verifyOfficial verifies with the Standard Webhooks and Svix libraries;
// their Verify checks the timestamp against the real clock.
func verifyOfficial(t *testing.T, h http.Header, body []byte, secret string) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Errorf("standardwebhooks: %v", err)
	}
	sv, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.Verify(body, h); err != nil {
		t.Errorf("svix: %v", err)
	}
}

// linkMoneyEvent is the seed's payment.failed example.
func linkMoneyEvent() *hookd.Event {
	return &hookd.Event{
		ID:   "b973a6e3b-a7d2-bb40-f811-be2df2d5d56",
		Type: "linkmoney:payment.failed",
		Payload: []byte(`{"resourceId":"225f715c-a016-4222-8b8c-966e838deb66","resourceType":"payment",` +
			`"clientReferenceId":"898-jdhf-83784-jfss","transactionType":"DEBIT","achReturnCode":"R03"}`),
		CreatedAt: time.Date(2023, 12, 8, 17, 30, 42, 505000000, time.UTC),
	}
}

func TestLinkMoneyGolden(t *testing.T) {
	t.Parallel()
	p := profile.LinkMoney{}
	ev := linkMoneyEvent()
	body, err := p.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	const wantBody = `{"id":"b973a6e3b-a7d2-bb40-f811-be2df2d5d56","creationTime":"2023-12-08T17:30:42.505",` +
		`"eventType":"payment.failed","metadata":{"resourceId":"225f715c-a016-4222-8b8c-966e838deb66",` +
		`"resourceType":"payment","clientReferenceId":"898-jdhf-83784-jfss","transactionType":"DEBIT","achReturnCode":"R03"}}`
	if string(body) != wantBody {
		t.Fatalf("body\n got %s\nwant %s", body, wantBody)
	}

	m := &hookd.Message{Event: ev, DeliveryID: "dlv_3", Attempt: 1, At: time.Date(2023, 12, 8, 17, 30, 42, 900000000, time.UTC)}
	h := http.Header{}
	p.Sign(h, m, body, []string{whsec})
	verifyStandard(t, h, body, ev.ID, whsec)
	// The signature was computed outside Go (Python hmac).
	for k, want := range map[string]string{
		"webhook-id":        "b973a6e3b-a7d2-bb40-f811-be2df2d5d56",
		"webhook-timestamp": "1702056642",
		"webhook-signature": "v1,rowq8ZW+m0eOtcixVd5mjc0Q3WDBg+thY2XasdhUxS0=",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	wh, err := standardwebhooks.NewWebhook(whsec)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp(body, h); err != nil {
		t.Errorf("standardwebhooks: %v", err)
	}

	t.Run("official libraries", func(t *testing.T) {
		h := http.Header{}
		p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_3", Attempt: 1, At: time.Now()}, body, []string{whsec})
		verifyOfficial(t, h, body, whsec)
	})
}

func TestLinkMoneyCreationTime(t *testing.T) {
	t.Parallel()
	newYork := time.FixedZone("EST", -5*60*60)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2023, 12, 8, 12, 30, 42, 505999999, newYork), "2023-12-08T17:30:42.505"},
		{time.Date(2023, 12, 8, 17, 30, 42, 500000000, time.UTC), "2023-12-08T17:30:42.500"},
		{time.Date(2023, 12, 8, 17, 30, 42, 0, time.UTC), "2023-12-08T17:30:42.000"},
		// Across midnight: the UTC date, not the local one.
		{time.Date(2023, 12, 31, 20, 0, 0, 7000000, newYork), "2024-01-01T01:00:00.007"},
	} {
		ev := &hookd.Event{ID: "e", Type: "payment.created", Payload: []byte(`{}`), CreatedAt: tc.at}
		body, err := profile.LinkMoney{}.Body(ev)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"creationTime":"` + tc.want + `",`; !strings.Contains(string(body), want) {
			t.Errorf("%v: body %s lacks %s", tc.at, body, want)
		}
	}
}

// TestStandardRotation covers the signer linkmoney shares with standard:
// one v1 entry per secret, each verifying with its own secret.
func TestStandardRotation(t *testing.T) {
	t.Parallel()
	const old = "whsec_" + "dGhlLXByZXZpb3VzLXNlY3JldC1rZXktMzI=" // 26 bytes
	for _, p := range []hookd.Profile{profile.Standard{}, profile.LinkMoney{}} {
		ev := linkMoneyEvent()
		body, _ := p.Body(ev)
		h := http.Header{}
		p.Sign(h, &hookd.Message{Event: ev, DeliveryID: "dlv_4", Attempt: 1, At: time.Now()}, body, []string{whsec, old})
		verifyStandard(t, h, body, ev.ID, whsec, old)
		verifyOfficial(t, h, body, whsec)
		verifyOfficial(t, h, body, old)
	}
}

func TestLinkMoneyPolicyAndSecret(t *testing.T) {
	t.Parallel()
	p := profile.LinkMoney{}
	if got, want := p.Policy(), (profile.Standard{}).Policy(); !reflect.DeepEqual(got, want) {
		t.Errorf("policy = %+v, want standard's %+v", got, want)
	}
	s, err := p.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckSecret(s); err != nil || !strings.HasPrefix(s, "whsec_") {
		t.Errorf("NewSecret = %q, CheckSecret: %v", s, err)
	}
	for _, bad := range []string{"", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64", "whsec_c2hvcnQ="} {
		if err := p.CheckSecret(bad); hookd.ErrorCode(err) != hookd.EINVALID {
			t.Errorf("CheckSecret(%q) = %v, want %s", bad, err, hookd.EINVALID)
		}
	}
}
