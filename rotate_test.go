package hookd_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/profile"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	leanOld = "lean-secret-old-0123456789"
	leanN1  = "lean-secret-new-0123456789"
	leanN2  = "lean-secret-next-0123456789"
)

func secs(n int64) *int64 { return &n }

func at(d time.Duration) *time.Time { t := t0.Add(d); return &t }

// signer returns the one secret that signs at t0+d for a single-signature
// profile, failing unless there is exactly one.
func signer(t *testing.T, e *hookd.Endpoint, d time.Duration) string {
	t.Helper()
	s := e.SigningSecrets(t0.Add(d), false)
	if len(s) != 1 {
		t.Fatalf("at t0+%v %d secrets sign, want exactly 1: %q (secrets %+v)", d, len(s), s, e.Secrets)
	}
	return s[0]
}

// wantTurns checks who signs at t0+d for each d.
func wantTurns(t *testing.T, e *hookd.Endpoint, turns map[time.Duration]string) {
	t.Helper()
	for d, want := range turns {
		if got := signer(t, e, d); got != want {
			t.Errorf("at t0+%v %q signs, want %q", d, got, want)
		}
	}
}

func rotate(t *testing.T, e *hookd.Endpoint, p hookd.Profile, r hookd.Rotation, now time.Time) hookd.Rotated {
	t.Helper()
	out, err := e.Rotate(p, r, now)
	if err != nil {
		t.Fatalf("Rotate(%+v): %v", r, err)
	}
	return out
}

// TestRotateSingleSignature: for lean and weavr the secrets take turns:
// the old one signs alone until the switch, then the new one alone.
func TestRotateSingleSignature(t *testing.T) {
	t.Parallel()
	for _, p := range []hookd.Profile{profile.Lean{}, profile.Weavr{}} {
		t.Run(p.Name(), func(t *testing.T) {
			e := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: leanOld}}}
			out := rotate(t, e, p, hookd.Rotation{Secret: leanN1}, t0)
			if out.Secret != leanN1 || !out.ActiveFrom.Equal(t0.Add(24*time.Hour)) || !out.PreviousExpiresAt.Equal(out.ActiveFrom) {
				t.Fatalf("default rotation = %+v, want the switch at t0+24h", out)
			}
			wantTurns(t, e, map[time.Duration]string{-time.Hour: leanOld, 0: leanOld, 24*time.Hour - time.Nanosecond: leanOld,
				24 * time.Hour: leanN1, 30 * 24 * time.Hour: leanN1})

			// A second rotation before the first switch, to an earlier
			// switch: the pending secret never signs.
			e2 := &hookd.Endpoint{Secrets: slices.Clone(e.Secrets)}
			out = rotate(t, e2, p, hookd.Rotation{Secret: leanN2, ActivateAt: at(2 * time.Hour)}, t0.Add(time.Hour))
			if !out.ActiveFrom.Equal(t0.Add(2 * time.Hour)) {
				t.Errorf("activate_at t0+2h: %+v", out)
			}
			wantTurns(t, e2, map[time.Duration]string{time.Hour: leanOld, 2 * time.Hour: leanN2, 25 * time.Hour: leanN2})
			if len(e2.Secrets) != 2 {
				t.Errorf("secrets %+v, want the pending one dropped", e2.Secrets)
			}
			// ... and to a later switch: each signs in turn.
			e3 := &hookd.Endpoint{Secrets: slices.Clone(e.Secrets)}
			rotate(t, e3, p, hookd.Rotation{Secret: leanN2, ActivateAt: at(48 * time.Hour)}, t0.Add(time.Hour))
			wantTurns(t, e3, map[time.Duration]string{time.Hour: leanOld, 24 * time.Hour: leanN1, 48 * time.Hour: leanN2})

			// Rotating again to the pending secret moves its switch:
			// earlier, and later.
			e4 := &hookd.Endpoint{Secrets: slices.Clone(e.Secrets)}
			out = rotate(t, e4, p, hookd.Rotation{Secret: leanN1, ActivateAt: at(time.Hour)}, t0.Add(time.Minute))
			if out.Secret != leanN1 || !out.ActiveFrom.Equal(t0.Add(time.Hour)) {
				t.Errorf("switch brought forward: %+v", out)
			}
			wantTurns(t, e4, map[time.Duration]string{time.Minute: leanOld, time.Hour: leanN1})
			rotate(t, e4, p, hookd.Rotation{Secret: leanN1, GraceSeconds: secs(3 * 3600)}, t0.Add(2*time.Minute))
			wantTurns(t, e4, map[time.Duration]string{time.Hour: leanOld, 3*time.Hour + time.Minute: leanOld, 3*time.Hour + 2*time.Minute: leanN1})
			if len(e4.Secrets) != 2 {
				t.Errorf("secrets %+v after moving the switch, want 2", e4.Secrets)
			}

			// grace_seconds sets the switch; 0, or activate_at now or in the
			// past, switches at once and forgets the old secret.
			for _, r := range []hookd.Rotation{{Secret: leanN1, GraceSeconds: secs(0)}, {Secret: leanN1, ActivateAt: at(0)},
				{Secret: leanN1, ActivateAt: at(-time.Hour)}} {
				e := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: leanOld}}}
				out := rotate(t, e, p, r, t0)
				if !out.ActiveFrom.Equal(t0) || len(e.Secrets) != 1 || !e.Secrets[0].ActiveFrom.IsZero() {
					t.Errorf("%+v: %+v, secrets %+v; want the new secret alone, at once", r, out, e.Secrets)
				}
				wantTurns(t, e, map[time.Duration]string{-time.Second: leanN1, 0: leanN1})
			}
			e = &hookd.Endpoint{Secrets: []hookd.Secret{{Value: leanOld}}}
			rotate(t, e, p, hookd.Rotation{Secret: leanN1, GraceSeconds: secs(60)}, t0)
			wantTurns(t, e, map[time.Duration]string{59 * time.Second: leanOld, 60 * time.Second: leanN1})
		})
	}
}

// TestRotateMultiSignature: standard and linkmoney sign with the new and
// the old secret side by side until the grace period ends.
func TestRotateMultiSignature(t *testing.T) {
	t.Parallel()
	old, n1 := "whsec_"+strings.Repeat("b2xk", 8), "whsec_"+strings.Repeat("bmV3", 8)
	for _, p := range []hookd.Profile{profile.Standard{}, profile.LinkMoney{}} {
		e := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: old}}}
		out := rotate(t, e, p, hookd.Rotation{Secret: n1, GraceSeconds: secs(3600)}, t0)
		if !out.ActiveFrom.Equal(t0) || !out.PreviousExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Errorf("%s: %+v", p.Name(), out)
		}
		if got := e.SigningSecrets(t0, true); !slices.Equal(got, []string{n1, old}) {
			t.Errorf("%s: during the grace period %q sign, want new then old", p.Name(), got)
		}
		if got := e.SigningSecrets(t0.Add(time.Hour), true); !slices.Equal(got, []string{n1}) {
			t.Errorf("%s: after the grace period %q sign", p.Name(), got)
		}
		// Changed to a profile with one signature value during the grace
		// period: the old secret signs alone until it ends, then the new.
		wantTurns(t, e, map[time.Duration]string{0: old, time.Hour - time.Second: old, time.Hour: n1})
	}
	e := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: old}}}
	rotate(t, e, profile.Standard{}, hookd.Rotation{}, t0)
	if got := e.SigningSecrets(t0.Add(24*time.Hour-time.Second), true); len(got) != 2 || got[1] != old || !strings.HasPrefix(got[0], "whsec_") {
		t.Errorf("default grace: %q sign at t0+24h-1s", got)
	}
	if got := e.SigningSecrets(t0.Add(24*time.Hour), true); len(got) != 1 {
		t.Errorf("default grace: %q sign at t0+24h", got)
	}
}

// TestRotateRefused: bad requests name the field and change nothing.
func TestRotateRefused(t *testing.T) {
	t.Parallel()
	std := "whsec_" + strings.Repeat("b2xk", 8)
	for _, tc := range []struct {
		p    hookd.Profile
		r    hookd.Rotation
		want string
	}{
		{profile.Standard{}, hookd.Rotation{ActivateAt: at(time.Hour)}, "activate_at"},
		{profile.Lean{}, hookd.Rotation{GraceSeconds: secs(60), ActivateAt: at(time.Hour)}, "not both"},
		{profile.Lean{}, hookd.Rotation{ActivateAt: at(31 * 24 * time.Hour)}, "activate_at"},
		{profile.Lean{}, hookd.Rotation{GraceSeconds: secs(-1)}, "grace_seconds"},
		{profile.Weavr{}, hookd.Rotation{GraceSeconds: secs(30*24*3600 + 1)}, "grace_seconds"},
		{profile.Lean{}, hookd.Rotation{Secret: "short"}, "secret"},
		{profile.Lean{}, hookd.Rotation{Secret: leanOld}, "already signs"},
		{profile.Standard{}, hookd.Rotation{Secret: std}, "already signs"},
	} {
		secret := leanOld
		if tc.p.MultiSignature() {
			secret = std
		}
		e := &hookd.Endpoint{Secrets: []hookd.Secret{{Value: secret}}}
		_, err := e.Rotate(tc.p, tc.r, t0)
		if hookd.ErrorCode(err) != hookd.EINVALID || !strings.Contains(hookd.ErrorMessage(err), tc.want) {
			t.Errorf("%s %+v: %v, want invalid naming %q", tc.p.Name(), tc.r, err, tc.want)
		}
		if len(e.Secrets) != 1 || e.Secrets[0] != (hookd.Secret{Value: secret}) {
			t.Errorf("%s %+v: secrets changed to %+v", tc.p.Name(), tc.r, e.Secrets)
		}
	}
}

// TestSecretJSON: the secret list is sealed as JSON at rest; lists written
// before ActiveFrom existed read as before, and a secret without one
// writes as before.
func TestSecretJSON(t *testing.T) {
	t.Parallel()
	var old []hookd.Secret
	if err := json.Unmarshal([]byte(`[{"value":"a"},{"value":"b","expires_at":"2026-03-05T05:06:07Z"}]`), &old); err != nil {
		t.Fatal(err)
	}
	if len(old) != 2 || !old[0].ActiveFrom.IsZero() || !old[1].ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("old list read as %+v", old)
	}
	b, _ := json.Marshal(old)
	if string(b) != `[{"value":"a"},{"value":"b","expires_at":"2026-03-05T05:06:07Z"}]` {
		t.Errorf("old list written as %s", b)
	}
	b, _ = json.Marshal(hookd.Secret{Value: "c", ActiveFrom: t0})
	if string(b) != `{"value":"c","active_from":"2026-03-04T05:06:07Z"}` {
		t.Errorf("pending secret written as %s", b)
	}
}
