package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/storetest"
)

// TestSessionSettings: hookd's sessions plan without sequential scans
// where an index serves, and never compile a statement with JIT, even one
// whose only plan is a (disabled, so very costly) sequential scan; a URL
// that sets either keeps its value.
func TestSessionSettings(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	base, k := schemaURL(t)
	for _, c := range []struct {
		params           string
		seqscan, jitting string
	}{{"", "off", "off"}, {"&enable_seqscan=on&jit=on", "on", "on"}} {
		st, err := Open(ctx, base+c.params, k)
		if err != nil {
			t.Fatal(err)
		}
		var seqscan, jitting string
		if err := st.db.QueryRowContext(ctx, `SELECT current_setting('enable_seqscan'), current_setting('jit')`).Scan(&seqscan, &jitting); err != nil {
			t.Fatal(err)
		}
		if seqscan != c.seqscan || jitting != c.jitting {
			t.Errorf("URL params %q: enable_seqscan %s, jit %s; want %s, %s", c.params, seqscan, jitting, c.seqscan, c.jitting)
		}
		if c.params == "" {
			// A table with no index: the plan is a disabled scan, far
			// above jit_above_cost, and yet no JIT.
			conn, err := st.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := conn.ExecContext(ctx, `CREATE TEMPORARY TABLE unindexed (n INTEGER)`); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.QueryContext(ctx, `EXPLAIN (ANALYZE) SELECT COUNT(*) FROM unindexed`)
			if err != nil {
				t.Fatal(err)
			}
			var plan strings.Builder
			for rows.Next() {
				var line string
				rows.Scan(&line)
				plan.WriteString(line + "\n")
			}
			rows.Close()
			conn.Close()
			if !strings.Contains(plan.String(), "Seq Scan") || strings.Contains(plan.String(), "JIT") {
				t.Errorf("want a sequential scan without JIT:\n%s", plan.String())
			}
		}
		st.Close()
	}
}

// TestCommitPlan: the group commit's one statement runs on sessions that
// keep its generic plan, where PostgreSQL's default would plan it anew at
// every commit of a few rows; the other sessions keep the default.
func TestCommitPlan(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	u, k := schemaURL(t)
	st, err := Open(ctx, u, k)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "ten_p", Name: "p", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep_p", TenantID: "ten_p", URL: "http://127.0.0.1:1/p", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	// Commits of one to three publishes, each with the results of the
	// commit before: more than the five custom plans PostgreSQL makes
	// before it weighs the generic one.
	const commits = 12
	var prev []string
	published := 0
	for c := range commits {
		batch := &hookd.Batch{}
		var ids []string
		for i := range 1 + c%3 {
			ev := &hookd.Event{ID: fmt.Sprintf("evt_%d_%d", c, i), TenantID: "ten_p", Type: "t.x", Payload: []byte(`{}`), CreatedAt: now}
			d := &hookd.Delivery{ID: fmt.Sprintf("dlv_%d_%d", c, i), TenantID: "ten_p", EventID: ev.ID, EndpointID: ep.ID, EventType: ev.Type,
				State: hookd.StatePending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now, Owner: "node_p"}
			batch.Publishes = append(batch.Publishes, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
			ids = append(ids, d.ID)
			published++
		}
		for _, id := range prev {
			batch.Results = append(batch.Results, &hookd.Result{TenantID: "ten_p", State: hookd.StateSucceeded, FirstSentAt: now, At: now,
				Attempt: &hookd.Attempt{DeliveryID: id, N: 1, At: now, DurationMS: 1, Status: 200}})
		}
		if err := st.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
		prev = ids
	}
	var n int
	if err := st.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE state = 'succeeded'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if want := published - len(prev); n != want { // every delivery but the last commit's
		t.Fatalf("%d deliveries succeeded; want %d", n, want)
	}
	// The commits ran one after another: on one session of the pool.
	var generic, custom int64
	if err := st.commits.QueryRowContext(ctx, `SELECT COALESCE(SUM(generic_plans), 0), COALESCE(SUM(custom_plans), 0)
		FROM pg_prepared_statements WHERE statement LIKE 'WITH %'`).Scan(&generic, &custom); err != nil {
		t.Fatal(err)
	}
	if generic != commits || custom != 0 {
		t.Errorf("the group commit's statement ran %d times with its generic plan and %d with a custom one; want %d and 0", generic, custom, commits)
	}
	var mode, commitMode string
	if err := st.db.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if err := st.commits.QueryRowContext(ctx, `SELECT current_setting('plan_cache_mode')`).Scan(&commitMode); err != nil {
		t.Fatal(err)
	}
	if mode != "auto" || commitMode != "force_generic_plan" {
		t.Errorf("plan_cache_mode %s (other sessions), %s (the commits'); want auto, force_generic_plan", mode, commitMode)
	}
}

// schemaURL makes a schema of its own for the test (bench.Schema),
// dropped when it ends, and returns the URL of connections that work in it
// and a sealing key. The test is skipped when PostgreSQL is unreachable,
// except in CI.
func schemaURL(t *testing.T) (string, *seal.Key) {
	t.Helper()
	u := storetest.PostgresSchema(t)
	raw := make([]byte, seal.KeySize)
	rand.Read(raw)
	k, err := seal.NewKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u, k
}
