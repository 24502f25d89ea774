package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/storetest"
)

// BenchmarkAuth measures an authenticated request (GET a tenant: one store
// read) served in-process, by the bootstrap admin token (compared in
// memory) and by a tenant token (looked up in the store on every request),
// on SQLite and on PostgreSQL: the difference is what authenticating by a
// stored token costs the hot path.
//
//	go test ./cmd/hookd -run '^$' -bench Auth -benchtime 2000x -count 3
func BenchmarkAuth(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			c := &Config{DB: "sqlite:" + filepath.Join(b.TempDir(), "hookd.db"), Addr: "127.0.0.1:0", AdminToken: testAdmin,
				MaxBody: 256 << 10, MaxBatch: 1000, Retention: time.Hour, DisableAfter: time.Hour, DrainTimeout: time.Second,
				PollInterval: 50 * time.Millisecond, LogLevel: "warn", AllowUnknownTypes: true}
			if db == "postgres" {
				c.DB, c.DataKey = benchPostgres(b), randomKey()
			}
			a, serve, tok := benchApp(b, c)
			for _, who := range []struct{ name, token string }{{"bootstrap", testAdmin}, {"tenant", tok}} {
				b.Run("get/"+who.name, func(b *testing.B) {
					b.ReportAllocs()
					for b.Loop() {
						serve("GET", "/v1/tenants/acme", who.token, "")
					}
				})
			}
			// The lookup alone, as the store makes it for every request.
			hash := httpapi.HashToken(tok)
			b.Run("lookup", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := a.store.TokenByHash(b.Context(), hash); err != nil {
						b.Fatal(err)
					}
				}
			})
			// Publish (no endpoint, so the engine sends nothing): the
			// group commit's fsync dominates.
			for _, who := range []struct{ name, token string }{{"bootstrap", testAdmin}, {"tenant", tok}} {
				b.Run("publish/"+who.name, func(b *testing.B) {
					for b.Loop() {
						serve("POST", "/v1/tenants/acme/events", who.token, `{"type":"order.paid","payload":{}}`)
					}
				})
			}
		})
	}
}

// benchPostgres is testPostgres for a benchmark: a fresh schema, dropped
// at the end; skipped without PostgreSQL.
func benchPostgres(b *testing.B) string { return storetest.PostgresSchema(b) }

// benchApp starts hookd in-process on c, creates the tenant acme and a
// token of it, and returns the app, a function that serves one request
// in-process (failing b on a status of 300 or more) and the token.
func benchApp(b *testing.B, c *Config) (a *app, serve func(method, path, token, body string) *httptest.ResponseRecorder, token string) {
	a, err := start(context.Background(), c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.stop() })
	serve = func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		a.srv.Handler.ServeHTTP(w, req)
		if w.Code >= 300 {
			b.Fatalf("%s %s: status %d: %s", method, path, w.Code, w.Body)
		}
		return w
	}
	serve("POST", "/v1/tenants", testAdmin, `{"id":"acme","name":"Acme"}`)
	var tok struct{ Token string }
	json.Unmarshal(serve("POST", "/v1/tenants/acme/tokens", testAdmin, "").Body.Bytes(), &tok)
	return a, serve, tok.Token
}
