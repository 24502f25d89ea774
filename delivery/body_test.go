package delivery_test

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// countingProfile is a registry's profile that counts the bodies it builds.
type countingProfile struct {
	hookd.Profile
	bodies *atomic.Int64
}

func (p countingProfile) Body(ev *hookd.Event) ([]byte, error) {
	p.bodies.Add(1)
	return p.Profile.Body(ev)
}

// TestBodyBuiltOncePerProfile: an event published to several endpoints is
// built into a body once for those of one profile and once for another
// profile's, and each endpoint receives exactly its profile's body; an
// event to one endpoint is built for it alone.
func TestBodyBuiltOncePerProfile(t *testing.T) {
	t.Parallel()
	var bodies atomic.Int64
	reg := profile.New(nil)
	b := setupWith(t, 200, only("none"), func(c *delivery.Config) {
		c.Profiles = func(name string) (hookd.Profile, error) {
			p, err := reg.Get(name)
			return countingProfile{p, &bodies}, err
		}
	})
	var std []*recorder
	for _, id := range []string{"s1", "s2", "s3"} {
		rc := newRecorder(t, nil)
		b.addEndpoint(t, id, rc.URL, only("x.y"))
		std = append(std, rc)
	}
	weavr := newRecorder(t, nil)
	b.addEndpoint(t, "w1", weavr.URL, func(e *hookd.Endpoint) {
		e.Profile, e.EventTypes, e.Secrets = "weavr", []string{"x.y"}, []hookd.Secret{{Value: "weavr-api-key-0123456789"}}
	})
	alone := newRecorder(t, nil)
	b.addEndpoint(t, "a1", alone.URL, only("z.z"))

	ev := &hookd.Event{ID: "ev1", TenantID: "t", Type: "x.y", Payload: []byte(`{"n":1}`), CreatedAt: b.clock.Now()}
	if _, err := b.engine.Publish(context.Background(), []*hookd.Event{ev}, ""); err != nil {
		t.Fatal(err)
	}
	b.publishType(t, "ev2", "z.z")
	eventually(t, 5*time.Second, "every delivery arrives", func() bool {
		return std[0].count()+std[1].count()+std[2].count()+weavr.count()+alone.count() == 5
	})
	if n := bodies.Load(); n != 3 {
		t.Errorf("%d bodies built for 5 deliveries of 2 events (one to 3 standard and 1 weavr endpoints), want 3", n)
	}
	stored, err := b.store.Event(context.Background(), "t", "ev1")
	if err != nil {
		t.Fatal(err)
	}
	wantStd, _ := profile.Standard{}.Body(stored)
	wantWeavr, _ := profile.Weavr{}.Body(stored)
	for i, rc := range std {
		if rc.count() != 1 || !bytes.Equal(rc.bodies[0], wantStd) {
			t.Errorf("standard endpoint %d received %d requests, body %s; want 1, %s", i, rc.count(), rc.bodies, wantStd)
		}
	}
	if weavr.count() != 1 || !bytes.Equal(weavr.bodies[0], wantWeavr) {
		t.Errorf("weavr endpoint received %d requests, body %s; want 1, %s", weavr.count(), weavr.bodies, wantWeavr)
	}
}
