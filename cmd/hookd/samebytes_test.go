package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestSameBytesEveryPath: a delivery's body is byte-identical on every
// attempt, whatever path sends it, and identical at every endpoint of one
// profile; its stable headers (webhook-id, call-ref) are too. Every profile
// is tried, on SQLite and on PostgreSQL, on each path: the in-memory fast
// path, the overflow of a full queue into the store, the ordered claim, the
// retry after a 500, the manual retry, recover, a restart (an attempt cut
// off by a stop is sent again by the next process) and, on PostgreSQL,
// another node (it sends what a stopped node handed back).
func TestSameBytesEveryPath(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts hookd several times")
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		sameBytes(t, "sqlite:"+filepath.Join(t.TempDir(), "hookd.db"), "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		sameBytes(t, testPostgres(t), randomKey())
	})
}

// capture is one request as the receiver got it.
type capture struct {
	body   []byte
	header http.Header
	status int // what the receiver answered (0: held until cut off)
}

// refReceiver records every request by endpoint path and event ref (a
// field of every payload), and answers as the ref's prefix says: "fast",
// "over" and "ord" fail their first attempt with 500; "rec" fails while
// recFail is set; "rst" is held, never answered, while hold is set.
type refReceiver struct {
	*httptest.Server
	recFail, hold atomic.Bool

	mu  sync.Mutex
	got map[string][]capture // endpoint path + " " + ref
}

var refPattern = regexp.MustCompile(`"ref":"([a-z]+-[0-9]+)"`)

func newRefReceiver(t *testing.T) *refReceiver {
	rr := &refReceiver{got: map[string][]capture{}}
	rr.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		m := refPattern.FindSubmatch(body)
		if err != nil || m == nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ref := string(m[1])
		k := r.URL.Path + " " + ref
		rr.mu.Lock()
		n := len(rr.got[k]) + 1
		rr.got[k] = append(rr.got[k], capture{body: body, header: r.Header.Clone()})
		rr.mu.Unlock()
		status := http.StatusOK
		switch prefix, _, _ := strings.Cut(ref, "-"); {
		case prefix == "rec" && rr.recFail.Load(), n == 1 && (prefix == "fast" || prefix == "over" || prefix == "ord"):
			status = http.StatusInternalServerError
		case prefix == "rst" && rr.hold.Load():
			<-r.Context().Done() // until the sender is stopped
			return
		}
		rr.mu.Lock()
		rr.got[k][n-1].status = status
		rr.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rr.Close)
	return rr
}

// count returns how many requests each key got, and how many of them were
// answered 200.
func (rr *refReceiver) count(k string) (all, ok int) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	for _, c := range rr.got[k] {
		if c.status == http.StatusOK {
			ok++
		}
	}
	return len(rr.got[k]), ok
}

// waitAll waits until every key with ref prefix has at least n requests
// of which ok were answered 200.
func (rr *refReceiver) waitAll(t *testing.T, keys []string, prefix string, n, ok int) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("every %s delivery has %d attempts, %d answered 200", prefix, n, ok), func() bool {
		for _, k := range keys {
			if !strings.Contains(k, " "+prefix+"-") {
				continue
			}
			if a, o := rr.count(k); a < n || o < ok {
				return false
			}
		}
		return true
	})
}

// startNode starts a hookd on db; it is stopped when the test ends, or
// before by its stop (a second stop does nothing).
func startNode(t *testing.T, db, key string) *testApp {
	return startApp(t, func(c *Config) {
		c.DB, c.DataKey = db, key
		c.queueSize = 4 // a batch of more overflows into the store
		// An attempt still held by the receiver at stop is cut off
		// after this long and handed back, to be sent again.
		c.DrainTimeout = 300 * time.Millisecond
	})
}

func sameBytes(t *testing.T, db, key string) {
	profiles := []string{"standard", "lean", "weavr", "linkmoney"}
	rr := newRefReceiver(t)
	a := startNode(t, db, key)
	var b *testApp // another node on the same PostgreSQL schema
	if key != "" {
		b = startNode(t, db, key)
	}
	tok := a.tenant(t, "sb")
	since := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	var eps []endpointResp
	for _, p := range profiles {
		for _, path := range []string{"/" + p + "/a", "/" + p + "/b"} {
			eps = append(eps, a.endpoint(t, "sb", tok, map[string]any{"url": rr.URL + path, "profile": p,
				"event_types": []string{"*"}, "ordering": "key", "retry_schedule": []int{1}}))
		}
	}
	publish := func(app *testApp, refs ...string) {
		t.Helper()
		evs := make([]map[string]any, len(refs))
		for i, ref := range refs {
			// Numbers and text as a publisher writes them: the
			// payload's bytes are kept as published.
			evs[i] = map[string]any{"type": "sb.happened", "id": ref,
				"payload": map[string]any{"ref": ref, "amount": 10.50, "note": "café ☕"}}
			if strings.HasPrefix(ref, "ord-") {
				evs[i]["ordering_key"] = "k"
			}
		}
		if len(evs) == 1 {
			app.must(t, 202, "POST", "/v1/tenants/sb/events", tok, evs[0], nil)
			return
		}
		app.must(t, 202, "POST", "/v1/tenants/sb/events/batch", tok, map[string]any{"events": evs}, nil)
	}
	var keys []string
	refs := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			ref := fmt.Sprintf("%s-%d", prefix, i)
			out = append(out, ref)
			for _, ep := range eps {
				keys = append(keys, ep.URL[len(rr.URL):]+" "+ref)
			}
		}
		return out
	}

	// Fast path (one at a time, room in the queue) then a retry from
	// the store; overflow (a batch larger than the queue of 4); ordered
	// claims; each first attempt fails with 500 and is retried.
	for _, ref := range refs("fast", 3) {
		publish(a, ref)
	}
	publish(a, refs("over", 10)...)
	for _, ref := range refs("ord", 3) {
		publish(a, ref)
	}
	rr.recFail.Store(true)
	for _, ref := range refs("rec", 2) {
		publish(a, ref)
	}
	rr.waitAll(t, keys, "fast", 2, 1)
	rr.waitAll(t, keys, "over", 2, 1)
	rr.waitAll(t, keys, "ord", 2, 1)

	// Manual retry of the fast deliveries, once they succeeded.
	var ds struct {
		Data []struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"data"`
	}
	for i := range 3 {
		ev := fmt.Sprintf("fast-%d", i)
		eventually(t, 30*time.Second, ev+" delivered everywhere", func() bool {
			call(t, "GET", a.url+"/v1/tenants/sb/deliveries?event="+ev, tok, nil, &ds)
			done := 0
			for _, d := range ds.Data {
				if d.State == "succeeded" {
					done++
				}
			}
			return done == len(eps)
		})
		for _, d := range ds.Data {
			a.must(t, 202, "POST", "/v1/tenants/sb/deliveries/"+d.ID+"/retry", tok, nil, nil)
		}
	}
	rr.waitAll(t, keys, "fast", 3, 2)

	// Recover: once the rec deliveries failed (two attempts), requeue.
	for i := range 2 {
		ev := fmt.Sprintf("rec-%d", i)
		eventually(t, 30*time.Second, ev+" failed everywhere", func() bool {
			call(t, "GET", a.url+"/v1/tenants/sb/deliveries?event="+ev, tok, nil, &ds)
			failed := 0
			for _, d := range ds.Data {
				if d.State == "failed" {
					failed++
				}
			}
			return failed == len(eps)
		})
	}
	rr.recFail.Store(false)
	for _, ep := range eps {
		a.must(t, 202, "POST", "/v1/tenants/sb/endpoints/"+ep.ID+"/recover", tok, map[string]any{"since": since}, nil)
	}
	rr.waitAll(t, keys, "rec", 3, 1)

	// Restart and another node: the first attempts are held by the
	// receiver and cut off when their node stops; the next node sends
	// them again.
	rr.hold.Store(true)
	for _, ref := range refs("rst", 2) {
		publish(a, ref)
	}
	rr.waitAll(t, keys, "rst", 1, 0)
	a.stop()
	if b != nil {
		rr.waitAll(t, keys, "rst", 2, 0) // sent by node b
		startNode(t, db, key)
		rr.hold.Store(false)
		b.stop()
	} else {
		rr.hold.Store(false)
		startNode(t, db, key)
	}
	rr.waitAll(t, keys, "rst", 2, 1) // sent by the restarted node

	// Compare: every attempt of a delivery, and the deliveries of one
	// event to the two endpoints of a profile.
	rr.mu.Lock()
	defer rr.mu.Unlock()
	sort.Strings(keys)
	attempts := 0
	for _, k := range keys {
		cs := rr.got[k]
		attempts += len(cs)
		for i, c := range cs[1:] {
			if !bytes.Equal(c.body, cs[0].body) {
				t.Errorf("%s: attempt %d's body differs from the first's:\n%s\n%s", k, i+2, c.body, cs[0].body)
			}
			for _, h := range []string{"webhook-id", "call-ref"} {
				if c.header.Get(h) != cs[0].header.Get(h) {
					t.Errorf("%s: attempt %d's %s %q, the first's %q", k, i+2, h, c.header.Get(h), cs[0].header.Get(h))
				}
			}
		}
		path, ref, _ := strings.Cut(k, " ")
		if strings.HasSuffix(path, "/b") {
			other := rr.got[strings.TrimSuffix(path, "/b")+"/a "+ref]
			if !bytes.Equal(cs[0].body, other[0].body) {
				t.Errorf("%s: body differs from the other endpoint's of the profile:\n%s\n%s", k, cs[0].body, other[0].body)
			}
			if cs[0].header.Get("webhook-id") != other[0].header.Get("webhook-id") {
				t.Errorf("%s: webhook-id %q differs from the other endpoint's %q", k, cs[0].header.Get("webhook-id"), other[0].header.Get("webhook-id"))
			}
		}
	}
	t.Logf("%d attempts of %d deliveries compared", attempts, len(keys))
}
