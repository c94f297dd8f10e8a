package oda

import (
	"bytes"
	"errors"
	"testing"
)

// The fuzz targets feed hostile bytes to everything that reads card or file
// data. Run one with, e.g.:
//
//	go test ./emv/oda/ -run '^$' -fuzz FuzzRecoverICCCert -fuzztime 60s
//
// The seeds below run as ordinary tests on every `go test`.
//
// The recovery targets take a flag: when signed is true the fuzzer's bytes
// are the plaintext block, which the test signs with its own key so that
// the parsing behind the RSA step sees exactly what the fuzzer chose; when
// false they are handed to the terminal as they are, as a hostile card would.

var sentinels = []error{ErrCertFormat, ErrCertHash, ErrCertExpired, ErrPANMismatch, ErrSignature,
	ErrCDAData, ErrPublicKey}

// wantSentinel fails unless err matches one of the package's sentinels.
func wantSentinel(t *testing.T, err error) {
	t.Helper()
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error without a sentinel: %v", err)
}

// fit pads or cuts b to size bytes, so that a fuzzer's plaintext can be
// signed by a key of that size.
func fit(b []byte, size int) []byte {
	out := make([]byte, size)
	copy(out, b)
	return out
}

// signRaw signs a plaintext block as it is, or says it cannot (not below
// the modulus).
func signRaw(k *PrivateKey, plain []byte) ([]byte, bool) {
	b := fit(plain, k.Size())
	if bytes.Compare(b, k.pub.Modulus) >= 0 {
		return nil, false
	}
	sig, err := k.sign(b)
	return sig, err == nil
}

func FuzzRecoverIssuerCert(f *testing.F) {
	k := keys(f)
	body := append(append(bytes.Clone(testIssuerID), testExpiry...), testSerial...)
	body, rem := keyBody(body, k.issuer.Public(), k.ca.Size()-issuerCertOverhead)
	valid := must(layoutBlock(k.ca.Size(), FormatIssuerCert, body, rem, k.issuer.Public().Exponent))
	f.Add(true, valid, rem, k.issuer.Public().Exponent)
	f.Add(true, valid, []byte(nil), []byte{3})
	f.Add(true, bytes.Repeat([]byte{0xFF}, 10), []byte{}, []byte{})
	f.Add(false, readHex(f, visa94, "valid_issuer_cert.hex"), []byte{}, []byte{3})
	f.Add(false, readHex(f, visa94, "invalid_issuer_cert.hex"), []byte{}, []byte{3})
	visaCA := PublicKey{Modulus: readHex(f, visa94, "capk_A000000003_94_modulus.hex"), Exponent: []byte{3}}

	f.Fuzz(func(t *testing.T, signed bool, block, remainder, exponent []byte) {
		ca := visaCA
		if signed {
			var ok bool
			if block, ok = signRaw(k.ca, block); !ok {
				return
			}
			ca = k.ca.Public()
		}
		c, err := RecoverIssuerCert(ca, block, remainder, exponent)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		if err := c.Key.Validate(); err != nil || len(c.Key.Modulus) > len(ca.Modulus) {
			t.Fatalf("accepted an unusable key: %v", err)
		}
		_ = c.Check(testPAN, date(2025, 1, 1)) // must not panic on any recovered fields
	})
}

func FuzzRecoverICCCert(f *testing.F) {
	k := keys(f)
	body := append(append(packDigits(mustDigitsTB(f, testPAN), 10), testExpiry...), testSerial...)
	body, rem := keyBody(body, k.icc.Public(), k.issuer.Size()-iccCertOverhead)
	valid := must(layoutBlock(k.issuer.Size(), FormatICCCert, body, rem, k.icc.Public().Exponent, testStatic))
	f.Add(true, valid, rem, k.icc.Public().Exponent, testStatic)
	f.Add(true, valid, rem, k.icc.Public().Exponent, []byte{})
	f.Add(false, readHex(f, visa94, "valid_icc_cert.hex"), readHex(f, visa94, "tag9F48_icc_pk_remainder.hex"), []byte{3}, []byte{})
	visaIssuer := PublicKey{Modulus: readHex(f, visa94, "expected_issuer_pk_modulus.hex"), Exponent: []byte{3}}

	f.Fuzz(func(t *testing.T, signed bool, block, remainder, exponent, static []byte) {
		issuer := visaIssuer
		if signed {
			var ok bool
			if block, ok = signRaw(k.issuer, block); !ok {
				return
			}
			issuer = k.issuer.Public()
		}
		c, err := RecoverICCCert(issuer, block, remainder, exponent, static)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		if err := c.Key.Validate(); err != nil || len(c.Key.Modulus) > len(issuer.Modulus) {
			t.Fatalf("accepted an unusable key: %v", err)
		}
		_ = c.Check(testPAN, date(2025, 1, 1))
	})
}

func mustDigitsTB(tb testing.TB, pan []byte) []byte {
	d, ok := digitsFPadded(pan, maxPANDigits)
	if !ok {
		tb.Fatalf("PAN %X", pan)
	}
	return d
}

func FuzzRecoverSDAD(f *testing.F) {
	k := keys(f)
	un := []byte{0x8B, 0x55, 0x63, 0x3B}
	dyn := mustHex(f, "08537EB5E03CC433C80055B6408DBC985131A04620C52455EA8F2370647AF36748A2CA4AA9F6")
	valid := must(layoutBlock(k.icc.Size(), FormatSDAD, append([]byte{HashSHA1, byte(len(dyn))}, dyn...), un))
	f.Add(true, valid, un, []byte{}, []byte{})
	f.Add(true, fit([]byte{0x6A, 0x05, 0x01, 0xFF}, k.icc.Size()), un, []byte{}, []byte{})
	f.Add(false, readHex(f, mcF1, "valid_enc_sdad.hex"), readHex(f, mcF1, "ddol_data.hex"),
		readHex(f, mcF1, "expected_icc_pk_modulus.hex"), []byte{3})
	f.Add(false, []byte{1, 2, 3}, []byte{}, []byte{0xFF}, []byte{0xFF, 0xFF, 0xFF, 0xFF})

	f.Fuzz(func(t *testing.T, signed bool, block, ddol, modulus, exponent []byte) {
		// Unsigned: the key too is hostile, as a recovered ICC key would be
		// if a certificate check were skipped.
		key := PublicKey{Modulus: modulus, Exponent: exponent}
		if signed {
			var ok bool
			if block, ok = signRaw(k.icc, block); !ok {
				return
			}
			key = k.icc.Public()
		}
		s, err := RecoverSDAD(key, block, ddol)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		if len(s.ICCDynamicData) > len(key.Modulus)-sdadOverhead {
			t.Fatalf("%d bytes of dynamic data from a %d-byte block", len(s.ICCDynamicData), len(key.Modulus))
		}
		if d, err := ParseCDADynamicData(s.ICCDynamicData); err == nil {
			_ = d.Check(0x40, make([]byte, 20))
		}
	})
}

func FuzzParseCDADynamicData(f *testing.F) {
	f.Add(mustHex(f, "08537EB5E03CC433C80055B6408DBC985131A04620C52455EA8F2370647AF36748A2CA4AA9F6"))
	f.Add([]byte{0x02, 0x00, 0xAE})
	f.Add([]byte{0xFF})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		d, err := ParseCDADynamicData(in)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		// What parses, rebuilds to the same bytes
		again, err := BuildCDADynamicData(d.IDN, d.CID, d.AC, d.TDHC)
		if err != nil || !bytes.Equal(again, in) {
			t.Fatalf("rebuilt %X (%v), want %X", again, err, in)
		}
	})
}

func FuzzSplitGenerateACResponse(f *testing.F) {
	f.Add(mustHex(f, "9F2701409F360200079F4B03AABBCC009F26081122334455667788"))
	f.Add([]byte{0x9F, 0x4B, 0x83, 0xFF, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, in []byte) {
		hashed, sdad, err := SplitGenerateACResponse(in)
		if err != nil {
			wantSentinel(t, err)
			return
		}
		if len(hashed)+len(sdad) > len(in) {
			t.Fatalf("%d+%d bytes out of %d", len(hashed), len(sdad), len(in))
		}
	})
}

func FuzzParseFile(f *testing.F) {
	k := CAPK{RID: [5]byte{0xA0, 0, 0, 0, 0x03}, Index: 0x94, Set: SetTest,
		Modulus: readHex(f, visa94, "capk_A000000003_94_modulus.hex"), Exponent: []byte{3}}
	good := must(MarshalFile([]CAPK{k}))
	f.Add(good)
	f.Add(bytes.Replace(good, []byte(`"94"`), []byte(`"95"`), 1))
	f.Add([]byte(`{"keys":[{"rid":"A000000003","index":"94","modulus":"","exponent":"03","expires":"2030-13-01","checksum":""}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"keys":[{}]}`))
	f.Add([]byte(`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`))
	f.Fuzz(func(t *testing.T, in []byte) {
		keys, err := ParseFile(in)
		if err != nil {
			if keys != nil {
				t.Fatal("keys returned with an error")
			}
			return
		}
		// What parses, writes back and parses to the same keys
		out, err := MarshalFile(keys)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseFile(out)
		if err != nil || len(again) != len(keys) {
			t.Fatalf("round trip: %v", err)
		}
		for i := range keys {
			if again[i].Checksum() != keys[i].Checksum() || again[i].Set != keys[i].Set || !again[i].Expires.Equal(keys[i].Expires) {
				t.Fatalf("key %d changed in the round trip", i)
			}
		}
	})
}
