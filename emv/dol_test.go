package emv

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"lingqian/emv/tlv"
)

func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestBuildDOL_PaddingTruncationUnknownTags(t *testing.T) {
	have := map[tlv.Tag][]byte{
		0x9F02: h("000000001250"), // n12
		0x5A:   h("6231990000000019"),
		0x9F1C: []byte("TERM0001"),
		0x9C:   h("00"),
	}
	data := func(tag tlv.Tag) ([]byte, bool) { v, ok := have[tag]; return v, ok }
	cases := []struct {
		name string
		dol  string
		want string
	}{
		{"exact lengths", "9F02 06 9C 01", "000000001250 00"},
		{"numeric cut from the left", "9F02 04", "00001250"},
		{"numeric padded on the left", "9F02 08", "0000000000001250"},
		{"binary cut from the right", "9F1C 04", hex.EncodeToString([]byte("TERM"))},
		{"binary padded on the right", "9F1C 0A", hex.EncodeToString([]byte("TERM0001")) + "0000"},
		{"compressed numeric padded with F", "5A 0A", "6231990000000019FFFF"},
		{"unknown tag is zeros", "DF8101 03 9C 01", "000000 00"},
		{"constructed tag is zeros", "70 02", "0000"},
		{"zero length", "9F02 00 9C 01", "00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a DOL, when the desk fills it
			entries, err := ParseDOL(h(tc.dol))
			if err != nil {
				t.Fatal(err)
			}
			got := BuildDOL(entries, data)
			// Then each value is fitted as EMV Book 3 section 5.4 says
			if !bytes.Equal(got, h(tc.want)) {
				t.Errorf("got %X, want %s", got, tc.want)
			}
		})
	}
}

func TestParseDOL_Refuses(t *testing.T) {
	for _, in := range []string{"9F02", "9F", "9F02 81", "9F 81 81 81 01 02"} {
		if _, err := ParseDOL(h(in)); err == nil {
			t.Errorf("DOL %s accepted", in)
		}
	}
}

func TestParseAFL(t *testing.T) {
	// Given the AFL of the emvpt trace, when parsed
	got, err := ParseAFL(h("08020200 10010200 18010201"))
	if err != nil {
		t.Fatal(err)
	}
	// Then SFIs, records and signed counts are as encoded
	want := []AFLEntry{{1, 2, 2, 0}, {2, 1, 2, 0}, {3, 1, 2, 1}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"", "080101", "00010100", "F8010100", "08000100", "08020100", "08010103", "0F010100"} {
		if _, err := ParseAFL(h(bad)); err == nil {
			t.Errorf("AFL %s accepted", bad)
		}
	}
}

func FuzzDOL(f *testing.F) {
	f.Add(h("9F02 06 9F03 06 9F1A 02 95 05 5F2A 02 9A 03 9C 01 9F37 04"))
	f.Add(h("DF8101 7F 70 02"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := ParseDOL(b)
		if err != nil {
			return
		}
		want := 0
		for _, e := range entries {
			want += e.Length
		}
		got := BuildDOL(entries, func(tlv.Tag) ([]byte, bool) { return []byte{1, 2, 3}, true })
		if len(got) != want {
			t.Fatalf("built %d bytes for a DOL asking %d", len(got), want)
		}
	})
}

func TestRestrictions_DatesAreCalendarDaysWhereTheDeskIs(t *testing.T) {
	// Given a card effective from today and expiring today, at a desk east of UTC
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 11, 25, 0, 30, 0, 0, shanghai) // still the 24th in UTC
	k := &Kernel{t: DefaultTerminal()}
	s := k.newSession(nil, Purchase{Amount: 1, At: at})
	s.data[0x5F25], s.data[0x5F24] = h("261125"), h("261125")

	// When processing restrictions run
	s.restrictions()

	// Then the card is neither "not yet effective" nor expired
	if s.tvr.Has(TVRNotYetEffective) || s.tvr.Has(TVRExpiredApplication) {
		t.Fatalf("TVR %s", s.tvr)
	}
	// And the next day it has expired
	s = k.newSession(nil, Purchase{Amount: 1, At: at.AddDate(0, 0, 1)})
	s.data[0x5F25], s.data[0x5F24] = h("261125"), h("261125")
	s.restrictions()
	if !s.tvr.Has(TVRExpiredApplication) {
		t.Fatalf("TVR %s, want expired", s.tvr)
	}
}
