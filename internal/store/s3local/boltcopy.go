package s3local

import (
	"bytes"
	"fmt"
	"io"
	"maps"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3bolt"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/mgo.v2/bson"
)

// copyingBolt is gofakes3's bolt backend with GetObject and HeadObject
// that copy what they read while the bolt transaction is open.
//
// s3bolt decodes an object with bson, whose []byte fields (the contents
// and the hash) point into bolt's memory map, and returns them after the
// transaction ends. A write that grows the file remaps it, and reading the
// object then faults ("fatal error: fault", SIGSEGV in hex.Encode of the
// ETag) or returns the bytes of whatever reused the page.
type copyingBolt struct {
	*s3bolt.Backend
	db *bolt.DB
}

var _ gofakes3.Backend = (*copyingBolt)(nil)

func newCopyingBolt(db *bolt.DB, opts ...s3bolt.Option) *copyingBolt {
	return &copyingBolt{Backend: s3bolt.New(db, opts...), db: db}
}

// storedObject is s3bolt's record of an object (its boltObject).
type storedObject struct {
	Name     string
	Metadata map[string]string
	Size     int64
	Contents []byte
	Hash     []byte
}

// read decodes the object under key and copies it out of the transaction.
func (b *copyingBolt) read(bucketName, objectName string) (*storedObject, error) {
	var obj storedObject
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(bucketName))
		if bk == nil {
			return gofakes3.BucketNotFound(bucketName)
		}
		v := bk.Get([]byte(objectName))
		if v == nil {
			return gofakes3.KeyNotFound(objectName)
		}
		if err := bson.Unmarshal(v, &obj); err != nil {
			return fmt.Errorf("decode object %s/%s: %w", bucketName, objectName, err)
		}
		obj.Contents = bytes.Clone(obj.Contents)
		obj.Hash = bytes.Clone(obj.Hash)
		obj.Metadata = maps.Clone(obj.Metadata)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &obj, nil
}

// GetObject reads an object, or the range of it asked for.
func (b *copyingBolt) GetObject(bucketName, objectName string, rangeRequest *gofakes3.ObjectRangeRequest) (*gofakes3.Object, error) {
	obj, err := b.read(bucketName, objectName)
	if err != nil {
		return nil, err
	}
	rng, err := rangeRequest.Range(obj.Size)
	if err != nil {
		return nil, err
	}
	data := obj.Contents
	if rng != nil {
		data = data[rng.Start : rng.Start+rng.Length]
	}
	return &gofakes3.Object{
		Name:     objectName,
		Metadata: obj.Metadata,
		Size:     obj.Size,
		Contents: io.NopCloser(bytes.NewReader(data)),
		Range:    rng,
		Hash:     obj.Hash,
	}, nil
}

// HeadObject is GetObject without the contents.
func (b *copyingBolt) HeadObject(bucketName, objectName string) (*gofakes3.Object, error) {
	obj, err := b.GetObject(bucketName, objectName, nil)
	if err != nil {
		return nil, err
	}
	obj.Contents = io.NopCloser(bytes.NewReader(nil))
	return obj, nil
}

// CopyObject copies through the copying GetObject.
func (b *copyingBolt) CopyObject(srcBucket, srcKey, dstBucket, dstKey string, meta map[string]string) (gofakes3.CopyObjectResult, error) {
	return gofakes3.CopyObject(b, srcBucket, srcKey, dstBucket, dstKey, meta)
}
