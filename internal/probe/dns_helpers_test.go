package probe_test

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dnsServer starts a DNS server on loopback that answers A and AAAA
// queries for the names in zone (lowercase, no trailing dot) with their
// addresses, in order, and NXDOMAIN for any other name. It returns a
// resolver that asks only it.
func dnsServer(t *testing.T, zone map[string][]netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if resp := dnsAnswer(buf[:n], zone); resp != nil {
				_, _ = pc.WriteTo(resp, from)
			}
		}
	}()
	addr := pc.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

// dnsAnswer builds the response to query: the question, then one record
// per address of the asked family.
func dnsAnswer(query []byte, zone map[string][]netip.Addr) []byte {
	if len(query) < 12 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(query) && query[i] != 0 {
		l := int(query[i])
		if i+1+l > len(query) {
			return nil
		}
		labels = append(labels, string(query[i+1:i+1+l]))
		i += 1 + l
	}
	end := i + 1 + 4
	if end > len(query) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(query[i+1:])
	resp := append([]byte(nil), query[:end]...) // header and question, no EDNS record
	binary.BigEndian.PutUint16(resp[10:], 0)
	binary.BigEndian.PutUint16(resp[8:], 0)
	addrs, known := zone[strings.ToLower(strings.Join(labels, "."))]
	flags := uint16(0x8180) // QR, RD, RA, NOERROR
	if !known {
		flags = 0x8183 // NXDOMAIN
	}
	binary.BigEndian.PutUint16(resp[2:], flags)
	var count uint16
	for _, a := range addrs {
		var rtype uint16 = 1
		if a.Is6() {
			rtype = 28
		}
		if rtype != qtype {
			continue
		}
		count++
		raw := a.AsSlice()
		rr := []byte{0xc0, 0x0c, byte(rtype >> 8), byte(rtype), 0, 1, 0, 0, 0, 60, 0, byte(len(raw))}
		resp = append(append(resp, rr...), raw...)
	}
	binary.BigEndian.PutUint16(resp[6:], count)
	return resp
}

// blackhole listens on ip:port with a full accept queue that it never
// drains, so that a new connection's SYN is dropped and its dial hangs, as
// with a firewalled or dead address. Linux only; the test is skipped if
// the queue cannot be made to drop connections.
func blackhole(t *testing.T, ip string, port int) {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("blackhole listener: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	a := netip.MustParseAddr(ip).As4()
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port, Addr: a}); err != nil {
		t.Skipf("blackhole listener: bind %s:%d: %v", ip, port, err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Skipf("blackhole listener: %v", err)
	}
	target := net.JoinHostPort(ip, strconv.Itoa(port))
	for range 8 {
		c, err := net.DialTimeout("tcp", target, 200*time.Millisecond)
		if err != nil {
			return // the queue is full: SYNs are dropped now
		}
		t.Cleanup(func() { _ = c.Close() })
	}
	t.Skip("blackhole listener: the accept queue never filled; cannot simulate an address that does not answer")
}
