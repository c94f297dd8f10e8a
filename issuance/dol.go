package issuance

import (
	"fmt"

	"lingqian/emv/tlv"
)

// DOLEntry is one entry of a data object list (PDOL, CDOL1, CDOL2, the log
// format): a tag and the length its value takes in the DOL data.
type DOLEntry struct {
	Tag    tlv.Tag
	Length int
}

// DOL is a parsed data object list.
type DOL []DOLEntry

// ParseDOL reads a data object list: tags each followed by a one-byte
// length (EMV Book 3 5.4). A DOL entry longer than 127 bytes is refused:
// no terminal fills one.
func ParseDOL(b []byte) (DOL, error) {
	var out DOL
	for i := 0; i < len(b); {
		tag, n, err := tlv.ReadTag(b[i:])
		if err != nil {
			return nil, fmt.Errorf("issuance: DOL entry at byte %d: %w", i, err)
		}
		i += n
		if i >= len(b) {
			return nil, fmt.Errorf("issuance: DOL entry %s has no length", tag)
		}
		if b[i] >= 0x80 {
			return nil, fmt.Errorf("issuance: DOL entry %s asks for %d bytes, at most 127", tag, b[i])
		}
		out = append(out, DOLEntry{Tag: tag, Length: int(b[i])})
		i++
	}
	return out, nil
}

// Len is the length of the DOL data the list asks for.
func (d DOL) Len() int {
	n := 0
	for _, e := range d {
		n += e.Length
	}
	return n
}

// Has says whether the list asks for the tag with exactly this length.
func (d DOL) Has(tag tlv.Tag, length int) bool {
	for _, e := range d {
		if e.Tag == tag {
			return e.Length == length
		}
	}
	return false
}

// Value returns the value of the first entry with the tag in DOL data
// built from this list, or nil when the list does not ask for the tag or
// the data is too short.
func (d DOL) Value(data []byte, tag tlv.Tag) []byte {
	at := 0
	for _, e := range d {
		if e.Tag == tag {
			if at+e.Length > len(data) {
				return nil
			}
			return data[at : at+e.Length : at+e.Length]
		}
		at += e.Length
	}
	return nil
}

// Bytes encodes the list back to its DOL form.
func (d DOL) Bytes() []byte {
	var out []byte
	for _, e := range d {
		out = append(out, e.Tag.Bytes()...)
		out = append(out, byte(e.Length))
	}
	return out
}
