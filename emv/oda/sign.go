package oda

import (
	"crypto/sha1"
	"fmt"
)

// signBlock lays out an EMV signed block for the key's modulus size and
// applies the private key to it.
func signBlock(k *PrivateKey, format byte, body []byte, extra ...[]byte) ([]byte, error) {
	b, err := layoutBlock(k.Size(), format, body, extra...)
	if err != nil {
		return nil, err
	}
	return k.sign(b)
}

// layoutBlock builds the size-byte block Book 2 signs: 6A, format, body,
// BB padding, SHA-1 over format..padding followed by extra, BC.
func layoutBlock(size int, format byte, body []byte, extra ...[]byte) ([]byte, error) {
	end := size - 1 - hashLen // where the hash goes
	if 2+len(body) > end {
		return nil, fmt.Errorf("oda: %d bytes of data do not fit a %d-byte block", len(body), size)
	}
	b := make([]byte, size)
	b[0], b[1] = blockHeader, format
	n := 2 + copy(b[2:], body)
	for i := n; i < end; i++ {
		b[i] = padByte
	}
	putHash(b, extra...)
	b[size-1] = blockTrailer
	return b, nil
}

// putHash writes the hash field of a laid-out block.
func putHash(b []byte, extra ...[]byte) {
	end := len(b) - 1 - hashLen
	h := sha1.New()
	h.Write(b[1:end])
	for _, x := range extra {
		h.Write(x)
	}
	h.Sum(b[end:end])
}

// keyBody appends a certificate's key fields (length, exponent length, and
// as much of the modulus as fits in keyField bytes) and returns the rest of
// the modulus, the remainder the card carries in tag 92 or 9F48.
func keyBody(body []byte, key PublicKey, keyField int) ([]byte, []byte) {
	body = append(body, HashSHA1, AlgRSA, byte(len(key.Modulus)), byte(len(key.Exponent)))
	if len(key.Modulus) <= keyField {
		return append(body, key.Modulus...), nil
	}
	remainder := append([]byte(nil), key.Modulus[keyField:]...)
	return append(body, key.Modulus[:keyField]...), remainder
}

func checkCertFields(obj string, expiry, serial []byte) error {
	if _, _, ok := parseMMYY(expiry); !ok {
		return fmt.Errorf("oda: signing %s: expiry %s: want MMYY in BCD", obj, hexBytes(expiry))
	}
	if len(serial) != 3 {
		return fmt.Errorf("oda: signing %s: serial number of %d bytes, want 3", obj, len(serial))
	}
	return nil
}

// SignIssuerCert makes an issuer public key certificate (tag 90) with the CA
// private key, and the remainder (tag 92) when the issuer key does not fit
// (nil otherwise). issuerID is 4 bytes, 3 to 8 PAN digits padded with F (see
// IssuerIDFromPAN); expiry is MMYY in BCD; serial is 3 bytes. The issuer key
// must be no longer than the CA key.
func SignIssuerCert(ca *PrivateKey, issuer PublicKey, issuerID, expiry, serial []byte) (cert, remainder []byte, err error) {
	const obj = ObjIssuerCert
	if err := issuer.Validate(); err != nil {
		return nil, nil, fmt.Errorf("oda: signing %s: %w", obj, err)
	}
	if len(issuer.Modulus) > ca.Size() {
		return nil, nil, fmt.Errorf("oda: signing %s: issuer key of %d bytes is longer than the %d-byte CA key", obj, len(issuer.Modulus), ca.Size())
	}
	if id, ok := digitsFPadded(issuerID, 8); !ok || len(issuerID) != 4 || len(id) < 3 {
		return nil, nil, fmt.Errorf("oda: signing %s: issuer identifier %s: want 3 to 8 BCD digits padded with F to 4 bytes", obj, hexBytes(issuerID))
	}
	if err := checkCertFields(obj, expiry, serial); err != nil {
		return nil, nil, err
	}
	body := make([]byte, 0, ca.Size())
	body = append(body, issuerID...)
	body = append(body, expiry...)
	body = append(body, serial...)
	body, remainder = keyBody(body, issuer, ca.Size()-issuerCertOverhead)
	cert, err = signBlock(ca, FormatIssuerCert, body, remainder, issuer.Exponent)
	if err != nil {
		return nil, nil, fmt.Errorf("oda: signing %s: %w", obj, err)
	}
	return cert, remainder, nil
}

// SignICCCert makes an ICC public key certificate (tag 9F46) with the issuer
// private key, and the remainder (tag 9F48) when the ICC key does not fit
// (nil otherwise). pan is the application PAN as in tag 5A; expiry is MMYY
// in BCD; serial is 3 bytes; staticData is the static data to be
// authenticated, which the terminal will rebuild from the card's records
// and AIP. The ICC key must be no longer than the issuer key.
func SignICCCert(issuer *PrivateKey, icc PublicKey, pan, expiry, serial, staticData []byte) (cert, remainder []byte, err error) {
	const obj = ObjICCCert
	if err := icc.Validate(); err != nil {
		return nil, nil, fmt.Errorf("oda: signing %s: %w", obj, err)
	}
	if len(icc.Modulus) > issuer.Size() {
		return nil, nil, fmt.Errorf("oda: signing %s: ICC key of %d bytes is longer than the %d-byte issuer key", obj, len(icc.Modulus), issuer.Size())
	}
	digits, ok := digitsFPadded(pan, maxPANDigits)
	if !ok || len(digits) == 0 {
		return nil, nil, fmt.Errorf("oda: signing %s: PAN %s: want up to 19 BCD digits", obj, hexBytes(pan))
	}
	if err := checkCertFields(obj, expiry, serial); err != nil {
		return nil, nil, err
	}
	body := make([]byte, 0, issuer.Size())
	body = append(body, packDigits(digits, 10)...)
	body = append(body, expiry...)
	body = append(body, serial...)
	body, remainder = keyBody(body, icc, issuer.Size()-iccCertOverhead)
	cert, err = signBlock(issuer, FormatICCCert, body, remainder, icc.Exponent, staticData)
	if err != nil {
		return nil, nil, fmt.Errorf("oda: signing %s: %w", obj, err)
	}
	return cert, remainder, nil
}

// SignSSAD makes signed static application data (tag 93, SDA) with the
// issuer private key over the data authentication code and the static data
// to be authenticated.
func SignSSAD(issuer *PrivateKey, dac [2]byte, staticData []byte) ([]byte, error) {
	b, err := signBlock(issuer, FormatSSAD, []byte{HashSHA1, dac[0], dac[1]}, staticData)
	if err != nil {
		return nil, fmt.Errorf("oda: signing %s: %w", ObjSSAD, err)
	}
	return b, nil
}

// SignSDAD makes signed dynamic application data (tag 9F4B) with the ICC
// private key: for DDA over the ICC dynamic data (ICC dynamic number length
// and value) and the terminal's DDOL data; for CDA over
// BuildCDADynamicData's output and the terminal's unpredictable number.
// The dynamic data must leave room for the 25 fixed bytes of the block.
func SignSDAD(icc *PrivateKey, iccDynamicData, ddolData []byte) ([]byte, error) {
	if max := icc.Size() - sdadOverhead; len(iccDynamicData) > max {
		return nil, fmt.Errorf("oda: signing %s: %d bytes of ICC dynamic data, at most %d fit", ObjSDAD, len(iccDynamicData), max)
	}
	body := make([]byte, 0, 2+len(iccDynamicData))
	body = append(body, HashSHA1, byte(len(iccDynamicData)))
	body = append(body, iccDynamicData...)
	b, err := signBlock(icc, FormatSDAD, body, ddolData)
	if err != nil {
		return nil, fmt.Errorf("oda: signing %s: %w", ObjSDAD, err)
	}
	return b, nil
}

// BuildCDADynamicData lays out the ICC dynamic data a card signs for CDA
// (Book 2 Table 19): L_IDN, IDN (2 to 8 bytes), CID, AC (8 bytes), transaction
// data hash code (20 bytes).
func BuildCDADynamicData(idn []byte, cid byte, ac, tdhc []byte) ([]byte, error) {
	switch {
	case len(idn) < 2 || len(idn) > 8:
		return nil, fmt.Errorf("oda: %s: ICC dynamic number of %d bytes, want 2 to 8", ObjCDAData, len(idn))
	case len(ac) != 8:
		return nil, fmt.Errorf("oda: %s: application cryptogram of %d bytes, want 8", ObjCDAData, len(ac))
	case len(tdhc) != hashLen:
		return nil, fmt.Errorf("oda: %s: transaction data hash code of %d bytes, want %d", ObjCDAData, len(tdhc), hashLen)
	}
	out := make([]byte, 0, 1+len(idn)+1+8+hashLen)
	out = append(out, byte(len(idn)))
	out = append(out, idn...)
	out = append(out, cid)
	out = append(out, ac...)
	return append(out, tdhc...), nil
}

// IssuerIDFromPAN is the issuer identifier for an issuer certificate: the
// leftmost digits (3 to 8) of the PAN (as in tag 5A), padded with F to 4
// bytes.
func IssuerIDFromPAN(pan []byte, digits int) ([]byte, error) {
	d, ok := digitsFPadded(pan, maxPANDigits)
	if !ok || digits < 3 || digits > 8 || len(d) < digits {
		return nil, fmt.Errorf("oda: issuer identifier of %d digits from PAN %s: want 3 to 8 digits of a BCD PAN", digits, hexBytes(pan))
	}
	return packDigits(d[:digits], 4), nil
}

// packDigits packs digits as BCD into size bytes, padding with F.
func packDigits(d []byte, size int) []byte {
	out := make([]byte, size)
	for i := range out {
		hi, lo := byte(0x0F), byte(0x0F)
		if 2*i < len(d) {
			hi = d[2*i]
		}
		if 2*i+1 < len(d) {
			lo = d[2*i+1]
		}
		out[i] = hi<<4 | lo
	}
	return out
}
