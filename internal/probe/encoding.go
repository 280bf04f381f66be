package probe

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/medic-dev/medic/internal/target"
)

// decodeError is a body that does not decode as its Content-Encoding says.
type decodeError struct {
	encoding string
	err      error
}

func (e *decodeError) Error() string {
	return fmt.Sprintf("body is not valid %s (Content-Encoding: %s): %v", e.encoding, e.encoding, e.err)
}

func (e *decodeError) Unwrap() error { return e.err }

// decodedBody returns resp's body decoded as its Content-Encoding says
// (gzip and deflate, in the order they were applied), whoever asked for
// the encoding: Go's transport decodes only the gzip it asked for itself,
// so an explicit Accept-Encoding header, or a server that compresses
// unasked, would leave the body encoded. unsupported names an encoding
// medic cannot decode ("br"); the body is then returned as it came.
func decodedBody(resp *http.Response) (body io.Reader, unsupported string) {
	body = resp.Body
	if resp.Uncompressed {
		return body, ""
	}
	codings := strings.Split(resp.Header.Get("Content-Encoding"), ",")
	for i := len(codings) - 1; i >= 0; i-- {
		switch c := strings.ToLower(strings.TrimSpace(codings[i])); c {
		case "", "identity":
		case "gzip", "x-gzip":
			body = &lazyDecoder{name: "gzip", src: body, open: func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }}
		case "deflate":
			body = &lazyDecoder{name: "deflate", src: body, open: openDeflate}
		default:
			return resp.Body, c
		}
	}
	return body, ""
}

// openDeflate reads "deflate" as RFC 9110 means it (zlib, RFC 1950) and,
// since some servers send it, as a bare deflate stream (RFC 1951).
func openDeflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil {
		return nil, err
	}
	if head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		return zlib.NewReader(br)
	}
	return flate.NewReader(br), nil
}

// lazyDecoder opens its decoder on the first Read, so that a header that
// does not parse is an error of reading the body, and wraps every error
// of the encoding in a *decodeError.
type lazyDecoder struct {
	name string
	src  io.Reader
	open func(io.Reader) (io.Reader, error)
	r    io.Reader
}

func (d *lazyDecoder) Read(p []byte) (int, error) {
	if d.r == nil {
		r, err := d.open(d.src)
		if err != nil {
			return 0, d.wrap(err)
		}
		d.r = r
	}
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = d.wrap(err)
	}
	return n, err
}

// wrap marks err as the encoding's unless it is the connection's own
// (a timeout while reading), which describe words as such; a reset or an
// early close stays recognisable through Unwrap.
func (d *lazyDecoder) wrap(err error) error {
	if isTimeout(err) {
		return err
	}
	return &decodeError{encoding: d.name, err: err}
}

// needsBody reports whether e checks the body at all.
func needsBody(e target.Expect) bool {
	return e.Body != nil || e.BodyContains != "" || e.BodyRegex != "" || len(e.JSON) > 0 ||
		e.BodyNotContains != "" || e.BodyNotRegex != ""
}
