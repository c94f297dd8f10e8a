package oda

import (
	"bytes"
	"crypto/sha1"
	"fmt"

	"lingqian/emv/tlv"
)

// Fixed parts of signed application data blocks: header, format, hash
// algorithm indicator, hash, trailer, and the DAC or L_DD byte(s).
const (
	ssadOverhead = 26 // 6A 03 alg DAC(2) ... hash(20) BC
	sdadOverhead = 25 // 6A 05 alg L_DD ... hash(20) BC
)

// SignedStaticData is recovered signed static application data (tag 93,
// SDA, Book 2 section 5.4).
type SignedStaticData struct {
	HashAlg byte
	DAC     [2]byte // data authentication code
}

// RecoverSSAD verifies signed static application data with the issuer
// public key: block as long as the issuer modulus, header 6A, format 03,
// trailer BC, hash algorithm 01, and SHA-1 over the recovered data and
// staticData (the static data to be authenticated) matching. Failures wrap
// ErrSignature.
func RecoverSSAD(issuer PublicKey, ssad, staticData []byte) (*SignedStaticData, error) {
	s, _, err := recoverSSAD(issuer, ssad, staticData, true)
	return s, err
}

func recoverSSAD(issuer PublicKey, ssad, staticData []byte, checkHashToo bool) (*SignedStaticData, []byte, error) {
	const obj = ObjSSAD
	b, err := recoverBlock(issuer, ssad, ErrSignature, obj)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFrame(b, FormatSSAD, ErrSignature, obj); err != nil {
		return nil, nil, err
	}
	if b[2] != HashSHA1 {
		return nil, nil, checkErr(ErrSignature, obj, "hash algorithm indicator", hexByte(b[2]), hexByte(HashSHA1))
	}
	if checkHashToo {
		if err := checkHash(b, ErrSignature, obj, staticData); err != nil {
			return nil, nil, err
		}
	}
	return &SignedStaticData{HashAlg: b[2], DAC: [2]byte{b[3], b[4]}}, b, nil
}

// SignedDynamicData is recovered signed dynamic application data (tag 9F4B,
// DDA and CDA).
type SignedDynamicData struct {
	Format, HashAlg byte
	// ICCDynamicData is the L_DD bytes the card signed: for DDA it starts
	// with the ICC dynamic number's length and value; for CDA it is what
	// ParseCDADynamicData reads.
	ICCDynamicData []byte
}

// RecoverSDAD verifies signed dynamic application data with the ICC public
// key, as Book 2 sections 6.5.2 (DDA) and 6.6.2 (CDA) describe: block as long
// as the ICC modulus, header 6A, format 05, trailer BC, hash algorithm 01,
// L_DD within the block, and SHA-1 over the recovered data from the format
// byte to the padding followed by ddolData matching. ddolData is the
// terminal's dynamic data: the DDOL data sent with INTERNAL AUTHENTICATE for
// DDA, the unpredictable number (9F37) for CDA. Failures wrap ErrSignature.
func RecoverSDAD(icc PublicKey, sdad, ddolData []byte) (*SignedDynamicData, error) {
	s, _, err := recoverSDAD(icc, sdad, ddolData)
	return s, err
}

func recoverSDAD(icc PublicKey, sdad, ddolData []byte) (*SignedDynamicData, []byte, error) {
	const obj = ObjSDAD
	b, err := recoverBlock(icc, sdad, ErrSignature, obj)
	if err != nil {
		return nil, nil, err
	}
	if err := checkFrame(b, FormatSDAD, ErrSignature, obj); err != nil {
		return nil, nil, err
	}
	if b[2] != HashSHA1 {
		return nil, nil, checkErr(ErrSignature, obj, "hash algorithm indicator", hexByte(b[2]), hexByte(HashSHA1))
	}
	ldd := int(b[3])
	if max := len(b) - sdadOverhead; ldd > max {
		return nil, nil, checkErr(ErrSignature, obj, "ICC dynamic data length", fmt.Sprint(ldd), fmt.Sprintf("at most %d", max))
	}
	if err := checkHash(b, ErrSignature, obj, ddolData); err != nil {
		return nil, nil, err
	}
	return &SignedDynamicData{Format: b[1], HashAlg: b[2], ICCDynamicData: b[4 : 4+ldd : 4+ldd]}, b, nil
}

// CDAData is the ICC dynamic data of a CDA signature (Book 2 Table 19).
type CDAData struct {
	IDN  []byte // ICC dynamic number, 2 to 8 bytes
	CID  byte   // cryptogram information data the card signed
	AC   []byte // application cryptogram, 8 bytes
	TDHC []byte // transaction data hash code, 20 bytes
}

// ParseCDADynamicData reads CDA ICC dynamic data: L_IDN (1), IDN (2 to 8),
// CID (1), AC (8), TDHC (20), and nothing after. Any other length is
// ErrCDAData. The fields are copies.
func ParseCDADynamicData(iccDynamicData []byte) (*CDAData, error) {
	const obj = ObjCDAData
	d := iccDynamicData
	if len(d) == 0 {
		return nil, checkErr(ErrCDAData, obj, "length", "0 bytes", "at least 31")
	}
	l := int(d[0])
	if l < 2 || l > 8 {
		return nil, checkErr(ErrCDAData, obj, "ICC dynamic number length", fmt.Sprint(l), "2 to 8")
	}
	if want := 1 + l + 1 + 8 + hashLen; len(d) != want {
		return nil, checkErr(ErrCDAData, obj, "length", fmt.Sprintf("%d bytes", len(d)), fmt.Sprintf("%d bytes for a %d-byte IDN", want, l))
	}
	out := &CDAData{IDN: bytes.Clone(d[1 : 1+l]), CID: d[1+l]}
	out.AC = bytes.Clone(d[2+l : 10+l])
	out.TDHC = bytes.Clone(d[10+l:])
	return out, nil
}

// Check compares the signed CID and transaction data hash code with the
// ones the terminal has: the CID the card returned (9F27) and the hash the
// terminal computed with TransactionDataHash (Book 2 section 6.6.2).
// Failures wrap ErrCDAData.
func (d *CDAData) Check(cid byte, tdhc []byte) error {
	if d.CID != cid {
		return checkErr(ErrCDAData, ObjCDAData, "cryptogram information data", hexByte(d.CID), hexByte(cid)+" (9F27)")
	}
	if !bytes.Equal(d.TDHC, tdhc) {
		return checkErr(ErrCDAData, ObjCDAData, "transaction data hash code", hexBytes(d.TDHC), hexBytes(tdhc))
	}
	return nil
}

// VerifyCDA is the whole CDA signature check after GENERATE AC: recover the
// SDAD with the ICC key and the unpredictable number, read its ICC dynamic
// data, and compare the signed CID and hash code with cid (9F27) and tdhc
// (TransactionDataHash of what the terminal sent and received).
func VerifyCDA(icc PublicKey, sdad, un []byte, cid byte, tdhc []byte) (*CDAData, error) {
	s, err := RecoverSDAD(icc, sdad, un)
	if err != nil {
		return nil, err
	}
	d, err := ParseCDADynamicData(s.ICCDynamicData)
	if err != nil {
		return nil, err
	}
	if err := d.Check(cid, tdhc); err != nil {
		return nil, err
	}
	return d, nil
}

// TransactionDataHash is the CDA transaction data hash code: SHA-1 over the
// PDOL data sent with GET PROCESSING OPTIONS, the CDOL1 data sent with
// GENERATE AC, and the GENERATE AC response's data objects except 9F4B, as
// received (see SplitGenerateACResponse).
func TransactionDataHash(pdolValues, cdol1Values, responseTLVs []byte) []byte {
	h := sha1.New()
	h.Write(pdolValues)
	h.Write(cdol1Values)
	h.Write(responseTLVs)
	return h.Sum(make([]byte, 0, hashLen))
}

// SplitGenerateACResponse takes the value of a format 2 GENERATE AC
// response (the inside of template 77) and returns the data objects the
// transaction data hash covers (every object except 9F4B, with its tag and
// length, in the order received) and the value of 9F4B. A response without
// exactly one 9F4B, or that is not TLV, is ErrCDAData.
func SplitGenerateACResponse(template77 []byte) (hashed, sdad []byte, err error) {
	objs, err := tlv.Parse(template77)
	if err != nil {
		return nil, nil, fmt.Errorf("oda: GENERATE AC response: %w: %w", ErrCDAData, err)
	}
	hashed = make([]byte, 0, len(template77))
	found := 0
	for _, o := range objs {
		if o.Tag == 0x9F4B {
			sdad = o.Value
			found++
			continue
		}
		hashed = append(hashed, o.Raw...)
	}
	if found != 1 {
		return nil, nil, fmt.Errorf("oda: GENERATE AC response: %w: %d signed dynamic application data objects (9F4B), want 1", ErrCDAData, found)
	}
	return hashed, sdad, nil
}
