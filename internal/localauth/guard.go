package localauth

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/medic-dev/medic/internal/sigv4"
)

// Protocol says how an endpoint writes its errors.
type Protocol int

// Protocols.
const (
	// S3 errors are XML <Error> documents.
	S3 Protocol = iota
	// JSON errors are AWS JSON 1.0 ({"__type", "message"}), as the Step
	// Functions API writes them.
	JSON
)

// Guard is the policy of one local endpoint.
type Guard struct {
	Credentials Credentials
	Protocol    Protocol
	// Origins may call the endpoint from a browser (CORS); none when empty.
	Origins []string
	// Addr is the address the endpoint is bound to: it decides which Host
	// names are accepted.
	Addr net.Addr
}

// CheckOrigins validates CORS origins as a flag gives them: each
// scheme://host[:port], no path, no "*".
func CheckOrigins(origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return fmt.Errorf("CORS origin %q is not of the form http(s)://host[:port]", o)
		}
	}
	return nil
}

// Handler wraps next: the request's Host must name this endpoint (no DNS
// rebinding), a CORS preflight is answered only for the configured
// origins, and every other request must carry a valid AWS Signature V4
// made with g.Credentials.
func (g Guard) Handler(next http.Handler) http.Handler {
	v := &sigv4.Verifier{AccessKeyID: g.Credentials.AccessKeyID, SecretAccessKey: g.Credentials.SecretAccessKey}
	if g.Protocol == JSON {
		// An API request body is hashed before it is verified: bound what an
		// unsigned request can make the endpoint hold (the Step Functions
		// API takes at most 1 MiB).
		v.MaxBodyBytes = 1 << 20
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r.Host) {
			g.refuse(w, http.StatusForbidden, "InvalidHost", fmt.Sprintf("Host %q does not name this endpoint; use 127.0.0.1 or localhost", clip(r.Host)))
			return
		}
		origin := r.Header.Get("Origin")
		allowed := origin != "" && g.originAllowed(origin)
		if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			if !allowed {
				g.refuse(w, http.StatusForbidden, "AccessForbidden", fmt.Sprintf("CORS is not enabled for origin %q", clip(origin)))
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, PUT, POST, DELETE")
			if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
				h.Set("Access-Control-Allow-Headers", rh)
			}
			h.Set("Access-Control-Max-Age", "600")
			h.Add("Vary", "Origin")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if err := v.Verify(r); err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				g.refuse(w, http.StatusBadRequest, "IncompleteBody", err.Error())
				return
			}
			g.refuse(w, http.StatusForbidden, g.code(e.Code), e.Message)
			return
		}
		if !allowed {
			origin = ""
		}
		next.ServeHTTP(&corsWriter{ResponseWriter: w, origin: origin}, r)
	})
}

// hostAllowed accepts loopback names and addresses, the bound address, and
// any IP address when bound to all interfaces: a DNS-rebinding page always
// comes with its own domain name in Host.
func (g Guard) hostAllowed(host string) bool {
	name := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		name = h
	}
	name = strings.TrimSuffix(strings.TrimPrefix(name, "["), "]")
	// The SDKs send StartSyncExecution and TestState to "sync-" + the
	// endpoint's host (an endpoint host prefix): the same endpoint.
	if len(name) > 5 && strings.EqualFold(name[:5], "sync-") {
		name = name[5:]
	}
	lower := strings.ToLower(name)
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return true
	}
	ip := net.ParseIP(name)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	if tcp, ok := g.Addr.(*net.TCPAddr); ok {
		return tcp.IP.IsUnspecified() || tcp.IP.Equal(ip)
	}
	return false
}

func (g Guard) originAllowed(origin string) bool {
	for _, o := range g.Origins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}

// code names a sigv4 error as the protocol's clients expect it.
func (g Guard) code(c string) string {
	if g.Protocol == S3 {
		return c
	}
	switch c {
	case sigv4.CodeInvalidAccessKeyID:
		return "UnrecognizedClientException"
	case sigv4.CodeSignatureDoesNotMatch, sigv4.CodeRequestTimeTooSkewed, sigv4.CodeRequestExpired, sigv4.CodeContentSHA256Mismatch:
		return "InvalidSignatureException"
	}
	return c
}

func (g Guard) refuse(w http.ResponseWriter, status int, code, msg string) {
	if g.Protocol == S3 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(status)
		_ = xml.NewEncoder(w).Encode(struct {
			XMLName xml.Name `xml:"Error"`
			Code    string
			Message string
		}{Code: code, Message: msg})
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Errortype", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// corsWriter removes whatever CORS headers the wrapped handler sets (the
// embedded S3 server allows every origin) and allows only the request's
// origin, when it is configured.
type corsWriter struct {
	http.ResponseWriter
	origin string
	fixed  bool
}

func (w *corsWriter) fix() {
	if w.fixed {
		return
	}
	w.fixed = true
	h := w.ResponseWriter.Header()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(h, k)
		}
	}
	if w.origin != "" {
		h.Set("Access-Control-Allow-Origin", w.origin)
		h.Set("Access-Control-Expose-Headers", "ETag, x-amz-version-id, x-amz-request-id, Last-Modified, Content-Length")
		h.Add("Vary", "Origin")
	}
}

func (w *corsWriter) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *corsWriter) Write(b []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *corsWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes a flush on.
func (w *corsWriter) Flush() {
	w.fix()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
