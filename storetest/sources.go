package storetest

import (
	"fmt"
	"time"

	"github.com/hookd/hookd"
)

func testSources(f *fixture) {
	f.tenant("ten_a")
	src := &hookd.Source{ID: "srcid_1", TenantID: "ten_a", Name: "lean", Profile: hookd.SourceLean,
		Secrets: []hookd.Secret{{Value: "s3cret"}}, AllowIPs: []string{"127.0.0.0/8"}, TokenHash: "th-1",
		BasicAuth: &hookd.BasicAuth{Username: "u", Password: "p"}, CreatedAt: t0, UpdatedAt: t0}
	f.ok(f.s.CreateSource(f.ctx, src), "CreateSource")
	err := f.s.CreateSource(f.ctx, &hookd.Source{ID: "srcid_2", TenantID: "ten_nope", Name: "x", Profile: "lean", TokenHash: "th-2", CreatedAt: t0})
	f.wantCode(err, hookd.ENOTFOUND, "CreateSource for an unknown tenant")
	got, err := f.s.SourceByToken(f.ctx, "th-1", t0)
	f.ok(err, "SourceByToken")
	if got.ID != src.ID || got.TenantID != "ten_a" || len(got.Secrets) != 1 || got.Secrets[0].Value != "s3cret" ||
		got.BasicAuth == nil || got.BasicAuth.Password != "p" || len(got.AllowIPs) != 1 || !got.CreatedAt.Equal(t0) {
		f.Errorf("SourceByToken = %+v", got)
	}
	// A rotated token: the old one until its time, the new one.
	got.PrevTokenHash, got.PrevTokenUntil, got.TokenHash = "th-1", t0.Add(time.Hour), "th-new"
	f.ok(f.s.SaveSource(f.ctx, got), "SaveSource")
	if s, err := f.s.SourceByToken(f.ctx, "th-1", t0.Add(time.Minute)); err != nil || s.ID != src.ID {
		f.Errorf("the previous token within its grace: %v %v", s, err)
	}
	_, err = f.s.SourceByToken(f.ctx, "th-1", t0.Add(2*time.Hour))
	f.wantCode(err, hookd.ENOTFOUND, "the previous token after its grace")
	if s, err := f.s.SourceByToken(f.ctx, "th-new", t0); err != nil || s.ID != src.ID {
		f.Errorf("the new token: %v %v", s, err)
	}
	// Changed secrets (the token kept) are what the next lookup verifies
	// with, though the source was looked up (and may be in memory) before.
	got.Secrets = []hookd.Secret{{Value: "n3w"}}
	got.BasicAuth = nil
	f.ok(f.s.SaveSource(f.ctx, got), "SaveSource (secrets)")
	if s, err := f.s.SourceByToken(f.ctx, "th-new", t0); err != nil || len(s.Secrets) != 1 || s.Secrets[0].Value != "n3w" || s.BasicAuth != nil {
		f.Errorf("after a change of secrets: %+v %v", s, err)
	}
	// A caller's changes to a source it was given reach no other caller.
	if s, err := f.s.SourceByToken(f.ctx, "th-new", t0); err == nil {
		s.Name, s.Profile = "changed", "changed"
	}
	if s, err := f.s.SourceByToken(f.ctx, "th-new", t0); err != nil || s.Name != "lean" || s.Profile != hookd.SourceLean {
		f.Errorf("a caller's change was seen by the next: %+v %v", s, err)
	}
	list, err := f.s.Sources(f.ctx, "ten_a", hookd.Page{})
	f.ok(err, "Sources")
	if len(list) != 1 {
		f.Errorf("Sources: %d", len(list))
	}
	if list, err := f.s.Sources(f.ctx, "ten_a", hookd.Page{After: src.ID}); err != nil || len(list) != 0 {
		f.Errorf("Sources after the only one: %d %v", len(list), err)
	}
	_, err = f.s.Sources(f.ctx, "ten_a", hookd.Page{After: "srcid_nope"})
	f.wantCode(err, hookd.EINVALID, "Sources after an unknown source (not the first page again)")
	// The error log keeps the newest entries, newest first.
	for i := range hookd.SourceErrorLimit + 5 {
		f.ok(f.s.AddSourceError(f.ctx, "ten_a", src.ID, &hookd.SourceError{At: t0.Add(time.Duration(i) * time.Second),
			Reason: fmt.Sprint("r", i), Headers: map[string]string{"A": "b"}, Body: "{}"}), "AddSourceError")
	}
	es, err := f.s.SourceErrors(f.ctx, "ten_a", src.ID)
	f.ok(err, "SourceErrors")
	if len(es) != hookd.SourceErrorLimit || es[0].Reason != fmt.Sprint("r", hookd.SourceErrorLimit+4) {
		f.Errorf("SourceErrors: %d entries, newest %q", len(es), es[0].Reason)
	}
	f.ok(f.s.DeleteSource(f.ctx, "ten_a", src.ID), "DeleteSource")
	_, err = f.s.SourceByToken(f.ctx, "th-new", t0)
	f.wantCode(err, hookd.ENOTFOUND, "a deleted source's token")
	f.wantCode(f.s.DeleteSource(f.ctx, "ten_a", src.ID), hookd.ENOTFOUND, "deleting it again")

	// An hmac source keeps its scheme.
	scheme := hookd.HMACScheme{Algorithm: "sha512", Header: "Stripe-Signature", Prefix: "v1=", SignedContent: "{timestamp}.{body}",
		TimestampHeader: "Stripe-Signature", TimestampPrefix: "t=", IDPath: "id", TypePath: "type", TypePrefix: "stripe."}
	h := &hookd.Source{ID: "srcid_h", TenantID: "ten_a", Name: "stripe", Profile: hookd.SourceHMAC, HMAC: &scheme,
		Secrets: []hookd.Secret{{Value: "whsec_x"}}, TokenHash: "th-h", CreatedAt: t0, UpdatedAt: t0}
	f.ok(f.s.CreateSource(f.ctx, h), "CreateSource (hmac)")
	if got, err := f.s.Source(f.ctx, "ten_a", "srcid_h"); err != nil || got.HMAC == nil || *got.HMAC != scheme {
		f.Errorf("Source (hmac) = %+v, %v: want its scheme", got, err)
	}
}
