package delivery_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// TestRestartUnderSameName: a node that died with deliveries it owned
// (committed to it, held in its memory, never handed back) comes back
// under the same name. Nothing holds those deliveries in memory any
// more, so the new process takes them back and sends them, on both
// stores. Before, its start rescued every owner but itself: the
// deliveries stayed owned by a name whose heartbeat was alive again, and
// no node ever sent them.
func TestRestartUnderSameName(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, open func(*testing.T) hookd.Database) {
		st := open(t)
		ctx := context.Background()
		got := make(chan string, 10)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- r.Header.Get("webhook-id")
		}))
		t.Cleanup(srv.Close)
		now := tenantWithEndpoint(t, st, srv.URL)
		// What node-1 left when it was killed: its heartbeat of a moment
		// ago and a delivery committed to it, in its memory only.
		const node = "node-1"
		if err := st.Heartbeat(ctx, node, now); err != nil {
			t.Fatal(err)
		}
		due := now
		ev := &hookd.Event{ID: "evt_1", TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now}
		d := &hookd.Delivery{ID: "dlv_1", TenantID: "t", EventID: ev.ID, EndpointID: "ep", EventType: ev.Type,
			State: hookd.StatePending, NextAttemptAt: &due, Owner: node, CreatedAt: now, UpdatedAt: now}
		if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
			t.Fatal(err)
		}

		// node-1 starts again. Its heartbeat TTL is short: even once the
		// dead process's heartbeat would be old, the new one's is not.
		e := delivery.New(st, delivery.Config{Node: node, Profiles: profile.New(nil).Get, PollInterval: 50 * time.Millisecond,
			HeartbeatTTL: time.Second})
		if err := e.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			e.Stop(ctx)
		})
		select {
		case id := <-got:
			if id != ev.ID {
				t.Errorf("webhook-id %q, want %q", id, ev.ID)
			}
		case <-time.After(10 * time.Second):
			sd, err := st.Delivery(ctx, "t", d.ID)
			t.Fatalf("the delivery the dead process owned was not sent within 10 s of the restart under its name: %+v %v", sd, err)
		}
	})
}

// tenantWithEndpoint stores tenant t and its endpoint ep (standard, every
// type) to url, made now (to the millisecond), and returns now.
func tenantWithEndpoint(t *testing.T, st hookd.Store, url string) time.Time {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "t", Name: "t", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	secret, _ := profile.Standard{}.NewSecret()
	if err := st.CreateEndpoint(ctx, &hookd.Endpoint{ID: "ep", TenantID: "t", URL: url, Profile: "standard",
		EventTypes: []string{"*"}, Ordering: "none", Secrets: []hookd.Secret{{Value: secret}}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return now
}
