package sfnapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// A page token is "<offset>.<hash of the request's scope>", base64url, so a
// token from one listing is refused by another.

func pageToken(scope string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + "." + scopeHash(scope)))
}

func parsePageToken(scope, token string) (int, error) {
	if token == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return 0, fmt.Errorf("nextToken is not a token this server issued")
	}
	off, hash, ok := strings.Cut(string(raw), ".")
	n, err := strconv.Atoi(off)
	if !ok || err != nil || n < 0 {
		return 0, fmt.Errorf("nextToken is not a token this server issued")
	}
	if hash != scopeHash(scope) {
		return 0, fmt.Errorf("nextToken belongs to a different request")
	}
	return n, nil
}

func scopeHash(scope string) string {
	sum := sha256.Sum256([]byte(scope))
	return hex.EncodeToString(sum[:8])
}

// page returns the bounds of one page of n items and the next token.
func page(scope, token string, maxResults, n int) (from, to int, next *string, err error) {
	if maxResults < 0 || maxResults > 1000 {
		return 0, 0, nil, clientError("ValidationException", "maxResults must be between 0 and 1000, got %d", maxResults)
	}
	if maxResults == 0 {
		maxResults = 100
	}
	from, perr := parsePageToken(scope, token)
	if perr != nil {
		return 0, 0, nil, clientError("InvalidToken", "%v", perr)
	}
	if from > n {
		from = n
	}
	to = min(from+maxResults, n)
	if to < n {
		t := pageToken(scope, to)
		next = &t
	}
	return from, to, next, nil
}
