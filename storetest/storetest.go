// Package storetest is the conformance suite every hookd.Database (the
// control plane's store and the engine's queue) must pass.
// An adapter's own test calls Run with a function that opens a fresh, empty
// store; the suite then checks each method's contract as store.go documents
// it, the same way for SQLite and PostgreSQL, so the two cannot drift apart.
//
// The suite uses fixed times (no clock, no sleeping: only the feed's first
// read is repeated until a store's head has caught up, see testFeed) and
// runs its subtests in parallel, each on its own store.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// Run runs the conformance suite. open must return a new, empty store for
// the test it is given and close it when that test ends (t.Cleanup); it is
// called once per subtest, from parallel subtests.
func Run(t *testing.T, open func(t *testing.T) hookd.Database) {
	tests := []struct {
		name string
		fn   func(*fixture)
	}{
		{"TenantCRUD", testTenantCRUD},
		{"TenantPages", testTenantPages},
		{"PagesAfterConcurrentCreates", testPagesAfterConcurrentCreates},
		{"DeleteTenantCascades", testDeleteTenantCascades},
		{"Tokens", testTokens},
		{"Sources", testSources},
		{"SourceRequests", testSourceRequests},
		{"SourceRequestsPurged", testSourceRequestsPurged},
		{"SourceRequestsEitherCommit", testSourceRequestsEitherCommit},
		{"SourceRequestsIDTaken", testSourceRequestsIDTaken},
		{"TokenPages", testTokenPages},
		{"TokenRevoke", testTokenRevoke},
		{"TokenExpiry", testTokenExpiry},
		{"TokenLastUsed", testTokenLastUsed},
		{"PublishRevokedToken", testPublishRevokedToken},
		{"EndpointCRUD", testEndpointCRUD},
		{"EndpointPages", testEndpointPages},
		{"EndpointSecrets", testEndpointSecrets},
		{"EndpointsVersion", testEndpointsVersion},
		{"DisableParksEnableReleases", testDisableParksEnableReleases},
		{"ParkAndReleaseLargeBacklog", testParkAndReleaseLargeBacklog},
		{"DeleteEndpointCancels", testDeleteEndpointCancels},
		{"EventTypes", testEventTypes},
		{"PublishStores", testPublishStores},
		{"PublishSameIDAgain", testPublishSameIDAgain},
		{"PublishSameIdempotencyKey", testPublishSameIdempotencyKey},
		{"PublishDuplicatesInOneBatch", testPublishDuplicatesInOneBatch},
		{"PublishRepeatAmongNew", testPublishRepeatAmongNew},
		{"PublishConcurrent", testPublishConcurrent},
		{"PublishStaleEndpoints", testPublishStaleEndpoints},
		{"ResultsUpdateDelivery", testResultsUpdateDelivery},
		{"ResultAtOfAttempt", testResultAtOfAttempt},
		{"ResultDoesNotResurrect", testResultDoesNotResurrect},
		{"FirstAttemptTwice", testFirstAttemptTwice},
		{"HandBack", testHandBack},
		{"HandBackAndResultInOneBatch", testHandBackAndResult},
		{"ParkedState", testParkedState},
		{"HealthFailingSince", testHealthFailingSince},
		{"HealthDisable", testHealthDisable},
		{"HealthDisableIfStillFailing", testHealthDisableIfStillFailing},
		{"EventsList", testEventsList},
		{"EventsByTypes", testEventsByTypes},
		{"EventsByDeliveryState", testEventsByDeliveryState},
		{"Feed", testFeed},
		{"FeedPositions", testFeedPositions},
		{"PublishTestEvent", testPublishTestEvent},
		{"DeliveriesList", testDeliveriesList},
		{"Requeue", testRequeue},
		{"Recover", testRecover},
		{"ClaimDueOnly", testClaimDueOnly},
		{"ClaimLimitAndOrder", testClaimLimitAndOrder},
		{"ClaimReturnsEvent", testClaimReturnsEvent},
		{"ClaimOnce", testClaimOnce},
		{"ClaimConcurrent", testClaimConcurrent},
		{"Rescue", testRescue},
		{"LateResultOfRescued", testLateResultOfRescued},
		{"ClaimSameEventIDInTwoTenants", testClaimSameEventIDInTwoTenants},
		{"ReserveSlots", testReserveSlots},
		{"NextDue", testNextDue},
		{"Backlog", testBacklog},
		{"EndpointStats", testEndpointStats},
		{"PortalGrants", testPortalGrants},
		{"DeliveriesFilter", testDeliveriesFilter},
		{"Purge", testPurge},
		{"SeqNeverReused", testSeqNeverReused},
		{"Settings", testSettings},
		{"TenantIsolation", testTenantIsolation},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(&fixture{T: t, ctx: t.Context(), s: open(t)})
		})
	}
}

// t0 is the suite's "now". Stores keep milliseconds, so every time the suite
// writes is a whole millisecond.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is one subtest's store with helpers that build rows and fail the
// test on unexpected errors.
type fixture struct {
	*testing.T
	ctx context.Context
	s   hookd.Database
	n   int // last generated id number
}

// id returns prefix_NNNN with an increasing number: ids sort in creation
// order, as the UUIDv7 ids of the engine do.
func (f *fixture) id(prefix string) string {
	f.n++
	return fmt.Sprintf("%s_%04d", prefix, f.n)
}

func (f *fixture) ok(err error, what string) {
	f.Helper()
	if err != nil {
		f.Fatalf("%s: %v", what, err)
	}
}

// wantCode fails unless err carries the hookd error code.
func (f *fixture) wantCode(err error, code, what string) {
	f.Helper()
	if got := hookd.ErrorCode(err); got != code {
		f.Errorf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func (f *fixture) tenant(id string) *hookd.Tenant {
	f.Helper()
	t := &hookd.Tenant{ID: id, Name: "Tenant " + id, CreatedAt: t0, UpdatedAt: t0}
	f.ok(f.s.CreateTenant(f.ctx, t), "CreateTenant "+id)
	return t
}

// endpoint creates an enabled endpoint subscribed to everything; mods
// adjust it before it is stored.
func (f *fixture) endpoint(tenantID string, mods ...func(*hookd.Endpoint)) *hookd.Endpoint {
	f.Helper()
	e := &hookd.Endpoint{
		ID:         f.id("ep"),
		TenantID:   tenantID,
		URL:        "https://hooks.example.com/" + tenantID,
		Profile:    "standard",
		EventTypes: []string{"*"},
		Ordering:   hookd.OrderingNone,
		Signature:  hookd.SignatureV1,
		Secrets:    []hookd.Secret{{Value: "whsec_c2VjcmV0"}},
		CreatedAt:  t0,
		UpdatedAt:  t0,
	}
	for _, m := range mods {
		m(e)
	}
	f.ok(f.s.CreateEndpoint(f.ctx, e), "CreateEndpoint")
	return e
}

// disabledEndpoint creates a disabled endpoint: the only kind whose
// pending deliveries may be parked.
func (f *fixture) disabledEndpoint(tenantID string) *hookd.Endpoint {
	f.Helper()
	return f.endpoint(tenantID, func(e *hookd.Endpoint) { e.Disabled, e.DisabledReason = true, "paused" })
}

func (f *fixture) endpointOf(tenantID, id string) *hookd.Endpoint {
	f.Helper()
	e, err := f.s.Endpoint(f.ctx, tenantID, id)
	f.ok(err, "Endpoint "+id)
	return e
}

// event returns an unsaved event of the tenant created at at.
func (f *fixture) event(tenantID, typ string, at time.Time) *hookd.Event {
	id := f.id("evt")
	return &hookd.Event{ID: id, TenantID: tenantID, Type: typ, CreatedAt: at,
		Payload: json.RawMessage(`{"id":"` + id + `","amount": 10.50}`)}
}

// delivery returns an unsaved pending delivery of ev to endpointID, due at
// due, held by owner ("" for nobody, a node name, or hookd.Parked).
func (f *fixture) delivery(ev *hookd.Event, endpointID string, due time.Time, owner string) *hookd.Delivery {
	return &hookd.Delivery{ID: f.id("dlv"), TenantID: ev.TenantID, EventID: ev.ID, EndpointID: endpointID,
		EventType: ev.Type, State: hookd.StatePending, NextAttemptAt: &due, CreatedAt: ev.CreatedAt,
		UpdatedAt: ev.CreatedAt, Owner: owner}
}

// deleteEndpoint deletes an endpoint and returns how many pending
// deliveries that canceled.
func (f *fixture) deleteEndpoint(ctx context.Context, tenantID, id string, at time.Time) int {
	f.Helper()
	n, err := f.s.DeleteEndpoint(ctx, tenantID, id, at)
	f.ok(err, "DeleteEndpoint")
	return n
}

// second is the error of a call that returns a value and an error.
func second[T any](_ T, err error) error { return err }

func (f *fixture) apply(b *hookd.Batch) {
	f.Helper()
	f.ok(f.s.Apply(f.ctx, b), "Apply")
}

// send publishes a new event of the tenant created at at, with one delivery
// per endpoint, due at at and held by owner.
func (f *fixture) send(tenantID string, at time.Time, owner string, endpoints ...string) (*hookd.Event, []*hookd.Delivery) {
	f.Helper()
	ev := f.event(tenantID, "payment.created", at)
	p := &hookd.Publish{Event: ev}
	for _, ep := range endpoints {
		p.Deliveries = append(p.Deliveries, f.delivery(ev, ep, at, owner))
	}
	f.apply(&hookd.Batch{Publishes: []*hookd.Publish{p}})
	if p.Existing != nil {
		f.Fatalf("publish of new event %s: Existing = %s", ev.ID, p.Existing.ID)
	}
	return ev, p.Deliveries
}

// finish records one attempt that ends the delivery in state (succeeded or
// failed) at at.
func (f *fixture) finish(d *hookd.Delivery, state string, at time.Time) {
	f.Helper()
	status := 200
	if state != hookd.StateSucceeded {
		status = 500
	}
	d.Attempts++
	f.apply(&hookd.Batch{Results: []*hookd.Result{{
		Attempt:  &hookd.Attempt{DeliveryID: d.ID, N: d.Attempts, At: at, Status: status},
		TenantID: d.TenantID, State: state, FirstSentAt: at, At: at,
	}}})
}

func (f *fixture) deliveryOf(tenantID, id string) *hookd.Delivery {
	f.Helper()
	d, err := f.s.Delivery(f.ctx, tenantID, id)
	f.ok(err, "Delivery "+id)
	return d
}

// claim claims for node and returns the claimed delivery ids in order.
func (f *fixture) claim(node string, now time.Time, limit int, skip ...string) []string {
	f.Helper()
	jobs, err := f.s.Claim(f.ctx, node, now, limit, skip)
	f.ok(err, "Claim")
	ids := []string{}
	for _, j := range jobs {
		ids = append(ids, j.Delivery.ID)
	}
	return ids
}

// wantIDs fails unless got holds exactly want, in order.
func (f *fixture) wantIDs(what string, got []string, want ...string) {
	f.Helper()
	if want == nil {
		want = []string{}
	}
	if got == nil {
		got = []string{}
	}
	if !slices.Equal(got, want) {
		f.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// wantSameIDs is wantIDs for results whose order is not part of the contract.
func (f *fixture) wantSameIDs(what string, got []string, want ...string) {
	f.Helper()
	f.wantIDs(what, sorted(got), sorted(want)...)
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func ids[T any](items []T, id func(T) string) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func deliveryIDs(ds []*hookd.Delivery) []string {
	return ids(ds, func(d *hookd.Delivery) string { return d.ID })
}

func eventIDs(es []*hookd.Event) []string {
	return ids(es, func(e *hookd.Event) string { return e.ID })
}

// describe renders the parts of a delivery's state the suite checks, so a
// mismatch shows every field at once.
func describe(d *hookd.Delivery) string {
	return fmt.Sprintf("state=%s attempts=%d next=%s first=%s status=%d error=%q updated=%s",
		d.State, d.Attempts, fmtTime(d.NextAttemptAt), fmtTime(d.FirstSentAt), d.LastStatus, d.LastError,
		d.UpdatedAt.UTC().Format(time.RFC3339Nano))
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func ptr(t time.Time) *time.Time { return &t }

// wantDelivery fails unless the stored delivery is in the described state
// and keeps the identity fields of want.
func (f *fixture) wantDelivery(what string, got *hookd.Delivery, want *hookd.Delivery) {
	f.Helper()
	if g, w := describe(got), describe(want); g != w {
		f.Errorf("%s: delivery %s\n got %s\nwant %s", what, want.ID, g, w)
	}
	gotID := strings.Join([]string{got.ID, got.TenantID, got.EventID, got.EndpointID, got.EventType}, " ")
	wantID := strings.Join([]string{want.ID, want.TenantID, want.EventID, want.EndpointID, want.EventType}, " ")
	if gotID != wantID || !got.CreatedAt.Equal(want.CreatedAt) {
		f.Errorf("%s: delivery identity %s created %s, want %s created %s", what, gotID, got.CreatedAt, wantID, want.CreatedAt)
	}
}

// wantEvent fails unless got is want field for field, payload byte for byte.
func (f *fixture) wantEvent(what string, got, want *hookd.Event) {
	f.Helper()
	if got == nil {
		f.Errorf("%s: no event, want %s", what, want.ID)
		return
	}
	if got.ID != want.ID || got.TenantID != want.TenantID || got.Type != want.Type ||
		got.OrderingKey != want.OrderingKey || got.IdempotencyKey != want.IdempotencyKey ||
		!got.CreatedAt.Equal(want.CreatedAt) || string(got.Payload) != string(want.Payload) ||
		got.TraceContext != want.TraceContext {
		f.Errorf("%s: event\n got %+v payload %q\nwant %+v payload %q", what, *got, got.Payload, *want, want.Payload)
	}
}

func testPing(f *fixture) {
	f.ok(f.s.Ping(f.ctx), "Ping")
}

func testSettings(f *fixture) {
	_, err := f.s.Setting(f.ctx, "admin_token")
	if !errors.Is(err, hookd.ErrNotFound) {
		f.Errorf("Setting of an unset name: %v, want ErrNotFound", err)
	}
	f.ok(f.s.PutSetting(f.ctx, "admin_token", "hash-1"), "PutSetting")
	f.ok(f.s.PutSetting(f.ctx, "other", ""), "PutSetting empty")
	f.ok(f.s.PutSetting(f.ctx, "admin_token", "hash-2"), "PutSetting again")
	for name, want := range map[string]string{"admin_token": "hash-2", "other": ""} {
		v, err := f.s.Setting(f.ctx, name)
		f.ok(err, "Setting "+name)
		if v != want {
			f.Errorf("Setting %s = %q, want %q", name, v, want)
		}
	}
}

func testEventTypes(f *fixture) {
	got, err := f.s.EventTypes(f.ctx)
	f.ok(err, "EventTypes")
	if len(got) != 0 {
		f.Fatalf("EventTypes of an empty store: %d", len(got))
	}
	paid := &hookd.EventType{Name: "acme.invoice.paid", Description: "An invoice was paid",
		Schema: json.RawMessage(`{"type": "object", "required": ["id"]}`), Example: json.RawMessage(`{"id": "inv_1"}`),
		CreatedAt: t0.UnixMilli()}
	bare := &hookd.EventType{Name: "acme.account.closed", Schema: json.RawMessage(`{}`), CreatedAt: t0.UnixMilli() + 1}
	f.ok(f.s.CreateEventType(f.ctx, paid), "CreateEventType")
	f.ok(f.s.CreateEventType(f.ctx, bare), "CreateEventType without example")
	f.wantCode(f.s.CreateEventType(f.ctx, &hookd.EventType{Name: paid.Name, Schema: json.RawMessage(`{}`)}),
		hookd.ECONFLICT, "CreateEventType of an existing name")

	got, err = f.s.EventTypes(f.ctx)
	f.ok(err, "EventTypes")
	if len(got) != 2 {
		f.Fatalf("EventTypes: %d types, want 2", len(got))
	}
	for i, want := range []*hookd.EventType{bare, paid} { // by name
		g := got[i]
		if g.Name != want.Name || g.Description != want.Description || string(g.Schema) != string(want.Schema) ||
			string(g.Example) != string(want.Example) || g.CreatedAt != want.CreatedAt || !g.Custom {
			f.Errorf("EventTypes[%d] = %+v, want %+v (custom)", i, *g, *want)
		}
	}
	if got[0].Example != nil {
		f.Errorf("an event type without example reads back with example %q", got[0].Example)
	}
}
