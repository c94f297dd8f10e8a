package issuer

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"encoding/hex"
	"errors"
	"testing"
)

func TestPadding(t *testing.T) {
	ff := func(n int) []byte { return bytes.Repeat([]byte{0xFF}, n) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		data []byte
		p    Padding
		want []byte
	}{
		{"method 1, empty: one zero block", nil, Padding1, make([]byte, 8)},
		{"method 1, 7 bytes", ff(7), Padding1, cat(ff(7), []byte{0})},
		{"method 1, exact multiple: unchanged", ff(8), Padding1, ff(8)},
		{"method 1, 9 bytes", ff(9), Padding1, cat(ff(9), make([]byte, 7))},
		{"method 2, empty", nil, Padding2, cat([]byte{0x80}, make([]byte, 7))},
		{"method 2, 7 bytes: 80 fits", ff(7), Padding2, cat(ff(7), []byte{0x80})},
		{"method 2, 8 bytes: a whole block", ff(8), Padding2, cat(ff(8), []byte{0x80}, make([]byte, 7))},
		{"method 2, 40 bytes (CVN 18): a whole block", ff(40), Padding2, cat(ff(40), []byte{0x80}, make([]byte, 7))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// given data; when it is padded
			orig := bytes.Clone(tc.data)
			got, err := pad(tc.data, tc.p)
			// then the result is as ISO/IEC 9797-1 says and the input is untouched
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("got % X, want % X", got, tc.want)
			}
			if !bytes.Equal(tc.data, orig) {
				t.Errorf("input changed to % X", tc.data)
			}
		})
	}
}

func TestMACPublished(t *testing.T) {
	// pyemv tests/test_mac.py: "hello world" under K1=AA.., K2=BB..
	key := mustHex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
	tests := []struct {
		p    Padding
		want string
	}{
		{Padding1, "78DA3D3DEB48FD4D"},
		{Padding2, "2BC2D9EDE0CF31F6"},
	}
	for _, tc := range tests {
		t.Run(tc.p.String(), func(t *testing.T) {
			mac, err := MAC(key, []byte("hello world"), tc.p)
			checkHex(t, "MAC", mac, err, tc.want)
		})
	}
}

func TestMACPadding2OnBlockBoundary(t *testing.T) {
	// given 40 bytes, the size of CVN 18's input
	key := mustHex(t, "29B33180E567CE38EA4CBC9D753B0E61")
	data := bytes.Repeat([]byte{0x5A}, 40)
	// when it is MACed with padding 2
	got, err := MAC(key, data, Padding2)
	if err != nil {
		t.Fatal(err)
	}
	// then the MAC covers an extra 80 00..00 block, not the bare 40 bytes
	withBlock, err1 := MAC(key, append(bytes.Clone(data), 0x80, 0, 0, 0, 0, 0, 0, 0), Padding1)
	bare, err2 := MAC(key, data, Padding1)
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, withBlock) {
		t.Errorf("MAC = %X, want %X (with an 80 block)", got, withBlock)
	}
	if bytes.Equal(got, bare) {
		t.Errorf("MAC = %X equals the unpadded MAC: padding 2 skipped the whole block", got)
	}
}

func TestMACRejectsBadInput(t *testing.T) {
	key := mustHex(t, testIMK)
	tests := []struct {
		name string
		key  []byte
		p    Padding
		want error
	}{
		{"no key", nil, Padding2, ErrKeyLength},
		{"single-length key", key[:8], Padding2, ErrKeyLength},
		{"triple-length key", append(bytes.Clone(key), key[:8]...), Padding1, ErrKeyLength},
		{"padding 0", key, Padding(0), ErrPadding},
		{"padding 3", key, Padding(3), ErrPadding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// when a MAC is asked for with a bad key or padding, then it is refused
			mac, err := MAC(tc.key, []byte("data"), tc.p)
			if !errors.Is(err, tc.want) || mac != nil {
				t.Fatalf("got %X, %v; want nil, %v", mac, err, tc.want)
			}
		})
	}
}

// cbcMAC is plain single-DES CBC-MAC, which MAC algorithm 3 reduces to when
// K1 = K2; it is built on crypto/cipher so the check is independent.
func cbcMAC(t testing.TB, k1, padded []byte) []byte {
	c, err := des.NewCipher(k1)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(padded))
	cipher.NewCBCEncrypter(c, make([]byte, 8)).CryptBlocks(out, padded)
	return out[len(out)-8:]
}

func FuzzMAC(f *testing.F) {
	f.Add(mustHexF(f, testIMK), []byte{}, 2)
	f.Add(mustHexF(f, testIMK), bytes.Repeat([]byte{1}, 40), 2)
	f.Add(mustHexF(f, testIMK), []byte("hello world"), 1)
	f.Add([]byte{1, 2, 3}, []byte("short key"), 2)
	f.Add(mustHexF(f, testIMK), []byte{0x80}, 7)
	f.Fuzz(func(t *testing.T, key, data []byte, p int) {
		// given any key, data and padding; when a MAC is computed
		mac, err := MAC(key, data, Padding(p))

		// then bad keys and paddings are errors, never panics
		valid := len(key) == KeyLen && (p == 1 || p == 2)
		if !valid {
			if err == nil {
				t.Fatalf("MAC(%d-byte key, padding %d) succeeded", len(key), p)
			}
			return
		}
		// and good ones give 8 bytes
		if err != nil || len(mac) != MACLen {
			t.Fatalf("MAC = %X, %v; want 8 bytes", mac, err)
		}
		// and padding 2 is padding 1 after an 80 byte
		if p == 2 {
			alt, err := MAC(key, append(bytes.Clone(data), 0x80), Padding1)
			if err != nil || !bytes.Equal(mac, alt) {
				t.Fatalf("padding 2 MAC %X differs from padding 1 over data||80: %X", mac, alt)
			}
		}
		// and with K1 = K2 the result is single-DES CBC-MAC
		same := append(bytes.Clone(key[:8]), key[:8]...)
		got, err := MAC(same, data, Padding(p))
		padded, _ := pad(data, Padding(p))
		if err != nil || !bytes.Equal(got, cbcMAC(t, key[:8], padded)) {
			t.Fatalf("K1=K2 MAC %X is not the CBC-MAC", got)
		}
	})
}

func mustHexF(f *testing.F, s string) []byte {
	f.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		f.Fatal(err)
	}
	return b
}
