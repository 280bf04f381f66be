package local

import "os"

// SetWriteFile replaces how e writes a record's bytes to its temporary
// file: the tests' way to inject a write failure (a full disk) without one.
func SetWriteFile(e *Env, write func(f *os.File, b []byte) (int, error)) { e.writeFile = write }
