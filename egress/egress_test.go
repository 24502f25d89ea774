package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookd/hookd"
)

// fakeResolver answers from a table, so that no test sends a name to the
// system's DNS; it records every name it is asked.
type fakeResolver struct {
	mu    sync.Mutex
	names map[string][]netip.Addr
	asked []string
}

func (r *fakeResolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, host)
	if a, ok := r.names[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// noResolver fails the test if a name is resolved: address forms must be
// read as addresses, never sent to a resolver.
type noResolver struct{ t *testing.T }

func (r noResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.t.Errorf("resolver asked for %q", host)
	return nil, errors.New("no resolver in this test")
}

func mustNew(t *testing.T, allow string) *Guard {
	t.Helper()
	g, err := New(allow)
	if err != nil {
		t.Fatal(err)
	}
	g.Resolver = noResolver{t}
	return g
}

func TestAllowed(t *testing.T) {
	g := mustNew(t, "")
	for _, a := range []string{"127.0.0.1", "127.255.0.9", "10.0.0.1", "172.16.5.4", "172.31.255.255", "192.168.1.1",
		"169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
		"fd12:3456::1", "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
		// IPv6 forms that embed an IPv4 address: IPv4-compatible, IPv4-translated,
		// 6to4, Teredo, NAT64 of a private address, local-use NAT64.
		"::7f00:1", "::a00:1", "::808:808", "::ffff:0:7f00:1", "2002:7f00:1::", "2002:808:808::1",
		"2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:2::1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
		"64:ff9b:1::808:808", "3fff::1", "2001:db8::1"} {
		if g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s allowed by default", a)
		}
		if err := g.Control("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), 80).String(), nil); !errors.Is(err, hookd.ErrBlocked) {
			t.Errorf("Control(%s) = %v, want ErrBlocked", a, err)
		}
	}
	for _, a := range []string{"93.184.216.34", "8.8.8.8", "2606:4700::1111", "172.32.0.1", "11.0.0.1",
		"64:ff9b::808:808", "2001:200::1", "2003::1"} {
		if !g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s refused", a)
		}
		if err := g.Control("tcp", netip.AddrPortFrom(netip.MustParseAddr(a), 80).String(), nil); err != nil {
			t.Errorf("Control(%s) = %v", a, err)
		}
	}
	g = mustNew(t, "127.0.0.0/8, ::1")
	if !g.Allowed(netip.MustParseAddr("127.0.0.1")) || !g.Allowed(netip.MustParseAddr("::1")) || !g.Allowed(netip.MustParseAddr("::ffff:127.0.0.1")) {
		t.Error("allow-list not applied")
	}
	// The allow list applies to the address itself: an IPv6 address that
	// embeds 127.0.0.1 is not 127.0.0.1.
	for _, a := range []string{"10.0.0.1", "::7f00:1", "2002:7f00:1::", "64:ff9b::7f00:1", "::ffff:0:7f00:1"} {
		if g.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("allow-list widened past its CIDRs to %s", a)
		}
	}
	if _, err := New("not-a-cidr"); err == nil {
		t.Error("bad CIDR accepted")
	}
}

// TestAddressForms lists every spelling of an address that a browser or a
// resolver reads as one (WHATWG URL host rules), with and without
// --egress-allow 127.0.0.0/8: each is judged as the address it is, and an
// accepted odd spelling is stored as that address.
func TestAddressForms(t *testing.T) {
	const (
		refused = ""        // refused in this configuration (ErrBlocked)
		invalid = "invalid" // refused in every configuration: not a host hookd can read
		same    = "same"    // accepted as written
	)
	cases := []struct {
		url         string
		deny, allow string // the stored URL, or refused, invalid or same
	}{
		// Loopback, plainly and oddly.
		{"http://127.0.0.1/x", refused, same},
		{"http://127.0.0.1:8080/x", refused, same},
		{"http://127.0.0.1./x", refused, "http://127.0.0.1/x"},
		{"http://2130706433/x", refused, "http://127.0.0.1/x"},
		{"http://2130706433:8080/x?a=1", refused, "http://127.0.0.1:8080/x?a=1"},
		{"http://0x7f.1/x", refused, "http://127.0.0.1/x"},
		{"http://0X7F.0X1/x", refused, "http://127.0.0.1/x"},
		{"http://0x7f000001/x", refused, "http://127.0.0.1/x"},
		{"http://017700000001/x", refused, "http://127.0.0.1/x"},
		{"http://0177.0.0.01/x", refused, "http://127.0.0.1/x"},
		{"http://127.1/x", refused, "http://127.0.0.1/x"},
		{"http://127.0.1/x", refused, "http://127.0.0.1/x"},
		{"http://127.1./x", refused, "http://127.0.0.1/x"},
		{"http://127.0x00.0.1/x", refused, "http://127.0.0.1/x"},
		{"http://localhost/x", refused, same},
		{"http://LOCALHOST/x", refused, same},
		{"http://LOCALHOST./x", refused, same},
		{"http://localhost.:8080/x", refused, same},
		{"http://api.localhost/x", refused, same},
		{"http://Api.LocalHost./x", refused, same},
		{"http://[::ffff:127.0.0.1]/x", refused, same},
		{"http://[::ffff:7f00:1]/x", refused, same},
		// Not loopback, whatever the allow list says.
		{"http://0/x", refused, refused},
		{"http://0x/x", refused, refused},
		{"http://0.0.0.0/x", refused, refused},
		{"http://[::1]/x", refused, refused}, // the allow list names 127.0.0.0/8 only
		{"http://[::]/x", refused, refused},
		{"http://[::127.0.0.1]/x", refused, refused},
		{"http://[::7f00:1]/x", refused, refused},
		{"http://[2002:7f00:1::]/x", refused, refused},
		{"http://[2002:a9fe:a9fe::1]/x", refused, refused},
		{"http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", refused, refused},
		{"http://[64:ff9b::127.0.0.1]/x", refused, refused},
		{"http://[64:ff9b:1::808:808]/x", refused, refused},
		{"http://[fe80::1%25eth0]/x", refused, refused},
		{"http://10.0.0.1/x", refused, refused},
		{"http://012.0.0.1/x", refused, refused},
		{"http://167772161/x", refused, refused},
		{"http://169.254.169.254/latest", refused, refused},
		{"http://0xa9fea9fe/latest", refused, refused},
		{"http://0251.0376.0251.0376/latest", refused, refused},
		{"http://169.254.43518/latest", refused, refused},
		{"http://192.168.0x1.1/x", refused, refused},
		{"http://[::ffff:192.168.0.1]/x", refused, refused},
		// Public addresses, plainly and oddly.
		{"http://93.184.216.34/x", same, same},
		{"http://1572395042/x", "http://93.184.216.34/x", "http://93.184.216.34/x"},
		{"https://0x5d.0xb8.0xd8.0x22:8443/x?y=1#f", "https://93.184.216.34:8443/x?y=1#f", "https://93.184.216.34:8443/x?y=1#f"},
		{"http://8.8.8.8./x", "http://8.8.8.8/x", "http://8.8.8.8/x"},
		{"http://[2606:4700::1111]/x", same, same},
		{"http://[64:ff9b::8.8.8.8]/x", same, same},
		// Hosts that end in a number but are no address, and hosts no
		// resolver reads as a name: refused.
		{"http://1.2.3.09/x", invalid, invalid},
		{"http://09/x", invalid, invalid},
		{"http://1.2.3.4.5/x", invalid, invalid},
		{"http://256.0.0.1/x", invalid, invalid},
		{"http://127.0.0.256.", invalid, invalid},
		{"http://4294967296/x", invalid, invalid},
		{"http://0x100000000/x", invalid, invalid},
		{"http://0xfffffffffffffffffffffffff/x", invalid, invalid},
		{"http://foo.123/x", invalid, invalid},
		{"http://foo.0x7f/x", invalid, invalid},
		{"http://1..1/x", invalid, invalid},
		{"http://.localhost/x", invalid, invalid},
		{"http://./x", invalid, invalid},
		{"http://１２７.０.０.１/x", invalid, invalid},
		{"http://%EF%BC%91%EF%BC%92%EF%BC%97.0.0.1/x", invalid, invalid},
		{"http://%31%32%37.0.0.1/x", invalid, invalid},
		{"http://127.0.0.1%2500/x", invalid, invalid},
		{"http://[127.0.0.1]/x", invalid, invalid},
		{"http://[::1/x", invalid, invalid},
		{"ftp://127.0.0.1/x", invalid, invalid},
		{"file:///etc/passwd", invalid, invalid},
		{"http://", invalid, invalid},
		{"http://user:pw@93.184.216.34/", invalid, invalid},
		{"http://127.0.0.1:99999/x", invalid, invalid},
		{"http://93.184.216.34:0/x", invalid, invalid},
		{"http://93.184.216.34:65535/x", same, same},
	}
	guards := map[string]*Guard{"deny": mustNew(t, ""), "allow": mustNew(t, "127.0.0.0/8")}
	for _, c := range cases {
		for _, cfg := range []string{"deny", "allow"} {
			want := c.deny
			if cfg == "allow" {
				want = c.allow
			}
			if want == same {
				want = c.url
			}
			got, err := guards[cfg].CheckURL(t.Context(), c.url)
			switch want {
			case refused:
				if !errors.Is(err, hookd.ErrBlocked) {
					t.Errorf("%s %s: (%q, %v), want ErrBlocked", cfg, c.url, got, err)
				}
			case invalid:
				if err == nil || errors.Is(err, hookd.ErrBlocked) {
					t.Errorf("%s %s: (%q, %v), want an invalid-URL error", cfg, c.url, got, err)
				}
			default:
				if err != nil || got != want {
					t.Errorf("%s %s: (%q, %v), want %q", cfg, c.url, got, err, want)
				}
			}
		}
	}
}

// TestCheckURLResolves checks names through an injected resolver: a name
// with any disallowed address is refused, a public one accepted, and a name
// that does not resolve now is left to the dial-time check.
func TestCheckURLResolves(t *testing.T) {
	r := &fakeResolver{names: map[string][]netip.Addr{
		"hooks.internal.test": {netip.MustParseAddr("10.1.2.3")},
		"metadata.test":       {netip.MustParseAddr("::ffff:169.254.169.254")},
		"six.test":            {netip.MustParseAddr("2002:7f00:1::")},
		"mixed.test":          {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("127.0.0.1")},
		"receiver.test":       {netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("2606:4700::1111")},
	}}
	g, _ := New("")
	g.Resolver = r
	for _, u := range []string{"https://hooks.internal.test/x", "http://metadata.test/", "http://six.test/",
		"http://mixed.test/", "http://HOOKS.Internal.test./x"} {
		if got, err := g.CheckURL(t.Context(), u); !errors.Is(err, hookd.ErrBlocked) {
			t.Errorf("%s: (%q, %v), want ErrBlocked", u, got, err)
		}
	}
	for _, u := range []string{"https://receiver.test/hook", "https://Receiver.TEST./hook", "https://nxdomain.test/hook"} {
		if got, err := g.CheckURL(t.Context(), u); err != nil || got != u {
			t.Errorf("%s: (%q, %v), want accepted unchanged", u, got, err)
		}
	}
	want := fmt.Sprint([]string{"hooks.internal.test", "metadata.test", "six.test", "mixed.test", "hooks.internal.test",
		"receiver.test", "receiver.test", "nxdomain.test"})
	if got := fmt.Sprint(r.asked); got != want {
		t.Errorf("names resolved = %s, want %s", got, want)
	}
	// Allowed by the operator, the private name is accepted.
	g2, _ := New("10.0.0.0/8")
	g2.Resolver = r
	if _, err := g2.CheckURL(t.Context(), "https://hooks.internal.test/x"); err != nil {
		t.Errorf("allowed private name refused: %v", err)
	}
}

// TestRefusedBeforeConnect proves that a refused target is refused before
// any connection is made: a loopback listener that the guard does not allow
// never sees a connection, whether the URL spells the address oddly (refused
// when saved), names it (checked on the resolved address when dialled, as
// DNS rebinding would need) or is the stored form of an odd spelling.
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
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	deny, allow := mustNew(t, ""), mustNew(t, "127.0.0.0/8")
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: deny.Control}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	for _, host := range []string{"2130706433", "0x7f.1", "017700000001", "127.1", "127.0.0.1.", "LOCALHOST."} {
		u := "http://" + host + ":" + port + "/"
		if _, err := deny.CheckURL(t.Context(), u); !errors.Is(err, hookd.ErrBlocked) {
			t.Errorf("save %s: %v, want ErrBlocked", u, err)
		}
		stored, err := allow.CheckURL(t.Context(), u)
		if err != nil {
			t.Fatalf("save %s with loopback allowed: %v", u, err)
		}
		if host != "LOCALHOST." && stored != "http://127.0.0.1:"+port+"/" {
			t.Errorf("save %s stored %s", u, stored)
		}
		if host == "LOCALHOST." {
			continue // dialled below as localhost; the system resolver is not asked for other names
		}
		if _, err := client.Get(stored); !errors.Is(err, hookd.ErrBlocked) {
			t.Errorf("dial %s: %v, want ErrBlocked", stored, err)
		}
	}
	if _, err := client.Get("http://localhost:" + port + "/"); !errors.Is(err, hookd.ErrBlocked) {
		t.Errorf("dial localhost: %v, want ErrBlocked", err)
	}
	time.Sleep(50 * time.Millisecond)
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the listener accepted %d connections", n)
	}
	// Allowed, the same request connects.
	dialer.Control = allow.Control
	client = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	client.Get("http://127.0.0.1:" + port + "/")
	deadline := time.Now().Add(10 * time.Second)
	for accepted.Load() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if accepted.Load() != 1 {
		t.Fatalf("allowed connection not made (%d)", accepted.Load())
	}
}
