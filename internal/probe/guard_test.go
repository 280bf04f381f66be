package probe_test

import (
	"net/netip"
	"testing"

	"github.com/medic-dev/medic/internal/probe"
)

func TestNetworksCheck(t *testing.T) {
	const (
		ok      = ""
		needAll = "all"
		needPrv = "private"
	)
	tests := []struct {
		addr  string
		class string // "" = public
		need  string // the weakest policy that allows it
	}{
		{"8.8.8.8", "", ok},
		{"1.1.1.1", "", ok},
		{"2606:4700:4700::1111", "", ok},
		{"172.32.0.1", "", ok},
		{"100.128.0.1", "", ok},
		{"127.0.0.1", "loopback", needAll},
		{"127.255.255.254", "loopback", needAll},
		{"::1", "loopback", needAll},
		{"::ffff:127.0.0.1", "loopback", needAll},
		{"0.0.0.0", "unspecified", needAll},
		{"0.1.2.3", "unspecified", needAll},
		{"::", "unspecified", needAll},
		{"169.254.169.254", "link-local (instance metadata)", needAll},
		{"::ffff:169.254.169.254", "link-local (instance metadata)", needAll},
		{"64:ff9b::a9fe:a9fe", "link-local (instance metadata)", needAll},
		{"fd00:ec2::254", "link-local (instance metadata)", needAll},
		{"fd00:ec2::23", "link-local (instance metadata)", needAll},
		{"169.254.1.1", "link-local", needAll},
		{"fe80::1", "link-local", needAll},
		{"fe80::1%eth0", "link-local", needAll},
		{"224.0.0.1", "multicast", needAll},
		{"255.255.255.255", "multicast", needAll},
		{"ff02::1", "multicast", needAll},
		{"10.0.0.1", "private", needPrv},
		{"10.255.255.255", "private", needPrv},
		{"172.16.0.1", "private", needPrv},
		{"172.31.255.255", "private", needPrv},
		{"192.168.1.1", "private", needPrv},
		{"100.64.0.1", "private", needPrv},
		{"100.127.255.255", "private", needPrv},
		{"fc00::1", "private", needPrv},
		{"fd12:3456::1", "private", needPrv},
		{"::ffff:10.1.2.3", "private", needPrv},
		{"64:ff9b::a00:1", "private", needPrv},
		// IANA special-purpose ranges: refused unless all.
		{"192.0.0.192", "special-purpose (instance metadata)", needAll},
		{"192.0.0.8", "special-purpose", needAll},
		{"192.0.0.170", "special-purpose", needAll},
		{"192.0.2.1", "special-purpose", needAll},
		{"192.88.99.1", "special-purpose", needAll},
		{"198.18.0.1", "special-purpose", needAll},
		{"198.19.255.255", "special-purpose", needAll},
		{"198.51.100.7", "special-purpose", needAll},
		{"203.0.113.9", "special-purpose", needAll},
		{"240.0.0.1", "special-purpose", needAll},
		{"::ffff:198.18.0.1", "special-purpose", needAll},
		{"64:ff9b:1::a9fe:a9fe", "special-purpose", needAll},
		{"100::1", "special-purpose", needAll},
		{"2001::1", "special-purpose", needAll},
		{"2001:2::1", "special-purpose", needAll},
		{"2001:db8::1", "special-purpose", needAll},
		{"2002:a9fe:a9fe::1", "special-purpose", needAll},
		{"3fff::1", "special-purpose", needAll},
		{"5f00::1", "special-purpose", needAll},
		{"fec0::1", "special-purpose", needAll},
		{"198.20.0.1", "", ok},
		{"192.0.1.1", "", ok},
		{"2001:200::1", "", ok},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			addr := netip.MustParseAddr(tc.addr)
			for _, policy := range []probe.Networks{probe.Public, probe.Private, probe.All} {
				err := policy.Check(addr)
				allowed := tc.need == ok || policy == probe.All || (tc.need == needPrv && policy == probe.Private)
				if allowed != (err == nil) {
					t.Fatalf("policy %s: Check(%s) = %v, want allowed %v", policy, tc.addr, err, allowed)
				}
				if err == nil {
					continue
				}
				refused, isRefused := err.(*probe.RefusedError)
				if !isRefused || refused.Class != tc.class || refused.Policy != tc.need {
					t.Fatalf("policy %s: Check(%s) = %#v, want class %q, policy %q", policy, tc.addr, err, tc.class, tc.need)
				}
			}
		})
	}
}

func TestRefusedErrorText(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "address 127.0.0.1 is loopback; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
		{"::ffff:10.0.0.7", "address 10.0.0.7 is private; refused (set MEDIC_ALLOW_NETWORKS=private to allow)"},
		{"fe80::1%eth0", "address fe80::1 is link-local; refused (set MEDIC_ALLOW_NETWORKS=all to allow)"},
	}
	for _, tc := range tests {
		err := probe.Public.Check(netip.MustParseAddr(tc.addr))
		if err == nil || err.Error() != tc.want {
			t.Errorf("Check(%s) = %v, want %q", tc.addr, err, tc.want)
		}
	}
}

func TestParseNetworks(t *testing.T) {
	tests := []struct {
		in      string
		want    probe.Networks
		wantErr string
	}{
		{in: "", want: probe.Public},
		{in: "public", want: probe.Public},
		{in: " Private ", want: probe.Private},
		{in: "ALL", want: probe.All},
		{in: "vpc", wantErr: `invalid MEDIC_ALLOW_NETWORKS "vpc": want public, private or all`},
		{in: "public,private", wantErr: `invalid MEDIC_ALLOW_NETWORKS "public,private": want public, private or all`},
	}
	for _, tc := range tests {
		got, err := probe.ParseNetworks(tc.in)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("ParseNetworks(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseNetworks(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if s := (probe.AllowLoopback | probe.AllowPrivate).String(); s != "public+private+loopback" {
		t.Errorf("String() = %q", s)
	}
}

func FuzzParseNetworks(f *testing.F) {
	for _, s := range []string{"", "public", "private", "all", "ALL ", "nope", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := probe.ParseNetworks(s)
		if err != nil {
			if n != probe.Public {
				t.Fatalf("error with a non-default policy %v", n)
			}
			return
		}
		back, err := probe.ParseNetworks(n.String())
		if err != nil || back != n {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, n, n.String(), back, err)
		}
	})
}

func FuzzNetworksCheck(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1})
	f.Add([]byte{169, 254, 169, 254})
	f.Add([]byte{0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54})
	f.Fuzz(func(t *testing.T, b []byte) {
		addr, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		for _, policy := range []probe.Networks{probe.Public, probe.Private, probe.All} {
			err := policy.Check(addr)
			if policy == probe.All && err != nil {
				t.Fatalf("all refused %s: %v", addr, err)
			}
			// An IPv4 address and its IPv4-mapped IPv6 form get one verdict.
			if addr.Is4() {
				mapped := netip.AddrFrom16(addr.As16())
				if (policy.Check(mapped) == nil) != (err == nil) {
					t.Fatalf("policy %s: %s and %s disagree", policy, addr, mapped)
				}
			}
			if err != nil && probe.Public.Check(addr) == nil {
				t.Fatalf("%s allowed by public but refused by %s", addr, policy)
			}
		}
	})
}
