package bench

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestFaultReceivers: the sink serves the faulty receivers under
// FaultPrefix: "hang" answers nothing until the client gives up, "500"
// answers 500 at once, "slow-body" answers 200 and then a body that does
// not end; each counts its requests, which /_bench/stats reports, and
// none of them is an arrival of the healthy endpoint. Behaviour only: the
// client's timeout ends the requests, no time is asserted.
func TestFaultReceivers(t *testing.T) {
	sk := NewSink(4)
	srv := httptest.NewServer(sk.Control())
	defer srv.Close()
	hc := &http.Client{Timeout: 300 * time.Millisecond}
	post := func(kind string) (*http.Response, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+FaultPrefix+kind, strings.NewReader(`{"a":1}`))
		req.Header.Set("Webhook-Id", "ev-1")
		return hc.Do(req)
	}

	if res, err := post("hang"); err == nil {
		res.Body.Close()
		t.Fatalf("hang answered %s, want no answer before the client's timeout", res.Status)
	} else if ue := new(interface{ Timeout() bool }); !errors.As(err, ue) || !(*ue).Timeout() {
		t.Fatalf("hang: %v, want the client's timeout", err)
	}

	res, err := post("500")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("500 answered %s", res.Status)
	}

	res, err = post("slow-body")
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("slow-body answered %s", res.Status)
	}
	b, err := io.ReadAll(res.Body) // ends only with the client's timeout
	res.Body.Close()
	if err == nil || len(b) == 0 || strings.Trim(string(b), "x") != "" {
		t.Fatalf("slow-body: %d bytes (%q), %v; want some x and then the client's timeout", len(b), b, err)
	}
	if res, err := post("nope"); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown fault answered %s, want 404", res.Status)
	}

	res, err = http.Get(srv.URL + "/_bench/stats")
	if err != nil {
		t.Fatal(err)
	}
	var st Stats
	err = json.NewDecoder(res.Body).Decode(&st)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range FaultKinds {
		if st.Faults[k] != 1 {
			t.Errorf("stats: %s got %d requests, want 1 (%v)", k, st.Faults[k], st.Faults)
		}
	}
	if st.Count != 0 || sk.Count() != 0 {
		t.Errorf("the faulty receivers' requests counted as %d arrivals, want none", st.Count)
	}
	if !FaultsDone(st.Faults, 1) || FaultsDone(st.Faults, 2) || FaultsDone(map[string]int64{"500": 5, "hang": 1}, 1) {
		t.Errorf("FaultsDone: the 500 receiver needs as many requests as events published, the others one each")
	}
}

// TestFaultEndpoints: one endpoint per fault, on the sink's fault paths,
// every event, the short timeout and retry schedule.
func TestFaultEndpoints(t *testing.T) {
	eps := FaultEndpoints("http://127.0.0.1:9/", "standard")
	if len(eps) != len(FaultKinds) {
		t.Fatalf("%d endpoints, want %d", len(eps), len(FaultKinds))
	}
	for i, ep := range eps {
		if ep.URL != "http://127.0.0.1:9"+FaultPrefix+FaultKinds[i] || ep.TimeoutMS != FaultTimeoutMS || len(ep.RetrySchedule) == 0 ||
			len(ep.EventTypes) != 1 || ep.EventTypes[0] != "*" || ep.Profile != "standard" {
			t.Errorf("endpoint %d: %+v", i, ep)
		}
	}
}
