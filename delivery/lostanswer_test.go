package delivery_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
	"github.com/hookd/hookd/delivery"
	"github.com/hookd/hookd/profile"
)

// lostAnswer commits the first batch of publishes and then answers an
// error, as a connection that breaks after the database committed but
// before its answer arrived.
type lostAnswer struct {
	hookd.Database
	lost atomic.Bool
}

func (s *lostAnswer) Apply(ctx context.Context, b *hookd.Batch) error {
	err := s.Database.Apply(ctx, b)
	if err == nil && len(b.Publishes) > 0 && s.lost.CompareAndSwap(false, true) {
		return &hookd.Error{Code: hookd.EUNAVAILABLE, Message: "storage unavailable", Err: io.ErrUnexpectedEOF}
	}
	return err
}

// TestCommitAnswerLost: the commit of a publish succeeds in PostgreSQL but
// its answer is lost (the connection breaks). The publish is answered with
// the error, and the publisher sends it again, answered as a repeat. The
// delivery the commit stored is this node's, which does not hold it in
// memory: it must still be sent. Before, it stayed owned by a node whose
// heartbeat was alive and that never sent it.
func TestCommitAnswerLost(t *testing.T) {
	t.Parallel()
	st := &lostAnswer{Database: openPostgres(t)}
	ctx := context.Background()
	got := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("webhook-id")
	}))
	t.Cleanup(srv.Close)
	now := tenantWithEndpoint(t, st, srv.URL)
	e := delivery.New(st, delivery.Config{Profiles: profile.New(nil).Get})
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
	publish := func() ([]*hookd.Publish, error) {
		return e.Publish(ctx, []*hookd.Event{{ID: "evt_1", TenantID: "t", Type: "a.b", Payload: []byte(`{}`), CreatedAt: now}}, "")
	}
	if _, err := publish(); err == nil {
		t.Fatal("the publish whose commit answer was lost succeeded")
	}
	pubs, err := publish() // the publisher's retry
	if err != nil {
		t.Fatal(err)
	}
	if pubs[0].Existing == nil || len(pubs[0].Deliveries) != 1 {
		t.Fatalf("the retry: existing %v, %d deliveries; want the first's, with its delivery", pubs[0].Existing, len(pubs[0].Deliveries))
	}
	select {
	case id := <-got:
		if id != "evt_1" {
			t.Errorf("webhook-id %q", id)
		}
	case <-time.After(10 * time.Second):
		d, err := st.Delivery(ctx, "t", pubs[0].Deliveries[0].ID)
		t.Fatalf("the delivery the lost commit stored was not sent within 10 s: %+v %v", d, err)
	}
}
