package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	b   bytes.Buffer
	out bytes.Buffer // what came on standard output alone (see stdout)
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// stdout is a writer for a command's standard output: into the buffer,
// and apart (Stdout).
func (s *syncBuffer) stdout() io.Writer { return stdoutOf{s} }

type stdoutOf struct{ s *syncBuffer }

func (w stdoutOf) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.out.Write(p)
	return w.s.b.Write(p)
}

// Stdout is what the command printed on its standard output.
func (s *syncBuffer) Stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestTriggerListenAndEndpointTest: `hookd trigger` publishes a catalog
// example through the API; hookd delivers it in four profiles to four
// `hookd listen` receivers, which detect each profile, verify its signature
// and print the event; each is given the four endpoints' secrets, as one
// listener for several endpoints is, and picks those of the profile it
// detects. A listener with the wrong secret says BAD and answers 401. The
// endpoint test route sends an example to one endpoint.
func TestTriggerListenAndEndpointTest(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.AllowUnknownTypes = false })
	tok := a.tenant(t, "t")
	outs := map[string]*syncBuffer{}
	ids := map[string]string{}
	ls := map[string]*listener{}
	for _, p := range []string{"standard", "lean", "weavr", "linkmoney", "wrong"} {
		out := &syncBuffer{}
		l := &listener{out: out, profile: "auto"}
		srv := httptest.NewServer(l)
		t.Cleanup(srv.Close)
		prof := p
		if p == "wrong" {
			prof = "standard"
		}
		body := map[string]any{"url": srv.URL + "/" + p, "event_types": []string{"*"}, "profile": prof,
			"retry_schedule": []int{3600}}
		if p == "lean" {
			body["secret"] = "lean-secret.not:base64" // not a Standard Webhooks secret in any reading
		}
		ep := a.endpoint(t, "t", tok, body)
		l.secrets = []string{ep.Secret}
		if p == "wrong" {
			l.secrets = []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		}
		outs[p], ids[p], ls[p] = out, ep.ID, l
	}
	var all []string
	for _, p := range []string{"lean", "weavr", "linkmoney", "standard"} {
		all = append(all, ls[p].secrets...)
	}
	for _, p := range []string{"standard", "lean", "weavr", "linkmoney"} {
		ls[p].secrets = all
	}

	if err := runTrigger(context.Background(), []string{"--url", a.url, "--token", tok, "--tenant", "t", "--id", "trig-1", "entity.created"}); err != nil {
		t.Fatal(err)
	}
	wantProfile := map[string]string{"standard": "standard", "lean": "lean", "weavr": "weavr", "linkmoney": "linkmoney", "wrong": "standard"}
	for p, out := range outs {
		eventually(t, 5*time.Second, p+" listener printed the event", func() bool { return strings.Contains(out.String(), "payload:") })
		s := out.String()
		for _, want := range []string{"profile=" + wantProfile[p], "type:      entity.created", `"app_user_id": "lean_test_framework_user_1678954843328"`} {
			if !strings.Contains(s, want) {
				t.Errorf("%s listener output lacks %q:\n%s", p, want, s)
			}
		}
		verdict := "signature: ok"
		if p == "wrong" {
			verdict = "signature: BAD"
		}
		if !strings.Contains(s, verdict) {
			t.Errorf("%s listener output lacks %q:\n%s", p, verdict, s)
		}
		if (p == "standard" || p == "linkmoney" || p == "lean") && !strings.Contains(s, "id:        trig-1") {
			t.Errorf("%s listener does not show the event id:\n%s", p, s)
		}
	}
	// The listener with the wrong secret answered 401: a failed attempt.
	var dl struct {
		Data []struct {
			ID           string `json:"id"`
			State        string `json:"state"`
			AttemptCount int    `json:"attempt_count"`
		} `json:"data"`
	}
	eventually(t, 5*time.Second, "the 401 recorded", func() bool {
		a.must(t, 200, "GET", "/v1/tenants/t/deliveries?endpoint="+ids["wrong"], tok, nil, &dl)
		return len(dl.Data) == 1 && dl.Data[0].AttemptCount == 1
	})
	var d struct {
		Attempts []struct {
			Status int `json:"status"`
		} `json:"attempts"`
	}
	a.must(t, 200, "GET", "/v1/tenants/t/deliveries/"+dl.Data[0].ID, tok, nil, &d)
	if len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusUnauthorized {
		t.Fatalf("attempts to the listener with the wrong secret: %+v, want one 401", d.Attempts)
	}

	// The test route: a catalog example to the Lean endpoint alone.
	before := map[string]int{}
	for p, out := range outs {
		before[p] = strings.Count(out.String(), "--- ")
	}
	a.must(t, 202, "POST", "/v1/tenants/t/endpoints/"+ids["lean"]+"/test", tok, map[string]any{"type": "payment.updated"}, nil)
	eventually(t, 5*time.Second, "the test webhook", func() bool { return strings.Count(outs["lean"].String(), "--- ") == before["lean"]+1 })
	if s := outs["lean"].String(); !strings.Contains(s[strings.LastIndex(s, "--- "):], "type:      payment.updated") ||
		!strings.Contains(s[strings.LastIndex(s, "--- "):], "signature: ok") {
		t.Fatalf("lean listener after the test route:\n%s", s)
	}
	time.Sleep(200 * time.Millisecond)
	for p, out := range outs {
		if n := strings.Count(out.String(), "--- "); p != "lean" && n != before[p] {
			t.Errorf("the test route reached the %s endpoint too", p)
		}
	}
	// An unknown type for the test route, and trigger of an unknown type,
	// are clear errors.
	a.must(t, 422, "POST", "/v1/tenants/t/endpoints/"+ids["lean"]+"/test", tok, map[string]any{"type": "no.such.type"}, nil)
	if err := runTrigger(context.Background(), []string{"--url", a.url, "--token", tok, "--tenant", "t", "no.such.type"}); err == nil ||
		!strings.Contains(err.Error(), "404") {
		t.Fatalf("trigger of an unknown type: %v", err)
	}
}

// TestOperationalTypeTools: hookd.endpoint.disabled is in the catalog the
// API lists, with its schema and example; an endpoint subscribes to it and
// the test route sends it its example; hookd trigger, which publishes as
// a tenant, says why it cannot and what does.
func TestOperationalTypeTools(t *testing.T) {
	t.Parallel()
	a := startApp(t, func(c *Config) { c.AllowUnknownTypes = false })
	tok := a.tenant(t, "t")
	var list struct {
		Data []struct{ Name, Provider string }
	}
	a.must(t, 200, "GET", "/v1/event-types", tok, nil, &list)
	if !slices.ContainsFunc(list.Data, func(et struct{ Name, Provider string }) bool {
		return et.Name == "hookd.endpoint.disabled" && et.Provider == "hookd"
	}) {
		t.Fatalf("GET /v1/event-types lacks hookd.endpoint.disabled (provider hookd): %+v", list.Data)
	}
	var et struct {
		Name, Provider  string
		Schema, Example json.RawMessage
	}
	a.must(t, 200, "GET", "/v1/event-types/hookd.endpoint.disabled", tok, nil, &et)
	if et.Provider != "hookd" || !strings.Contains(string(et.Schema), `"disabled_at"`) || !strings.Contains(string(et.Example), `"endpoint_id"`) {
		t.Fatalf("GET /v1/event-types/hookd.endpoint.disabled: %+v", et)
	}

	rc := newReceiver(t, nil)
	ep := a.endpoint(t, "t", tok, map[string]any{"url": rc.URL, "event_types": []string{"hookd.endpoint.disabled"}})
	a.must(t, 202, "POST", "/v1/tenants/t/endpoints/"+ep.ID+"/test", tok, map[string]any{"type": "hookd.endpoint.disabled"}, nil)
	if got := rc.wait(t, 10*time.Second); !strings.Contains(string(got.body), `"type":"hookd.endpoint.disabled"`) ||
		!strings.Contains(string(got.body), `"endpoint_id"`) {
		t.Fatalf("the test webhook: %s", got.body)
	}

	err := runTrigger(context.Background(), []string{"--url", a.url, "--token", tok, "--tenant", "t", "hookd.endpoint.disabled"})
	if err == nil || !strings.Contains(err.Error(), "operational") || !strings.Contains(err.Error(), "hookd endpoint test") {
		t.Fatalf("trigger of hookd.endpoint.disabled: %v", err)
	}
	var evs struct{ Data []struct{ Type string } }
	a.must(t, 200, "GET", "/v1/tenants/t/events?type=hookd.endpoint.disabled", tok, nil, &evs)
	if len(evs.Data) != 1 {
		t.Fatalf("%d events of hookd.endpoint.disabled, want the test send's one", len(evs.Data))
	}
}

// TestPublishRateLimit: with --publish-rate, a tenant's publishes beyond the
// rate are answered 429 with Retry-After and store nothing; another tenant
// is not affected.
func TestPublishRateLimit(t *testing.T) {
	t.Parallel()
	const rate = 10
	a := startApp(t, func(c *Config) { c.PublishRate = rate })
	tok := a.tenant(t, "busy")
	quiet := a.tenant(t, "quiet")
	accepted, limited := 0, 0
	start := time.Now()
	for i := range 3 * rate {
		code := call(t, "POST", a.url+"/v1/tenants/busy/events", tok, map[string]any{"type": "x.y", "id": fmt.Sprintf("e%d", i), "payload": map[string]any{}}, nil)
		switch code {
		case 202:
			accepted++
		case 429:
			limited++
		default:
			t.Fatalf("publish answered %d", code)
		}
	}
	seconds := int(time.Since(start)/time.Second) + 2 // windows the loop touched, at most
	if limited == 0 || accepted > rate*seconds || accepted < rate {
		t.Fatalf("%d accepted, %d limited at %d/s", accepted, limited, rate)
	}
	var evs struct{ Data []any }
	a.must(t, 200, "GET", "/v1/tenants/busy/events?limit=100", tok, nil, &evs)
	if len(evs.Data) != accepted {
		t.Fatalf("%d events stored, %d accepted", len(evs.Data), accepted)
	}
	// A refused publish says when to come back. (A batch over the rest
	// of the window is refused whole: TestPublishRate, on a clock of its
	// own.)
	for i := 0; ; i++ {
		req, _ := http.NewRequest("POST", a.url+"/v1/tenants/busy/events", strings.NewReader(`{"type":"x.y","payload":{}}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		// A new window may have begun (a slow machine): the publish is
		// then accepted, and checked against the document as any other.
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == 429 {
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			break
		}
		if i == 1000 {
			t.Fatalf("no 429 in 1,000 publishes at %d/s", rate)
		}
	}
	a.must(t, 202, "POST", "/v1/tenants/quiet/events", quiet, map[string]any{"type": "x.y", "payload": map[string]any{}}, nil)
}
