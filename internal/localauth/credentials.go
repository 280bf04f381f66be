// Package localauth protects medic's local endpoints (the Step Functions API
// of 'medic serve' and the embedded S3 store): the local credentials medic
// generates once and keeps in the state directory, and the HTTP guard that
// checks every request's Host, CORS origin and AWS Signature V4 against
// them.
package localauth

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// FileName is the credentials file in the state directory. It is an AWS
// shared credentials file (profile "default"), so AWS_SHARED_CREDENTIALS_FILE
// may point at it.
const FileName = "credentials"

// keyPrefix starts every local access key ID, so it is told apart from an
// AWS one at a glance.
const keyPrefix = "MEDIC"

// Credentials are a local endpoint's key pair.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
}

// IsZero reports whether c has no key.
func (c Credentials) IsZero() bool { return c.AccessKeyID == "" && c.SecretAccessKey == "" }

// Retrieve makes Credentials an aws.CredentialsProvider, for medic's own
// clients of its local endpoints.
func (c Credentials) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Source: "medic local credentials"}, nil
}

// Exports is the pair as shell export lines, for eval "$(medic credentials)".
func (c Credentials) Exports() string {
	return "export AWS_ACCESS_KEY_ID=" + c.AccessKeyID + "\nexport AWS_SECRET_ACCESS_KEY=" + c.SecretAccessKey + "\n"
}

const (
	alnum       = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	secretChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Generate makes a new random key pair: a 20-character access key ID
// starting with MEDIC and a 40-character secret (238 random bits).
func Generate() (Credentials, error) {
	id, err := randomString(alnum, 20-len(keyPrefix))
	if err != nil {
		return Credentials{}, err
	}
	secret, err := randomString(secretChars, 40)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: keyPrefix + id, SecretAccessKey: secret}, nil
}

func randomString(chars string, n int) (string, error) {
	b := make([]byte, n)
	out := make([]byte, 0, n)
	for len(out) < n {
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("generate local credentials: %w", err)
		}
		for _, c := range b {
			// Reject bytes past the last whole multiple so every character
			// is equally likely.
			if int(c) < 256-256%len(chars) && len(out) < n {
				out = append(out, chars[int(c)%len(chars)])
			}
		}
	}
	return string(out), nil
}

// Path is the credentials file of state directory dir.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// Load reads dir's credentials; ok is false when there are none yet.
func Load(dir string) (c Credentials, ok bool, err error) {
	path := Path(dir)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Credentials{}, false, nil
	}
	if err != nil {
		return Credentials{}, false, fmt.Errorf("read medic's local credentials: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Credentials{}, false, fmt.Errorf("read medic's local credentials: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return Credentials{}, false, fmt.Errorf("%s is readable by other users (mode %04o): run 'chmod 600 %s'", path, perm, path)
	}
	c, err = parse(bufio.NewScanner(f))
	if err != nil {
		return Credentials{}, false, fmt.Errorf("%s: %w (delete it to make new credentials)", path, err)
	}
	return c, true, nil
}

func parse(s *bufio.Scanner) (Credentials, error) {
	var c Credentials
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") || line == "[default]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Credentials{}, fmt.Errorf("line %q is not KEY = VALUE", line)
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if err := s.Err(); err != nil {
		return Credentials{}, err
	}
	if c.AccessKeyID == "" || len(c.SecretAccessKey) < 20 {
		return Credentials{}, errors.New("no aws_access_key_id, or an aws_secret_access_key shorter than 20 characters")
	}
	return c, nil
}

// LoadOrCreate reads dir's credentials, generating and saving them (mode
// 0600, in a directory of mode 0700) the first time. Two processes that
// start at once agree on one pair.
func LoadOrCreate(dir string) (Credentials, error) {
	if c, ok, err := Load(dir); err != nil || ok {
		return c, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, fmt.Errorf("create state directory %s: %w", dir, err)
	}
	c, err := Generate()
	if err != nil {
		return Credentials{}, err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*")
	if err != nil {
		return Credentials{}, fmt.Errorf("save medic's local credentials: %w", err)
	}
	defer os.Remove(tmp.Name())
	content := "# medic's local credentials: 'medic serve' and the embedded S3 store accept only\n" +
		"# requests signed with this key. 'medic credentials' prints them as exports.\n" +
		"[default]\naws_access_key_id = " + c.AccessKeyID + "\naws_secret_access_key = " + c.SecretAccessKey + "\n"
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return Credentials{}, fmt.Errorf("save medic's local credentials: %w", err)
	}
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return Credentials{}, fmt.Errorf("save medic's local credentials: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Credentials{}, fmt.Errorf("save medic's local credentials: %w", err)
	}
	// Link fails if another process saved its pair first; then use that one.
	if err := os.Link(tmp.Name(), Path(dir)); err != nil && !errors.Is(err, os.ErrExist) {
		return Credentials{}, fmt.Errorf("save medic's local credentials: %w", err)
	}
	c, ok, err := Load(dir)
	if err == nil && !ok {
		err = fmt.Errorf("%s vanished while it was being created", Path(dir))
	}
	return c, err
}
