package client_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/httpapi"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// adminToken is the admin token of the test servers.
const adminToken = "client-test-admin-token"

// server is a real hookd API on loopback: a SQLite file in a temporary
// directory, the delivery engine, the catalog, the egress guard allowing
// loopback targets.
type server struct {
	URL  string
	stop func()
}

// startServer starts a server; stop undoes everything. It takes no
// *testing.T so that the examples can use it too.
func startServer() (*server, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "hookd-client-")
	if err != nil {
		return nil, err
	}
	key, err := seal.LoadOrCreate(filepath.Join(dir, "key"))
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.New()
	if err != nil {
		return nil, err
	}
	guard, err := egress.New("127.0.0.0/8,::1/128")
	if err != nil {
		return nil, err
	}
	profiles := profile.New(cat.Message)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := delivery.New(st, delivery.Config{Profiles: profiles.Get, Logger: log,
		PollInterval: 20 * time.Millisecond, Client: &http.Client{CheckRedirect: delivery.NoRedirect}})
	if err := eng.Start(ctx); err != nil {
		return nil, err
	}
	api := &httpapi.Server{Store: st, Engine: eng, Catalog: cat, Profiles: profiles, Guard: guard, Log: log,
		AdminTokenHash: httpapi.HashToken(adminToken)}
	ts := httptest.NewServer(checked(api.Handler()))
	return &server{URL: ts.URL, stop: func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		eng.Stop(ctx)
		st.Close()
		os.RemoveAll(dir)
	}}, nil
}

// newServer starts a server for one test.
func newServer(t *testing.T) *server {
	t.Helper()
	s, err := startServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// mustServer starts a server for an example, which has no *testing.T.
func mustServer() *server {
	s, err := startServer()
	if err != nil {
		panic(err)
	}
	return s
}

// receiver is a loopback webhook receiver that answers 204 and counts.
func receiver() (*httptest.Server, <-chan []byte) {
	got := make(chan []byte, 100)
	rs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- b:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return rs, got
}
