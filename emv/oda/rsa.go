package oda

import (
	"bytes"
	"fmt"
	"math/big"
)

// Key sizes EMV allows. Book 2 caps every RSA key in the chain at 1984
// bits (248 bytes); the smallest in use are 768-bit ICC keys. The lower bound
// here only guards the certificate layouts, which need at least 42 bytes
// plus a hash, and keeps hostile input from producing degenerate keys.
const (
	MaxModulusLen = 248
	MinModulusLen = 64
)

// PublicKey is an RSA public key as EMV carries it: big-endian modulus and
// exponent bytes. The modulus length in bytes is the length of every
// certificate or signature the key verifies.
type PublicKey struct {
	Modulus, Exponent []byte
}

var (
	exp3     = []byte{0x03}
	exp65537 = []byte{0x01, 0x00, 0x01}
)

// Validate says whether the key can verify EMV signatures: modulus of
// MinModulusLen to MaxModulusLen bytes with a non-zero first byte (the
// length is significant) and odd, exponent 3 or 65537 (Book 2 allows no
// other).
func (k PublicKey) Validate() error {
	n := len(k.Modulus)
	switch {
	case n < MinModulusLen || n > MaxModulusLen:
		return fmt.Errorf("%w: modulus of %d bytes, want %d to %d", ErrPublicKey, n, MinModulusLen, MaxModulusLen)
	case k.Modulus[0] == 0:
		return fmt.Errorf("%w: modulus starts with a zero byte", ErrPublicKey)
	case k.Modulus[n-1]&1 == 0:
		return fmt.Errorf("%w: modulus is even", ErrPublicKey)
	}
	return validExponent(k.Exponent)
}

func validExponent(e []byte) error {
	if bytes.Equal(e, exp3) || bytes.Equal(e, exp65537) {
		return nil
	}
	return fmt.Errorf("%w: exponent %s, want 03 or 010001", ErrPublicKey, hexBytes(e))
}

// Equal reports whether two keys are the same.
func (k PublicKey) Equal(o PublicKey) bool {
	return bytes.Equal(k.Modulus, o.Modulus) && bytes.Equal(k.Exponent, o.Exponent)
}

// recoverBlock applies the public key to a signature block (the RSA
// "encryption" that undoes the signer's private operation) and returns the
// recovered block, len(Modulus) bytes. The block must be exactly as long as
// the modulus and, as a number, smaller than it; failures wrap sentinel and
// name the object.
func recoverBlock(k PublicKey, block []byte, sentinel error, object string) ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("oda: %s: key: %w", object, err)
	}
	n := len(k.Modulus)
	if len(block) != n {
		return nil, checkErr(sentinel, object, "length", fmt.Sprint(len(block)), fmt.Sprintf("%d (the key's modulus length)", n))
	}
	// A block at or above the modulus is not a signature: refuse it rather
	// than silently reducing it.
	if bytes.Compare(block, k.Modulus) >= 0 {
		return nil, checkErr(sentinel, object, "value", "not less than the modulus", "")
	}
	var m, c, e big.Int
	m.SetBytes(k.Modulus)
	c.SetBytes(block)
	e.SetBytes(k.Exponent)
	c.Exp(&c, &e, &m)
	out := make([]byte, n)
	c.FillBytes(out)
	return out, nil
}
