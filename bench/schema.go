package bench

import (
	"context"
	"net/url"

	"github.com/jackc/pgx/v5"
)

// Schema creates a fresh schema in the PostgreSQL database at db and
// returns the URL that uses it and a function that drops it, so runs do not
// see each other's rows.
func Schema(ctx context.Context, db string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		return "", nil, err
	}
	schema := "hookd_bench_" + randomHex(4)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	u, err := url.Parse(db)
	if err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		conn.Close(context.Background())
	}, nil
}
