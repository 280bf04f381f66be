// Package loopback finds loopback addresses with a known behaviour, for the
// demo and for tests.
package loopback

import (
	"errors"
	"fmt"
	"net"
)

// Ports below the kernels' ephemeral ranges (Linux 32768-60999, macOS and
// Windows 49152-65535) are never handed out for ":0" binds, so a port found
// free here stays refusing while other code opens listeners of its own.
const (
	firstPort = 20000
	lastPort  = 29999
)

// RefusingAddr returns a 127.0.0.1 host:port on which nothing listens, so a
// connection to it is refused.
func RefusingAddr() (string, error) {
	for port := firstPort; port <= lastPort; port += 7 {
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use: try another
		}
		if err := ln.Close(); err != nil {
			return "", fmt.Errorf("close probe listener on %s: %w", addr, err)
		}
		return addr, nil
	}
	return "", errors.New("no free loopback port between 20000 and 29999 to use as a refusing address")
}
