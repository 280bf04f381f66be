package site

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/medic-dev/medic/internal/store"
)

// Handler serves the status page from the bucket, as the last run
// published it: GET / (site/index.html) and GET /status.json. It is
// read-only and answers only the Host names of addr (its loopback address,
// and localhost with the same port), so that a web page elsewhere cannot
// reach it through a name of its own pointed at 127.0.0.1.
func Handler(s *store.Store, addr net.Addr) http.Handler {
	_, port, _ := net.SplitHostPort(addr.String())
	hosts := map[string]bool{addr.String(): true, "localhost:" + port: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts[strings.ToLower(r.Host)] {
			http.Error(w, "this status page answers only to "+addr.String(), http.StatusMisdirectedRequest)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "the status page is read-only", http.StatusMethodNotAllowed)
			return
		}
		var key, ctype string
		switch r.URL.Path {
		case "/", "/index.html":
			key, ctype = PageKey, "text/html; charset=utf-8"
		case "/status.json":
			key, ctype = JSONKey, "application/json"
		default:
			http.NotFound(w, r)
			return
		}
		obj, err := s.Get(r.Context(), key)
		if errors.Is(err, store.ErrNotFound) {
			http.Error(w, "no status page yet: it is published by every run (start one with 'medic check NAME --endpoint URL' or 'medic run')", http.StatusNotFound)
			return
		}
		if err != nil {
			http.Error(w, "read the status page: "+err.Error(), http.StatusBadGateway)
			return
		}
		h := w.Header()
		h.Set("Content-Type", ctype)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method == http.MethodGet {
			_, _ = w.Write(obj.Body)
		}
	})
}
