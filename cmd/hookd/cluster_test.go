package main

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookd/hookd/storetest"
)

// testPostgres returns the URL of a fresh schema in the test PostgreSQL,
// dropped when the test ends (storetest.PostgresSchema).
func testPostgres(t *testing.T) string { return storetest.PostgresSchema(t) }

// cluster starts n real hookd processes on one PostgreSQL schema; the test
// runs in parallel with the others, and not at all with -short.
func cluster(t *testing.T, n int) []*proc {
	if testing.Short() {
		t.Skipf("starts %d hookd processes", n)
	}
	t.Parallel()
	db := testPostgres(t)
	key := randomKey()
	var nodes []*proc
	for range n {
		nodes = append(nodes, serve(t, "--db", db, "--data-key", key, "--node-ttl", "3s"))
	}
	return nodes
}

// TestClusterNodeDeath runs three nodes on one PostgreSQL database,
// publishes through all three, SIGKILLs one in the middle, and checks that
// every accepted event reached both matching endpoints.
func TestClusterNodeDeath(t *testing.T) {
	nodes := cluster(t, 3)
	var mu sync.Mutex
	arrived := map[string]int{} // endpoint path + event id
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		mu.Lock()
		arrived[r.URL.Path+" "+r.Header.Get("webhook-id")]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // work in flight when the node dies
		w.WriteHeader(200)
	})
	a := &testApp{url: nodes[0].url}
	tok := a.tenant(t, "c")
	a.endpoint(t, "c", tok, map[string]any{"url": rc.URL + "/one", "event_types": []string{"order.*"}})
	a.endpoint(t, "c", tok, map[string]any{"url": rc.URL + "/two", "event_types": []string{"*"}})

	var acked sync.Map
	var ackedN, seq atomic.Int64
	var dead atomic.Int32
	dead.Store(-1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := w % 3
			for {
				select {
				case <-stop:
					return
				default:
				}
				if int(dead.Load()) == node {
					node = (node + 1) % 3
				}
				id := fmt.Sprintf("o-%d", seq.Add(1))
				req, _ := http.NewRequest("POST", nodes[node].url+"/v1/tenants/c/events",
					stringsReader(`{"type":"order.paid","id":"`+id+`","payload":{}}`))
				req.Header.Set("Authorization", "Bearer "+tok)
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == 202 {
					acked.Store(id, true)
					ackedN.Add(1)
				}
			}
		}()
	}
	time.Sleep(time.Second)
	nodes[1].cmd.Process.Signal(syscall.SIGKILL)
	nodes[1].cmd.Wait()
	dead.Store(1)
	killedAt := ackedN.Load()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	deadline := time.Now().Add(60 * time.Second)
	for {
		missing, example := 0, ""
		mu.Lock()
		acked.Range(func(k, _ any) bool {
			for _, ep := range []string{"/one ", "/two "} {
				if arrived[ep+k.(string)] == 0 {
					missing++
					example = ep + k.(string)
				}
			}
			return true
		})
		mu.Unlock()
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d accepted deliveries never arrived (e.g. %s)", missing, example)
		}
		time.Sleep(100 * time.Millisecond)
	}
	mu.Lock()
	dups := 0
	for _, c := range arrived {
		dups += c - 1
	}
	mu.Unlock()
	t.Logf("3 nodes, one SIGKILLed after %d acks: %d events accepted, all delivered to both endpoints; %d duplicates",
		killedAt, ackedN.Load(), dups)
	if ackedN.Load() == 0 {
		t.Fatal("nothing was accepted")
	}
}

// TestClusterSharedSettings: an endpoint's rate limit holds across nodes
// (within 10 %), and an endpoint disabled on one node stops on all.
func TestClusterSharedSettings(t *testing.T) {
	nodes := cluster(t, 3)
	a := &testApp{url: nodes[0].url}
	tok := a.tenant(t, "s")
	limited := newReceiver(t, nil)
	var goneOn atomic.Bool
	var afterGone atomic.Int64
	gone := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if goneOn.Swap(true) {
			afterGone.Add(1)
		}
		w.WriteHeader(http.StatusGone)
	})
	a.endpoint(t, "s", tok, map[string]any{"url": limited.URL, "event_types": []string{"limited.*"}, "rate_limit_per_s": 100})
	ep := a.endpoint(t, "s", tok, map[string]any{"url": gone.URL, "event_types": []string{"gone.*"}, "retry_schedule": []int{1, 1, 1}})

	// 3 x 60 events at once, one batch through each node.
	const per = 60
	for i, n := range nodes {
		evs := make([]map[string]any, per)
		for k := range evs {
			evs[k] = map[string]any{"type": "limited.x", "id": fmt.Sprintf("l-%d-%d", i, k), "payload": map[string]any{}}
		}
		(&testApp{url: n.url}).must(t, 202, "POST", "/v1/tenants/s/events/batch", tok, map[string]any{"events": evs}, nil)
	}
	first := limited.wait(t, 10*time.Second)
	var last received
	for range 3*per - 1 {
		last = limited.wait(t, 30*time.Second)
	}
	rate := float64(3*per-1) / last.at.Sub(first.at).Seconds()
	t.Logf("rate limit 100/s across 3 nodes: %.1f requests/s measured over %d requests", rate, 3*per)
	// The limit is the guarantee (a limiter per node would give 300/s);
	// 25 % of margin covers a late first arrival on a loaded machine, and
	// the lower bound only catches a limiter that starves the endpoint.
	if rate > 125 || rate < 25 {
		t.Errorf("rate %.1f/s with a limit of 100/s across 3 nodes: want at most 100/s (and not far below)", rate)
	}

	// Events for the 410 endpoint through every node: after the first 410
	// disables it, no node sends it more than what was already in flight.
	for i, n := range nodes {
		evs := make([]map[string]any, 50)
		for k := range evs {
			evs[k] = map[string]any{"type": "gone.x", "id": fmt.Sprintf("g-%d-%d", i, k), "payload": map[string]any{}}
		}
		(&testApp{url: n.url}).must(t, 202, "POST", "/v1/tenants/s/events/batch", tok, map[string]any{"events": evs}, nil)
	}
	var got endpointResp
	eventually(t, 10*time.Second, "endpoint disabled", func() bool {
		call(t, "GET", nodes[2].url+"/v1/tenants/s/endpoints/"+ep.ID, tok, nil, &got)
		return got.Disabled
	})
	time.Sleep(2500 * time.Millisecond) // more than a refresh and a retry delay
	settled := gone.count()
	time.Sleep(2 * time.Second)
	if gone.count() != settled {
		t.Fatalf("the disabled endpoint got %d more requests", gone.count()-settled)
	}
	t.Logf("410 endpoint: %d requests in all for 150 events before every node stopped (in flight when it was disabled)", settled)
	if settled > 3*64+10 {
		t.Fatalf("%d requests reached a disabled endpoint", settled)
	}
}

// twoNodes starts two nodes and a tenant "c"; it returns the nodes' APIs
// and the tenant's token.
func twoNodes(t *testing.T) (a, b *testApp, tok string) {
	nodes := cluster(t, 2)
	a, b = &testApp{url: nodes[0].url}, &testApp{url: nodes[1].url}
	return a, b, a.tenant(t, "c")
}

// TestClusterEndpointChangeSeenAtOnce: an endpoint created or deleted
// through one node is honoured by a publish through another node
// that begins after the change was answered, however stale that node's
// endpoint cache is.
func TestClusterEndpointChangeSeenAtOnce(t *testing.T) {
	a, b, tok := twoNodes(t)
	type published struct {
		Deliveries []struct {
			ID         string `json:"id"`
			EndpointID string `json:"endpoint_id"`
		} `json:"deliveries"`
	}
	for i := range 5 {
		rc := newReceiver(t, nil)
		ep := a.endpoint(t, "c", tok, map[string]any{"url": rc.URL, "event_types": []string{"fresh.x"}})
		var p published
		b.must(t, 202, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "fresh.x", "id": fmt.Sprintf("f-%d", i), "payload": map[string]any{"n": i}}, &p)
		if len(p.Deliveries) != 1 || p.Deliveries[0].EndpointID != ep.ID {
			t.Fatalf("publish %d through the other node right after the endpoint was created: deliveries %+v, want one to %s", i, p.Deliveries, ep.ID)
		}
		if got := rc.wait(t, 10*time.Second); got.header.Get("webhook-id") != fmt.Sprintf("f-%d", i) {
			t.Fatalf("received webhook-id %q", got.header.Get("webhook-id"))
		}

		// Deleted through the first node: the second sends nothing more.
		a.must(t, 204, "DELETE", "/v1/tenants/c/endpoints/"+ep.ID, tok, nil, nil)
		b.must(t, 202, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "fresh.x", "id": fmt.Sprintf("g-%d", i), "payload": map[string]any{}}, &p)
		if len(p.Deliveries) != 0 {
			t.Fatalf("publish through the other node right after the endpoint was deleted: deliveries %+v", p.Deliveries)
		}
	}
}

// TestClusterCustomTypeSeen: a custom event type registered through one
// node is known to the others within a second: they show it and enforce
// its schema.
func TestClusterCustomTypeSeen(t *testing.T) {
	a, b, tok := twoNodes(t)
	// Node b loads its catalog (the type is not there yet).
	b.must(t, 404, "GET", "/v1/event-types/invoice.paid", testAdmin, nil, nil)
	a.must(t, 201, "POST", "/v1/event-types", testAdmin, map[string]any{"name": "invoice.paid", "description": "an invoice was paid",
		"schema": map[string]any{"type": "object", "required": []string{"amount"}, "properties": map[string]any{"amount": map[string]any{"type": "integer"}}}}, nil)
	time.Sleep(1100 * time.Millisecond) // past the once-a-second limit on re-reading custom types
	b.must(t, 200, "GET", "/v1/event-types/invoice.paid", testAdmin, nil, nil)
	b.must(t, 422, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "invoice.paid", "payload": map[string]any{"amount": "ten"}}, nil)
	b.must(t, 202, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "invoice.paid", "payload": map[string]any{"amount": 10}}, nil)
}

// TestClusterOrderedByKey: events of one ordering key, published one after
// the other through two nodes in turn, reach an ordered endpoint in publish
// order, though both nodes send; two keys interleave freely.
func TestClusterOrderedByKey(t *testing.T) {
	a, b, tok := twoNodes(t)
	var mu sync.Mutex
	var order []string
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if strings.HasSuffix(r.Header.Get("webhook-id"), "-00") {
			time.Sleep(300 * time.Millisecond) // the later events would overtake, were they sent beside it
		}
		mu.Lock()
		order = append(order, r.Header.Get("webhook-id"))
		mu.Unlock()
		w.WriteHeader(200)
	})
	a.endpoint(t, "c", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "ordering": "key"})
	const n = 30
	for i := range n {
		node := []*testApp{a, b}[i%2]
		for _, key := range []string{"x", "y"} {
			node.must(t, 202, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "pay.x", "id": fmt.Sprintf("%s-%02d", key, i),
				"ordering_key": key, "payload": map[string]any{}}, nil)
		}
	}
	eventually(t, 20*time.Second, "every event delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order) >= 2*n
	})
	mu.Lock()
	defer mu.Unlock()
	last := map[string]string{}
	for _, id := range order {
		key := id[:1]
		if id <= last[key] {
			t.Fatalf("%s arrived after %s: order %v", id, last[key], order)
		}
		last[key] = id
	}
	if len(order) != 2*n {
		t.Fatalf("%d arrivals for %d events: %v", len(order), 2*n, order)
	}
}

// TestClusterCustomTypeStoreDecides: two nodes register the same custom type
// name with different schemas; the store keeps the first and answers the
// second 409, and the second node then validates against the stored schema,
// not the one it was asked to register.
func TestClusterCustomTypeStoreDecides(t *testing.T) {
	a, b, tok := twoNodes(t)
	schema := func(field, typ string) map[string]any {
		return map[string]any{"type": "object", "required": []string{field},
			"properties": map[string]any{field: map[string]any{"type": typ}}}
	}
	// Node b reads the custom types now, so it does not read them again
	// for a second: its memory does not know a's type when it registers.
	b.must(t, 404, "GET", "/v1/event-types/order.shipped", testAdmin, nil, nil)
	a.must(t, 201, "POST", "/v1/event-types", testAdmin, map[string]any{"name": "order.shipped", "schema": schema("amount", "integer")}, nil)
	var out struct {
		Error struct{ Code, Message string }
	}
	if got := call(t, "POST", b.url+"/v1/event-types", testAdmin,
		map[string]any{"name": "order.shipped", "schema": schema("carrier", "string")}, &out); got != 409 {
		t.Fatalf("second registration of the name: %d %+v, want 409", got, out.Error)
	}
	for _, n := range []*testApp{a, b} {
		var et struct{ Schema map[string]any }
		n.must(t, 200, "GET", "/v1/event-types/order.shipped", testAdmin, nil, &et)
		if req, _ := et.Schema["required"].([]any); len(req) != 1 || req[0] != "amount" {
			t.Fatalf("%s shows the schema %v, want the stored one (amount)", n.url, et.Schema)
		}
		n.must(t, 202, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "order.shipped", "payload": map[string]any{"amount": 3}}, nil)
		n.must(t, 422, "POST", "/v1/tenants/c/events", tok, map[string]any{"type": "order.shipped", "payload": map[string]any{"carrier": "dhl"}}, nil)
	}
}

// leanOnTwoNodes starts two nodes on one PostgreSQL schema, a receiver
// subscribed to every type of tenant c, and a Lean source of c signed with
// secret, made through the first node.
func leanOnTwoNodes(t *testing.T, secret string) (a, b *testApp, tok string, rc *recv, srcID, ingestURL string) {
	t.Helper()
	a, b, tok = twoNodes(t)
	rc = newReceiver(t, nil)
	a.endpoint(t, "c", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}})
	var src struct {
		ID        string `json:"id"`
		IngestURL string `json:"ingest_url"`
	}
	a.must(t, 201, "POST", "/v1/tenants/c/sources", tok, map[string]any{"name": "lean", "profile": "lean", "secrets": []string{secret}}, &src)
	return a, b, tok, rc, src.ID, src.IngestURL
}

// leanPaymentWebhook is a Lean payment.created webhook whose event id is id.
func leanPaymentWebhook(id string) []byte {
	return []byte(`{"type":"payment.created","message":"A payment was created.","payload":{"id":"` + id +
		`-p","amount":1},"timestamp":"2026-01-02T15:04:05Z","event_id":"` + id + `"}`)
}

// relayed waits until rc has received the webhooks of ids (by webhook-id).
func relayed(t *testing.T, rc *recv, ids []string) {
	t.Helper()
	seen := map[string]bool{}
	for range ids {
		seen[rc.wait(t, 10*time.Second).header.Get("webhook-id")] = true
	}
	for _, id := range ids {
		if !seen[id] {
			t.Fatalf("webhook %s was not relayed: %v", id, seen)
		}
	}
}

// TestClusterIngest: Lean webhooks sent to one source's URL through two
// nodes on one PostgreSQL database (each commit checked against the
// endpoints version, as on every shared store): each new one is stored
// with its request and relayed once; a replay through the other node is a
// duplicate, counted on the first request, and relayed no more.
func TestClusterIngest(t *testing.T) {
	a, b, tok, rc, srcID, ingestURL := leanOnTwoNodes(t, "lean-secret")
	path := strings.TrimPrefix(ingestURL, a.url)
	send := func(node *testApp, id string) {
		t.Helper()
		body := leanPaymentWebhook(id)
		if st := postIngest(t, node.url+path, body, http.Header{"Lean-Signature": {leanSign("lean-secret", body)}}); st != http.StatusOK {
			t.Fatalf("ingest of %s through %s: %d", id, node.url, st)
		}
	}
	ids := []string{"0b1c2d3e-0000-4000-8000-000000000001", "0b1c2d3e-0000-4000-8000-000000000002", "0b1c2d3e-0000-4000-8000-000000000003"}
	for i, id := range ids {
		send([]*testApp{a, b}[i%2], id)
	}
	relayed(t, rc, ids)
	send(b, ids[0]) // a replay, through the node the first did not go through
	var reqs struct {
		Data []struct {
			EventID    string `json:"event_id"`
			Duplicates int    `json:"duplicates"`
		} `json:"data"`
	}
	a.must(t, 200, "GET", "/v1/tenants/c/sources/"+srcID+"/requests", tok, nil, &reqs)
	dups := map[string]int{}
	for _, r := range reqs.Data {
		dups[r.EventID] = r.Duplicates
	}
	if len(reqs.Data) != len(ids) || dups[ids[0]] != 1 || dups[ids[1]] != 0 || dups[ids[2]] != 0 {
		t.Fatalf("requests after three webhooks and a replay: %+v", reqs.Data)
	}
	time.Sleep(300 * time.Millisecond) // a relay of the replay would have come by now
	if n := rc.count(); n != len(ids) {
		t.Fatalf("%d webhooks relayed, want %d (the replay is not relayed)", n, len(ids))
	}
}

// TestClusterSourceChange: a source changed through one node is what the
// other verifies with on its very next webhook, though that node keeps the
// source in memory (and its commit checks it is still as read): a webhook
// signed with a secret just retired elsewhere is refused, and logged once;
// one signed with a secret just added is accepted; after a rotation of the
// token both URLs work through the grace; after a delete neither does.
// Only the accepted webhooks are stored and relayed.
func TestClusterSourceChange(t *testing.T) {
	a, b, tok, rc, srcID, ingestURL := leanOnTwoNodes(t, "s1")
	n := 0
	var accepted []string
	expect := func(what string, want int, node *testApp, ingestURL, secret string) {
		t.Helper()
		n++
		id := fmt.Sprintf("0b1c2d3e-0000-4000-8000-%012d", n)
		body := leanPaymentWebhook(id)
		st := postIngest(t, node.url+strings.TrimPrefix(ingestURL, a.url), body, http.Header{"Lean-Signature": {leanSign(secret, body)}})
		if st != want {
			t.Fatalf("%s: %d, want %d", what, st, want)
		}
		if st == http.StatusOK {
			accepted = append(accepted, id)
		}
	}
	for range 3 { // node b reads the source, then keeps it
		expect("before any change", 200, b, ingestURL, "s1")
	}
	a.must(t, 200, "POST", "/v1/tenants/c/sources/"+srcID+"/rotate", tok, map[string]any{"secret": "s2", "grace_seconds": 0}, nil)
	expect("the secret retired through the other node", 401, b, ingestURL, "s1")
	expect("the secret added through the other node", 200, b, ingestURL, "s2")
	a.must(t, 200, "POST", "/v1/tenants/c/sources/"+srcID+"/rotate", tok, map[string]any{"secret": "s3", "grace_seconds": 0}, nil)
	expect("a newer secret, node b holding the one before", 200, b, ingestURL, "s3")
	var errs struct {
		Data []struct {
			Reason string `json:"reason"`
		} `json:"data"`
	}
	a.must(t, 200, "GET", "/v1/tenants/c/sources/"+srcID+"/errors", tok, nil, &errs)
	if len(errs.Data) != 1 {
		t.Errorf("error log %+v: want the one refused webhook", errs.Data)
	}
	var rot struct {
		IngestURL string `json:"ingest_url"`
	}
	a.must(t, 200, "POST", "/v1/tenants/c/sources/"+srcID+"/rotate", tok, map[string]any{"token": true, "grace_seconds": 3600}, &rot)
	if rot.IngestURL == "" || rot.IngestURL == ingestURL {
		t.Fatalf("rotated ingest URL %q", rot.IngestURL)
	}
	expect("the old URL in its grace", 200, b, ingestURL, "s3")
	expect("the new URL", 200, b, rot.IngestURL, "s3")
	expect("the new URL again", 200, b, rot.IngestURL, "s3")
	a.must(t, 204, "DELETE", "/v1/tenants/c/sources/"+srcID, tok, nil, nil)
	expect("the new URL of a source deleted through the other node", 404, b, rot.IngestURL, "s3")
	expect("the old URL of a source deleted through the other node", 404, b, ingestURL, "s3")

	relayed(t, rc, accepted)
	time.Sleep(300 * time.Millisecond) // a relay of a refused webhook would have come by now
	if c := rc.count(); c != len(accepted) {
		t.Fatalf("%d webhooks relayed, want the %d accepted", c, len(accepted))
	}
}
