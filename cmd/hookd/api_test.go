package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAPIWalkThrough takes the API's routes through their ordinary use,
// as an operator and a tenant would: tenants with metadata, endpoint
// updates and custom headers, event lists filtered and paged, a delivery
// that fails, is listed by state and retried by hand, an endpoint's failed
// deliveries recovered, metrics, and deletion.
func TestAPIWalkThrough(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)

	// Tenants: create with metadata, read, rename, list.
	var ten struct {
		ID       string            `json:"id"`
		Name     string            `json:"name"`
		Metadata map[string]string `json:"metadata"`
	}
	a.must(t, 201, "POST", "/v1/tenants", testAdmin, map[string]any{"id": "acme", "name": "Acme", "metadata": map[string]string{"plan": "gold"}}, &ten)
	if ten.ID != "acme" || ten.Metadata["plan"] != "gold" {
		t.Fatalf("created tenant %+v", ten)
	}
	a.must(t, 200, "PATCH", "/v1/tenants/acme", testAdmin, map[string]any{"name": "Acme Ltd"}, &ten)
	a.must(t, 200, "GET", "/v1/tenants/acme", testAdmin, nil, &ten)
	if ten.Name != "Acme Ltd" || ten.Metadata["plan"] != "gold" {
		t.Fatalf("tenant after PATCH %+v", ten)
	}
	var tenants struct {
		Data []struct{ ID string } `json:"data"`
	}
	a.must(t, 200, "GET", "/v1/tenants", testAdmin, nil, &tenants)
	if len(tenants.Data) != 1 || tenants.Data[0].ID != "acme" {
		t.Fatalf("tenants %+v", tenants)
	}
	var tk struct{ Token string }
	a.must(t, 201, "POST", "/v1/tenants/acme/tokens", testAdmin, map[string]any{}, &tk)
	tok := tk.Token

	// An endpoint whose answer the test switches; updated by PATCH.
	var status atomic.Int32
	status.Store(500)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(int(status.Load())) })
	ep := a.endpoint(t, "acme", tok, map[string]any{"url": rc.URL, "event_types": []string{"order.created"}, "retry_schedule": []int{1}})
	var epGot struct {
		EventTypes  []string          `json:"event_types"`
		Description string            `json:"description"`
		Headers     map[string]string `json:"headers"`
		Secret      string            `json:"secret"`
	}
	a.must(t, 200, "PATCH", "/v1/tenants/acme/endpoints/"+ep.ID, tok, map[string]any{"event_types": []string{"order.*"},
		"description": "orders", "headers": map[string]string{"X-Team": "payments"}}, &epGot)
	a.must(t, 200, "GET", "/v1/tenants/acme/endpoints/"+ep.ID, tok, nil, &epGot)
	if strings.Join(epGot.EventTypes, ",") != "order.*" || epGot.Description != "orders" || epGot.Headers["X-Team"] != "payments" || epGot.Secret != "" {
		t.Fatalf("endpoint after PATCH %+v (the secret must not be shown)", epGot)
	}

	// Events of two types; a list filtered by type, and paged.
	for _, typ := range []string{"order.created", "order.paid", "order.created", "invoice.sent"} {
		a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, map[string]any{"type": typ, "payload": map[string]any{"t": typ}}, nil)
	}
	type eventList struct {
		Data []struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"data"`
		HasMore bool   `json:"has_more"`
		Next    string `json:"next"`
	}
	var el eventList
	a.must(t, 200, "GET", "/v1/tenants/acme/events?type=order.created", tok, nil, &el)
	if len(el.Data) != 2 || el.Data[0].Type != "order.created" || el.Data[1].Type != "order.created" {
		t.Fatalf("events of type order.created: %+v", el)
	}
	// has_more is exact: the fourth page of one is the last, and a page
	// that holds every event says no more follow (and gives no cursor).
	seen := map[string]bool{}
	pages := 0
	for after := ""; ; {
		var p eventList
		a.must(t, 200, "GET", "/v1/tenants/acme/events?limit=1&after="+after, tok, nil, &p)
		pages++
		if len(p.Data) != 1 {
			t.Fatalf("page %d of one event: %+v", pages, p)
		}
		seen[p.Data[0].ID] = true
		if !p.HasMore {
			if p.Next != "" {
				t.Fatalf("the last page gives a cursor: %+v", p)
			}
			break
		}
		if pages > 10 || p.Next != p.Data[0].ID {
			t.Fatalf("paging does not end, or its cursor is not the last event's id: %+v", p)
		}
		after = p.Next
	}
	if len(seen) != 4 || pages != 4 {
		t.Fatalf("paging one by one saw %d events in %d pages, want 4 in 4", len(seen), pages)
	}
	var all eventList
	a.must(t, 200, "GET", "/v1/tenants/acme/events?limit=4", tok, nil, &all)
	if len(all.Data) != 4 || all.HasMore || all.Next != "" {
		t.Fatalf("a page of exactly every event: %+v", all)
	}
	a.must(t, 200, "GET", "/v1/tenants/acme/events?limit=3", tok, nil, &all)
	if len(all.Data) != 3 || !all.HasMore || all.Next != all.Data[2].ID {
		t.Fatalf("a page of three of four events: %+v", all)
	}

	// Every error answer carries details, a list, empty when the error
	// names no field.
	var notFound struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Details []json.RawMessage `json:"details"`
		} `json:"error"`
	}
	a.must(t, 404, "GET", "/v1/tenants/acme/events/nope", tok, nil, &notFound)
	if notFound.Error.Code != "not_found" || notFound.Error.Message == "" || notFound.Error.Details == nil || len(notFound.Error.Details) != 0 {
		t.Fatalf("a 404's error: %+v", notFound.Error)
	}
	var tokensGone struct{ Error struct{ Code string } }
	a.must(t, 404, "GET", "/v1/tenants/nope/tokens", testAdmin, nil, &tokensGone)

	// Three order events fail twice (first try and one retry after 1 s).
	type deliveryList struct {
		Data []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"data"`
	}
	var failed deliveryList
	eventually(t, 10*time.Second, "three failed deliveries", func() bool {
		a.must(t, 200, "GET", "/v1/tenants/acme/deliveries?state=failed&endpoint="+ep.ID, tok, nil, &failed)
		return len(failed.Data) == 3
	})
	if got := rc.count(); got != 6 {
		t.Fatalf("%d requests for 3 deliveries with one retry each, want 6", got)
	}
	h := rc.wait(t, time.Second).header
	if h.Get("X-Team") != "payments" {
		t.Fatalf("custom header not sent: %v", h)
	}

	// The endpoint recovers: one delivery retried by hand, the rest by recover.
	status.Store(200)
	var d struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	a.must(t, 202, "POST", "/v1/tenants/acme/deliveries/"+failed.Data[0].ID+"/retry", tok, nil, &d)
	if d.State != "pending" {
		t.Fatalf("retried delivery is %q, want pending", d.State)
	}
	var one struct {
		State    string `json:"state"`
		Attempts []struct {
			Status int `json:"status"`
		} `json:"attempts"`
	}
	eventually(t, 5*time.Second, "the retried delivery succeeded", func() bool {
		a.must(t, 200, "GET", "/v1/tenants/acme/deliveries/"+failed.Data[0].ID, tok, nil, &one)
		return one.State == "succeeded"
	})
	if len(one.Attempts) != 3 || one.Attempts[2].Status != 200 {
		t.Fatalf("attempts of the retried delivery: %+v", one.Attempts)
	}
	var rec struct{ Requeued int }
	a.must(t, 202, "POST", "/v1/tenants/acme/endpoints/"+ep.ID+"/recover", tok,
		map[string]any{"since": time.Now().Add(-time.Hour).Format(time.RFC3339)}, &rec)
	if rec.Requeued != 2 {
		t.Fatalf("recover requeued %d, want 2", rec.Requeued)
	}
	eventually(t, 5*time.Second, "every delivery succeeded", func() bool {
		var ok deliveryList
		a.must(t, 200, "GET", "/v1/tenants/acme/deliveries?state=succeeded", tok, nil, &ok)
		return len(ok.Data) == 3
	})

	// Metrics in the Prometheus text format.
	res, err := http.Get(a.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "# TYPE") {
		t.Fatalf("/metrics answered %d:\n%s", res.StatusCode, body)
	}

	// Deletion: the endpoint, then the tenant.
	a.must(t, 204, "DELETE", "/v1/tenants/acme/endpoints/"+ep.ID, tok, nil, nil)
	a.must(t, 404, "GET", "/v1/tenants/acme/endpoints/"+ep.ID, tok, nil, nil)
	a.must(t, 204, "DELETE", "/v1/tenants/acme", testAdmin, nil, nil)
	a.must(t, 404, "GET", "/v1/tenants/acme", testAdmin, nil, nil)
}

// TestPayloadVerbatim: an event's payload is shown by the API byte for byte
// as it was published (whitespace, key order, characters encoding/json
// would escape), on the event's route and in lists, and the answers stay
// JSON that fits the OpenAPI document.
func TestPayloadVerbatim(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "v")
	payloads := []string{
		"{ \"b\" : 1,\n  \"a\" : [ 1 , 2 ],\t\"html\": \"<b>&amp;</b>\", \"n\": 1.50 }",
		`{"z":{"y":"é \u00e9 \ud83d\ude00"},"big":12345678901234567890}`,
		`{}`,
	}
	var ids []string
	for i, p := range payloads {
		var out struct{ ID string }
		a.must(t, 202, "POST", "/v1/tenants/v/events", tok, `{"type":"verbatim.test","id":"ev-`+strconv.Itoa(i)+`","payload":`+p+`}`, &out)
		ids = append(ids, out.ID)
	}
	for i, p := range payloads {
		var ev struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
		}
		a.must(t, 200, "GET", "/v1/tenants/v/events/"+ids[i], tok, nil, &ev)
		if ev.ID != ids[i] || string(ev.Payload) != p {
			t.Errorf("event %s: payload %q, want %q", ids[i], ev.Payload, p)
		}
	}
	var page struct {
		Data []struct {
			ID      string          `json:"id"`
			Payload json.RawMessage `json:"payload"`
		} `json:"data"`
		HasMore bool `json:"has_more"`
	}
	// Newest first; a page of two leaves the third out.
	a.must(t, 200, "GET", "/v1/tenants/v/events?limit=2", tok, nil, &page)
	if len(page.Data) != 2 || !page.HasMore || string(page.Data[0].Payload) != payloads[2] || string(page.Data[1].Payload) != payloads[1] {
		t.Errorf("a page of two: %+v", page)
	}
	a.must(t, 200, "GET", "/v1/tenants/v/events", tok, nil, &page)
	if len(page.Data) != 3 || page.HasMore || string(page.Data[2].Payload) != payloads[0] {
		t.Errorf("every event: %+v", page)
	}
}

// TestCreateAnswersMatchReads: the times in the answer to a create or an
// update are the times every later read gives (the stores keep
// milliseconds), for tenants, endpoints and sources.
func TestCreateAnswersMatchReads(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	type times struct {
		ID        string `json:"id"`
		CreatedAt string `json:"created_at"`
		UpdatedAt string `json:"updated_at"`
	}
	same := func(what string, answer times, path, token string) {
		t.Helper()
		var read times
		a.must(t, 200, "GET", path, token, nil, &read)
		if answer.CreatedAt == "" || answer != read {
			t.Errorf("%s: answered %+v, read %+v", what, answer, read)
		}
	}
	var tenant times
	a.must(t, 201, "POST", "/v1/tenants", testAdmin, map[string]any{"id": "acme", "name": "Acme"}, &tenant)
	same("tenant created", tenant, "/v1/tenants/acme", testAdmin)
	a.must(t, 200, "PATCH", "/v1/tenants/acme", testAdmin, map[string]any{"name": "Acme Ltd"}, &tenant)
	same("tenant updated", tenant, "/v1/tenants/acme", testAdmin)
	rc := newReceiver(t, nil)
	var ep times
	a.must(t, 201, "POST", "/v1/tenants/acme/endpoints", testAdmin, map[string]any{"url": rc.URL}, &ep)
	same("endpoint created", ep, "/v1/tenants/acme/endpoints/"+ep.ID, testAdmin)
	a.must(t, 200, "PATCH", "/v1/tenants/acme/endpoints/"+ep.ID, testAdmin, map[string]any{"description": "x"}, &ep)
	same("endpoint updated", ep, "/v1/tenants/acme/endpoints/"+ep.ID, testAdmin)
	var src times
	a.must(t, 201, "POST", "/v1/tenants/acme/sources", testAdmin, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{"lean-secret-1"}}, &src)
	same("source created", src, "/v1/tenants/acme/sources/"+src.ID, testAdmin)
	a.must(t, 200, "PATCH", "/v1/tenants/acme/sources/"+src.ID, testAdmin, map[string]any{"name": "Lean"}, &src)
	same("source updated", src, "/v1/tenants/acme/sources/"+src.ID, testAdmin)
}

// TestDeliveriesByType: the deliveries list reads ?type= as the events
// list does (a name, a prefix ending at a dot), and refuses a bad pattern.
func TestDeliveriesByType(t *testing.T) {
	t.Parallel()
	a := startApp(t, nil)
	tok := a.tenant(t, "acme")
	rc := newReceiver(t, nil)
	a.endpoint(t, "acme", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	for _, typ := range []string{"order.placed", "order.placed", "order.shipped", "invoice.paid"} {
		a.must(t, 202, "POST", "/v1/tenants/acme/events", tok, map[string]any{"type": typ, "payload": map[string]any{}}, nil)
	}
	for q, want := range map[string]int{"order.placed": 2, "order.*": 3, "invoice.paid": 1, "*": 4} {
		var ds struct{ Data []json.RawMessage }
		a.must(t, 200, "GET", "/v1/tenants/acme/deliveries?type="+url.QueryEscape(q), tok, nil, &ds)
		if len(ds.Data) != want {
			t.Errorf("?type=%s: %d deliveries, want %d", q, len(ds.Data), want)
		}
	}
	a.must(t, 400, "GET", "/v1/tenants/acme/deliveries?type=order*", tok, nil, nil)
}
