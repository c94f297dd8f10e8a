package issuance

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// MaxAmount is the largest amount an n12 field (9F02, 9F79, 9F78…) holds.
const MaxAmount = 999_999_999_999

// ErrPAN: a PAN that is not 12 to 19 digits or fails the Luhn check.
var ErrPAN = errors.New("invalid PAN")

// Luhn says whether the digit string ends in a correct Luhn check digit.
func Luhn(digits string) bool {
	if len(digits) < 2 || !allDigits(digits) {
		return false
	}
	return luhnSum(digits[:len(digits)-1]) == int(digits[len(digits)-1]-'0')
}

// luhnSum is the check digit that completes the digit string.
func luhnSum(body string) int {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 { // the digit next to the check digit is doubled
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}

// CheckPAN refuses what no card carries: not 12 to 19 digits, or a wrong
// Luhn check digit.
func CheckPAN(pan string) error {
	if len(pan) < 12 || len(pan) > 19 || !allDigits(pan) {
		return fmt.Errorf("issuance: PAN %q: want 12 to 19 digits: %w", pan, ErrPAN)
	}
	if !Luhn(pan) {
		return fmt.Errorf("issuance: PAN %q: the Luhn check digit is wrong: %w", pan, ErrPAN)
	}
	return nil
}

// GeneratePAN draws a random Luhn-valid PAN of length digits under bin.
func GeneratePAN(bin string, length int) (string, error) {
	if !allDigits(bin) || len(bin) < 3 || len(bin) >= length || length > 19 {
		return "", fmt.Errorf("issuance: PAN of %d digits under BIN %q: %w", length, bin, ErrPAN)
	}
	body := []byte(bin)
	for len(body) < length-1 {
		n, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("issuance: drawing a PAN: %w", err)
		}
		body = append(body, byte('0'+n.Int64()))
	}
	return string(body) + string(rune('0'+luhnSum(string(body)))), nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PackPAN encodes a PAN as tag 5A does: BCD, padded with F to whole bytes.
func PackPAN(digits string) []byte {
	out := make([]byte, (len(digits)+1)/2)
	for i := range out {
		hi := digits[2*i] - '0'
		lo := byte(0x0F)
		if 2*i+1 < len(digits) {
			lo = digits[2*i+1] - '0'
		}
		out[i] = hi<<4 | lo
	}
	return out
}

// BCD encodes a non-negative number as n BCD bytes (2n digits, zeros on
// the left), as EMV's numeric fields are. A number too large is an error.
func BCD(v int64, n int) ([]byte, error) {
	if v < 0 {
		return nil, fmt.Errorf("issuance: %d is negative", v)
	}
	out := make([]byte, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = byte(v%10) | byte(v/10%10)<<4
		v /= 100
	}
	if v != 0 {
		return nil, fmt.Errorf("issuance: number does not fit %d BCD digits", 2*n)
	}
	return out, nil
}

// ParseBCD reads a BCD number; ok is false when a nibble is not a digit or
// the number has more than 18 digits.
func ParseBCD(b []byte) (v int64, ok bool) {
	if len(b) > 9 {
		return 0, false
	}
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		v = v*100 + int64(hi)*10 + int64(lo)
	}
	return v, true
}

// Amount encodes an amount in minor units as n12 (6 bytes), the format of
// 9F02, 9F79, 9F78 and 9F6D.
func Amount(minor int64) ([]byte, error) {
	if minor < 0 || minor > MaxAmount {
		return nil, fmt.Errorf("issuance: amount %d: want 0 to %d", minor, MaxAmount)
	}
	return BCD(minor, 6)
}

// CurrencyCode encodes an ISO 4217 numeric code ("156") as n3 in 2 bytes.
func CurrencyCode(code string) ([]byte, error) {
	if len(code) != 3 || !allDigits(code) {
		return nil, fmt.Errorf("issuance: currency or country code %q: want 3 digits", code)
	}
	var v int64
	for i := 0; i < 3; i++ {
		v = v*10 + int64(code[i]-'0')
	}
	return BCD(v, 2)
}

// yymmdd encodes a date as 5F24 and 5F25 do; the two-digit year limits
// dates to 2000–2049 (00–49 are read as 20YY, 50–99 as 19YY).
func yymmdd(t time.Time) ([]byte, error) {
	if t.Year() < 2000 || t.Year() > 2049 {
		return nil, fmt.Errorf("issuance: date %s: a card's two-digit year holds 2000 to 2049", t.Format(time.DateOnly))
	}
	return BCD(int64(t.Year()%100)*10000+int64(t.Month())*100+int64(t.Day()), 3)
}

// mmyy encodes a certificate expiry month as Book 2 does.
func mmyy(t time.Time) ([]byte, error) {
	if t.Year() < 2000 || t.Year() > 2049 {
		return nil, fmt.Errorf("issuance: certificate expiry %s: a certificate's two-digit year holds 2000 to 2049", t.Format("2006-01"))
	}
	return BCD(int64(t.Month())*100+int64(t.Year()%100), 2)
}

// endOfMonth is the last day of t's month: cards and certificates are
// valid through it.
func endOfMonth(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
}
