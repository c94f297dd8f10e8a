package issuer

import (
	"bytes"
	"errors"
	"testing"
)

func TestScriptMAC(t *testing.T) {
	// pyemv/sm.py docstring: PUT DATA-style header 84 24 00 00 08, ATC FFFF
	sk := mustHex(t, testIMK)
	data, err := ScriptMACData(0x84, 0x24, 0x00, 0x00, [2]byte{0xFF, 0xFF}, mustHex(t, "1234567890123456"), nil, 8)
	if err != nil {
		t.Fatal(err)
	}
	for length := minScriptMAC; length <= maxScriptMAC; length++ {
		// when a MAC of each allowed length is made, then it is the leftmost bytes of the full MAC
		mac, err := ScriptMAC(sk, data, length)
		checkHex(t, "script MAC", mac, err, "E07B8DF1B4184282"[:2*length])
	}
}

func TestScriptMACDataCountsTheMACInLc(t *testing.T) {
	// given a PUT DATA of a new 9F79 balance with a 4-byte MAC to follow
	arqc := mustHex(t, "1122334455667788")
	cmd := mustHex(t, "9F7906000000050000")
	// when the MAC input is assembled
	data, err := ScriptMACData(0x04, 0xDA, 0x9F, 0x79, [2]byte{0x00, 0x07}, arqc, cmd, 4)
	// then Lc is the data plus the MAC, followed by ATC, ARQC and the data
	checkHex(t, "MAC input", data, err, "04DA9F790D"+"0007"+"1122334455667788"+"9F7906000000050000")
}

func TestVerifyAC(t *testing.T) {
	sk := mustHex(t, "29B33180E567CE38EA4CBC9D753B0E61")
	data := mustHex(t, "0123456789ABCDEF0123456789ABCDEF")
	good := mustHex(t, "FA624250B008B59A")
	tests := []struct {
		name string
		ac   []byte
		want bool
	}{
		{"published AC", good, true},
		{"one bit off", append([]byte{good[0] ^ 1}, good[1:]...), false},
		{"truncated", good[:4], false},
		{"empty", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// when a presented AC is verified, then only the exact cryptogram passes
			ok, err := VerifyAC(sk, data, Padding2, tc.ac)
			if err != nil || ok != tc.want {
				t.Fatalf("VerifyAC = %v, %v; want %v", ok, err, tc.want)
			}
		})
	}
}

func TestCryptogramsRejectBadInput(t *testing.T) {
	sk := mustHex(t, testIMK)
	arqc := mustHex(t, "1234567890ABCDEF")
	var d VisaACData
	tests := []struct {
		name string
		fn   func() ([]byte, error)
		want error
	}{
		{"AC, key 8 bytes", func() ([]byte, error) { return GenerateAC(sk[:8], arqc, Padding2) }, ErrKeyLength},
		{"AC, padding 9", func() ([]byte, error) { return GenerateAC(sk, arqc, Padding(9)) }, ErrPadding},
		{"ARPC 1, key 24 bytes", func() ([]byte, error) { return ARPCMethod1(append(bytes.Clone(sk), sk[:8]...), arqc, [2]byte{}) }, ErrKeyLength},
		{"ARPC 1, ARQC 7 bytes", func() ([]byte, error) { return ARPCMethod1(sk, arqc[:7], [2]byte{}) }, ErrDataLength},
		{"ARPC 1, ARQC missing", func() ([]byte, error) { return ARPCMethod1(sk, nil, [2]byte{}) }, ErrDataLength},
		{"ARPC 2, key missing", func() ([]byte, error) { return ARPCMethod2(nil, arqc, [4]byte{}, nil) }, ErrKeyLength},
		{"ARPC 2, ARQC 9 bytes", func() ([]byte, error) { return ARPCMethod2(sk, append(bytes.Clone(arqc), 0), [4]byte{}, nil) }, ErrDataLength},
		{"ARPC 2, proprietary data 9 bytes", func() ([]byte, error) { return ARPCMethod2(sk, arqc, [4]byte{}, make([]byte, 9)) }, ErrDataLength},
		{"script MAC, 3 bytes", func() ([]byte, error) { return ScriptMAC(sk, arqc, 3) }, ErrDataLength},
		{"script MAC, 9 bytes", func() ([]byte, error) { return ScriptMAC(sk, arqc, 9) }, ErrDataLength},
		{"script MAC, key 15 bytes", func() ([]byte, error) { return ScriptMAC(sk[:15], arqc, 8) }, ErrKeyLength},
		{"script data, ARQC 4 bytes", func() ([]byte, error) { return ScriptMACData(0x84, 0x24, 0, 0, [2]byte{}, arqc[:4], nil, 8) }, ErrDataLength},
		{"script data, MAC 2 bytes", func() ([]byte, error) { return ScriptMACData(0x84, 0x24, 0, 0, [2]byte{}, arqc, nil, 2) }, ErrDataLength},
		{"script data, Lc over 255", func() ([]byte, error) {
			return ScriptMACData(0x84, 0x24, 0, 0, [2]byte{}, arqc, make([]byte, 248), 8)
		}, ErrDataLength},
		{"CVN 10, MK 8 bytes", func() ([]byte, error) { return CVN10AC(sk[:8], d, [4]byte{}) }, ErrKeyLength},
		{"CVN 10 ARPC, ARQC 0 bytes", func() ([]byte, error) { return CVN10ARPC(sk, nil, [2]byte{}) }, ErrDataLength},
		{"CVN 18, IAD 33 bytes", func() ([]byte, error) { return CVN18AC(sk, d, make([]byte, 33)) }, ErrDataLength},
		{"CVN 18, MK 0 bytes", func() ([]byte, error) { return CVN18AC(nil, d, nil) }, ErrKeyLength},
		{"CVN 18 ARPC, ARQC 6 bytes", func() ([]byte, error) { return CVN18ARPC(sk, arqc[:6], [2]byte{}, [4]byte{}, nil) }, ErrDataLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// when a cryptogram is asked for with bad input, then it is refused with the matching error
			got, err := tc.fn()
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("got %X, %v; want nil, %v", got, err, tc.want)
			}
		})
	}
}

func TestScriptMACData247BytesFits(t *testing.T) {
	// given the longest command data a short APDU carries with an 8-byte MAC
	data, err := ScriptMACData(0x84, 0x24, 0, 0, [2]byte{}, make([]byte, 8), make([]byte, 247), 8)
	// then Lc is FF
	if err != nil {
		t.Fatal(err)
	}
	if data[4] != 0xFF {
		t.Fatalf("Lc = %02X, want FF", data[4])
	}
}
