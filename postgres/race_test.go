package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/jackc/pgx/v5"
)

// TestPublishRacingEndpointChange: a commit of publishes checks that the
// endpoints are still as its deliveries were fanned out from them
// (Batch.CheckVersion), while another node deletes an endpoint, or enables
// a disabled one, at the same moment. Whichever commits first, the store
// never ends with a pending delivery to the deleted endpoint (which every
// node would claim and hand back, round after round, for ever) nor a
// parked one of the enabled endpoint (which would wait for a disable and an
// enable to come). Either the publish sees the change (ErrStale: the node
// fans it out again from a fresh cache), or the change sees the publish's
// deliveries. Each order is made certain with a lock an admin session
// holds: "change first" holds the publish's event id, so the publish's
// one statement waits after its snapshot was taken while the change
// commits; "publish first" holds a delivery its batch hands back, so its
// transaction waits after the check, before its commit, while the change
// begins. Before, the check read the version as of the statement's
// snapshot and no change waited for a publish: both orders left the
// delivery behind.
func TestPublishRacingEndpointChange(t *testing.T) {
	for _, change := range []string{"delete", "enable"} {
		for _, publishFirst := range []bool{false, true} {
			name := change + "/change first"
			if publishFirst {
				name = change + "/publish first"
			}
			t.Run(name, func(t *testing.T) { testPublishRacing(t, change, publishFirst) })
		}
	}
}

func testPublishRacing(t *testing.T, change string, publishFirst bool) {
	_, schema, _, st, now := acmeStore(t)
	ctx := t.Context()
	ep := acmeEndpoint(t, st, now)
	if change == "enable" {
		ep.Disabled, ep.DisabledReason = true, "by hand"
		if err := st.SaveEndpoint(ctx, ep); err != nil {
			t.Fatal(err)
		}
	}
	// Another endpoint's delivery, owned by node-x: the row a "publish
	// first" batch hands back.
	other := &hookd.Endpoint{ID: "ep_2", TenantID: "acme", URL: "http://127.0.0.1:1/b", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, other); err != nil {
		t.Fatal(err)
	}
	delivery := func(id, event, endpoint, owner string) *hookd.Delivery {
		due := now
		return &hookd.Delivery{ID: id, TenantID: "acme", EventID: event, EndpointID: endpoint, EventType: "a.b",
			State: hookd.StatePending, NextAttemptAt: &due, Owner: owner, CreatedAt: now, UpdatedAt: now}
	}
	event := func(id string) *hookd.Event {
		return &hookd.Event{ID: id, TenantID: "acme", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now}
	}
	if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: event("evt_h"),
		Deliveries: []*hookd.Delivery{delivery("dlv_h", "evt_h", "ep_2", "node-x")}}}}); err != nil {
		t.Fatal(err)
	}
	v, err := st.EndpointsVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The publish, fanned out from the cache as it was: a delivery left
	// in the store for any node (deleted endpoint) or parked (its
	// endpoint disabled).
	owner := ""
	if change == "enable" {
		owner = hookd.Parked
	}
	b := &hookd.Batch{CheckVersion: true, EndpointsVersion: v, Publishes: []*hookd.Publish{{Event: event("evt_x"),
		Deliveries: []*hookd.Delivery{delivery("dlv_x", "evt_x", "ep_1", owner)}}}}
	adm := admin(t)
	tx, err := adm.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if publishFirst {
		b.HandBacks = []hookd.HandBack{{DeliveryID: "dlv_h", At: now, NextAttemptAt: now, Node: "node-x"}}
		_, err = tx.Exec(ctx, `SELECT 1 FROM `+schema+`.deliveries WHERE id = 'dlv_h' FOR UPDATE`)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO `+schema+`.events (tenant_id, id, type, payload, created_at) VALUES ('acme', 'evt_x', 'a.b', '{}', 0)`)
	}
	if err != nil {
		t.Fatal(err)
	}

	applied := make(chan error, 1)
	go func() { applied <- st.Apply(ctx, b) }()
	waitLocks(t, adm, schema, 1, nil)

	changed := make(chan error, 1)
	go func() {
		switch change {
		case "delete":
			_, err := st.DeleteEndpoint(ctx, "acme", "ep_1", now)
			changed <- err
		case "enable":
			ep.Disabled, ep.DisabledReason = false, ""
			changed <- st.SaveEndpoint(ctx, ep)
		}
	}()
	var changeErr error
	if publishFirst {
		// The change has begun: it either waits for the publish, or
		// went ahead without it.
		waitLocks(t, adm, schema, 2, changed)
	} else {
		changeErr = wait(t, changed, "the change")
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, applied, "the publish"); err != nil && !errors.Is(err, hookd.ErrStale) {
		t.Fatalf("Apply: %v", err)
	}
	if publishFirst {
		changeErr = wait(t, changed, "the change")
	}
	if changeErr != nil {
		t.Fatalf("%s: %v", change, changeErr)
	}

	var left int
	q := `SELECT COUNT(*) FROM ` + schema + `.deliveries WHERE endpoint_id = 'ep_1' AND state = 'pending'`
	if change == "enable" {
		q += ` AND owner = 'parked'`
	}
	if err := adm.QueryRow(ctx, q).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		what := "pending to the deleted endpoint"
		if change == "enable" {
			what = "parked while its endpoint is enabled"
		}
		t.Errorf("%d delivery left %s", left, what)
	}
}

// waitLocks waits until n of the schema's sessions wait for a lock, or
// (when done is set) until done has a value, which it puts back.
func waitLocks(t *testing.T, adm *pgx.Conn, schema string, n int, done chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if done != nil {
			select {
			case err := <-done:
				done <- err
				return
			default:
			}
		}
		var waiting int
		if err := adm.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
			schema).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for a lock after 10 s, want %d", waiting, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait returns the value of ch, failing after 10 s.
func wait(t *testing.T, ch chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not end within 10 s", what)
		return nil
	}
}

// TestRequeueRacingEndpointDelete: a manual retry of a failed delivery,
// or a recover of its endpoint's failed deliveries, on one node while the
// endpoint is deleted on another. The retry's transaction reads the
// endpoint (it must exist) and then makes the delivery pending; an admin
// session's lock on the delivery holds it between the two while the
// delete begins. Whatever the order, no delivery is left pending to the
// deleted endpoint: the delete waits for the retry and cancels what it
// made pending, or the retry finds the endpoint gone. Before, the delete
// went ahead (it cancels pending deliveries; this one was failed), and the
// retry then made the delivery pending, unowned, for an endpoint no node
// has: every node claimed it and handed it back, for ever.
func TestRequeueRacingEndpointDelete(t *testing.T) {
	for _, how := range []string{"retry", "recover"} {
		t.Run(how, func(t *testing.T) {
			_, schema, _, st, now := acmeStore(t)
			ctx := t.Context()
			acmeEndpoint(t, st, now)
			due := now
			ev := &hookd.Event{ID: "evt_f", TenantID: "acme", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now}
			d := &hookd.Delivery{ID: "dlv_f", TenantID: "acme", EventID: ev.ID, EndpointID: "ep_1", EventType: ev.Type,
				State: hookd.StatePending, NextAttemptAt: &due, Owner: "node-x", CreatedAt: now, UpdatedAt: now}
			if err := st.Apply(ctx, &hookd.Batch{Publishes: []*hookd.Publish{{Event: ev, Deliveries: []*hookd.Delivery{d}}}}); err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: now,
				Status: 500, ErrorClass: hookd.ClassStatus}, TenantID: "acme", State: hookd.StateFailed, At: now, FirstSentAt: now,
				Node: "node-x"}}}); err != nil {
				t.Fatal(err)
			}
			if got, err := st.Delivery(ctx, "acme", d.ID); err != nil || got.State != hookd.StateFailed {
				t.Fatalf("before: %+v %v, want failed", got, err)
			}

			adm := admin(t)
			tx, err := adm.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(context.Background())
			if _, err := tx.Exec(ctx, `SELECT 1 FROM `+schema+`.deliveries WHERE id = 'dlv_f' FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			requeued := make(chan error, 1)
			go func() {
				var err error
				if how == "retry" {
					_, err = st.Requeue(ctx, "acme", d.ID, now)
				} else {
					_, err = st.Recover(ctx, "acme", "ep_1", now.Add(-time.Hour), now.Add(time.Hour), now)
				}
				requeued <- err
			}()
			waitLocks(t, adm, schema, 1, nil)
			deleted := make(chan error, 1)
			go func() {
				_, err := st.DeleteEndpoint(ctx, "acme", "ep_1", now)
				deleted <- err
			}()
			waitLocks(t, adm, schema, 2, deleted)
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if err := wait(t, requeued, how); err != nil && hookd.ErrorCode(err) != hookd.ECONFLICT && !errors.Is(err, hookd.ErrNotFound) {
				t.Fatalf("%s: %v", how, err)
			}
			if err := wait(t, deleted, "the delete"); err != nil {
				t.Fatalf("delete: %v", err)
			}
			got, err := st.Delivery(ctx, "acme", d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State == hookd.StatePending {
				t.Errorf("the delivery is left %s (owner %q) to the deleted endpoint", got.State, got.Owner)
			}
		})
	}
}
