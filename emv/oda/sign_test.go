package oda

import (
	"bytes"
	"testing"
)

var (
	testPAN      = []byte{0x62, 0x31, 0x99, 0x00, 0x00, 0x00, 0x00, 0x19} // 6231990000000019
	testIssuerID = []byte{0x62, 0x31, 0x99, 0xFF}
	testExpiry   = []byte{0x12, 0x30}
	testSerial   = []byte{0x00, 0x00, 0x01}
	testStatic   = []byte("static data to be authenticated, then the AIP \x3C\x00")
)

func TestIssuerCertRoundTrip(t *testing.T) {
	k := keys(t)
	cases := []struct {
		name          string
		issuer        *PrivateKey
		wantRemainder int
	}{
		{"key continues in the remainder", k.issuer, len(k.issuer.Public().Modulus) - (k.ca.Size() - 36)},
		{"key fits, padded with BB", k.small, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given an issuer key signed by the CA
			cert, rem, err := SignIssuerCert(k.ca, tc.issuer.Public(), testIssuerID, testExpiry, testSerial)
			wantErr(t, err, nil, "")
			if len(rem) != tc.wantRemainder || len(cert) != k.ca.Size() {
				t.Fatalf("certificate %d bytes, remainder %d, want %d and %d", len(cert), len(rem), k.ca.Size(), tc.wantRemainder)
			}
			// When the terminal recovers it
			c, err := RecoverIssuerCert(k.ca.Public(), cert, rem, tc.issuer.Public().Exponent)
			// Then it gets the same key and fields back, and they check out
			wantErr(t, err, nil, "")
			if !c.Key.Equal(tc.issuer.Public()) {
				t.Fatal("recovered key differs")
			}
			wantBytes(t, "issuer id", c.IssuerID, testIssuerID)
			wantBytes(t, "expiry", c.Expiry, testExpiry)
			wantBytes(t, "serial", c.Serial, testSerial)
			wantErr(t, c.Check(testPAN, date(2030, 12, 31)), nil, "")
		})
	}
}

func TestICCCertRoundTrip(t *testing.T) {
	k := keys(t)
	for _, icc := range []*PrivateKey{k.icc, k.small} {
		// Given an ICC key signed by the issuer over the static data
		cert, rem, err := SignICCCert(k.issuer, icc.Public(), testPAN, testExpiry, testSerial, testStatic)
		wantErr(t, err, nil, "")
		// When the terminal recovers it with the same static data
		c, err := RecoverICCCert(k.issuer.Public(), cert, rem, icc.Public().Exponent, testStatic)
		// Then it gets the key back and the PAN matches
		wantErr(t, err, nil, "")
		if !c.Key.Equal(icc.Public()) {
			t.Fatal("recovered key differs")
		}
		wantBytes(t, "PAN field", c.PAN, mustHex(t, "6231990000000019FFFF"))
		wantErr(t, c.Check(testPAN, date(2030, 12, 31)), nil, "")
		// And one changed byte of static data fails the hash
		_, err = RecoverICCCert(k.issuer.Public(), cert, rem, icc.Public().Exponent, append(bytes.Clone(testStatic), 0))
		wantErr(t, err, ErrCertHash, "hash")
	}
}

func TestDynamicSignaturesRoundTrip(t *testing.T) {
	k := keys(t)
	un := []byte{0x8B, 0x55, 0x63, 0x3B}

	t.Run("DDA", func(t *testing.T) {
		dyn := []byte{0x02, 0x00, 0xAE}
		sdad, err := SignSDAD(k.icc, dyn, un)
		wantErr(t, err, nil, "")
		s, err := RecoverSDAD(k.icc.Public(), sdad, un)
		wantErr(t, err, nil, "")
		wantBytes(t, "dynamic data", s.ICCDynamicData, dyn)
	})
	t.Run("CDA", func(t *testing.T) {
		// Given the card's GENERATE AC response and the terminal's DOL data
		pdol := mustHex(t, "000000001250 0156 8B55633B")
		cdol1 := mustHex(t, "000000001250 000000000000 0156 0000000000 0156 250506 00 8B55633B")
		resp := mustHex(t, "9F2701 40 9F3602 0007 9F2608 1122334455667788 9F1007 06010A03A00000")
		tdhc := TransactionDataHash(pdol, cdol1, resp)
		dyn, err := BuildCDADynamicData([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 0x40, mustHex(t, "1122334455667788"), tdhc)
		wantErr(t, err, nil, "")
		// When the card signs it and the terminal checks it
		sdad, err := SignSDAD(k.icc, dyn, un)
		wantErr(t, err, nil, "")
		d, err := VerifyCDA(k.icc.Public(), sdad, un, 0x40, TransactionDataHash(pdol, cdol1, resp))
		// Then the signed fields come back
		wantErr(t, err, nil, "")
		wantBytes(t, "AC", d.AC, mustHex(t, "1122334455667788"))
		// And a response changed in flight fails the hash code
		resp[3] = 0x00
		_, err = VerifyCDA(k.icc.Public(), sdad, un, 0x40, TransactionDataHash(pdol, cdol1, resp))
		wantErr(t, err, ErrCDAData, "transaction data hash code")
	})
	t.Run("SDA", func(t *testing.T) {
		ssad, err := SignSSAD(k.issuer, [2]byte{0xDA, 0xC0}, testStatic)
		wantErr(t, err, nil, "")
		s, err := RecoverSSAD(k.issuer.Public(), ssad, testStatic)
		wantErr(t, err, nil, "")
		if s.DAC != [2]byte{0xDA, 0xC0} {
			t.Fatalf("DAC %X", s.DAC)
		}
		_, err = RecoverSSAD(k.issuer.Public(), ssad, testStatic[1:])
		wantErr(t, err, ErrSignature, "hash")
	})
}

func TestSplitGenerateACResponse(t *testing.T) {
	// Given a template 77 value with the signature in the middle and padding
	in := mustHex(t, "9F2701 40 9F3602 0007 9F4B03 AABBCC 00 9F2608 1122334455667788")
	// When it is split
	hashed, sdad, err := SplitGenerateACResponse(in)
	// Then the hash input is every other object as received, in order
	wantErr(t, err, nil, "")
	wantBytes(t, "hashed", hashed, mustHex(t, "9F2701 40 9F3602 0007 9F2608 1122334455667788"))
	wantBytes(t, "sdad", sdad, mustHex(t, "AABBCC"))
	// And responses without exactly one 9F4B, or not TLV, are refused
	for _, bad := range []string{"9F2701 40", "9F4B01AA 9F4B01BB", "9F4B05AA"} {
		_, _, err := SplitGenerateACResponse(mustHex(t, bad))
		wantErr(t, err, ErrCDAData, "")
	}
}

func TestSignRefusesBadInput(t *testing.T) {
	k := keys(t)
	pub := k.issuer.Public()
	cases := []struct {
		name string
		call func() error
	}{
		{"issuer key longer than CA key", func() error {
			big, err := GenerateKey(1032, 3)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = SignIssuerCert(k.ca, big.Public(), testIssuerID, testExpiry, testSerial)
			return err
		}},
		{"issuer id of 2 digits", func() error {
			_, _, err := SignIssuerCert(k.ca, pub, mustHex(t, "62FFFFFF"), testExpiry, testSerial)
			return err
		}},
		{"expiry month 13", func() error {
			_, _, err := SignIssuerCert(k.ca, pub, testIssuerID, mustHex(t, "1330"), testSerial)
			return err
		}},
		{"serial of 2 bytes", func() error {
			_, _, err := SignICCCert(k.issuer, k.icc.Public(), testPAN, testExpiry, testSerial[:2], nil)
			return err
		}},
		{"PAN not BCD", func() error {
			_, _, err := SignICCCert(k.issuer, k.icc.Public(), mustHex(t, "62319A"), testExpiry, testSerial, nil)
			return err
		}},
		{"unusable ICC key", func() error {
			_, _, err := SignICCCert(k.issuer, PublicKey{Modulus: pub.Modulus, Exponent: []byte{5}}, testPAN, testExpiry, testSerial, nil)
			return err
		}},
		{"dynamic data too long", func() error {
			_, err := SignSDAD(k.icc, make([]byte, k.icc.Size()-24), nil)
			return err
		}},
		{"CDA IDN of 1 byte", func() error {
			_, err := BuildCDADynamicData([]byte{1}, 0x40, make([]byte, 8), make([]byte, 20))
			return err
		}},
		{"CDA AC of 7 bytes", func() error {
			_, err := BuildCDADynamicData([]byte{1, 2}, 0x40, make([]byte, 7), make([]byte, 20))
			return err
		}},
		{"CDA hash of 19 bytes", func() error {
			_, err := BuildCDADynamicData([]byte{1, 2}, 0x40, make([]byte, 8), make([]byte, 19))
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.call() == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestIssuerIDFromPAN(t *testing.T) {
	id, err := IssuerIDFromPAN(testPAN, 6)
	wantErr(t, err, nil, "")
	wantBytes(t, "issuer id", id, testIssuerID)
	id, err = IssuerIDFromPAN(testPAN, 5)
	wantErr(t, err, nil, "")
	wantBytes(t, "issuer id", id, mustHex(t, "62319FFF"))
	if _, err := IssuerIDFromPAN(testPAN, 9); err == nil {
		t.Fatal("9 digits accepted")
	}
}
