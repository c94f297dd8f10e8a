package store

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"time"
)

// canon is a canonical encoding being written, in the field encodings
// chain.go describes: every variable field carries its length, so no two
// different rows share an encoding. The journal's and the audit log's
// chains both write theirs with it.
type canon []byte

func (c *canon) i64(v int64)  { *c = binary.BigEndian.AppendUint64(*c, uint64(v)) }
func (c *canon) u16(v uint16) { *c = binary.BigEndian.AppendUint16(*c, v) }
func (c *canon) u8(v byte)    { *c = append(*c, v) }

func (c *canon) str(s string) {
	*c = binary.BigEndian.AppendUint32(*c, uint32(len(s)))
	*c = append(*c, s...)
}

func (c *canon) bytes(b []byte) {
	*c = binary.BigEndian.AppendUint32(*c, uint32(len(b)))
	*c = append(*c, b...)
}

// time is 0x00 for the zero time, else 0x01 and its Unix nanoseconds.
func (c *canon) time(t time.Time) {
	if t.IsZero() {
		c.u8(0)
		return
	}
	c.u8(1)
	c.i64(t.UnixNano())
}

// linkHash is SHA-256(prev ‖ encode(v)), a chain's link. h and buf are
// reused across calls when not nil, so that a walk over a chain does not
// allocate per row; the encoding is handed back for the next call.
func linkHash[T any](h hash.Hash, buf, prev []byte, v T, encode func([]byte, T) []byte) ([]byte, []byte) {
	if h == nil {
		h = sha256.New()
	}
	h.Reset()
	h.Write(prev)
	buf = encode(buf[:0], v)
	h.Write(buf)
	return h.Sum(nil), buf
}
