package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/seal"
	"github.com/jackc/pgx/v5"
)

// TestSessionSettings: hookd's sessions plan without sequential scans
// where an index serves, and never compile a statement with JIT, even one
// whose only plan is a (disabled, so very costly) sequential scan; a URL
// that sets either keeps its value.
func TestSessionSettings(t *testing.T) {
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "hookd_test_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	k, err := seal.NewKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		params           string
		seqscan, jitting string
	}{{"", "off", "off"}, {"&enable_seqscan=on&jit=on", "on", "on"}} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode() + c.params
		st, err := Open(ctx, u.String(), k)
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
