package emv

import (
	"fmt"

	"lingqian/emv/tlv"
)

// DOLEntry is one entry of a data object list: a tag and the length the
// card wants its value in.
type DOLEntry struct {
	Tag    tlv.Tag
	Length int
}

// ParseDOL reads a DOL (tags and lengths, no values), as in 9F38 or 8C.
func ParseDOL(b []byte) ([]DOLEntry, error) {
	var out []DOLEntry
	for i := 0; i < len(b); {
		tag, n, err := tlv.ReadTag(b[i:])
		if err != nil {
			return nil, fmt.Errorf("DOL entry at byte %d: %w", i, err)
		}
		i += n
		if i >= len(b) {
			return nil, fmt.Errorf("DOL entry %s at byte %d has no length", tag, i-n)
		}
		l := int(b[i])
		if l >= 0x80 {
			// DOL lengths are one byte of at most 127: a card asking for
			// more is not following EMV.
			return nil, fmt.Errorf("DOL entry %s asks for length %#x", tag, b[i])
		}
		i++
		out = append(out, DOLEntry{Tag: tag, Length: l})
	}
	return out, nil
}

// format of a data element, as far as DOL padding and truncation care.
type format int

const (
	formatOther format = iota // b, an, ans: pad and cut on the right
	formatN                   // numeric BCD: pad and cut on the left
	formatCN                  // compressed numeric: pad with F on the right
)

// formats of the terminal-sourced and card-sourced elements a DOL may ask
// for whose format is not "other" (EMV Book 3 Annex A).
var formats = map[tlv.Tag]format{
	0x5A: formatCN, 0x5F24: formatN, 0x5F25: formatN, 0x5F28: formatN, 0x5F2A: formatN,
	0x5F34: formatN, 0x5F36: formatN, 0x9A: formatN, 0x9C: formatN, 0x9F02: formatN,
	0x9F03: formatN, 0x9F11: formatN, 0x9F15: formatN, 0x9F1A: formatN, 0x9F21: formatN,
	0x9F3C: formatN, 0x9F3D: formatN, 0x9F41: formatN, 0x9F42: formatN, 0x9F44: formatN,
	0x9F7B: formatN, 0x9F79: formatN, 0x9F78: formatN, 0x9F5D: formatN, 0x5F57: formatN,
	0x9F01: formatN,
}

// BuildDOL fills a DOL from the data the desk has. Unknown tags are zeros
// of the requested length; a value of another length is padded or cut as
// EMV Book 3 section 5.4 says for its format. Constructed tags are zeros.
func BuildDOL(entries []DOLEntry, data func(tlv.Tag) ([]byte, bool)) []byte {
	var out []byte
	for _, e := range entries {
		v, ok := data(e.Tag)
		if !ok || e.Tag.Constructed() {
			out = append(out, make([]byte, e.Length)...)
			continue
		}
		out = append(out, fit(v, e.Length, formats[e.Tag])...)
	}
	return out
}

func fit(v []byte, n int, f format) []byte {
	switch {
	case len(v) == n:
		return v
	case len(v) > n && f == formatN:
		return v[len(v)-n:] // keep the least significant digits
	case len(v) > n:
		return v[:n]
	}
	out := make([]byte, n)
	switch f {
	case formatN:
		copy(out[n-len(v):], v)
	case formatCN:
		copy(out, v)
		for i := len(v); i < n; i++ {
			out[i] = 0xFF
		}
	default:
		copy(out, v)
	}
	return out
}
