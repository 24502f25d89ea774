package portal_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hookd/hookd"
)

// BenchmarkPages measures the portal's pages on a tenant whose endpoint
// has 100,000 deliveries, each with an attempt made over the last day:
//
//	go test ./portal -run '^$' -bench Pages -benchtime 20x
func BenchmarkPages(b *testing.B) {
	e := newEnv(b)
	e.tenant("acme")
	ep := e.endpoint("acme")
	ctx := b.Context()
	now := time.Now()
	const total, batch = 100_000, 1000
	var one string
	for i := 0; i < total; i += batch {
		var pubs []*hookd.Publish
		var results []*hookd.Result
		for j := i; j < i+batch; j++ {
			at := now.Add(-24 * time.Hour).Add(time.Duration(j) * 24 * time.Hour / total).Truncate(time.Millisecond)
			id, _ := uuid.NewV7()
			ev := &hookd.Event{ID: fmt.Sprintf("ev_%06d", j), TenantID: "acme", Type: "invoice.paid",
				Payload: json.RawMessage(`{"invoice_id":"inv_1"}`), CreatedAt: at}
			d := &hookd.Delivery{ID: "dlv_" + id.String(), TenantID: "acme", EventID: ev.ID, EndpointID: ep.ID,
				EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &at, CreatedAt: at, UpdatedAt: at, Owner: "bench"}
			pubs = append(pubs, &hookd.Publish{Event: ev, Deliveries: []*hookd.Delivery{d}})
			state, status := hookd.StateSucceeded, 200
			if j%10 == 0 {
				state, status = hookd.StateFailed, 500
			}
			results = append(results, &hookd.Result{Attempt: &hookd.Attempt{DeliveryID: d.ID, N: 1, At: at, DurationMS: int64(j % 300), Status: status},
				TenantID: "acme", State: state, FirstSentAt: at, At: at})
			one = d.ID
		}
		if err := e.store.Apply(ctx, &hookd.Batch{Publishes: pubs}); err != nil {
			b.Fatal(err)
		}
		if err := e.store.Apply(ctx, &hookd.Batch{Results: results}); err != nil {
			b.Fatal(err)
		}
	}
	c := e.session(b, e.link("acme", nil))
	for _, page := range []string{
		"/portal/t/acme/",
		"/portal/t/acme/endpoints/" + ep.ID,
		"/portal/t/acme/endpoints/" + ep.ID + "?state=failed&type=invoice.paid",
		"/portal/t/acme/endpoints/" + ep.ID + "/chart.svg?range=24h",
		"/portal/t/acme/endpoints/" + ep.ID + "/chart.svg?range=30d",
		"/portal/t/acme/deliveries/" + one,
		"/portal/t/acme/events?q=ev_050000",
	} {
		b.Run(page, func(b *testing.B) {
			for b.Loop() {
				resp, err := c.Get(e.srv.URL + page)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", page, resp.StatusCode)
				}
			}
		})
	}
}
