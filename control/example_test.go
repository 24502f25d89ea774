package control_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/control"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/egress"
	"github.com/hookd/hookd/profile"
	"github.com/hookd/hookd/seal"
	"github.com/hookd/hookd/sqlite"
)

// The control plane on an embedded store: what the JSON API, the portal or
// a program of your own call to manage tenants and endpoints and publish.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "hookd-example-")
	defer os.RemoveAll(dir)
	key, _ := seal.LoadOrCreate(filepath.Join(dir, "key"))
	st, err := sqlite.Open(ctx, filepath.Join(dir, "hookd.db"), key)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	cat, _ := catalog.New()
	profiles := profile.New(cat.Message)
	guard, _ := egress.New("127.0.0.0/8") // loopback targets allowed, for the example
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	eng := delivery.New(st, delivery.Config{Profiles: profiles.Get, Logger: log})
	if err := eng.Start(ctx); err != nil {
		panic(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		eng.Stop(ctx)
	}()
	svc := &control.Service{Store: st, Engine: eng, Catalog: cat, Profiles: profiles, Guard: guard, Log: log}

	if err := svc.CreateTenant(ctx, &hookd.Tenant{ID: "acme", Name: "Acme Ltd"}); err != nil {
		panic(err)
	}
	url, types, prof := "http://127.0.0.1:9/hook", []string{"lean:entity.created"}, "lean"
	ep, err := svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: &url, EventTypes: &types, Profile: &prof}, "")
	if err != nil {
		panic(err)
	}
	fmt.Println("event_types stored:", ep.EventTypes)

	_, err = svc.CreateEndpoint(ctx, "acme", &hookd.EndpointUpdate{URL: &url, Headers: &map[string]string{"Lean-Signature": "x"}}, "")
	fmt.Println("refused:", hookd.ErrorCode(err), hookd.ErrorMessage(err))

	example, _ := cat.Lookup("entity.created")
	res, err := svc.Publish(ctx, "acme", []*hookd.Event{
		{Type: "entity.created", Payload: json.RawMessage(example.Example)},
		{Type: "entity.created", Payload: json.RawMessage(`{"id":1}`)},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("published to", len(res[0].Deliveries), "endpoint")
	fmt.Println("refused:", hookd.ErrorCode(res[1].Err))
	// Output:
	// event_types stored: [entity.created]
	// refused: invalid header "Lean-Signature" is reserved: hookd sets it, or it belongs to the connection
	// published to 1 endpoint
	// refused: validation_failed
}
