package oda

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"time"
)

// Constants of the recovered blocks (Book 2 sections 5 and 6).
const (
	blockHeader  = 0x6A
	blockTrailer = 0xBC
	padByte      = 0xBB

	FormatIssuerCert = 0x02
	FormatSSAD       = 0x03
	FormatICCCert    = 0x04
	FormatSDAD       = 0x05

	HashSHA1 = 0x01 // hash algorithm indicator
	AlgRSA   = 0x01 // public key algorithm indicator

	hashLen = sha1.Size

	// Bytes of an issuer certificate that are not the issuer key: header,
	// 14 bytes of fields, hash and trailer.
	issuerCertOverhead = 36
	// The same for an ICC certificate: its PAN field is 10 bytes, not 4.
	iccCertOverhead = 42
)

// IssuerCert is a recovered issuer public key certificate (tag 90 with the
// remainder 92 and exponent 9F32). Its hash has been checked; the issuer
// identifier and the expiry still need CheckIssuerID and CheckExpiry, or
// Check.
type IssuerCert struct {
	Key      PublicKey
	IssuerID []byte // 4 bytes: leftmost 3-8 PAN digits, BCD, padded with F
	Expiry   []byte // 2 bytes: MMYY, BCD
	Serial   []byte // 3 bytes, binary
	HashAlg  byte
	KeyAlg   byte
}

// Check runs the checks the certificate alone cannot: its issuer identifier
// against the card's PAN (tag 5A) and its expiry against the transaction
// date.
func (c *IssuerCert) Check(pan []byte, txnDate time.Time) error {
	if err := CheckIssuerID(c.IssuerID, pan); err != nil {
		return err
	}
	return checkExpiry(c.Expiry, txnDate, ObjIssuerCert)
}

// ICCCert is a recovered ICC public key certificate (tag 9F46 with the
// remainder 9F48 and exponent 9F47). Its hash, which covers the static data
// to be authenticated, has been checked; the PAN and the expiry still need
// CheckPAN and CheckExpiry, or Check.
type ICCCert struct {
	Key     PublicKey
	PAN     []byte // 10 bytes, BCD, padded with F
	Expiry  []byte // 2 bytes: MMYY, BCD
	Serial  []byte // 3 bytes, binary
	HashAlg byte
	KeyAlg  byte
}

// Check runs the checks the certificate alone cannot: its PAN against the
// card's PAN (tag 5A) and its expiry against the transaction date.
func (c *ICCCert) Check(pan []byte, txnDate time.Time) error {
	if err := CheckPAN(c.PAN, pan); err != nil {
		return err
	}
	return checkExpiry(c.Expiry, txnDate, ObjICCCert)
}

// RecoverIssuerCert recovers the issuer public key from its certificate
// with the CA public key, as Book 2 sections 5.3 and 6.3 describe: the
// block is as long as the CA modulus, header 6A, format 02, trailer BC,
// hash algorithm and key algorithm 01, the key length and exponent length
// agree with the remainder and exponent given, and the SHA-1 of the
// recovered fields, remainder and exponent matches. exponent is tag 9F32;
// remainder is tag 92, empty when the card has none.
func RecoverIssuerCert(ca PublicKey, cert, remainder, exponent []byte) (*IssuerCert, error) {
	c, _, err := recoverIssuerCert(ca, cert, remainder, exponent)
	return c, err
}

func recoverIssuerCert(ca PublicKey, cert, remainder, exponent []byte) (*IssuerCert, []byte, error) {
	const obj = ObjIssuerCert
	b, err := recoverBlock(ca, cert, ErrCertFormat, obj)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFrame(b, FormatIssuerCert, ErrCertFormat, obj); err != nil {
		return nil, nil, err
	}
	// 1 header, 1 format, 4 issuer id, 2 expiry, 3 serial, 1 hash alg,
	// 1 key alg, 1 key length, 1 exponent length, then the key field.
	c := &IssuerCert{
		IssuerID: b[2:6:6],
		Expiry:   b[6:8:8],
		Serial:   b[8:11:11],
		HashAlg:  b[11],
		KeyAlg:   b[12],
	}
	key, err := recoverKeyFields(b, 13, len(b)-issuerCertOverhead, c.HashAlg, c.KeyAlg, remainder, exponent, obj)
	if err != nil {
		return nil, nil, err
	}
	if err := checkHash(b, ErrCertHash, obj, remainder, exponent); err != nil {
		return nil, nil, err
	}
	if err := checkRecoveredKey(key, obj); err != nil {
		return nil, nil, err
	}
	c.Key = key
	return c, b, nil
}

// RecoverICCCert recovers the ICC public key from its certificate with the
// issuer public key, as Book 2 section 6.4 describes: like the issuer
// certificate but format 04, a 10-byte PAN field, and a hash that also
// covers staticData, the static data to be authenticated built from the
// records the AFL marks and the AIP when 9F4A asks for it. exponent is tag
// 9F47; remainder is tag 9F48, empty when the card has none.
func RecoverICCCert(issuer PublicKey, cert, remainder, exponent, staticData []byte) (*ICCCert, error) {
	c, _, err := recoverICCCert(issuer, cert, remainder, exponent, staticData, true)
	return c, err
}

// recoverICCCert can skip the hash check, for vectors that do not come
// with the static data the hash covers; nothing outside tests does.
func recoverICCCert(issuer PublicKey, cert, remainder, exponent, staticData []byte, checkHashToo bool) (*ICCCert, []byte, error) {
	const obj = ObjICCCert
	b, err := recoverBlock(issuer, cert, ErrCertFormat, obj)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFrame(b, FormatICCCert, ErrCertFormat, obj); err != nil {
		return nil, nil, err
	}
	// 1 header, 1 format, 10 PAN, 2 expiry, 3 serial, 1 hash alg, 1 key alg,
	// 1 key length, 1 exponent length, then the key field.
	c := &ICCCert{
		PAN:     b[2:12:12],
		Expiry:  b[12:14:14],
		Serial:  b[14:17:17],
		HashAlg: b[17],
		KeyAlg:  b[18],
	}
	key, err := recoverKeyFields(b, 19, len(b)-iccCertOverhead, c.HashAlg, c.KeyAlg, remainder, exponent, obj)
	if err != nil {
		return nil, nil, err
	}
	if checkHashToo {
		if err := checkHash(b, ErrCertHash, obj, remainder, exponent, staticData); err != nil {
			return nil, nil, err
		}
	}
	if err := checkRecoveredKey(key, obj); err != nil {
		return nil, nil, err
	}
	c.Key = key
	return c, b, nil
}

// checkFrame checks what every recovered block shares: it is long enough
// for its own layout, starts with header 6A and the expected format, and
// ends with trailer BC. Book 2 checks the trailer first: a wrong key or a
// forged block almost always fails there.
func checkFrame(b []byte, format byte, sentinel error, object string) error {
	if len(b) < 2+hashLen+1 {
		return checkErr(sentinel, object, "length", fmt.Sprint(len(b)), "at least 23 bytes")
	}
	if t := b[len(b)-1]; t != blockTrailer {
		return checkErr(sentinel, object, "trailer", hexByte(t), hexByte(blockTrailer))
	}
	if b[0] != blockHeader {
		return checkErr(sentinel, object, "header", hexByte(b[0]), hexByte(blockHeader))
	}
	if b[1] != format {
		return checkErr(sentinel, object, "format", hexByte(b[1]), hexByte(format))
	}
	return nil
}

// recoverKeyFields reads the key length, exponent length and key field that
// start at b[at] in a certificate, checks the algorithm indicators and that
// the lengths agree with the remainder and exponent from the card, and
// returns the whole key. keyField is the size of the key field (N-36 or
// N-42): a key no longer than it sits left-aligned and is padded with BB,
// a longer one continues in the remainder.
func recoverKeyFields(b []byte, at, keyField int, hashAlg, keyAlg byte, remainder, exponent []byte, obj string) (PublicKey, error) {
	if hashAlg != HashSHA1 {
		return PublicKey{}, checkErr(ErrCertFormat, obj, "hash algorithm indicator", hexByte(hashAlg), hexByte(HashSHA1))
	}
	if keyAlg != AlgRSA {
		return PublicKey{}, checkErr(ErrCertFormat, obj, "public key algorithm indicator", hexByte(keyAlg), hexByte(AlgRSA))
	}
	keyLen, expLen := int(b[at]), int(b[at+1])
	if keyLen < MinModulusLen || keyLen > len(b) {
		return PublicKey{}, checkErr(ErrCertFormat, obj, "public key length",
			fmt.Sprint(keyLen), fmt.Sprintf("%d to %d (the signer's modulus length)", MinModulusLen, len(b)))
	}
	if expLen != len(exponent) {
		return PublicKey{}, checkErr(ErrCertFormat, obj, "public key exponent length",
			fmt.Sprint(expLen), fmt.Sprintf("%d (the exponent read from the card)", len(exponent)))
	}
	field := b[at+2 : at+2+keyField]
	modulus := make([]byte, keyLen)
	if keyLen <= keyField {
		if len(remainder) != 0 {
			return PublicKey{}, checkErr(ErrCertFormat, obj, "public key remainder",
				fmt.Sprintf("%d bytes", len(remainder)), fmt.Sprintf("none: the %d-byte key fits in the certificate", keyLen))
		}
		copy(modulus, field[:keyLen])
	} else {
		if want := keyLen - keyField; len(remainder) != want {
			return PublicKey{}, checkErr(ErrCertFormat, obj, "public key remainder",
				fmt.Sprintf("%d bytes", len(remainder)), fmt.Sprintf("%d bytes", want))
		}
		copy(modulus, field)
		copy(modulus[keyField:], remainder)
	}
	return PublicKey{Modulus: modulus, Exponent: bytes.Clone(exponent)}, nil
}

// checkRecoveredKey runs after the hash check, so that a forged or damaged
// certificate is reported as such rather than as an odd key.
func checkRecoveredKey(k PublicKey, obj string) error {
	if err := k.Validate(); err != nil {
		return &CheckError{Object: obj, Check: "recovered public key", Got: err.Error(), Err: ErrCertFormat}
	}
	return nil
}

// checkHash compares the hash field of a recovered block (the 20 bytes
// before the trailer) with SHA-1 over the block from the format byte up to
// the hash field, followed by extra.
func checkHash(b []byte, sentinel error, object string, extra ...[]byte) error {
	end := len(b) - 1 - hashLen
	h := sha1.New()
	h.Write(b[1:end])
	for _, x := range extra {
		h.Write(x)
	}
	var sum [hashLen]byte
	h.Sum(sum[:0])
	if got := b[end : end+hashLen]; !bytes.Equal(got, sum[:]) {
		return checkErr(sentinel, object, "hash", hexBytes(got), hexBytes(sum[:]))
	}
	return nil
}
