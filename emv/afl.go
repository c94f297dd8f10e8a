package emv

import "fmt"

// AFLEntry is one entry of the application file locator (tag 94).
type AFLEntry struct {
	SFI         int
	First, Last int // record numbers, inclusive
	Signed      int // how many records from First take part in offline data authentication
}

// ParseAFL checks and decodes an AFL as EMV Book 3 section 10.2 says.
func ParseAFL(b []byte) ([]AFLEntry, error) {
	if len(b) == 0 || len(b)%4 != 0 {
		return nil, fmt.Errorf("AFL of %d bytes is not a multiple of 4", len(b))
	}
	out := make([]AFLEntry, 0, len(b)/4)
	for i := 0; i < len(b); i += 4 {
		e := AFLEntry{SFI: int(b[i] >> 3), First: int(b[i+1]), Last: int(b[i+2]), Signed: int(b[i+3])}
		switch {
		case b[i]&0x07 != 0 || e.SFI == 0 || e.SFI > 30:
			return nil, fmt.Errorf("AFL entry %d: SFI byte %02X is not valid", i/4+1, b[i])
		case e.First == 0 || e.Last < e.First:
			return nil, fmt.Errorf("AFL entry %d: records %d to %d", i/4+1, e.First, e.Last)
		case e.Signed > e.Last-e.First+1:
			return nil, fmt.Errorf("AFL entry %d: %d signed records of %d", i/4+1, e.Signed, e.Last-e.First+1)
		}
		out = append(out, e)
	}
	return out, nil
}
