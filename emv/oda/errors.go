package oda

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrCertFormat: a recovered certificate's header, format, trailer,
	// algorithm indicator, field or length is not what Book 2 requires.
	ErrCertFormat = errors.New("certificate format")
	// ErrCertHash: a certificate's recovered hash does not match.
	ErrCertHash = errors.New("certificate hash mismatch")
	// ErrCertExpired: the certificate expired before the transaction date.
	ErrCertExpired = errors.New("certificate expired")
	// ErrPANMismatch: the issuer identifier is not a prefix of the PAN, or
	// the ICC certificate names another PAN.
	ErrPANMismatch = errors.New("PAN mismatch")
	// ErrSignature: signed static or dynamic application data (SSAD, SDAD)
	// does not verify: wrong length, header, format, trailer or hash.
	ErrSignature = errors.New("signature does not verify")
	// ErrCDAData: the ICC dynamic data of a CDA signature is malformed, or
	// its cryptogram information data or transaction data hash code differ
	// from what the terminal saw.
	ErrCDAData = errors.New("CDA dynamic data")
	// ErrPublicKey: an RSA public key is unusable: empty or oversized
	// modulus, leading zero byte, even modulus, exponent not 3 or 65537.
	ErrPublicKey = errors.New("unusable public key")
	// ErrUnknownCAPK: no CA public key with this RID and index.
	ErrUnknownCAPK = errors.New("unknown CA public key")
	// ErrAmbiguousCAPK: two key sets hold different keys for this RID and
	// index and the store was not told which set to use.
	ErrAmbiguousCAPK = errors.New("ambiguous CA public key")
	// ErrCAPKExpired: the CA public key's last valid day has passed.
	ErrCAPKExpired = errors.New("CA public key expired")
	// ErrCAPKChecksum: a CA public key's SHA-1 check value does not match.
	ErrCAPKChecksum = errors.New("CA public key checksum mismatch")
	// ErrPrivateKey: a private key is malformed or inconsistent.
	ErrPrivateKey = errors.New("invalid private key")
)

// Objects named in a CheckError.
const (
	ObjIssuerCert = "issuer public key certificate"   // tag 90
	ObjICCCert    = "ICC public key certificate"      // tag 9F46
	ObjSSAD       = "signed static application data"  // tag 93
	ObjSDAD       = "signed dynamic application data" // tag 9F4B
	ObjCDAData    = "CDA ICC dynamic data"
)

// CheckError says which check on which object failed and what was seen.
type CheckError struct {
	Object string // one of the Obj constants
	Check  string // "header", "format", "trailer", "hash", "expiry", ...
	Got    string // what was found, as hex or text; may be empty
	Want   string // what was expected; may be empty
	Err    error  // the sentinel: ErrCertFormat, ErrCertHash, ...
}

func (e *CheckError) Error() string {
	s := fmt.Sprintf("oda: %s: %s", e.Object, e.Check)
	switch {
	case e.Got != "" && e.Want != "":
		s += fmt.Sprintf(": got %s, want %s", e.Got, e.Want)
	case e.Got != "":
		s += ": " + e.Got
	case e.Want != "":
		s += ": want " + e.Want
	}
	if e.Err == nil {
		return s
	}
	return s + " (" + e.Err.Error() + ")"
}

// Unwrap makes errors.Is(err, ErrCertHash) and the like work.
func (e *CheckError) Unwrap() error { return e.Err }

func checkErr(sentinel error, object, check, got, want string) error {
	return &CheckError{Object: object, Check: check, Got: got, Want: want, Err: sentinel}
}

// hexByte and hexBytes format values for error messages.
func hexByte(b byte) string { return fmt.Sprintf("%02X", b) }

func hexBytes(b []byte) string {
	const max = 64 // keep messages readable when a whole block is garbage
	if len(b) > max {
		return fmt.Sprintf("%X… (%d bytes)", b[:max], len(b))
	}
	return fmt.Sprintf("%X", b)
}
