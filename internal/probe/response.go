package probe

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/medic-dev/medic/internal/target"
)

// redirectCount is how many redirects led to resp.
func redirectCount(resp *http.Response) int {
	n := 0
	for req := resp.Request; req != nil && req.Response != nil; req = req.Response.Request {
		n++
	}
	return n
}

// checkRedirects compares the redirects followed and the final URL with e.
func checkRedirects(e target.Expect, resp *http.Response) []string {
	var failures []string
	if e.Redirects != nil {
		if n := redirectCount(resp); n != *e.Redirects {
			failures = append(failures, fmt.Sprintf("%s, want %s", plural(n, "redirect"), plural(*e.Redirects, "redirect")))
		}
	}
	if e.FinalURL != "" && resp.Request != nil {
		if got := resp.Request.URL.String(); got != e.FinalURL {
			failures = append(failures, fmt.Sprintf("final URL %s, want %s", quote(got), quote(e.FinalURL)))
		}
	}
	return failures
}

// checkHeaders compares the response headers with e's header conditions,
// by header name (sorted), equals before contains before regex.
func checkHeaders(e target.Expect, h http.Header) []string {
	var failures []string
	value := func(name string) (string, bool) {
		vs := h.Values(name)
		return strings.Join(vs, ", "), len(vs) > 0
	}
	// each checks the headers of m; missing says what was wanted of a
	// header that is absent.
	each := func(m map[string]string, missing func(want string) string, check func(name, want, got string) string) {
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			got, ok := value(n)
			if !ok {
				failures = append(failures, fmt.Sprintf("header %s missing, want %s", n, missing(m[n])))
				continue
			}
			if f := check(n, m[n], got); f != "" {
				failures = append(failures, f)
			}
		}
	}
	each(e.Headers, quote, func(n, want, got string) string {
		if got == want {
			return ""
		}
		return fmt.Sprintf("header %s = %s, want %s", n, quote(got), quote(want))
	})
	each(e.HeadersContain, func(w string) string { return "one containing " + quote(w) }, func(n, want, got string) string {
		if strings.Contains(got, want) {
			return ""
		}
		return fmt.Sprintf("header %s = %s, does not contain %s", n, quote(got), quote(want))
	})
	each(e.HeadersRegex, func(w string) string { return "one matching /" + w + "/" }, func(n, want, got string) string {
		re, err := regexp.Compile(want)
		if err != nil {
			return fmt.Sprintf("invalid headersRegex for %s %s: %v", n, quote(want), err)
		}
		if re.MatchString(got) {
			return ""
		}
		return fmt.Sprintf("header %s = %s, does not match /%s/", n, quote(got), want)
	})
	return failures
}

// plural formats "1 redirect", "2 redirects", "0 redirects".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
