package localauth

import (
	"fmt"
	"net"
	"strings"
)

// IsLoopback reports whether addr is on loopback only.
func IsLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// BindWarning is the warning to print when an endpoint listens beyond
// loopback; empty when it does not.
func BindWarning(what string, addr net.Addr) string {
	if IsLoopback(addr) {
		return ""
	}
	bar := strings.Repeat("!", 72)
	return fmt.Sprintf(`%s
WARNING: the %s listens on %s, BEYOND LOOPBACK.
Every machine that can reach this address can send it requests. They still
need medic's local credentials, but plain HTTP carries signed requests and
the data unencrypted. Bind to 127.0.0.1 unless this is what you want.
%s
`, bar, what, addr, bar)
}

// Banner is what 'medic serve' prints about the credentials: where they
// are and how to use them.
func Banner(c Credentials, stateDir string) string {
	return fmt.Sprintf(`credentials         %s (requests must be signed with them)
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  (or: eval "$(medic credentials --state-dir %s)")
`, Path(stateDir), c.AccessKeyID, c.SecretAccessKey, stateDir)
}
