package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"io"
	"strconv"
)

// maxChunkBytes bounds one chunk of a signed streaming upload (SDKs send
// 64 KiB to 8 MiB).
const maxChunkBytes = 16 << 20

var emptySHA256 = hexSHA256(nil)

// chunkVerifier passes a STREAMING-AWS4-HMAC-SHA256-PAYLOAD body through
// unchanged (the handler decodes the framing), but only one chunk at a
// time and only after that chunk's signature, chained from the seed
// signature, has been checked.
type chunkVerifier struct {
	r    *bufio.Reader
	body io.Closer
	key  []byte
	req  request
	prev string
	out  []byte
	done bool
	err  error
}

func newChunkVerifier(body io.ReadCloser, key []byte, req request) *chunkVerifier {
	return &chunkVerifier{r: bufio.NewReaderSize(body, 4096), body: body, key: key, req: req, prev: req.auth.Signature}
}

func (c *chunkVerifier) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.done {
			return 0, io.EOF
		}
		c.err = c.next()
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

func (c *chunkVerifier) Close() error { return c.body.Close() }

func chunkError(msg string) error {
	return &Error{Code: CodeIncompleteSignature, Message: "signed streaming body: " + msg}
}

// next reads, checks and queues one chunk.
func (c *chunkVerifier) next() error {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			return chunkError("ends before its final chunk")
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			return chunkError("a chunk header is too long")
		}
		return err
	}
	header := append([]byte(nil), line...)
	sizeHex, sig, ok := bytes.Cut(bytes.TrimSuffix(header, []byte("\r\n")), []byte(";chunk-signature="))
	if !ok || len(sig) != 64 || !isHex(string(sig)) || len(sizeHex) == 0 || len(sizeHex) > 8 {
		return chunkError("a chunk header is not SIZE;chunk-signature=SIGNATURE")
	}
	size, err := strconv.ParseUint(string(sizeHex), 16, 32)
	if err != nil || size > maxChunkBytes {
		return chunkError("a chunk size is not hex or is over 16 MiB")
	}
	data := make([]byte, size+2)
	if _, err := io.ReadFull(c.r, data); err != nil {
		return chunkError("a chunk is shorter than its size")
	}
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		return chunkError("a chunk does not end with CRLF")
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.req.amzDate + "\n" + c.req.auth.Scope() + "\n" + c.prev + "\n" + emptySHA256 + "\n" + hexSHA256(data[:size])
	want := hex.EncodeToString(hmacSHA256(c.key, []byte(sts)))
	if !hmac.Equal([]byte(want), sig) {
		return &Error{Code: CodeSignatureDoesNotMatch, Message: "signed streaming body: a chunk's signature does not match"}
	}
	c.prev = string(sig)
	c.out = append(header, data...)
	c.done = size == 0
	return nil
}
