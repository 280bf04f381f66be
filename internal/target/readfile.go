package target

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/medic-dev/medic/internal/store"
)

// MaxFileBytes is the largest targets file a run reads: LoadTargets reads
// config/targets.yaml through the store, which refuses an object over
// store.MaxObjectBytes, and the run fails.
const MaxFileBytes = store.MaxObjectBytes

// FileTooLargeError is a local targets file over MaxFileBytes.
type FileTooLargeError struct {
	Path  string
	Size  int64 // -1 when the file's size is not known before reading
	Limit int64
}

func (e *FileTooLargeError) Error() string {
	size := "more than " + sizeText(e.Limit)
	if e.Size >= 0 {
		size = sizeText(e.Size)
	}
	return fmt.Sprintf("%s is %s, over the %s a run reads of config/targets.yaml (the run would fail): split the targets across deployments",
		e.Path, size, sizeText(e.Limit))
}

// ReadFile reads a local targets file, refusing one over MaxFileBytes
// without reading it (or, when its size is not known, after reading just
// past the limit), so a huge file costs no memory.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > MaxFileBytes {
		return nil, &FileTooLargeError{Path: path, Size: info.Size(), Limit: MaxFileBytes}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, &FileTooLargeError{Path: path, Size: -1, Limit: MaxFileBytes}
	}
	return data, nil
}

// IsFileTooLarge reports whether err is a *FileTooLargeError.
func IsFileTooLarge(err error) bool {
	var e *FileTooLargeError
	return errors.As(err, &e)
}
