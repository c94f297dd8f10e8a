package oda

import (
	"testing"
	"time"
)

func TestCheckIssuerID(t *testing.T) {
	cases := []struct {
		name, id, pan string
		sentinel      error
	}{
		{"6 digits", "476173FF", "4761739001010119", nil},
		{"3 digits", "476FFFFF", "4761739001010119", nil},
		{"8 digits", "47617390", "4761739001010119", nil},
		{"odd-length PAN padded with F", "476173FF", "476173900101011F", nil},
		{"other issuer", "476174FF", "4761739001010119", ErrPANMismatch},
		{"PAN shorter than the identifier", "47617390", "476173", ErrPANMismatch},
		{"PAN not BCD", "476173FF", "47617390010101A9", ErrPANMismatch},
		{"2 digits", "47FFFFFF", "4761739001010119", ErrCertFormat},
		{"digit after F", "4761F3FF", "4761739001010119", ErrCertFormat},
		{"not BCD", "A76173FF", "A761739001010119", ErrCertFormat},
		{"3 bytes", "476173", "4761739001010119", ErrCertFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given an issuer identifier and a PAN, when they are compared,
			// then the outcome is as listed
			wantErr(t, CheckIssuerID(mustHex(t, tc.id), mustHex(t, tc.pan)), tc.sentinel, "")
		})
	}
}

func TestCheckPAN(t *testing.T) {
	cases := []struct {
		name, cert, pan string
		sentinel        error
	}{
		{"16 digits", "4761739001010119FFFF", "4761739001010119", nil},
		{"19 digits", "6231990000000000123F", "6231990000000000123F", nil},
		{"odd PAN, card pads with F", "476173900101011FFFFF", "476173900101011F", nil},
		{"one digit differs", "4761739001010118FFFF", "4761739001010119", ErrPANMismatch},
		{"card PAN longer", "4761739001010119FFFF", "476173900101011912", ErrPANMismatch},
		{"card PAN is a prefix", "4761739001010119FFFF", "47617390010101", ErrPANMismatch},
		{"card PAN empty", "4761739001010119FFFF", "", ErrPANMismatch},
		{"certificate PAN 9 bytes", "4761739001010119FF", "4761739001010119", ErrCertFormat},
		{"certificate PAN all F", "FFFFFFFFFFFFFFFFFFFF", "4761739001010119", ErrCertFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, CheckPAN(mustHex(t, tc.cert), mustHex(t, tc.pan)), tc.sentinel, "")
		})
	}
}

func TestCheckExpiry(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	cases := []struct {
		name, mmyy string
		on         time.Time
		sentinel   error
	}{
		{"last day of the month", "1231", date(2031, 12, 31), nil},
		{"first day after", "1231", date(2032, 1, 1), ErrCertExpired},
		{"a local date is its own date", "1231", time.Date(2031, 12, 31, 23, 59, 0, 0, shanghai), nil},
		{"earlier year", "0125", date(2024, 12, 31), nil},
		{"same year, later month", "0625", date(2025, 7, 1), ErrCertExpired},
		{"49 is 2049", "1249", date(2049, 12, 1), nil},
		{"50 is 1950", "0150", date(2000, 1, 1), ErrCertExpired},
		{"month 00", "0030", date(2025, 1, 1), ErrCertFormat},
		{"month 13", "1330", date(2025, 1, 1), ErrCertFormat},
		{"not BCD", "1A30", date(2025, 1, 1), ErrCertFormat},
		{"3 bytes", "123001", date(2025, 1, 1), ErrCertFormat},
		{"empty", "", date(2025, 1, 1), ErrCertFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, CheckExpiry(mustHex(t, tc.mmyy), tc.on), tc.sentinel, "")
		})
	}
}
