package localauth

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateSavesOncePrivately(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	var wg sync.WaitGroup
	got := make([]Credentials, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = LoadOrCreate(dir)
		}()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate %d: %v", i, errs[i])
		}
		if got[i] != got[0] {
			t.Fatalf("two processes starting at once got different credentials: %v and %v", got[0].AccessKeyID, got[i].AccessKeyID)
		}
	}
	c := got[0]
	if !strings.HasPrefix(c.AccessKeyID, "MEDIC") || len(c.AccessKeyID) != 20 || len(c.SecretAccessKey) != 40 {
		t.Errorf("credentials %q / %d-character secret", c.AccessKeyID, len(c.SecretAccessKey))
	}
	info, err := os.Stat(Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %04o, want 0600", info.Mode().Perm())
	}
	if d, _ := os.Stat(dir); d.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %04o, want 0700", d.Mode().Perm())
	}
	again, err := LoadOrCreate(dir)
	if err != nil || again != c {
		t.Errorf("second LoadOrCreate: %v, same pair %v", err, again == c)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state directory holds %d files, want only the credentials file", len(entries))
	}
	// An AWS shared credentials file: the SDKs can read it directly.
	b, _ := os.ReadFile(Path(dir))
	if !strings.Contains(string(b), "[default]\naws_access_key_id = "+c.AccessKeyID+"\naws_secret_access_key = "+c.SecretAccessKey+"\n") {
		t.Errorf("credentials file is not a shared credentials file:\n%s", b)
	}

	if err := os.Chmod(Path(dir), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreate(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a world-readable credentials file: %v, want a refusal saying chmod 600", err)
	}
}

func TestGenerateIsRandom(t *testing.T) {
	a, _ := Generate()
	b, _ := Generate()
	if a == b || a.SecretAccessKey == b.SecretAccessKey {
		t.Fatal("two generated pairs are equal")
	}
}

func TestHostAllowed(t *testing.T) {
	loop := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8084}
	all := &net.TCPAddr{IP: net.IPv4zero, Port: 8084}
	lan := &net.TCPAddr{IP: net.IPv4(192, 168, 1, 5), Port: 8084}
	tests := []struct {
		addr *net.TCPAddr
		host string
		want bool
	}{
		{loop, "127.0.0.1:8084", true},
		{loop, "localhost:8084", true},
		{loop, "LOCALHOST", true},
		{loop, "[::1]:8084", true},
		{loop, "medic.localhost:8084", true},
		{loop, "sync-localhost:8084", true},
		{loop, "sync-127.0.0.1:8084", true},
		{loop, "sync-evil.example:8084", false},
		{loop, "sync-:8084", false},
		{loop, "evil.example:8084", false},
		{loop, "127.0.0.1.nip.io:8084", false},
		{loop, "192.168.1.5:8084", false},
		{loop, "", false},
		{lan, "192.168.1.5:8084", true},
		{lan, "10.0.0.1:8084", false},
		{lan, "myhost.lan:8084", false},
		{all, "10.0.0.1:8084", true},
		{all, "evil.example:8084", false},
	}
	for _, tt := range tests {
		if got := (Guard{Addr: tt.addr}).hostAllowed(tt.host); got != tt.want {
			t.Errorf("bound to %s, Host %q: allowed %v, want %v", tt.addr, tt.host, got, tt.want)
		}
	}
}

func TestBindWarning(t *testing.T) {
	if w := BindWarning("S3 endpoint", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); w != "" {
		t.Errorf("warning on loopback: %q", w)
	}
	if w := BindWarning("S3 endpoint", &net.TCPAddr{IP: net.IPv4zero, Port: 1}); !strings.Contains(w, "WARNING") || !strings.Contains(w, "BEYOND LOOPBACK") {
		t.Errorf("no loud warning on 0.0.0.0: %q", w)
	}
}

func TestCheckOrigins(t *testing.T) {
	for _, o := range []string{"*", "evil.example", "https://a.example/path", "ftp://a.example", "https://user@a.example"} {
		if CheckOrigins([]string{o}) == nil {
			t.Errorf("origin %q accepted", o)
		}
	}
	if err := CheckOrigins([]string{"http://127.0.0.1:3000", "https://dash.example"}); err != nil {
		t.Error(err)
	}
}
