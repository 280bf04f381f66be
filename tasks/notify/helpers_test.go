package notify_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
)

func tlsConfig(pool *x509.CertPool) *tls.Config { return &tls.Config{RootCAs: pool} }

func typeName(v any) string { return fmt.Sprintf("%T", v) }
