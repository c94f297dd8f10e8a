package issuance

import (
	"cmp"
	"fmt"
	"slices"

	"lingqian/emv/tlv"
)

// The transaction log's place (docs/protocol.md): SFI 11, 10 records,
// announced in the FCI's 9F4D.
const (
	LogSFI     = 11
	LogRecords = 10
)

// maxRecordLen bounds a record, template included: a short READ RECORD
// answer carries at most 256 bytes, and EMV cards keep records under 255.
const maxRecordLen = 254

// The default data object lists of docs/protocol.md.
var (
	DefaultPDOL = []byte{
		0x9F, 0x66, 0x04, 0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02, 0x95, 0x05,
		0x5F, 0x2A, 0x02, 0x9A, 0x03, 0x9C, 0x01, 0x9F, 0x37, 0x04, 0x9F, 0x7A, 0x01,
	}
	// DefaultCDOL1 asks for the merchant and terminal ids (9F16, 9F1C)
	// too: the cryptogram then names the desk it was made at, and the bank
	// refuses it from any other desk (docs/bank-api.md, wrong_merchant).
	DefaultCDOL1 = []byte{
		0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02, 0x95, 0x05, 0x5F, 0x2A, 0x02,
		0x9A, 0x03, 0x9C, 0x01, 0x9F, 0x37, 0x04, 0x9F, 0x21, 0x03, 0x9F, 0x4E, 0x14,
		0x9F, 0x16, 0x0F, 0x9F, 0x1C, 0x08,
	}
	DefaultCDOL2 = []byte{
		0x8A, 0x02, 0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02, 0x95, 0x05,
		0x5F, 0x2A, 0x02, 0x9A, 0x03, 0x9C, 0x01, 0x9F, 0x37, 0x04,
	}
	// LogFormat is 9F4F: the layout of every transaction log record.
	LogFormat = []byte{
		0x9A, 0x03, 0x9F, 0x21, 0x03, 0x9F, 0x02, 0x06, 0x9F, 0x03, 0x06, 0x9F, 0x1A, 0x02,
		0x5F, 0x2A, 0x02, 0x9F, 0x4E, 0x14, 0x9C, 0x01, 0x9F, 0x36, 0x02,
	}
)

// DefaultRecords is the record layout of docs/protocol.md.
func DefaultRecords() []RecordSpec {
	return []RecordSpec{
		{SFI: 1, Record: 1, Tags: []tlv.Tag{0x9F08, 0x5F28, 0x9F07, 0x8C, 0x8D, 0x9F0D, 0x9F0E, 0x9F0F, 0x9F51}},
		{SFI: 2, Record: 1, Signed: true, Tags: []tlv.Tag{0x5A, 0x5F34, 0x5F24, 0x5F25, 0x9F78, 0x9F6D, 0x9F4A}},
		{SFI: 2, Record: 2, Signed: true, Tags: []tlv.Tag{0x8F, 0x9F32, 0x92, 0x9F47, 0x9F48}},
		{SFI: 3, Record: 1, Tags: []tlv.Tag{0x90}},
		{SFI: 3, Record: 2, Tags: []tlv.Tag{0x9F46}},
	}
}

// LengthForm is how lengths inside records are encoded.
type LengthForm int

const (
	// ShortestLengths: the shortest form, as most cards do.
	ShortestLengths LengthForm = iota
	// Long81: every length in long form: 81 xx, or 82 xx xx from 256 on.
	Long81
	// Long82: every length as 82 xx xx.
	Long82
)

// RecordSpec places data objects in one record.
type RecordSpec struct {
	SFI    int // 1–30, not LogSFI
	Record int // 1–254
	// Signed records are covered by the ICC certificate: for SFI 1–10 the
	// value of template 70, for SFI 11–30 the whole record.
	Signed bool
	Tags   []tlv.Tag // in the order they appear
}

// Profile is the layout of a card: its data object lists and where its
// records hold what. The zero Profile is the default layout of
// docs/protocol.md; the knobs exist so that a desk's kernel can be tested
// against cards laid out as other issuers lay theirs out. The wallet works
// with any valid profile.
type Profile struct {
	PDOL  []byte // 9F38; nil: DefaultPDOL; empty non-nil: no PDOL
	CDOL1 []byte // 8C; nil: DefaultCDOL1. Must ask for 9F02 06, 5F2A 02, 9F37 04
	CDOL2 []byte // 8D; nil: DefaultCDOL2
	// Records; nil: DefaultRecords. Every tag the card needs must be
	// placed once: 5A, 5F24, 8C, 8F, 90, 92, 9F32, 9F46, 9F47, 9F48, 9F4A
	// (92 and 9F48 are left out of the record when the key fits its
	// certificate). 9F46 cannot be in a signed record: it signs them.
	Records []RecordSpec
	Lengths LengthForm // inside records, template 70 included
	Padding int        // 00 bytes between the objects of a record (0–16)
}

// placeable are the data objects an issued card has to put in records.
var placeable = map[tlv.Tag]bool{
	0x5A: true, 0x5F24: true, 0x5F25: true, 0x5F28: true, 0x5F34: true, 0x8C: true,
	0x8D: true, 0x8F: true, 0x90: true, 0x92: true, 0x9F07: true, 0x9F08: true,
	0x9F0D: true, 0x9F0E: true, 0x9F0F: true, 0x9F32: true, 0x9F46: true, 0x9F47: true,
	0x9F48: true, 0x9F4A: true, 0x9F51: true, 0x9F6D: true, 0x9F78: true,
}

// required must be placed: without them a desk cannot run CDA.
var required = []tlv.Tag{0x5A, 0x5F24, 0x8C, 0x8F, 0x90, 0x92, 0x9F32, 0x9F46, 0x9F47, 0x9F48, 0x9F4A}

// resolved fills in the defaults.
func (p Profile) resolved() Profile {
	if p.PDOL == nil {
		p.PDOL = DefaultPDOL
	}
	if p.CDOL1 == nil {
		p.CDOL1 = DefaultCDOL1
	}
	if p.CDOL2 == nil {
		p.CDOL2 = DefaultCDOL2
	}
	if p.Records == nil {
		p.Records = DefaultRecords()
	}
	return p
}

// Validate says what is wrong with the profile, if anything.
func (p Profile) Validate() error {
	p = p.resolved()
	pdol, err := ParseDOL(p.PDOL)
	if err != nil {
		return fmt.Errorf("issuance: profile PDOL: %w", err)
	}
	if pdol.Len() > 252 { // 83 81 L data must fit a short Lc
		return fmt.Errorf("issuance: profile PDOL asks for %d bytes, at most 252", pdol.Len())
	}
	cdol1, err := ParseDOL(p.CDOL1)
	if err != nil {
		return fmt.Errorf("issuance: profile CDOL1: %w", err)
	}
	for _, need := range []DOLEntry{{0x9F02, 6}, {0x5F2A, 2}, {0x9F37, 4}} {
		if !cdol1.Has(need.Tag, need.Length) {
			return fmt.Errorf("issuance: profile CDOL1 must ask for %s with length %d: the card judges the amount and currency and signs the unpredictable number", need.Tag, need.Length)
		}
	}
	if cdol1.Len() > 255 {
		return fmt.Errorf("issuance: profile CDOL1 asks for %d bytes, at most 255", cdol1.Len())
	}
	cdol2, err := ParseDOL(p.CDOL2)
	if err != nil {
		return fmt.Errorf("issuance: profile CDOL2: %w", err)
	}
	if cdol2.Len() > 255 {
		return fmt.Errorf("issuance: profile CDOL2 asks for %d bytes, at most 255", cdol2.Len())
	}
	if p.Lengths < ShortestLengths || p.Lengths > Long82 {
		return fmt.Errorf("issuance: profile length form %d is unknown", p.Lengths)
	}
	if p.Padding < 0 || p.Padding > 16 {
		return fmt.Errorf("issuance: profile padding of %d bytes, want 0 to 16", p.Padding)
	}
	return p.checkRecords()
}

func (p Profile) checkRecords() error {
	placed := map[tlv.Tag]string{}
	seen := map[[2]int]bool{}
	for _, r := range p.Records {
		where := fmt.Sprintf("SFI %d record %d", r.SFI, r.Record)
		switch {
		case r.SFI < 1 || r.SFI > 30:
			return fmt.Errorf("issuance: profile %s: SFI must be 1 to 30", where)
		case r.SFI == LogSFI:
			return fmt.Errorf("issuance: profile %s: SFI %d is the transaction log", where, LogSFI)
		case r.Record < 1 || r.Record > 254:
			return fmt.Errorf("issuance: profile %s: record number must be 1 to 254", where)
		case seen[[2]int{r.SFI, r.Record}]:
			return fmt.Errorf("issuance: profile %s is laid out twice", where)
		case len(r.Tags) == 0:
			return fmt.Errorf("issuance: profile %s holds nothing", where)
		}
		seen[[2]int{r.SFI, r.Record}] = true
		for _, t := range r.Tags {
			switch {
			case !placeable[t]:
				return fmt.Errorf("issuance: profile %s: the issuer has no data object %s to put there", where, t)
			case placed[t] != "":
				return fmt.Errorf("issuance: profile %s: %s is already in %s", where, t, placed[t])
			case t == 0x9F46 && r.Signed:
				return fmt.Errorf("issuance: profile %s: the ICC certificate (9F46) cannot be in a record it signs", where)
			}
			placed[t] = where
		}
	}
	for _, t := range required {
		if placed[t] == "" {
			return fmt.Errorf("issuance: profile places no %s, which a desk needs for CDA", t)
		}
	}
	return nil
}

// sortedRecords is the profile's records in the order a desk reads them.
func sortedRecords(specs []RecordSpec) []RecordSpec {
	out := slices.Clone(specs)
	slices.SortFunc(out, func(a, b RecordSpec) int {
		return cmp.Or(cmp.Compare(a.SFI, b.SFI), cmp.Compare(a.Record, b.Record))
	})
	return out
}

// buildAFL lists the records in AFL entries (SFI, first, last, signed):
// one entry per run of consecutive records of an SFI in which the signed
// records come first, as an AFL entry can only say "the first N are signed".
func buildAFL(sorted []RecordSpec) []byte {
	var afl []byte
	for i := 0; i < len(sorted); {
		first := sorted[i]
		signed, j := 0, i
		for ; j < len(sorted); j++ {
			r := sorted[j]
			if r.SFI != first.SFI || r.Record != first.Record+(j-i) {
				break
			}
			if r.Signed {
				if signed != j-i { // a signed record after an unsigned one
					break
				}
				signed++
			}
		}
		last := sorted[j-1].Record
		afl = append(afl, byte(first.SFI<<3), byte(first.Record), byte(last), byte(signed))
		i = j
	}
	return afl
}

// encodeLength writes a length in the profile's form.
func (p Profile) encodeLength(n int) []byte {
	switch {
	case p.Lengths == Long82 || (p.Lengths == Long81 && n > 0xFF):
		return []byte{0x82, byte(n >> 8), byte(n)}
	case p.Lengths == Long81:
		return []byte{0x81, byte(n)}
	}
	return tlv.EncodeLength(n)
}

// encodeRecord builds template 70 holding the objects, in the profile's
// length form and with its padding between objects. Objects without a
// value (no key remainder) are left out.
func (p Profile) encodeRecord(r RecordSpec, values map[tlv.Tag][]byte) ([]byte, error) {
	var body []byte
	for _, t := range r.Tags {
		v, ok := values[t]
		if !ok || (len(v) == 0 && (t == 0x92 || t == 0x9F48)) {
			continue
		}
		if len(body) > 0 {
			body = append(body, make([]byte, p.Padding)...)
		}
		body = append(body, t.Bytes()...)
		body = append(body, p.encodeLength(len(v))...)
		body = append(body, v...)
	}
	rec := append([]byte{0x70}, p.encodeLength(len(body))...)
	rec = append(rec, body...)
	if len(rec) > maxRecordLen {
		return nil, fmt.Errorf("issuance: SFI %d record %d would be %d bytes, at most %d: spread its objects over more records", r.SFI, r.Record, len(rec), maxRecordLen)
	}
	return rec, nil
}
