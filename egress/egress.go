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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookd/hookd"
)

// ErrBlocked is returned (wrapped) for a refused target.
var ErrBlocked = hookd.ErrBlocked

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Guard decides which addresses outgoing requests may reach.
type Guard struct {
	allow []netip.Prefix

	// Resolver resolves host names when an endpoint is saved; nil means
	// net.DefaultResolver. Tests replace it so that no name is ever sent to
	// the system's DNS.
	Resolver Resolver
}

// denied are the ranges refused unless allowed: loopback, private,
// carrier-grade NAT, link-local (with the cloud metadata address),
// unique-local, unspecified, multicast, benchmarking, reserved and the
// documentation ranges, and the IPv6 ranges that carry an IPv4 address a
// relay or the host may turn back into IPv4: IPv4-compatible (::/96, with
// :: and ::1), IPv4-translated, 6to4, Teredo (inside 2001::/23, the IETF
// protocol assignments) and local-use NAT64. v4-mapped v6 addresses are
// unmapped first; the well-known NAT64 prefix is judged by the IPv4 address
// it embeds (see Allowed).
var denied = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
	"192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
	"224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
	"::/96", "::ffff:0:0:0/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
	"3fff::/20", "fc00::/7", "fe80::/10", "ff00::/8",
)

// nat64 is the well-known NAT64 prefix (RFC 6052): a gateway turns
// 64:ff9b::a.b.c.d into a.b.c.d, so IPv6-only hosts reach public IPv4
// receivers through it; it is as safe as the IPv4 address it embeds.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

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

// Allowed reports whether a connection to addr may be made. The allow list
// applies to the address itself: an IPv6 form that embeds an allowed IPv4
// address (::127.0.0.1, 2002:7f00:1::) is not that address and stays refused.
func (g *Guard) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap().WithZone("")
	for _, p := range g.allow {
		if p.Contains(addr) {
			return true
		}
	}
	if isDenied(addr) {
		return false
	}
	if nat64.Contains(addr) {
		b := addr.As16()
		return !isDenied(netip.AddrFrom4([4]byte(b[12:])))
	}
	return true
}

func isDenied(addr netip.Addr) bool {
	for _, p := range denied {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// CheckURL validates an endpoint URL and returns it as it should be stored:
// http or https, a host, no credentials, and only allowed addresses. The
// host is read as a browser or a resolver would read it (the WHATWG URL host
// rules): an IPv4 address in any spelling (2130706433, 0x7f.1, 017700000001,
// 127.1, 127.0.0.1.) is that address, checked, and stored in its dotted
// form so that delivery dials exactly the address checked; a host that ends
// in a number but is not an address is refused; an empty port ("host:")
// is the scheme's and is dropped; a space is stored as %20; "localhost" and
// "*.localhost" (any case, trailing dot) are loopback. A name is resolved
// and each of its addresses checked; a name that does not resolve now is
// accepted, as the dialer checks the address of every connection.
func (g *Guard) CheckURL(ctx context.Context, raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a URL: %w", err)
	}
	if strings.Contains(raw, " ") {
		// In a path, a query or a fragment (the only places url.Parse
		// takes one): percent-encoded, as a browser does. A request
		// line carries none, and one in the query ended it early.
		raw = strings.ReplaceAll(raw, " ", "%20")
		if u, err = url.Parse(raw); err != nil {
			return "", fmt.Errorf("not a URL: %w", err)
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("URL scheme must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("URL has no host")
	}
	if u.User != nil {
		return "", errors.New("URL must not carry credentials; use headers")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("URL port %q is not a port from 1 to 65535", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		// An empty port is the scheme's, as a browser reads it: stored
		// without the colon, so that delivery dials the scheme's port
		// (kept, the dialer would take "host:" for the host).
		u.Host = strings.TrimSuffix(u.Host, ":")
		raw = u.String()
	}
	host := u.Hostname()
	if strings.HasPrefix(u.Host, "[") {
		a, err := netip.ParseAddr(host)
		if err != nil {
			return "", fmt.Errorf("host %q is not an IPv6 address", host)
		}
		return raw, g.check(a, host)
	}
	name, err := hostName(host)
	if err != nil {
		return "", err
	}
	if endsInNumber(name) {
		a, ok := parseIPv4(name)
		if !ok {
			return "", fmt.Errorf("host %q ends in a number but is not an IPv4 address", host)
		}
		if err := g.check(a, host); err != nil {
			return "", err
		}
		if host != a.String() {
			if p := u.Port(); p != "" {
				u.Host = net.JoinHostPort(a.String(), p)
			} else {
				u.Host = a.String()
			}
			return u.String(), nil
		}
		return raw, nil
	}
	name = strings.TrimSuffix(name, ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		if !g.Allowed(netip.AddrFrom4([4]byte{127, 0, 0, 1})) {
			return "", fmt.Errorf("%w: %s is loopback", ErrBlocked, host)
		}
		return raw, nil
	}
	var r Resolver = net.DefaultResolver
	if g.Resolver != nil {
		r = g.Resolver
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	addrs, err := r.LookupNetIP(ctx, "ip", name)
	if err != nil {
		return raw, nil
	}
	for _, a := range addrs {
		if !g.Allowed(a) {
			return "", fmt.Errorf("%w: %s resolves to %s", ErrBlocked, host, a)
		}
	}
	return raw, nil
}

// check refuses a disallowed address, naming the host as written.
func (g *Guard) check(a netip.Addr, host string) error {
	if g.Allowed(a) {
		return nil
	}
	if a.String() != host {
		return fmt.Errorf("%w: %s is %s", ErrBlocked, host, a)
	}
	return fmt.Errorf("%w: %s", ErrBlocked, a)
}

// hostName lower-cases a host that is not a bracketed IPv6 address and
// refuses what a resolver would not read as a name. url.Parse has already
// percent-decoded the host (it refuses escapes of ASCII there); a non-ASCII
// name would go through IDNA mapping, which turns, for example, fullwidth
// digits into an address, so it must be written in its ASCII (xn--) form.
func hostName(host string) (string, error) {
	if host == "" || host == "." {
		return "", errors.New("URL has no host")
	}
	if strings.HasPrefix(host, ".") || strings.Contains(host, "..") {
		return "", fmt.Errorf("host %q has an empty label", host)
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		switch {
		case c >= 0x80:
			return "", fmt.Errorf("host %q is not ASCII: write an internationalized name in its xn-- form", host)
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_':
		default:
			return "", fmt.Errorf("host %q has the character %q, which no host name has", host, c)
		}
	}
	return strings.ToLower(host), nil
}

// endsInNumber is the WHATWG "ends in a number" checker: the last label
// (after dropping one trailing dot) is all digits, or parses as an IPv4
// number (0x hex).
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" {
		if len(parts) == 1 {
			return false
		}
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last != "" && strings.Trim(last, "0123456789") == "" {
		return true
	}
	_, ok := ipv4Number(last)
	return ok
}

// parseIPv4 is the WHATWG IPv4 parser: one to four parts, each decimal,
// 0x hex or 0-led octal; all but the last are one byte; the last fills the
// remaining bytes. One trailing dot is allowed.
func parseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if parts[len(parts)-1] == "" && len(parts) > 1 {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v uint64
	for i, p := range parts {
		n, ok := ipv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, false
			}
			v |= n << (8 * (3 - i))
			continue
		}
		if n >= 1<<(8*(5-len(parts))) {
			return netip.Addr{}, false
		}
		v |= n
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// ipv4Number is the WHATWG IPv4 number parser ("0x" alone is 0).
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := uint64(10)
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, s = 16, s[2:]
	case len(s) >= 2 && s[0] == '0':
		base, s = 8, s[1:]
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		var d uint64
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			d = uint64(c - '0')
		case 'a' <= c && c <= 'f':
			d = uint64(c-'a') + 10
		case 'A' <= c && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		// Saturate: a number past 2^32 is still a number (the host is then
		// refused as an address rather than read as a name).
		n = min(n*base+d, 1<<32)
	}
	return n, true
}

// Control is a net.Dialer Control function that refuses a connection to a
// disallowed address before it is made: it sees the resolved address, so
// the same ranges are refused whatever the URL's spelling or the name's
// resolution.
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
