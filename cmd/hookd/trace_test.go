package main

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver on loopback that keeps the
// spans it is sent.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
	paths map[string]int
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	o := &otlpReceiver{paths: map[string]int{}}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		var req coltrace.ExportTraceServiceRequest
		if err == nil {
			err = proto.Unmarshal(b, &req)
		}
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		o.mu.Lock()
		o.paths[r.URL.Path]++
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				o.spans = append(o.spans, ss.Spans...)
			}
		}
		o.mu.Unlock()
		out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(out)
	}))
	t.Cleanup(o.Close)
	return o
}

// span is what the test reads of a received span.
type span struct {
	name, trace, id, parent string
	attrs                   map[string]string
}

func (o *otlpReceiver) received() []span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []span
	for _, s := range o.spans {
		sp := span{name: s.Name, trace: hex.EncodeToString(s.TraceId), id: hex.EncodeToString(s.SpanId),
			parent: hex.EncodeToString(s.ParentSpanId), attrs: map[string]string{}}
		for _, kv := range s.Attributes {
			v := kv.Value
			switch {
			case v.GetStringValue() != "":
				sp.attrs[kv.Key] = v.GetStringValue()
			default:
				sp.attrs[kv.Key] = fmt.Sprint(v.GetIntValue())
			}
		}
		out = append(out, sp)
	}
	return out
}

// TestTraceFromPublishToRetry follows one event: the publish request
// continues the publisher's traceparent, the group commit and the first
// attempt are children of the publish span; the process then stops, and a
// new one on the same database claims the retry from the store and records
// its attempt in the same trace, under the same publish span. Spans go by
// OTLP over HTTP to a receiver on loopback. Sampling is 0: the publisher's
// sampled traceparent decides.
func TestTraceFromPublishToRetry(t *testing.T) {
	t.Parallel()
	otlp := newOTLPReceiver(t)
	clock := &stepClock{t: time.Now().UTC().Truncate(time.Millisecond)}
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(500)
			return
		}
		w.WriteHeader(204)
	})
	dir := t.TempDir()
	c := &Config{DB: "sqlite:" + filepath.Join(dir, "hookd.db"), Addr: "127.0.0.1:0", EgressAllow: "127.0.0.0/8",
		AdminToken: testAdmin, AllowUnknownTypes: true, DrainTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond,
		OTelEndpoint: otlp.URL, OTelSample: 0, clock: clock}
	run := func() *testApp {
		cc := *c
		a, err := start(context.Background(), &cc, newLogger(io.Discard, "info", "text"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.stop() })
		return &testApp{app: a, url: "http://" + a.ln.Addr().String()}
	}

	a := run()
	tok := a.tenant(t, "tr")
	a.endpoint(t, "tr", tok, map[string]any{"url": rc.URL, "event_types": []string{"*"}, "retry_schedule": []float64{60}})
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	var pub struct{ Deliveries []struct{ ID string } }
	a.must(t, 202, "POST", "/v1/tenants/tr/events", tok, map[string]any{"type": "x.y", "payload": map[string]any{}}, &pub,
		"traceparent", "00-"+traceID+"-"+parentID+"-01")
	rc.wait(t, 10*time.Second)
	eventually(t, 10*time.Second, "the failed attempt recorded", func() bool {
		var d struct {
			AttemptCount int `json:"attempt_count"`
		}
		a.must(t, 200, "GET", "/v1/tenants/tr/deliveries/"+pub.Deliveries[0].ID, tok, nil, &d)
		return d.AttemptCount == 1
	})
	if err := a.stop(); err != nil { // flushes the spans
		t.Fatal(err)
	}

	// Another process, an hour later by the clock: the retry comes from
	// the store, with the trace context stored with the event.
	clock.Add(time.Hour)
	b := run()
	rc.wait(t, 10*time.Second)
	eventually(t, 10*time.Second, "the retry succeeded", func() bool {
		var d struct{ State string }
		b.must(t, 200, "GET", "/v1/tenants/tr/deliveries/"+pub.Deliveries[0].ID, tok, nil, &d)
		return d.State == "succeeded"
	})
	if err := b.stop(); err != nil {
		t.Fatal(err)
	}

	spans := otlp.received()
	var publish *span
	for i, s := range spans {
		if s.name == "POST /v1/tenants/{tenant}/events" {
			publish = &spans[i]
		}
	}
	if publish == nil {
		t.Fatalf("no publish span among %+v", spans)
	}
	if publish.trace != traceID || publish.parent != parentID || publish.attrs["http.response.status_code"] != "202" {
		t.Fatalf("publish span %+v: want trace %s, parent %s, status 202", publish, traceID, parentID)
	}
	var commits int
	attempts := map[string]span{}
	for _, s := range spans {
		switch s.name {
		case "hookd.commit":
			if s.trace == traceID && s.parent == publish.id {
				commits++
			}
		case "hookd.attempt":
			if s.trace != traceID || s.parent != publish.id {
				t.Errorf("attempt span %+v is not under the publish span %s of trace %s", s, publish.id, traceID)
			}
			attempts[s.attrs["hookd.attempt"]] = s
		}
	}
	if commits != 1 {
		t.Errorf("%d commit spans under the publish, want 1", commits)
	}
	first, retry := attempts["1"], attempts["2"]
	if len(attempts) != 2 || first.attrs["hookd.outcome"] != "http_5xx" || retry.attrs["hookd.outcome"] != "success" ||
		retry.attrs["hookd.delivery"] != pub.Deliveries[0].ID || retry.attrs["http.response.status_code"] != "204" {
		t.Errorf("attempt spans %+v: want attempt 1 http_5xx and attempt 2 success of delivery %s", attempts, pub.Deliveries[0].ID)
	}
	if otlp.paths["/v1/traces"] == 0 {
		t.Errorf("spans posted to %v, want /v1/traces", otlp.paths)
	}
}
