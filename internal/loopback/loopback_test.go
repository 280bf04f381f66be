package loopback

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestRefusingAddrRefuses(t *testing.T) {
	addr, err := RefusingAddr()
	if err != nil {
		t.Fatal(err)
	}
	// Open many ":0" listeners meanwhile, as parallel tests do: none of them
	// may land on the refusing port.
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if ln.Addr().String() == addr {
			t.Fatalf("a :0 listener got the refusing address %s", addr)
		}
		defer ln.Close()
	}
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded, want connection refused", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial %s: %v, want connection refused", addr, err)
	}
}
