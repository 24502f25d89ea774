package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd/sqlite"
)

// TestStorageFull: when the database cannot grow (as on a full disk),
// publish answers 503 and stores nothing; when room comes back, publishing
// and delivering resume and nothing acknowledged is lost.
// With each SQLite driver.
func TestStorageFull(t *testing.T) {
	t.Parallel()
	for _, drv := range sqlite.Drivers() {
		t.Run(drv, func(t *testing.T) { t.Parallel(); storageFull(t, drv) })
	}
}

func storageFull(t *testing.T, drv string) {
	a := startApp(t, func(c *Config) { c.DB += "?driver=" + drv })
	if got := a.store.(*sqlite.Store).Driver(); got != drv {
		t.Fatalf("--db %s opened with driver %q", a.cfg.DB, got)
	}
	tok := a.tenant(t, "s")
	rc := newReceiver(t, nil)
	a.endpoint(t, "s", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	st := a.store.(*sqlite.Store)
	ctx := context.Background()
	var size int64
	if err := st.Writer().QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&size); err != nil {
		t.Fatal(err)
	}
	if err := st.SetMaxSize(ctx, size); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 100<<10)
	refused := 0
	for i := range 20 {
		var out struct{ Error struct{ Code string } }
		code := call(t, "POST", a.url+"/v1/tenants/s/events", tok,
			map[string]any{"type": "a.b", "id": fmt.Sprintf("full-%d", i), "payload": map[string]any{"pad": big}}, &out)
		switch code {
		case 202:
		case 503:
			refused++
			if out.Error.Code != "unavailable" {
				t.Fatalf("503 with code %q", out.Error.Code)
			}
		default:
			t.Fatalf("publish on a full database: %d", code)
		}
	}
	if refused == 0 {
		t.Fatal("no publish was refused on a full database")
	}
	// While publishes fail, the node says it is not ready, and why.
	if code := call(t, "POST", a.url+"/v1/tenants/s/events", tok, map[string]any{"type": "a.b", "id": "full-last", "payload": map[string]any{"pad": big}}, nil); code != 503 {
		t.Fatalf("a publish on the full database: %d", code)
	}
	var notReady struct{ Status, Reason string }
	if code := call(t, "GET", a.url+"/readyz", "", nil, &notReady); code != 503 || !strings.Contains(notReady.Reason, "publishes failing") {
		t.Errorf("/readyz while publishes fail: %d %+v", code, notReady)
	}
	var evs struct{ Data []struct{ ID string } }
	a.must(t, 200, "GET", "/v1/tenants/s/events?limit=100", tok, nil, &evs)
	accepted := 20 - refused
	if len(evs.Data) != accepted {
		t.Fatalf("%d events stored, %d acknowledged", len(evs.Data), accepted)
	}
	if err := st.SetMaxSize(ctx, 0); err != nil {
		t.Fatal(err)
	}
	a.must(t, 202, "POST", "/v1/tenants/s/events", tok, map[string]any{"type": "a.b", "id": "after", "payload": map[string]any{}}, nil)
	eventually(t, 10*time.Second, "every acknowledged event delivered", func() bool { return rc.count() == accepted+1 })
	var ready json.RawMessage
	a.must(t, 200, "GET", "/readyz", "", nil, &ready)
	t.Logf("full database: %d of 20 publishes refused with 503, %d acknowledged and delivered after recovery", refused, accepted)
}
