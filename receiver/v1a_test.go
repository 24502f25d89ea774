package receiver_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hookd/hookd/receiver"
)

// TestVerifyV1a: the public key verifies Svix's published v1a vector
// (svix-webhooks, server src/core/message_app.rs), with or without the
// whpk_ prefix; another key, a changed body and a v1a entry where only a
// v1 secret is held do not.
func TestVerifyV1a(t *testing.T) {
	t.Parallel()
	const (
		pub   = "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4="
		other = "whpk_O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik="
		body  = `{"test": 2432232314}`
	)
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,bm90IGEgc2lnbmF0dXJl v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==")
	at := func() time.Time { return time.Unix(1614265330, 0) }
	for _, p := range []receiver.Profile{receiver.Standard, receiver.LinkMoney} {
		for _, keys := range [][]string{{pub}, {pub[len("whpk_"):]}, {other, pub}} {
			v := &receiver.Verifier{Profile: p, PublicKeys: keys, Now: at}
			if err := v.Verify(h, []byte(body)); err != nil {
				t.Errorf("%s %v: %v", p, keys, err)
			}
		}
		v := &receiver.Verifier{Profile: p, PublicKeys: []string{other}, Now: at}
		if err := v.Verify(h, []byte(body)); !errors.Is(err, receiver.ErrBadSignature) {
			t.Errorf("%s, another key: %v, want ErrBadSignature", p, err)
		}
		v = &receiver.Verifier{Profile: p, PublicKeys: []string{pub}, Now: at}
		if err := v.Verify(h, []byte(body+" ")); !errors.Is(err, receiver.ErrBadSignature) {
			t.Errorf("%s, changed body: %v, want ErrBadSignature", p, err)
		}
		v = &receiver.Verifier{Profile: p, PublicKeys: []string{pub}}
		if err := v.Verify(h, []byte(body)); !errors.Is(err, receiver.ErrTimestamp) {
			t.Errorf("%s, 2021 timestamp today: %v, want ErrTimestamp", p, err)
		}
		v = &receiver.Verifier{Profile: p, Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Now: at}
		if err := v.Verify(h, []byte(body)); !errors.Is(err, receiver.ErrBadSignature) {
			t.Errorf("%s, a v1 secret only: %v, want ErrBadSignature", p, err)
		}
	}
	for _, bad := range []string{"whpk_short", "whpk_%%%"} {
		v := &receiver.Verifier{Profile: receiver.Standard, PublicKeys: []string{bad}, Now: at}
		if err := v.Verify(h, []byte(body)); !errors.Is(err, receiver.ErrConfig) {
			t.Errorf("public key %q: %v, want ErrConfig", bad, err)
		}
	}
	v := &receiver.Verifier{Profile: receiver.Lean, PublicKeys: []string{pub}}
	if err := v.Verify(h, []byte(body)); !errors.Is(err, receiver.ErrConfig) {
		t.Errorf("lean with a public key only: %v, want ErrConfig", err)
	}
}
