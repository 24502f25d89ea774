package bench

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    int
		want time.Duration
	}{{50, 101 * time.Millisecond}, {99, 199 * time.Millisecond}, {100, 200 * time.Millisecond}, {0, time.Millisecond}} {
		if got := Percentile(d, c.p); got != c.want {
			t.Errorf("Percentile(1..200 ms, %d) = %s, want %s", c.p, got, c.want)
		}
	}
	if got := Percentile(nil, 99); got != 0 {
		t.Errorf("Percentile of none = %s", got)
	}
}

func TestMedian(t *testing.T) {
	if got := Median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("Median(3 1 2) = %v", got)
	}
	if got := Median([]float64{4, 1, 3, 2}); got != 2.5 {
		t.Errorf("Median(4 1 3 2) = %v", got)
	}
	if got := Median(nil); got != 0 {
		t.Errorf("Median() = %v", got)
	}
}

// TestSink: arrivals are counted once per endpoint path and event id, by
// either profile's id header; a repeat is a duplicate.
func TestSink(t *testing.T) {
	sk := NewSink(4)
	srv := httptest.NewServer(sk)
	defer srv.Close()
	send := func(path, header, id string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, nil)
		req.Header.Set(header, id)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("status %d", res.StatusCode)
		}
	}
	send("/e/0", "Webhook-Id", "ev-1")
	send("/e/1", "Webhook-Id", "ev-1")
	send("/e/0", "Call-Ref", "ev-2")
	send("/e/0", "Webhook-Id", "ev-1")
	if sk.Count() != 3 || sk.dups != 1 {
		t.Errorf("count %d, duplicates %d; want 3 and 1", sk.Count(), sk.dups)
	}
}

func TestPeakRSS(t *testing.T) {
	if n := PeakRSS(); n <= 0 {
		t.Skip("no /proc/self/status here")
	} else if n < 1<<20 {
		t.Errorf("PeakRSS = %d bytes: less than a MiB for a Go test process", n)
	}
}
