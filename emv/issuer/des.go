package issuer

import (
	"crypto/cipher"
	"crypto/des"
	"errors"
	"fmt"
	"math/bits"
)

// Errors callers can test for with errors.Is.
var (
	ErrKeyLength  = errors.New("key must be a 16-byte double-length 3DES key")
	ErrPAN        = errors.New("invalid PAN")
	ErrPSN        = errors.New("invalid PAN sequence number")
	ErrDataLength = errors.New("invalid data length")
	ErrPadding    = errors.New("unknown padding method")
)

// KeyLen is the length of every key this package takes or returns.
const KeyLen = 16

const blockLen = des.BlockSize

// tripleDES builds the K1,K2,K1 cipher EMV means by "3DES with a
// double-length key"; crypto/des only takes the 24-byte form.
// role names the key in the error, since callers often hold several.
func tripleDES(role string, key []byte) (cipher.Block, error) {
	if len(key) != KeyLen {
		return nil, fmt.Errorf("%s is %d bytes: %w", role, len(key), ErrKeyLength)
	}
	k := make([]byte, 0, 24)
	k = append(k, key...)
	k = append(k, key[:8]...)
	c, err := des.NewTripleDESCipher(k)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", role, err)
	}
	return c, nil
}

// encryptECB enciphers whole blocks; callers only pass multiples of 8.
func encryptECB(c cipher.Block, src []byte) []byte {
	out := make([]byte, len(src))
	for i := 0; i+blockLen <= len(src); i += blockLen {
		c.Encrypt(out[i:i+blockLen], src[i:i+blockLen])
	}
	return out
}

// withOddParity sets the low bit of each byte so that every byte has an odd
// number of ones, the form DES keys are exchanged and checked in.
func withOddParity(key []byte) []byte {
	out := make([]byte, len(key))
	for i, b := range key {
		b &^= 1
		if bits.OnesCount8(b)%2 == 0 {
			b |= 1
		}
		out[i] = b
	}
	return out
}

// KeyCheckValue is the 3-byte check value of a double-length key: the
// leftmost bytes of 3DES(key, 00..00). Tellers compare it, never the key.
func KeyCheckValue(key []byte) ([]byte, error) {
	c, err := tripleDES("key", key)
	if err != nil {
		return nil, wrap("key check value", err)
	}
	return encryptECB(c, make([]byte, blockLen))[:3], nil
}

// wrap gives every error leaving the package one "issuer: operation:"
// prefix; internal helpers return bare errors so prefixes never stack.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("issuer: %s: %w", op, err)
}
