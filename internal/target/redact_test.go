package target_test

import (
	"strings"
	"testing"

	"github.com/medic-dev/medic/internal/target"
)

func TestRedactURL(t *testing.T) {
	tests := map[string]string{
		"https://example.com/x":                    "https://example.com/x",
		"ftp://deploy:pw@files.example/a@b":        "ftp://[redacted]@files.example/a@b",
		"https://u:p@ss@host:8443/?q=a@b":          "https://[redacted]@host:8443/?q=a@b",
		"https://deploy:p w@ho st/":                "https://[redacted]@ho st/",
		"deploy:pw@host/x?u=http://a":              "[redacted]@host/x?u=http://a",
		"//user@host/":                             "//[redacted]@host/",
		"https://host/path?next=https://u:p@other": "https://host/path?next=https://u:p@other",
		"host:443": "host:443",
	}
	for in, want := range tests {
		if got := target.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProblemsRedactURLCredentials: a URL with credentials is refused, and
// neither its problem (which goes into logs and the execution history) nor
// any other problem quotes them, parsable or not.
func TestProblemsRedactURLCredentials(t *testing.T) {
	const pw = "pw-s3cret"
	file := `
channels:
  hook: {type: webhook, url: "ftp://ops:` + pw + `@hooks.example/x"}
targets:
  - {name: ftp, url: "ftp://deploy:` + pw + `@files.example/x"}
  - {name: port, url: "https://deploy:` + pw + `@host.example:99999/"}
  - {name: space, url: "https://deploy:` + pw + `@ho st/"}
  - {name: creds, url: "https://deploy:` + pw + `@ok.example/"}
`
	f, err := target.ParseFile("targets.yaml", []byte(file), target.Options{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range f.Problems {
		s := p.String()
		if strings.Contains(s, pw) || strings.Contains(s, "deploy:") || strings.Contains(s, "ops:") {
			t.Errorf("problem quotes the credentials: %s", s)
		}
		seen[p.Target] = true
	}
	for _, name := range []string{"ftp", "port", "space", "creds"} {
		if !seen[name] {
			t.Errorf("no problem for target %s: %v", name, f.Problems)
		}
	}
	_, err = target.ParsePulse("pulse/web.json", []byte(`{"url": "ftp://deploy:`+pw+`@files.example/", "body": "ok"}`), target.Defaults{})
	if err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "[redacted]@files.example") {
		t.Errorf("pulse file with credentials: %v", err)
	}
}
