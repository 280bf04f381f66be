package s3local

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestBoltReadSurvivesRemap: an object read from the bolt store stays
// intact after writes grow (and remap) the database file. s3bolt's own
// GetObject returns slices into the old map: reading them after the remap
// faulted (SIGSEGV) or returned other bytes.
func TestBoltReadSurvivesRemap(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s3.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	b := newCopyingBolt(db)
	if err := b.CreateBucket("medic"); err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte("echo "), 2000)
	if _, err := b.PutObject("medic", "echo/web.json", map[string]string{}, bytes.NewReader(want), int64(len(want)), nil); err != nil {
		t.Fatal(err)
	}
	obj, err := b.GetObject("medic", "echo/web.json", nil)
	if err != nil {
		t.Fatal(err)
	}
	head, err := b.HeadObject("medic", "echo/web.json")
	if err != nil {
		t.Fatal(err)
	}
	hash := fmt.Sprintf("%x", obj.Hash)
	// Grow the file well past its first map, and overwrite the object, so
	// that its old pages are remapped and reused.
	big := bytes.Repeat([]byte{0xAB}, 1<<20)
	for i := range 40 {
		if _, err := b.PutObject("medic", fmt.Sprintf("fill/%d", i), map[string]string{}, bytes.NewReader(big), int64(len(big)), nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.PutObject("medic", "echo/web.json", map[string]string{}, bytes.NewReader(big[:len(want)]), int64(len(want)), nil); err != nil {
			t.Fatal(err)
		}
	}
	got, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("the object read before the writes changed: %d bytes, starting %q", len(got), got[:min(20, len(got))])
	}
	if h := fmt.Sprintf("%x", obj.Hash); h != hash || fmt.Sprintf("%x", head.Hash) != hash {
		t.Fatalf("hash changed: %s, head %x, want %s", h, head.Hash, hash)
	}
}
