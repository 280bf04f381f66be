package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Networks says which kinds of address a probe may connect to, beyond the
// public internet, which is always allowed. The zero value is Public.
//
// The guard runs after DNS resolution, in the dialer, so it also covers
// every redirect and a name that resolves to a forbidden address.
type Networks uint8

// Address classes a policy may allow, as bits of Networks.
const (
	// AllowPrivate allows 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT) and fc00::/7 (ULA).
	AllowPrivate Networks = 1 << iota
	// AllowLoopback allows 127/8 and ::1.
	AllowLoopback
	// AllowLinkLocal allows 169.254/16, fe80::/10 and the AWS instance
	// services (169.254.169.254, fd00:ec2::/64).
	AllowLinkLocal
	// AllowUnspecified allows 0.0.0.0/8 and ::.
	AllowUnspecified
	// AllowMulticast allows multicast and the IPv4 broadcast address.
	AllowMulticast
	// AllowSpecialPurpose allows the other special-purpose ranges of the
	// IANA IPv4 and IPv6 registries that are not globally reachable
	// (192.0.0.0/24, 198.18.0.0/15, documentation, 240.0.0.0/4,
	// 64:ff9b:1::/48, 2001::/23, 2002::/16, ...).
	AllowSpecialPurpose
)

// Policies, by the names MEDIC_ALLOW_NETWORKS accepts.
const (
	// Public allows public addresses only (the default).
	Public Networks = 0
	// Private adds the private ranges, for probes inside a VPC.
	Private = AllowPrivate
	// All allows every address, loopback and link-local included: local runs only.
	All = AllowPrivate | AllowLoopback | AllowLinkLocal | AllowUnspecified | AllowMulticast | AllowSpecialPurpose
)

// ParseNetworks reads a policy name: "public" (or empty), "private" or "all".
func ParseNetworks(s string) (Networks, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "public":
		return Public, nil
	case "private":
		return Private, nil
	case "all":
		return All, nil
	}
	return Public, fmt.Errorf("invalid MEDIC_ALLOW_NETWORKS %q: want public, private or all", s)
}

// String names the policy as ParseNetworks reads it, or lists its bits.
func (n Networks) String() string {
	switch n {
	case Public:
		return "public"
	case Private:
		return "private"
	case All:
		return "all"
	}
	parts := []string{"public"}
	for _, b := range []struct {
		bit  Networks
		name string
	}{{AllowPrivate, "private"}, {AllowLoopback, "loopback"}, {AllowLinkLocal, "link-local"},
		{AllowUnspecified, "unspecified"}, {AllowMulticast, "multicast"}, {AllowSpecialPurpose, "special-purpose"}} {
		if n&b.bit != 0 {
			parts = append(parts, b.name)
		}
	}
	return strings.Join(parts, "+")
}

// addressClass is one kind of address the guard knows.
type addressClass struct {
	name     string   // "loopback", in failure texts
	allow    Networks // the bit that allows it; 0 = always allowed
	policy   string   // the MEDIC_ALLOW_NETWORKS value that allows it
	prefixes []netip.Prefix
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

// classes are checked in order; the first match decides. The AWS instance
// services come before the private ranges, which contain fd00:ec2::/64, so
// that "private" never opens the metadata service.
var classes = []addressClass{
	{name: "unspecified", allow: AllowUnspecified, policy: "all", prefixes: prefixes("0.0.0.0/8", "::/128")},
	{name: "loopback", allow: AllowLoopback, policy: "all", prefixes: prefixes("127.0.0.0/8", "::1/128")},
	{name: "link-local (instance metadata)", allow: AllowLinkLocal, policy: "all", prefixes: prefixes("169.254.169.254/32", "fd00:ec2::/64")},
	{name: "link-local", allow: AllowLinkLocal, policy: "all", prefixes: prefixes("169.254.0.0/16", "fe80::/10")},
	{name: "multicast", allow: AllowMulticast, policy: "all", prefixes: prefixes("224.0.0.0/4", "255.255.255.255/32", "ff00::/8")},
	// 192.0.0.192 is a cloud's instance metadata address (Oracle Cloud).
	{name: "special-purpose (instance metadata)", allow: AllowSpecialPurpose, policy: "all", prefixes: prefixes("192.0.0.192/32")},
	{name: "private", allow: AllowPrivate, policy: "private", prefixes: prefixes("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")},
	// The rest of the IANA special-purpose registries (RFC 6890 and its
	// updates) that is not globally reachable.
	{name: "special-purpose", allow: AllowSpecialPurpose, policy: "all", prefixes: prefixes(
		"192.0.0.0/24",    // IETF protocol assignments (DS-Lite, NAT64 discovery, ...)
		"192.0.2.0/24",    // documentation (TEST-NET-1)
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation (TEST-NET-2)
		"203.0.113.0/24",  // documentation (TEST-NET-3)
		"240.0.0.0/4",     // reserved
		"64:ff9b:1::/48",  // local-use IPv4/IPv6 translation
		"100::/64",        // discard-only
		"100:0:0:1::/64",  // dummy prefix
		"2001::/23",       // IETF protocol assignments (Teredo, benchmarking, ORCHID, ...)
		"2001:db8::/32",   // documentation
		"2002::/16",       // 6to4: carries any IPv4 address, 169.254.169.254 included
		"3fff::/20",       // documentation
		"5f00::/16",       // segment routing (SRv6) SIDs
		"fec0::/10",       // site-local (deprecated)
	)},
}

// nat64 is the well-known NAT64 prefix: 64:ff9b::a9fe:a9fe reaches
// 169.254.169.254 through a NAT64 gateway, so its IPv4 part is what counts.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// classify returns the class of addr, or nil for a public address.
func classify(addr netip.Addr) *addressClass {
	addr = addr.Unmap().WithZone("")
	if addr.Is6() && nat64.Contains(addr) {
		b := addr.As16()
		addr = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	for i := range classes {
		for _, p := range classes[i].prefixes {
			if p.Contains(addr) {
				return &classes[i]
			}
		}
	}
	return nil
}

// RefusedError is a connection the address policy did not allow.
type RefusedError struct {
	Addr   netip.Addr
	Class  string
	Policy string // the MEDIC_ALLOW_NETWORKS value that would allow it
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("address %s is %s; refused (set MEDIC_ALLOW_NETWORKS=%s to allow)", e.Addr, e.Class, e.Policy)
}

// Check returns a *RefusedError when n does not allow addr.
func (n Networks) Check(addr netip.Addr) error {
	c := classify(addr)
	if c == nil || n&c.allow != 0 {
		return nil
	}
	return &RefusedError{Addr: addr.Unmap().WithZone(""), Class: c.name, Policy: c.policy}
}

// dialTimes records how long a dial spent resolving and connecting.
type dialTimes struct {
	dns, connect time.Duration
}

// guardedDialer resolves a host itself, checks every address against the
// policy and dials only the addresses it allows, by IP, so that what was
// checked is what is connected to.
type guardedDialer struct {
	allow    Networks
	resolver *net.Resolver
	// ipVersion, 4 or 6, dials only addresses of that IP version; 0 any.
	ipVersion int
	// onDial, when set, receives the times of each dial (one per connection).
	onDial func(dialTimes)
}

// DialContext dials addr ("host:port") over network ("tcp", "tcp4", "tcp6").
func (d *guardedDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	var times dialTimes
	defer func() {
		if d.onDial != nil {
			d.onDial(times)
		}
	}()

	start := time.Now()
	ips, err := d.resolve(ctx, host)
	times.dns = time.Since(start)
	if err != nil {
		return nil, err
	}
	if ips, err = onlyFamily(host, ips, d.ipVersion); err != nil {
		return nil, err
	}
	allowed, refused := d.filter(ips)
	if len(allowed) == 0 {
		return nil, refused
	}

	start = time.Now()
	defer func() { times.connect = time.Since(start) }()
	return dialAddresses(ctx, network, host, allowed, port)
}

// resolve returns host's addresses, IPv4 first; an IP literal is itself.
func (d *guardedDialer) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	r := d.resolver
	if r == nil {
		r = net.DefaultResolver
	}
	ips, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Unmap().Is4() && !b.Unmap().Is4():
			return -1
		case !a.Unmap().Is4() && b.Unmap().Is4():
			return 1
		}
		return 0
	})
	return ips, nil
}

// filter splits ips into those the policy allows and the first refusal.
func (d *guardedDialer) filter(ips []netip.Addr) ([]netip.Addr, error) {
	var allowed []netip.Addr
	var refused error
	for _, ip := range ips {
		if err := d.allow.Check(ip); err != nil {
			if refused == nil {
				refused = err
			}
			continue
		}
		allowed = append(allowed, ip.Unmap())
	}
	if len(allowed) == 0 && refused == nil {
		refused = errors.New("no address to connect to")
	}
	return allowed, refused
}
