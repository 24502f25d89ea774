package sqlite_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// copyFile copies src to dst; a missing src copies nothing.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
}

// synchronous reads the writer connection's PRAGMA synchronous (2: FULL).
func synchronous(t *testing.T, st *sqlite.Store) int {
	t.Helper()
	var v int
	if err := st.Writer().QueryRowContext(t.Context(), "PRAGMA synchronous").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestResultsCommitWithoutSync: a batch of attempt results alone commits
// without waiting for the disk (synchronous=NORMAL for that transaction),
// and the writer connection is back to FULL after it, so publishes and
// every other write stay fsync'd. If the result is lost in a crash (the
// files as they were when the publish was acknowledged, the most a crash
// can take), the delivery is still pending with its dead owner, taken back
// and sent again: never lost.
func TestResultsCommitWithoutSync(t *testing.T) {
	dir := t.TempDir()
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "hookd.db")
	st, err := sqlite.Open(t.Context(), path, key)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ctx := t.Context()
	if err := st.CreateTenant(ctx, &hookd.Tenant{ID: "ten_a", Name: "a", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ep := &hookd.Endpoint{ID: "ep_a", TenantID: "ten_a", URL: "http://127.0.0.1:1/a", Profile: "standard", EventTypes: []string{"*"},
		Ordering: hookd.OrderingNone, Signature: hookd.SignatureV1, Secrets: []hookd.Secret{{Value: "whsec_c2VjcmV0"}}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateEndpoint(ctx, ep); err != nil {
		t.Fatal(err)
	}
	b := publishes(ep, 0, 1, "node_a")
	if err := st.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	d := b.Publishes[0].Deliveries[0]
	if v := synchronous(t, st); v != 2 {
		t.Fatalf("after a publish: synchronous = %d, want 2 (FULL)", v)
	}
	// What the disk holds at the publish's acknowledgement.
	crashed := filepath.Join(t.TempDir(), "hookd.db")
	copyFile(t, path, crashed)
	copyFile(t, path+"-wal", crashed+"-wal")

	res := &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: now, Status: 200}, TenantID: "ten_a",
		State: hookd.StateSucceeded, FirstSentAt: now, At: now}
	if err := st.Apply(ctx, &hookd.Batch{Results: []*hookd.Result{res}}); err != nil {
		t.Fatal(err)
	}
	if v := synchronous(t, st); v != 2 {
		t.Fatalf("after a results-only commit: synchronous = %d, want 2 (FULL) again", v)
	}
	got, err := st.Delivery(ctx, "ten_a", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != hookd.StateSucceeded || got.Attempts != 1 {
		t.Fatalf("after the result: state %q, %d attempts; want succeeded, 1", got.State, got.Attempts)
	}
	if as, err := st.Attempts(ctx, d.ID); err != nil || len(as) != 1 {
		t.Fatalf("attempts = %d, %v; want 1", len(as), err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The result lost: the delivery is sent again.
	st2, err := sqlite.Open(ctx, crashed, key)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, err := st2.Rescue(ctx, "node_b", now.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("Rescue = %d, %v; want the lost result's delivery taken back", n, err)
	}
	jobs, err := st2.Claim(ctx, "node_b", now.Add(time.Minute), 10, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].Delivery.ID != d.ID || jobs[0].Delivery.State != hookd.StatePending {
		t.Fatalf("claimed %d jobs; want the delivery %s, pending, to send again", len(jobs), d.ID)
	}
}
