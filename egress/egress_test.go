package egress

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

func TestAllowed(t *testing.T) {
	g, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
		"fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254"} {
		if g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s allowed by default", a)
		}
	}
	for _, a := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "11.0.0.1"} {
		if !g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
	}
	g, err = New("127.0.0.0/8, ::1")
	if err != nil {
		t.Fatal(err)
	}
	if !g.Allowed(netip.MustParseAddr("127.0.0.1")) || !g.Allowed(netip.MustParseAddr("::1")) || !g.Allowed(netip.MustParseAddr("::ffff:127.0.0.1")) {
		t.Error("allow-list not applied")
	}
	if g.Allowed(netip.MustParseAddr("10.0.0.1")) {
		t.Error("allow-list widened past its CIDRs")
	}
	if _, err := New("not-a-cidr"); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestCheckURL(t *testing.T) {
	g, _ := New("")
	ctx := context.Background()
	for _, u := range []string{"ftp://example.com/", "file:///etc/passwd", "http://", "http://10.0.0.1/x",
		"http://[::1]:8080/", "http://localhost/", "http://api.localhost/", "http://169.254.169.254/latest/meta-data",
		"http://user:pw@example.com/", "http://[::ffff:192.168.0.1]/"} {
		if err := g.CheckURL(ctx, u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
	for _, u := range []string{"https://example.com/hook", "http://93.184.216.34/x"} {
		if err := g.CheckURL(ctx, u); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// TestRefusedBeforeConnect proves the connect-time check runs on the
// resolved address before any connection is made: a loopback listener that
// the guard does not allow never sees a connection, whether the URL names
// the address or a host name that resolves to it (as DNS rebinding would).
func TestRefusedBeforeConnect(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	g, _ := New("") // loopback not allowed
	dialer := &net.Dialer{Timeout: time.Second, Control: g.Control}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, u := range []string{"http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/"} {
		_, err := client.Get(u)
		if !errors.Is(err, hookd.ErrBlocked) {
			t.Errorf("%s: %v, want ErrBlocked", u, err)
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the listener accepted %d connections", n)
	}
	// Allowed, the same request connects.
	g2, _ := New("127.0.0.0/8")
	dialer.Control = g2.Control
	client = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	client.Get("http://127.0.0.1:" + port + "/")
	time.Sleep(50 * time.Millisecond)
	if accepted.Load() != 1 {
		t.Fatalf("allowed connection not made (%d)", accepted.Load())
	}
}
