// Package tlv decodes and encodes BER-TLV as EMV uses it (Book 3, Annex B):
// multi-byte tags, short and long-form lengths, constructed objects, and
// '00' padding before, between and after objects. It refuses what EMV
// does not allow — indefinite lengths, lengths running past their parent,
// absurd sizes, nesting too deep — with an error that says where.
package tlv

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Tag is a tag's bytes read as a big-endian number: 0x9F27 for '9F27'.
type Tag uint32

// Limits that keep a hostile card from making the decoder work hard.
const (
	maxTagBytes  = 4
	maxLenBytes  = 3 // '83 xx xx xx': up to 16 MiB, far beyond any card
	maxDepth     = 8
	maxValueSize = 1 << 16
)

// Constructed says whether the tag's value is itself TLV (b6 of the first byte).
func (t Tag) Constructed() bool { return t.firstByte()&0x20 != 0 }

func (t Tag) firstByte() byte {
	b := t.Bytes()
	return b[0]
}

// Bytes is the tag's encoding.
func (t Tag) Bytes() []byte {
	switch {
	case t > 0xFFFFFF:
		return []byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFFFF:
		return []byte{byte(t >> 16), byte(t >> 8), byte(t)}
	case t > 0xFF:
		return []byte{byte(t >> 8), byte(t)}
	}
	return []byte{byte(t)}
}

func (t Tag) String() string { return strings.ToUpper(hex.EncodeToString(t.Bytes())) }

// Object is one decoded data object.
type Object struct {
	Tag      Tag
	Value    []byte   // the value field, shared with the input
	Raw      []byte   // tag, length and value exactly as received
	Children []Object // the decoded value, for constructed tags
}

// Error says what is wrong and at which byte of the input.
type Error struct {
	Offset int
	Tag    Tag // 0 when the tag itself could not be read
	Reason string
}

func (e *Error) Error() string {
	if e.Tag != 0 {
		return fmt.Sprintf("tlv: tag %s at byte %d: %s", e.Tag, e.Offset, e.Reason)
	}
	return fmt.Sprintf("tlv: at byte %d: %s", e.Offset, e.Reason)
}

// Parse decodes a sequence of objects, and the values of constructed ones.
func Parse(b []byte) ([]Object, error) { return parse(b, 0, 0) }

func parse(b []byte, base, depth int) ([]Object, error) {
	if depth > maxDepth {
		return nil, &Error{Offset: base, Reason: "objects nested too deep"}
	}
	var out []Object
	for i := 0; i < len(b); {
		if b[i] == 0x00 { // padding between objects
			i++
			continue
		}
		start := i
		tag, n, err := readTag(b[i:])
		if err != nil {
			return nil, &Error{Offset: base + i, Reason: err.Error()}
		}
		i += n
		length, n, err := readLength(b[i:])
		if err != nil {
			return nil, &Error{Offset: base + i, Tag: tag, Reason: err.Error()}
		}
		i += n
		if length > len(b)-i {
			return nil, &Error{Offset: base + start, Tag: tag,
				Reason: fmt.Sprintf("length %d runs past the %d bytes left", length, len(b)-i)}
		}
		o := Object{Tag: tag, Value: b[i : i+length : i+length], Raw: b[start : i+length : i+length]}
		if tag.Constructed() {
			o.Children, err = parse(o.Value, base+i, depth+1)
			if err != nil {
				return nil, err
			}
		}
		out = append(out, o)
		i += length
	}
	return out, nil
}

// ReadTag reads the tag at the start of b and says how many bytes it took.
func ReadTag(b []byte) (Tag, int, error) { return readTag(b) }

func readTag(b []byte) (Tag, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("tag expected, input ended")
	}
	t := Tag(b[0])
	if b[0]&0x1F != 0x1F {
		return t, 1, nil
	}
	for i := 1; ; i++ {
		if i >= len(b) {
			return 0, 0, fmt.Errorf("tag cut short")
		}
		if i >= maxTagBytes {
			return 0, 0, fmt.Errorf("tag longer than %d bytes", maxTagBytes)
		}
		t = t<<8 | Tag(b[i])
		if b[i]&0x80 == 0 {
			return t, i + 1, nil
		}
	}
}

func readLength(b []byte) (int, int, error) {
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("length expected, input ended")
	}
	if b[0] < 0x80 {
		return int(b[0]), 1, nil
	}
	if b[0] == 0x80 {
		return 0, 0, fmt.Errorf("indefinite length is not allowed")
	}
	n := int(b[0] & 0x7F)
	if n > maxLenBytes {
		return 0, 0, fmt.Errorf("length of %d bytes is absurd", n)
	}
	if len(b) < 1+n {
		return 0, 0, fmt.Errorf("length cut short")
	}
	l := 0
	for _, c := range b[1 : 1+n] {
		l = l<<8 | int(c)
	}
	if l > maxValueSize {
		return 0, 0, fmt.Errorf("length %d is absurd", l)
	}
	return l, 1 + n, nil
}

// Find returns the first object with the tag, searching depth-first
// through constructed objects, or nil.
func Find(objs []Object, tag Tag) *Object {
	for i := range objs {
		if objs[i].Tag == tag {
			return &objs[i]
		}
		if o := Find(objs[i].Children, tag); o != nil {
			return o
		}
	}
	return nil
}

// Value returns the value of the first object with the tag, or nil.
func Value(objs []Object, tag Tag) []byte {
	if o := Find(objs, tag); o != nil {
		return o.Value
	}
	return nil
}

// Encode encodes one object with the shortest length form.
func Encode(tag Tag, value []byte) []byte {
	out := append(tag.Bytes(), EncodeLength(len(value))...)
	return append(out, value...)
}

// EncodeLength encodes a length in the shortest form EMV allows.
func EncodeLength(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n <= 0xFF:
		return []byte{0x81, byte(n)}
	case n <= 0xFFFF:
		return []byte{0x82, byte(n >> 8), byte(n)}
	}
	return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
}
