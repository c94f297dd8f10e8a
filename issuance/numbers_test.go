package issuance

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestLuhnAndCheckPAN(t *testing.T) {
	cases := []struct {
		pan string
		ok  bool
	}{
		{"4111111111111111", true},
		{"6231990000000018", true},
		{"6231990000000019", false},
		{"79927398713", false}, // Luhn-valid, too short for a PAN
		{"62319900000000x9", false},
		{"12345678901234567890", false},
	}
	for _, tc := range cases {
		if err := CheckPAN(tc.pan); (err == nil) != tc.ok {
			t.Errorf("CheckPAN(%s) = %v, want ok=%v", tc.pan, err, tc.ok)
		}
	}
	if !Luhn("79927398713") {
		t.Error("Luhn's own example fails")
	}
}

func TestGeneratePAN(t *testing.T) {
	for range 50 {
		pan, err := GeneratePAN("623199", 16)
		if err != nil {
			t.Fatal(err)
		}
		if len(pan) != 16 || !strings.HasPrefix(pan, "623199") || CheckPAN(pan) != nil {
			t.Fatalf("PAN %s", pan)
		}
	}
	if _, err := GeneratePAN("62x199", 16); err == nil {
		t.Error("a BIN with a letter was taken")
	}
}

func TestEncodings(t *testing.T) {
	cases := []struct {
		name string
		got  func() ([]byte, error)
		want []byte
	}{
		{"amount", func() ([]byte, error) { return Amount(123456) }, []byte{0, 0, 0, 0x12, 0x34, 0x56}},
		{"currency", func() ([]byte, error) { return CurrencyCode("156") }, []byte{0x01, 0x56}},
		{"date", func() ([]byte, error) { return yymmdd(time.Date(2031, 7, 9, 0, 0, 0, 0, time.UTC)) }, []byte{0x31, 0x07, 0x09}},
		{"expiry", func() ([]byte, error) { return mmyy(time.Date(2031, 7, 9, 0, 0, 0, 0, time.UTC)) }, []byte{0x07, 0x31}},
	}
	for _, tc := range cases {
		got, err := tc.got()
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%s: % X (%v), want % X", tc.name, got, err, tc.want)
		}
	}
	if _, err := Amount(MaxAmount + 1); err == nil {
		t.Error("an amount of 13 digits was encoded")
	}
	if v, ok := ParseBCD([]byte{0x00, 0x12, 0x34}); !ok || v != 1234 {
		t.Errorf("ParseBCD = %d %v", v, ok)
	}
	if _, ok := ParseBCD([]byte{0x1A}); ok {
		t.Error("ParseBCD took a nibble A")
	}
	if got := PackPAN("623199000000001"); !bytes.Equal(got, []byte{0x62, 0x31, 0x99, 0, 0, 0, 0, 0x1F}) {
		t.Errorf("PackPAN % X", got)
	}
}
