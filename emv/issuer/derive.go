package issuer

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
)

// PAN length bounds of ISO/IEC 7812-1.
const (
	minPANDigits = 8
	maxPANDigits = 19
)

// DeriveICCMasterKey derives an ICC master key from the issuer master key by
// EMV Book 2 A1.4.1 (option A). pan is the PAN's digits without the 'F'
// padding of tag 5A; psn is tag 5F34 as two digits, "00" when the card has
// none, because that is what the card itself assumes.
func DeriveICCMasterKey(imk []byte, pan, psn string) ([]byte, error) {
	mk, err := deriveOptionA(imk, pan, psn)
	return mk, wrap("ICC master key option A", err)
}

// DeriveICCMasterKeyB derives an ICC master key by EMV Book 2 A1.4.2
// (option B), which Visa CVN 18 prescribes. Option B only differs from A for
// PANs longer than 16 digits, where A would drop leading digits and let two
// PANs share a key; for those it hashes the whole PAN||PSN instead.
func DeriveICCMasterKeyB(imk []byte, pan, psn string) ([]byte, error) {
	mk, err := deriveOptionB(imk, pan, psn)
	return mk, wrap("ICC master key option B", err)
}

func deriveOptionA(imk []byte, pan, psn string) ([]byte, error) {
	if err := checkPANAndPSN(pan, psn); err != nil {
		return nil, err
	}
	y := pan + psn
	if len(y) > 16 {
		y = y[len(y)-16:]
	}
	return deriveFromDigits(imk, y)
}

func deriveOptionB(imk []byte, pan, psn string) ([]byte, error) {
	if err := checkPANAndPSN(pan, psn); err != nil {
		return nil, err
	}
	if len(pan) <= 16 {
		return deriveOptionA(imk, pan, psn)
	}
	x := pan + psn
	if len(x)%2 == 1 {
		x = "0" + x
	}
	packed, err := hex.DecodeString(x)
	if err != nil {
		return nil, fmt.Errorf("PAN||PSN is not decimal: %w", ErrPAN)
	}
	sum := sha1.Sum(packed)
	return deriveFromDigits(imk, decimalise(hex.EncodeToString(sum[:])))
}

// decimalise takes the first 16 decimal digits of a hex string and, when
// there are fewer than 16, tops them up from its letters a..f read as 0..5,
// in order. SHA-1's 40 hex characters always yield 16.
func decimalise(h string) string {
	out := make([]byte, 0, 16)
	for i := 0; i < len(h) && len(out) < 16; i++ {
		if h[i] >= '0' && h[i] <= '9' {
			out = append(out, h[i])
		}
	}
	for i := 0; i < len(h) && len(out) < 16; i++ {
		if h[i] >= 'a' && h[i] <= 'f' {
			out = append(out, '0'+h[i]-'a')
		}
	}
	return string(out)
}

// deriveFromDigits is the part options A and B share: at most 16 digits Y,
// zero-padded on the left, give MK = 3DES(IMK, Y) || 3DES(IMK, Y xor FF..FF).
func deriveFromDigits(imk []byte, digits string) ([]byte, error) {
	c, err := tripleDES("issuer master key", imk)
	if err != nil {
		return nil, err
	}
	for len(digits) < 16 {
		digits = "0" + digits
	}
	y, err := hex.DecodeString(digits)
	if err != nil {
		return nil, fmt.Errorf("derivation data is not decimal: %w", ErrPAN)
	}
	z := make([]byte, 0, KeyLen)
	z = append(z, y...)
	for _, b := range y {
		z = append(z, ^b)
	}
	return withOddParity(encryptECB(c, z)), nil
}

func checkPANAndPSN(pan, psn string) error {
	if len(pan) < minPANDigits || len(pan) > maxPANDigits {
		return fmt.Errorf("PAN has %d digits, want %d to %d: %w", len(pan), minPANDigits, maxPANDigits, ErrPAN)
	}
	// The PAN itself stays out of the message: errors end up in logs.
	if i := firstNonDigit(pan); i >= 0 {
		return fmt.Errorf("PAN character %d is not a decimal digit (strip the F padding of tag 5A): %w", i+1, ErrPAN)
	}
	if len(psn) != 2 || firstNonDigit(psn) >= 0 {
		return fmt.Errorf("PSN %q is not two decimal digits: %w", psn, ErrPSN)
	}
	return nil
}

// firstNonDigit is the index of the first byte that is not 0-9, or -1.
func firstNonDigit(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return i
		}
	}
	return -1
}

// DeriveCommonSessionKey derives the AC session key for one transaction by
// the EMV common session key option (Book 2 A1.3.1) with R = ATC||00..00,
// the diversifier Visa CVN 18 and this project's wallet use.
func DeriveCommonSessionKey(mk []byte, atc [2]byte) ([]byte, error) {
	sk, err := commonSessionKey(mk, atc)
	return sk, wrap("common session key", err)
}

func commonSessionKey(mk []byte, atc [2]byte) ([]byte, error) {
	r := make([]byte, blockLen)
	copy(r, atc[:])
	return sessionKey(mk, r)
}

// DeriveSessionKey is the common session key derivation with an arbitrary
// 8-byte diversifier R: Mastercard puts the unpredictable number in R, and
// secure-messaging keys use the ARQC as R. Byte 3 of R is overwritten with
// F0 for the left half and 0F for the right, so that the halves differ.
func DeriveSessionKey(mk, r []byte) ([]byte, error) {
	sk, err := sessionKey(mk, r)
	return sk, wrap("session key", err)
}

func sessionKey(mk, r []byte) ([]byte, error) {
	c, err := tripleDES("ICC master key", mk)
	if err != nil {
		return nil, err
	}
	if len(r) != blockLen {
		return nil, fmt.Errorf("diversifier R is %d bytes, want 8: %w", len(r), ErrDataLength)
	}
	in := make([]byte, 0, KeyLen)
	in = append(in, r...)
	in = append(in, r...)
	in[2], in[blockLen+2] = 0xF0, 0x0F
	return withOddParity(encryptECB(c, in)), nil
}

// DeriveVisaSessionKey derives the secure-messaging session key Visa cards
// (CVN 10 and 18) use for issuer script MACs and encryption: the ATC and its
// complement are XORed into the rightmost bytes of the two key halves. It is
// not a one-way derivation, so use it only to talk to such cards.
func DeriveVisaSessionKey(mk []byte, atc [2]byte) ([]byte, error) {
	if len(mk) != KeyLen {
		return nil, wrap("Visa session key", fmt.Errorf("ICC master key is %d bytes: %w", len(mk), ErrKeyLength))
	}
	sk := append([]byte(nil), mk...)
	sk[6] ^= atc[0]
	sk[7] ^= atc[1]
	sk[14] ^= ^atc[0]
	sk[15] ^= ^atc[1]
	return withOddParity(sk), nil
}
