package issuer

import (
	"encoding/hex"
	"errors"
	"math/bits"
	"strings"
	"testing"
)

// Further published values from knovichikhin/pyemv (tests/test_kd_hsm.py,
// which its author checked on an HSM, and the docstrings of pyemv/kd.py and
// pyemv/sm.py). They reach paths the TSV rows do not: option B on 17- and
// 18-digit PANs, SHA-1 decimalisation that runs out of digits, proprietary
// ARPC data, the Visa secure-messaging key and the script MAC.

const testIMK = "0123456789ABCDEFFEDCBA9876543210"

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func checkHex(t *testing.T, what string, got []byte, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if g := strings.ToUpper(hex.EncodeToString(got)); g != want {
		t.Errorf("%s = %s, want %s", what, g, want)
	}
}

func kcv2(t *testing.T, key []byte) []byte {
	t.Helper()
	kcv, err := KeyCheckValue(key)
	if err != nil {
		t.Fatalf("KeyCheckValue: %v", err)
	}
	return kcv[:2]
}

func TestOptionBChain(t *testing.T) {
	tests := []struct {
		name, pan, psn     string
		mkKCV, r, skKCV    string
		data, arqc         string
		propAuthData, arpc string
	}{
		{"17-digit PAN", "12345678901234567", "45", "0BAF", "1234567890123456", "4262",
			"0123456789ABCDEF0123456789ABCDEF", "5760EE07B4FA65D1", "", "106B81D9"},
		{"17-digit PAN, PSN 00", "12345678901234567", "00", "4626", "1234567890123456", "7F36",
			"0123456789ABCDEF0123456789ABCDEF", "0BAA251EA8989442", "", "C1C41F3A"},
		{"18-digit PAN", "123456789012345679", "00", "C2F3", "1234567890123456", "7C35",
			"0123456789ABCDEF0123456789ABCDEF", "DC95BCE3EBBE0296", "", "ECCA0C4B"},
		{"SHA-1 short of digits", "000000000000000005", "23", "DD73", "001C000000000000", "04F8",
			"0000000040000000000000000124800004800001241911050152BF45851800001C06011203A0B800",
			"8CAD6F2489C640B1", "12345678", "E39F1876"},
		{"16-digit PAN falls back to option A", "1234567890123456", "00", "BAB0", "1234567890123456", "BC19",
			"0123456789ABCDEF0123456789ABCDEF", "0CE77D211CB5459A", "", "8CD9AA5D"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// given the test issuer master key and a card
			imk := mustHex(t, testIMK)

			// when the ICC master key is derived by option B, then its check value matches
			mk, err := DeriveICCMasterKeyB(imk, tc.pan, tc.psn)
			checkHex(t, "ICC MK KCV", kcv2(t, mk), err, tc.mkKCV)

			// when the session key is derived, then its check value matches
			sk, err := DeriveSessionKey(mk, mustHex(t, tc.r))
			checkHex(t, "SK KCV", kcv2(t, sk), err, tc.skKCV)

			// when the ARQC and the method 2 ARPC are computed, then both match
			arqc, err := GenerateAC(sk, mustHex(t, tc.data), Padding2)
			checkHex(t, "ARQC", arqc, err, tc.arqc)
			arpc, err := ARPCMethod2(sk, arqc, [4]byte{}, mustHex(t, tc.propAuthData))
			checkHex(t, "ARPC", arpc, err, tc.arpc)
		})
	}
}

func TestOptionBFullKey(t *testing.T) {
	// given a 17-digit PAN, when option B derives the key, then all 16 bytes match
	mk, err := DeriveICCMasterKeyB(mustHex(t, testIMK), "12345678901234567", "01")
	checkHex(t, "ICC MK", mk, err, "AD406D7F6D7570916D75E5DCAB8CF737")
}

func TestOptionAWithoutPSNChain(t *testing.T) {
	// given a card without a PSN, which the issuer treats as PSN 00
	mk, err := DeriveICCMasterKey(mustHex(t, testIMK), "12345678901234567", "00")
	if err != nil {
		t.Fatal(err)
	}
	// when the session key, ARQC and ARPC (method 1 under the ICC MK) are computed
	sk, err := DeriveSessionKey(mk, mustHex(t, "1234567890123456"))
	checkHex(t, "SK KCV", kcv2(t, sk), err, "3F4F")
	arqc, err := GenerateAC(sk, mustHex(t, "0123456789ABCDEF0123456789ABCDEF"), Padding2)
	checkHex(t, "ARQC", arqc, err, "8698A7319324FD93")
	// then each matches, and method 1 under the session key gives its own value
	arpc, err := ARPCMethod1(mk, arqc, [2]byte{})
	checkHex(t, "ARPC with ICC MK", arpc, err, "BEA11C8F4A47EF6F")
}

func TestARPCMethod1WithSessionKey(t *testing.T) {
	// given the HSM chain's session key and ARQC
	mk, err := DeriveICCMasterKey(mustHex(t, testIMK), "12345678901234567", "45")
	if err != nil {
		t.Fatal(err)
	}
	sk, err := DeriveSessionKey(mk, mustHex(t, "1234567890123456"))
	if err != nil {
		t.Fatal(err)
	}
	// when the ARPC is computed by method 1 under the session key
	arpc, err := ARPCMethod1(sk, mustHex(t, "19C1FBC83EBDC0D5"), [2]byte{})
	// then it matches
	checkHex(t, "ARPC", arpc, err, "C3620580668E5B65")
}

func TestVisaSessionKeyAndScriptMAC(t *testing.T) {
	t.Run("key only", func(t *testing.T) {
		sk, err := DeriveVisaSessionKey(mustHex(t, testIMK), [2]byte{0x00, 0x1C})
		checkHex(t, "SK", sk, err, "0123456789ABCDF2FEDCBA987654CDF2")
	})
	t.Run("script MAC on an HSM-checked card", func(t *testing.T) {
		// given a CVN 18 card's secure-messaging key for ATC 001C
		imk := mustHex(t, "FEDCBA98765432100123456789ABCDEF")
		checkHex(t, "IMK KCV", kcv2(t, imk), nil, "7B83")
		mk, err := DeriveICCMasterKeyB(imk, "1234567890123456", "00")
		checkHex(t, "ICC MK KCV", kcv2(t, mk), err, "F010")
		atc := [2]byte{0x00, 0x1C}
		sk, err := DeriveVisaSessionKey(mk, atc)
		checkHex(t, "SK KCV", kcv2(t, sk), err, "DB10")

		// when an 8-byte MAC is made for command 84 18 00 00 with no data
		data, err := ScriptMACData(0x84, 0x18, 0x00, 0x00, atc, mustHex(t, "29CCA15AE665FA2E"), nil, 8)
		checkHex(t, "MAC input", data, err, "8418000008001C29CCA15AE665FA2E")
		mac, err := ScriptMAC(sk, data, 8)

		// then it is the published MAC
		checkHex(t, "script MAC", mac, err, "DB56BA60087CEFD3")
	})
}

func TestDeriveRejectsBadInput(t *testing.T) {
	imk := mustHex(t, testIMK)
	tests := []struct {
		name     string
		imk      []byte
		pan, psn string
		want     error
	}{
		{"IMK 15 bytes", imk[:15], "1234567890123456", "00", ErrKeyLength},
		{"IMK 24 bytes", append(append([]byte{}, imk...), imk[:8]...), "1234567890123456", "00", ErrKeyLength},
		{"IMK missing", nil, "1234567890123456", "00", ErrKeyLength},
		{"PAN with F padding", imk, "123456789012345F", "00", ErrPAN},
		{"PAN with a letter", imk, "12345678901234A6", "00", ErrPAN},
		{"PAN with a space", imk, "1234 5678 9012 3456", "00", ErrPAN},
		{"PAN too short", imk, "1234567", "00", ErrPAN},
		{"PAN too long", imk, "12345678901234567890", "00", ErrPAN},
		{"PAN empty", imk, "", "00", ErrPAN},
		{"PSN one digit", imk, "1234567890123456", "1", ErrPSN},
		{"PSN empty", imk, "1234567890123456", "", ErrPSN},
		{"PSN hex", imk, "1234567890123456", "0A", ErrPSN},
		{"PSN three digits", imk, "1234567890123456", "001", ErrPSN},
	}
	for _, tc := range tests {
		for _, derive := range []struct {
			name string
			fn   func([]byte, string, string) ([]byte, error)
		}{{"A", DeriveICCMasterKey}, {"B", DeriveICCMasterKeyB}} {
			t.Run(tc.name+"/option "+derive.name, func(t *testing.T) {
				// given a bad key, PAN or PSN; when a master key is derived
				mk, err := derive.fn(tc.imk, tc.pan, tc.psn)
				// then it is refused with the matching error and no key
				if !errors.Is(err, tc.want) || mk != nil {
					t.Fatalf("got %X, %v; want nil, %v", mk, err, tc.want)
				}
				// and the message does not leak the PAN into logs
				if len(tc.pan) >= minPANDigits && strings.Contains(err.Error(), tc.pan) {
					t.Errorf("error %q contains the PAN", err)
				}
			})
		}
	}
}

func TestSessionKeysRejectBadInput(t *testing.T) {
	mk := mustHex(t, testIMK)
	tests := []struct {
		name string
		fn   func() ([]byte, error)
		want error
	}{
		{"common, MK 8 bytes", func() ([]byte, error) { return DeriveCommonSessionKey(mk[:8], [2]byte{}) }, ErrKeyLength},
		{"R 7 bytes", func() ([]byte, error) { return DeriveSessionKey(mk, make([]byte, 7)) }, ErrDataLength},
		{"R 16 bytes", func() ([]byte, error) { return DeriveSessionKey(mk, make([]byte, 16)) }, ErrDataLength},
		{"R with MK 17 bytes", func() ([]byte, error) { return DeriveSessionKey(append(mk, 0), make([]byte, 8)) }, ErrKeyLength},
		{"Visa, MK empty", func() ([]byte, error) { return DeriveVisaSessionKey(nil, [2]byte{}) }, ErrKeyLength},
		{"KCV, key 8 bytes", func() ([]byte, error) { return KeyCheckValue(mk[:8]) }, ErrKeyLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// when a key is derived from bad input, then it is refused
			got, err := tc.fn()
			if !errors.Is(err, tc.want) || got != nil {
				t.Fatalf("got %X, %v; want nil, %v", got, err, tc.want)
			}
		})
	}
}

func TestDerivedKeysHaveOddParity(t *testing.T) {
	// given an issuer key whose bytes have even parity on purpose
	imk := mustHex(t, "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
	mkA, errA := DeriveICCMasterKey(imk, "6231990000000019", "01")
	mkB, errB := DeriveICCMasterKeyB(imk, "6231990000000000019", "01")
	sk, errS := DeriveCommonSessionKey(mkA, [2]byte{0x01, 0x02})
	vsk, errV := DeriveVisaSessionKey(imk, [2]byte{0x01, 0x02})
	if err := errors.Join(errA, errB, errS, errV); err != nil {
		t.Fatal(err)
	}
	// when keys are derived every way this package derives them,
	// then every byte of every key has an odd number of one bits
	for i, k := range [][]byte{mkA, mkB, sk, vsk} {
		for j, b := range k {
			if bits.OnesCount8(b)%2 == 0 {
				t.Errorf("key %d byte %d = %02X has even parity", i, j, b)
			}
		}
	}
}

func TestDecimalise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0123456789abcdef0123456789abcdef01234567", "0123456789012345"},
		// only 2 digits: the letters fill the rest, a..f as 0..5, in order
		{"abcdefabcdefabcdefabcdefabcdefabcdefa1b2", "1201234501234501"},
	}
	for _, tc := range tests {
		// when a digest is decimalised, then the 16 digits are as Book 2 A1.4.2 says
		if got := decimalise(tc.in); got != tc.want {
			t.Errorf("decimalise(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
