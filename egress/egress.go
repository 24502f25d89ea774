// Package egress guards hookd's outgoing requests against server-side
// request forgery: endpoint URLs chosen by tenants must not reach loopback,
// private, link-local or other internal addresses unless the operator allows
// them. The check is made when an endpoint is saved and again on the
// resolved address of every connection (so DNS rebinding cannot slip past).
package egress

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/hookd"
)

// ErrBlocked is returned (wrapped) for a refused target.
var ErrBlocked = hookd.ErrBlocked

// Guard decides which addresses outgoing requests may reach.
type Guard struct {
	allow []netip.Prefix
}

// denied are the ranges refused unless allowed: loopback, private,
// carrier-grade NAT, link-local (with the cloud metadata address),
// unique-local, unspecified, multicast, benchmarking, reserved and the
// documentation ranges; v4-mapped v6 addresses are unmapped first.
var denied = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/128", "::1/128", "64:ff9b::/96", "100::/64", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
)

func mustPrefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// New returns a Guard that admits the comma-separated CIDRs in allow
// (e.g. "127.0.0.0/8,::1/128") despite the deny list.
func New(allow string) (*Guard, error) {
	g := &Guard{}
	for _, s := range strings.Split(allow, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, err2 := netip.ParseAddr(s)
			if err2 != nil {
				return nil, fmt.Errorf("egress: bad CIDR %q: %w", s, err)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		g.allow = append(g.allow, p.Masked())
	}
	return g, nil
}

// Allowed reports whether a connection to addr may be made.
func (g *Guard) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(addr) {
			return true
		}
	}
	for _, p := range denied {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}

// CheckURL validates an endpoint URL: http or https, a host, and, when the
// host is an address or resolves, only allowed addresses. A name that does
// not resolve now is accepted: it is checked again at connect time.
func (g *Guard) CheckURL(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("URL scheme must be http or https, not %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("URL has no host")
	}
	if u.User != nil {
		return errors.New("URL must not carry credentials; use headers")
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if !g.Allowed(a) {
			return fmt.Errorf("%w: %s", ErrBlocked, a)
		}
		return nil
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		if !g.Allowed(netip.MustParseAddr("127.0.0.1")) {
			return fmt.Errorf("%w: %s is loopback", ErrBlocked, host)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return fmt.Errorf("%w: %s resolves to %s", ErrBlocked, host, a)
		}
	}
	return nil
}

// Control is a net.Dialer Control function that refuses a connection to a
// disallowed address before it is made: it sees the resolved address.
func (g *Guard) Control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", ErrBlocked, address)
	}
	if !g.Allowed(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlocked, ap.Addr())
	}
	return nil
}
