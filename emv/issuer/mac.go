package issuer

import (
	"crypto/des"
	"fmt"
)

// Padding is an ISO/IEC 9797-1 padding method.
type Padding int

const (
	// Padding1 appends zero bytes up to a block boundary, and nothing when
	// the data already ends on one (empty data becomes one zero block).
	// Visa CVN 10 uses it. It is ambiguous
	// (trailing zeros are lost), so only use it where a scheme requires it.
	Padding1 Padding = 1
	// Padding2 appends 80 and then zero bytes; on data that already ends on
	// a block boundary it appends a whole 80 00..00 block. EMV uses it for
	// cryptograms, ARPC method 2 and script MACs.
	Padding2 Padding = 2
)

func (p Padding) String() string {
	switch p {
	case Padding1:
		return "ISO 9797-1 padding method 1"
	case Padding2:
		return "ISO 9797-1 padding method 2"
	}
	return fmt.Sprintf("Padding(%d)", int(p))
}

// MACLen is the length of a full MAC and of an application cryptogram.
const MACLen = 8

// pad returns a padded copy, so the caller's slice is never written through.
func pad(data []byte, p Padding) ([]byte, error) {
	switch p {
	case Padding1:
		n := len(data)
		// ISO 9797-1 pads empty data to one block rather than MAC nothing.
		if n == 0 || n%blockLen != 0 {
			n += blockLen - n%blockLen
		}
		out := make([]byte, n)
		copy(out, data)
		return out, nil
	case Padding2:
		n := len(data) + 1
		n += (blockLen - n%blockLen) % blockLen
		out := make([]byte, n)
		copy(out, data)
		out[len(data)] = 0x80
		return out, nil
	}
	return nil, fmt.Errorf("%v: %w", p, ErrPadding)
}

// MAC computes ISO/IEC 9797-1 MAC algorithm 3, the "retail MAC": single-DES
// CBC with K1 over every block, then the last chaining value deciphered with
// K2 and enciphered with K1 again. It returns all 8 bytes; schemes that want
// fewer take the leftmost ones.
func MAC(key, data []byte, p Padding) ([]byte, error) {
	m, err := mac(key, data, p)
	return m, wrap("MAC", err)
}

func mac(key, data []byte, p Padding) ([]byte, error) {
	if len(key) != KeyLen {
		return nil, fmt.Errorf("MAC key is %d bytes: %w", len(key), ErrKeyLength)
	}
	padded, err := pad(data, p)
	if err != nil {
		return nil, err
	}
	k1, err := des.NewCipher(key[:8])
	if err != nil {
		return nil, fmt.Errorf("MAC key: %w", err)
	}
	k2, err := des.NewCipher(key[8:])
	if err != nil {
		return nil, fmt.Errorf("MAC key: %w", err)
	}
	h := make([]byte, blockLen)
	for i := 0; i < len(padded); i += blockLen {
		for j := range h {
			h[j] ^= padded[i+j]
		}
		k1.Encrypt(h, h)
	}
	k2.Decrypt(h, h)
	k1.Encrypt(h, h)
	return h, nil
}
