package probe

import (
	"net/http"
	"time"
)

// Transport is an HTTP transport whose every connection passes the address
// policy allow after DNS resolution (so also every redirect and every name
// that resolves to a refused address), with no proxy, which would bypass
// it. It is for senders other than the probe that reach addresses the
// targets file chooses: channel deliveries in the notify function.
func Transport(allow Networks) *http.Transport {
	d := &guardedDialer{allow: allow}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 256 << 10,
	}
}
