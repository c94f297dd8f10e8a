package issuance

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"lingqian/emv/tlv"
)

// otherProfile lays a card out as another issuer might: a PDOL and CDOL1
// with tags a desk does not know, signed data in SFI 12 (hashed with its
// template), long-form lengths and padding between objects.
func otherProfile() Profile {
	return Profile{
		PDOL: []byte{0x9F, 0x02, 0x06, 0xDF, 0x81, 0x01, 0x03, 0x9F, 0x37, 0x04, 0x5F, 0x2A, 0x02},
		CDOL1: []byte{0x9F, 0x7C, 0x05, 0x9F, 0x37, 0x04, 0x9A, 0x03, 0x9F, 0x02, 0x06,
			0xDF, 0x81, 0x01, 0x02, 0x5F, 0x2A, 0x02, 0x9F, 0x4E, 0x0A},
		Records: []RecordSpec{
			{SFI: 1, Record: 1, Tags: []tlv.Tag{0x8C, 0x8D, 0x9F08}},
			{SFI: 4, Record: 1, Signed: true, Tags: []tlv.Tag{0x5A, 0x5F24, 0x5F25, 0x5F34, 0x9F4A}},
			{SFI: 4, Record: 2, Tags: []tlv.Tag{0x90, 0x8F}},
			{SFI: 12, Record: 1, Signed: true, Tags: []tlv.Tag{0x9F32, 0x92, 0x9F47, 0x9F48, 0x9F78}},
			{SFI: 12, Record: 2, Signed: true, Tags: []tlv.Tag{0x9F51, 0x9F07}},
			{SFI: 13, Record: 1, Tags: []tlv.Tag{0x9F46}},
		},
		Lengths: Long82,
		Padding: 3,
	}
}

func TestIssue_OtherProfileStillVerifies(t *testing.T) {
	// Given a card laid out by another profile
	iss, icc := testIssuer(t)
	p, err := iss.Issue(Request{ICCKey: icc.Public(), Profile: otherProfile()})
	if err != nil {
		t.Fatal(err)
	}
	// Then the AFL says which records are signed, SFI 12's two included
	want := []byte{0x08, 1, 1, 0, 0x20, 1, 2, 1, 0x60, 1, 2, 2, 0x68, 1, 1, 0}
	if !bytes.Equal(p.AFL, want) {
		t.Errorf("AFL % X, want % X", p.AFL, want)
	}
	// And the records use 82 lengths and 00 padding
	for _, r := range p.Records {
		if r.Data[0] != 0x70 || r.Data[1] != 0x82 {
			t.Errorf("record %d of SFI %d starts % X", r.Number, r.SFI, r.Data[:4])
		}
	}
	if !bytes.Contains(p.Records[1].Data, []byte{0, 0, 0, 0x5F, 0x24, 0x82, 0x00, 0x03}) {
		t.Errorf("no padding before 5F24 in % X", p.Records[1].Data)
	}
	// And the SFI 12 records are signed whole, template included
	for _, r := range p.Records {
		if r.SFI == 12 && !bytes.Contains(p.StaticData, r.Data) {
			t.Errorf("record %d of SFI 12 is not in the static data whole", r.Number)
		}
	}
	// And a desk that hashes records exactly as EMV says verifies the card
	ic, cc, d := verifyChain(t, iss, p)
	if err := ic.Check(d[0x5A], time.Now()); err != nil {
		t.Error(err)
	}
	if err := cc.Check(d[0x5A], time.Now()); err != nil {
		t.Error(err)
	}
	// And the FCI carries the profile's PDOL
	objs, _ := tlv.Parse(p.FCI)
	if got := tlv.Value(objs, 0x9F38); !bytes.Equal(got, otherProfile().PDOL) {
		t.Errorf("PDOL % X", got)
	}
}

func TestIssue_Long81AndNoPDOL(t *testing.T) {
	iss, icc := testIssuer(t)
	p, err := iss.Issue(Request{ICCKey: icc.Public(), Profile: Profile{PDOL: []byte{}, Lengths: Long81, Padding: 1}})
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := tlv.Parse(p.FCI)
	if tlv.Find(objs, 0x9F38) != nil {
		t.Error("an empty PDOL is still announced")
	}
	if p.Records[0].Data[1] != 0x81 {
		t.Errorf("record starts % X", p.Records[0].Data[:3])
	}
	verifyChain(t, iss, p)
}

func TestProfile_Validate(t *testing.T) {
	base := func(f func(p *Profile)) Profile { p := otherProfile(); f(&p); return p }
	cases := []struct {
		name string
		p    Profile
		want string // "" means valid
	}{
		{"default", Profile{}, ""},
		{"other", otherProfile(), ""},
		{"CDOL1 without UN", base(func(p *Profile) { p.CDOL1 = []byte{0x9F, 0x02, 0x06, 0x5F, 0x2A, 0x02} }), "9F37"},
		{"CDOL1 amount of 4 bytes", base(func(p *Profile) { p.CDOL1 = []byte{0x9F, 0x02, 0x04, 0x5F, 0x2A, 0x02, 0x9F, 0x37, 0x04} }), "9F02"},
		{"PDOL cut short", base(func(p *Profile) { p.PDOL = []byte{0x9F, 0x02} }), "PDOL"},
		{"PDOL too long", base(func(p *Profile) { p.PDOL = bytes.Repeat([]byte{0xDF, 0x01, 0x7F}, 3) }), "at most 252"},
		{"log SFI", base(func(p *Profile) { p.Records[3].SFI = LogSFI }), "transaction log"},
		{"SFI 31", base(func(p *Profile) { p.Records[3].SFI = 31 }), "SFI must be"},
		{"record twice", base(func(p *Profile) { p.Records[2].Record = 1 }), "twice"},
		{"tag twice", base(func(p *Profile) { p.Records[0].Tags = append(p.Records[0].Tags, 0x5A) }), "already in"},
		{"unknown tag", base(func(p *Profile) { p.Records[0].Tags = append(p.Records[0].Tags, 0xDF01) }), "no data object"},
		{"signed ICC certificate", base(func(p *Profile) { p.Records[5].Signed = true }), "cannot be in a record it signs"},
		{"missing 90", base(func(p *Profile) { p.Records[2].Tags = []tlv.Tag{0x8F} }), "places no 90"},
		{"empty record", base(func(p *Profile) { p.Records[2].Tags = nil }), "holds nothing"},
		{"padding", base(func(p *Profile) { p.Padding = 17 }), "padding"},
		{"length form", base(func(p *Profile) { p.Lengths = 9 }), "length form"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestIssue_RecordTooLong(t *testing.T) {
	// Given a profile that crams both certificates into one record
	iss, icc := testIssuer(t)
	p := otherProfile()
	p.Records[2].Tags = []tlv.Tag{0x90, 0x8F, 0x9F46}
	p.Records = p.Records[:5]
	// When a card is issued, then the issuer says what to do
	_, err := iss.Issue(Request{ICCKey: icc.Public(), Profile: p})
	if err == nil || !strings.Contains(err.Error(), "spread its objects") {
		t.Errorf("error %v", err)
	}
}

func TestBuildAFL(t *testing.T) {
	r := func(sfi, n int, signed bool) RecordSpec { return RecordSpec{SFI: sfi, Record: n, Signed: signed} }
	cases := []struct {
		name string
		recs []RecordSpec
		want []byte
	}{
		{"default", DefaultRecords(), []byte{0x08, 1, 1, 0, 0x10, 1, 2, 2, 0x18, 1, 2, 0}},
		{"signed after unsigned starts an entry", []RecordSpec{r(1, 1, false), r(1, 2, true), r(1, 3, false)},
			[]byte{0x08, 1, 1, 0, 0x08, 2, 3, 1}},
		{"gap starts an entry", []RecordSpec{r(2, 1, true), r(2, 3, true)}, []byte{0x10, 1, 1, 1, 0x10, 3, 3, 1}},
		{"sorted by SFI and record", []RecordSpec{r(3, 2, false), r(12, 1, true), r(3, 1, true)},
			[]byte{0x18, 1, 2, 1, 0x60, 1, 1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := buildAFL(sortedRecords(tc.recs)); !bytes.Equal(got, tc.want) {
				t.Errorf("AFL % X, want % X", got, tc.want)
			}
		})
	}
}
