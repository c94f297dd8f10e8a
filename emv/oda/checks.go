package oda

import (
	"fmt"
	"time"
)

const maxPANDigits = 19 // ISO/IEC 7812

// digitsFPadded reads BCD digits followed only by F nibbles (cn format, as
// the PAN, the issuer identifier and the certificate PAN fields are). It
// refuses a nibble A-E anywhere, a digit after an F, and more than max
// digits. ok is false on any of those.
func digitsFPadded(b []byte, max int) (digits []byte, ok bool) {
	digits = make([]byte, 0, 2*len(b))
	padding := false
	for _, x := range b {
		for _, n := range [2]byte{x >> 4, x & 0x0F} {
			switch {
			case n == 0x0F:
				padding = true
			case n > 9 || padding:
				return nil, false
			default:
				digits = append(digits, n)
			}
		}
	}
	if len(digits) > max {
		return nil, false
	}
	return digits, true
}

func digitString(d []byte) string {
	s := make([]byte, len(d))
	for i, x := range d {
		s[i] = '0' + x
	}
	return string(s)
}

// CheckIssuerID checks that the issuer identifier of an issuer certificate
// (4 bytes: 3 to 8 digits, padded with F) matches the leftmost digits of
// the application PAN (tag 5A), as Book 2 section 5.3 requires. A malformed
// identifier is ErrCertFormat; any other failure ErrPANMismatch.
func CheckIssuerID(issuerID, pan []byte) error {
	const obj = ObjIssuerCert
	id, ok := digitsFPadded(issuerID, 8)
	if !ok || len(issuerID) != 4 || len(id) < 3 {
		return checkErr(ErrCertFormat, obj, "issuer identifier", hexBytes(issuerID), "3 to 8 BCD digits padded with F to 4 bytes")
	}
	p, ok := digitsFPadded(pan, maxPANDigits)
	if !ok || len(p) == 0 {
		return checkErr(ErrPANMismatch, obj, "application PAN", hexBytes(pan), "BCD digits, padded with F")
	}
	if len(id) > len(p) || digitString(p[:len(id)]) != digitString(id) {
		return checkErr(ErrPANMismatch, obj, "issuer identifier", digitString(id),
			"a prefix of PAN "+digitString(p))
	}
	return nil
}

// CheckPAN checks that the PAN of an ICC certificate (10 bytes, padded with
// F) is the application PAN (tag 5A), as Book 2 section 6.4 requires. Both
// are compared as digit strings, so the card's own F padding of an
// odd-length PAN does not matter.
func CheckPAN(certPAN, pan []byte) error {
	const obj = ObjICCCert
	c, ok := digitsFPadded(certPAN, maxPANDigits)
	if !ok || len(certPAN) != 10 || len(c) == 0 {
		return checkErr(ErrCertFormat, obj, "PAN", hexBytes(certPAN), "up to 19 BCD digits padded with F to 10 bytes")
	}
	p, ok := digitsFPadded(pan, maxPANDigits)
	if !ok || len(p) == 0 {
		return checkErr(ErrPANMismatch, obj, "application PAN", hexBytes(pan), "BCD digits, padded with F")
	}
	if digitString(c) != digitString(p) {
		return checkErr(ErrPANMismatch, obj, "PAN", digitString(c), digitString(p))
	}
	return nil
}

// CheckExpiry checks a certificate expiry date (MMYY, BCD) against the
// transaction date: the certificate is valid through the last day of that
// month, as Book 2 sections 5.3 and 6.4 say. Two-digit years are read as
// EMV reads them elsewhere (Book 4): 00-49 are 20YY, 50-99 are 19YY. A
// malformed date is ErrCertFormat; a past one ErrCertExpired.
func CheckExpiry(mmyy []byte, txnDate time.Time) error {
	return checkExpiry(mmyy, txnDate, "certificate")
}

func checkExpiry(mmyy []byte, txnDate time.Time, obj string) error {
	year, month, ok := parseMMYY(mmyy)
	if !ok {
		return checkErr(ErrCertFormat, obj, "expiry date", hexBytes(mmyy), "MMYY in BCD")
	}
	ty, tm, _ := txnDate.Date()
	if ty > year || (ty == year && int(tm) > month) {
		return checkErr(ErrCertExpired, obj, "expiry date",
			fmt.Sprintf("valid through %04d-%02d", year, month),
			"valid on the transaction date "+txnDate.Format(time.DateOnly))
	}
	return nil
}

func parseMMYY(b []byte) (year, month int, ok bool) {
	if len(b) != 2 {
		return 0, 0, false
	}
	m, ok1 := bcdByte(b[0])
	y, ok2 := bcdByte(b[1])
	if !ok1 || !ok2 || m < 1 || m > 12 {
		return 0, 0, false
	}
	if y < 50 {
		return 2000 + y, m, true
	}
	return 1900 + y, m, true
}

func bcdByte(b byte) (int, bool) {
	hi, lo := b>>4, b&0x0F
	if hi > 9 || lo > 9 {
		return 0, false
	}
	return int(hi)*10 + int(lo), true
}
