package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/catalog"
	"github.com/hookd/hookd/client"
	"github.com/hookd/hookd/receiver"
)

// TestSimulate: hookd simulate publishes every lifecycle into a tenant
// with an endpoint that delivers in order per key. The receiver sees every
// lifecycle complete and in order per resource (its ordering key), every
// payload valid against its type's schema, every signature valid; a seed
// reproduces the same events.
func TestSimulate(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.AllowUnknownTypes = false })
	tok := a.tenant(t, "sim")
	rc := newReceiver(t, nil)
	a.endpoint(t, "sim", tok, map[string]any{"url": rc.URL, "profile": "standard", "ordering": "key",
		"secret": wireSecrets["standard"], "event_types": []string{"*"}})

	kinds, err := expandLifecycles([]string{"linkmoney", "lean", "weavr.linked_account"})
	if err != nil || len(kinds) != 5 {
		t.Fatalf("expand: %v %v", kinds, err)
	}
	if _, err := expandLifecycles([]string{"stripe"}); err == nil {
		t.Fatal("an unknown lifecycle was accepted")
	}
	makeRuns := func(seed uint64, count int) []*simRun {
		g := &gen{r: newRand(seed)}
		var runs []*simRun
		for i := 0; i < count; i++ {
			for j, k := range kinds {
				fail := (i+j)%3 == 0 // every failure path of every kind, whatever the seed
				runs = append(runs, &simRun{name: k, failed: fail, events: lifecycles[k](g, fail)})
			}
		}
		return runs
	}
	runs := makeRuns(42, 6)
	if again := makeRuns(42, 6); fmt.Sprint(again[7].events) != fmt.Sprint(runs[7].events) {
		t.Fatal("the same seed made different lifecycles")
	}
	want := map[string][]string{} // ordering key -> types in order
	total := 0
	for _, r := range runs {
		// Lean's payment chain starts where the issue has it, with the
		// customer's entity, the customer the payment source names.
		if r.name == "lean.payment" {
			if r.events[0].typ != "lean:entity.created" || r.events[1].typ != "lean:payment_source.created" ||
				r.events[0].payload["customer_id"] != r.events[1].payload["customer_id"] {
				t.Fatalf("lean.payment begins %s %v, %s %v; want entity.created then payment_source.created of one customer",
					r.events[0].typ, r.events[0].payload, r.events[1].typ, r.events[1].payload)
			}
		}
		for _, e := range r.events {
			want[e.key] = append(want[e.key], hookd.WireType(e.typ))
			total++
		}
	}
	sim := &simulation{api: a.api(tok), tenant: "sim"}
	var progress strings.Builder
	sim.progress = &progress
	sent, err := sim.run(context.Background(), runs)
	if err != nil || sent != total {
		t.Fatalf("run: %d of %d, %v", sent, total, err)
	}
	if !strings.Contains(progress.String(), fmt.Sprintf("%d/%d events published", total, total)) {
		t.Errorf("progress %q", progress.String())
	}

	cat, err := catalog.New()
	if err != nil {
		t.Fatal(err)
	}
	v := &receiver.Verifier{Profile: receiver.Standard, Secrets: []string{wireSecrets["standard"]}}
	got := map[string][]string{}
	for i := 0; i < total; i++ {
		r := rc.wait(t, 30*time.Second)
		if err := v.Verify(r.header, r.body); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var body struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		var ev struct {
			Type        string `json:"type"`
			OrderingKey string `json:"ordering_key"`
		}
		a.must(t, 200, "GET", "/v1/tenants/sim/events/"+r.header.Get("webhook-id"), tok, nil, &ev)
		typ, ok := cat.Lookup(ev.Type)
		if !ok {
			t.Fatalf("type %s is not in the catalog", ev.Type)
		}
		if err := cat.Validate(typ, body.Data); err != nil {
			t.Fatalf("%s payload %s: %v", ev.Type, body.Data, err)
		}
		got[ev.OrderingKey] = append(got[ev.OrderingKey], hookd.WireType(ev.Type))
	}
	for key, types := range want {
		if fmt.Sprint(got[key]) != fmt.Sprint(types) {
			t.Errorf("resource %s: received %v, want the whole lifecycle in order %v", key, got[key], types)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d resources received, want %d", len(got), len(want))
	}

	// The command itself: flags before and after the lifecycles, a
	// provider's name for its lifecycles; bad flags refused.
	a.tenant(t, "sim2")
	if err := runSimulate(context.Background(), []string{"--url", a.url, "--token", testAdmin, "--tenant", "sim2",
		"--seed", "7", "linkmoney.customer", "--count", "2", "--rate", "0", "weavr"}); err != nil {
		t.Fatalf("hookd simulate: %v", err)
	}
	if evs := a.api(testAdmin).ListEvents(context.Background(), "sim2", client.EventListOptions{}); evs != nil {
		n := 0
		for _, err := range evs {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		if n < 2*4+2*2 { // two customers of 4 events, two linked accounts of at least 2
			t.Errorf("hookd simulate published %d events, want at least 12", n)
		}
	}
	for _, bad := range [][]string{{"--fail-share", "2", "lean"}, {"--count", "0", "lean"}, {"nope"}, {}} {
		if err := runSimulate(context.Background(), append([]string{"--url", a.url, "--token", testAdmin, "--tenant", "sim2"}, bad...)); err == nil {
			t.Errorf("hookd simulate %v: accepted", bad)
		}
	}

	var summary strings.Builder
	printSimSummary(&summary, runs, kinds, sent, 42, time.Second)
	if !strings.Contains(summary.String(), "linkmoney.payment") || !strings.Contains(summary.String(), fmt.Sprintf("published %d of %d", total, total)) {
		t.Errorf("summary:\n%s", summary.String())
	}
}
