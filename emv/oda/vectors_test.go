package oda

import (
	"errors"
	"testing"
)

// The public vectors in testdata (see testdata/README.md for provenance and
// the outcomes asserted here).

const (
	visa94 = "emvutils_rsa_visa94"
	mcF1   = "emvutils_rsa_cda_mcF1"
	emvpt  = "emvpt_dda_trace"
)

func vectorCAPK(tb testing.TB, dir, rid string, index byte, name string) PublicKey {
	tb.Helper()
	k := CAPK{Index: index, Modulus: readHex(tb, dir, name+"_modulus.hex"), Exponent: readHex(tb, dir, name+"_exponent.hex")}
	copy(k.RID[:], mustHex(tb, rid))
	if err := k.Validate(); err != nil {
		tb.Fatal(err)
	}
	return k.Public()
}

func TestVisa94IssuerCert(t *testing.T) {
	// Given the Visa test CA key 94 and the card's PAN
	ca := vectorCAPK(t, visa94, "A000000003", 0x94, "capk_A000000003_94")
	pan := readHex(t, visa94, "tag5A_pan.hex")
	exp := []byte{0x03}

	t.Run("valid", func(t *testing.T) {
		// When the valid certificate is recovered
		c, err := RecoverIssuerCert(ca, readHex(t, visa94, "valid_issuer_cert.hex"), nil, exp)
		// Then every field is as emv-utils asserts
		wantErr(t, err, nil, "")
		wantBytes(t, "issuer id", c.IssuerID, mustHex(t, "476173FF"))
		wantBytes(t, "expiry", c.Expiry, mustHex(t, "1231"))
		wantBytes(t, "serial", c.Serial, mustHex(t, "03DA0A"))
		wantBytes(t, "modulus", c.Key.Modulus, readHex(t, visa94, "expected_issuer_pk_modulus.hex"))
		if len(c.Key.Modulus) != 176 || c.HashAlg != HashSHA1 || c.KeyAlg != AlgRSA {
			t.Fatalf("N_I %d, algorithms %02X %02X", len(c.Key.Modulus), c.HashAlg, c.KeyAlg)
		}
		// And the dates: valid through 2031-12-31, expired on 2032-01-01
		wantErr(t, c.Check(pan, date(2031, 12, 31)), nil, "")
		wantErr(t, c.Check(pan, date(2032, 1, 1)), ErrCertExpired, "expiry date")
	})
	t.Run("invalid", func(t *testing.T) {
		// When the certificate with its last byte changed is recovered
		_, err := RecoverIssuerCert(ca, readHex(t, visa94, "invalid_issuer_cert.hex"), nil, exp)
		// Then it fails on the frame: the recovered block is garbage
		wantErr(t, err, ErrCertFormat, "")
		var ce *CheckError
		if errors.As(err, &ce); ce.Check != "trailer" && ce.Check != "header" {
			t.Fatalf("failed %q, want trailer or header", ce.Check)
		}
	})
}

func visa94Issuer(t *testing.T) PublicKey {
	ca := vectorCAPK(t, visa94, "A000000003", 0x94, "capk_A000000003_94")
	c, err := RecoverIssuerCert(ca, readHex(t, visa94, "valid_issuer_cert.hex"), nil, []byte{0x03})
	if err != nil {
		t.Fatal(err)
	}
	return c.Key
}

func TestVisa94SSAD(t *testing.T) {
	// Given the recovered issuer key
	issuer := visa94Issuer(t)

	// When the valid SSAD is recovered without the hash check (the vector
	// lacks the card records the hash covers)
	s, block, err := recoverSSAD(issuer, readHex(t, visa94, "valid_enc_ssad.hex"), nil, false)
	// Then the frame holds, the DAC is DAC0 and the hash field is the expected one
	wantErr(t, err, nil, "")
	wantBytes(t, "DAC", s.DAC[:], readHex(t, visa94, "expected_tag9F45_dac.hex"))
	wantBytes(t, "hash field", block[len(block)-21:len(block)-1], readHex(t, visa94, "expected_ssad_hash_field.hex"))

	// When the exported, checking form runs without the static data
	_, err = RecoverSSAD(issuer, readHex(t, visa94, "valid_enc_ssad.hex"), nil)
	// Then the hash fails
	wantErr(t, err, ErrSignature, "hash")

	// When the altered SSAD is recovered
	_, _, err = recoverSSAD(issuer, readHex(t, visa94, "invalid_enc_ssad.hex"), nil, false)
	// Then it fails
	wantErr(t, err, ErrSignature, "")
}

func TestVisa94ICCCertAndSDAD(t *testing.T) {
	issuer := visa94Issuer(t)
	pan := readHex(t, visa94, "tag5A_pan.hex")
	remainder := readHex(t, visa94, "tag9F48_icc_pk_remainder.hex")
	exp := []byte{0x03}

	// When the ICC certificate is recovered without the hash check (no static data in the vector)
	c, _, err := recoverICCCert(issuer, readHex(t, visa94, "valid_icc_cert.hex"), remainder, exp, nil, false)
	// Then the key, PAN and expiry are right
	wantErr(t, err, nil, "")
	wantBytes(t, "modulus", c.Key.Modulus, readHex(t, visa94, "expected_icc_pk_modulus.hex"))
	wantBytes(t, "expiry", c.Expiry, mustHex(t, "1222"))
	wantErr(t, c.Check(pan, date(2022, 5, 6)), nil, "")
	wantErr(t, c.Check(pan, date(2031, 12, 31)), ErrCertExpired, "expiry date")

	// When the checking form runs without the static data, the hash fails
	_, err = RecoverICCCert(issuer, readHex(t, visa94, "valid_icc_cert.hex"), remainder, exp, nil)
	wantErr(t, err, ErrCertHash, "hash")

	// When the altered certificate is recovered, the frame fails
	_, _, err = recoverICCCert(issuer, readHex(t, visa94, "invalid_icc_cert.hex"), remainder, exp, nil, false)
	wantErr(t, err, ErrCertFormat, "")

	ddol := readHex(t, visa94, "ddol_data.hex")
	cases := []struct {
		name     string
		sdad     string
		ddol     []byte
		sentinel error
	}{
		{"valid", "valid_enc_sdad.hex", ddol, nil},
		{"altered signature", "invalid_enc_sdad.hex", ddol, ErrSignature},
		{"other unpredictable number", "valid_enc_sdad.hex", []byte{0x7F, 0xBC, 0x40, 0x4A}, ErrSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When the SDAD is verified with the ICC key and the DDOL data
			s, err := RecoverSDAD(c.Key, readHex(t, visa94, tc.sdad), tc.ddol)
			// Then it passes with dynamic data 02 00AE, or fails with ErrSignature
			wantErr(t, err, tc.sentinel, "")
			if tc.sentinel == nil {
				wantBytes(t, "ICC dynamic data", s.ICCDynamicData, readHex(t, visa94, "expected_icc_dynamic_data.hex"))
				if s.Format != FormatSDAD || s.HashAlg != HashSHA1 {
					t.Fatalf("format %02X hash %02X", s.Format, s.HashAlg)
				}
			}
		})
	}
}

func TestMastercardF1CDA(t *testing.T) {
	// Given the Mastercard test CA key F1, the PAN and the transaction date 250506
	ca := vectorCAPK(t, mcF1, "A000000004", 0xF1, "capk_A000000004_F1")
	pan := readHex(t, mcF1, "tag5A_pan.hex")
	txn := date(2025, 5, 6)
	exp := []byte{0x03}

	// When the issuer certificate is recovered and checked
	ic, err := RecoverIssuerCert(ca, readHex(t, mcF1, "valid_issuer_cert.hex"), nil, exp)
	wantErr(t, err, nil, "")
	wantErr(t, ic.Check(pan, txn), nil, "")
	// Then its fields are as emv-utils asserts
	wantBytes(t, "issuer id", ic.IssuerID, mustHex(t, "541333FF"))
	wantBytes(t, "expiry", ic.Expiry, mustHex(t, "1227"))
	wantBytes(t, "serial", ic.Serial, mustHex(t, "000001"))
	wantBytes(t, "issuer modulus", ic.Key.Modulus, readHex(t, mcF1, "expected_issuer_pk_modulus.hex"))

	// When the ICC certificate is recovered (its hash covers static data the vector lacks)
	cc, _, err := recoverICCCert(ic.Key, readHex(t, mcF1, "valid_icc_cert.hex"), readHex(t, mcF1, "tag9F48_icc_pk_remainder.hex"), exp, nil, false)
	wantErr(t, err, nil, "")
	// Then its key, PAN and date are right
	wantBytes(t, "ICC modulus", cc.Key.Modulus, readHex(t, mcF1, "expected_icc_pk_modulus.hex"))
	wantErr(t, cc.Check(pan, txn), nil, "")

	un := readHex(t, mcF1, "ddol_data.hex")
	t.Run("valid SDAD", func(t *testing.T) {
		// When the CDA signature is recovered with the unpredictable number
		s, block, err := recoverSDAD(cc.Key, readHex(t, mcF1, "valid_enc_sdad.hex"), un)
		wantErr(t, err, nil, "")
		// Then the whole recovered block and the CDA fields are as expected
		wantBytes(t, "recovered block", block, readHex(t, mcF1, "expected_recovered_sdad_plaintext.hex"))
		wantBytes(t, "ICC dynamic data", s.ICCDynamicData, readHex(t, mcF1, "expected_icc_dynamic_data.hex"))
		d, err := ParseCDADynamicData(s.ICCDynamicData)
		wantErr(t, err, nil, "")
		wantBytes(t, "IDN", d.IDN, readHex(t, mcF1, "expected_tag9F4C_idn.hex"))
		wantBytes(t, "AC", d.AC, readHex(t, mcF1, "expected_tag9F26_ac.hex"))
		wantBytes(t, "TDHC", d.TDHC, readHex(t, mcF1, "expected_tdhc.hex"))
		if d.CID != 0x00 {
			t.Fatalf("CID %02X, want 00 (AAC)", d.CID)
		}
		// And the whole CDA check passes with CID 00 and that hash code,
		// and fails with a TC's CID or another hash code
		tdhc := readHex(t, mcF1, "expected_tdhc.hex")
		_, err = VerifyCDA(cc.Key, readHex(t, mcF1, "valid_enc_sdad.hex"), un, 0x00, tdhc)
		wantErr(t, err, nil, "")
		_, err = VerifyCDA(cc.Key, readHex(t, mcF1, "valid_enc_sdad.hex"), un, 0x40, tdhc)
		wantErr(t, err, ErrCDAData, "cryptogram information data")
		_, err = VerifyCDA(cc.Key, readHex(t, mcF1, "valid_enc_sdad.hex"), un, 0x00, make([]byte, 20))
		wantErr(t, err, ErrCDAData, "transaction data hash code")
	})
	t.Run("invalid SDAD", func(t *testing.T) {
		_, err := RecoverSDAD(cc.Key, readHex(t, mcF1, "invalid_enc_sdad.hex"), un)
		wantErr(t, err, ErrSignature, "")
	})
}

func TestEmvptDDATrace(t *testing.T) {
	// Given the synthetic scheme's CA key 92, the card's data and the static
	// data to be authenticated built from its AFL and AIP
	ca := vectorCAPK(t, emvpt, "AFFFFFFFFF", 0x92, "capk_AFFFFFFFFF_92")
	pan := readHex(t, emvpt, "tag5A_pan.hex")
	static := readHex(t, emvpt, "static_data_to_authenticate.hex")
	txn := date(2020, 7, 24) // 9A in the trace's GENERATE AC

	// When the whole chain is verified, hashes included
	ic, err := RecoverIssuerCert(ca, readHex(t, emvpt, "tag90_issuer_pk_cert.hex"),
		readHex(t, emvpt, "tag92_issuer_pk_remainder.hex"), readHex(t, emvpt, "tag9F32_issuer_pk_exponent.hex"))
	wantErr(t, err, nil, "")
	wantErr(t, ic.Check(pan, txn), nil, "")
	cc, err := RecoverICCCert(ic.Key, readHex(t, emvpt, "tag9F46_icc_pk_cert.hex"), nil,
		readHex(t, emvpt, "tag9F47_icc_pk_exponent.hex"), static)
	wantErr(t, err, nil, "")
	wantErr(t, cc.Check(pan, txn), nil, "")
	s, err := RecoverSDAD(cc.Key, readHex(t, emvpt, "tag9F4B_sdad.hex"), readHex(t, emvpt, "ddol_data_9F37.hex"))
	wantErr(t, err, nil, "")

	// Then keys, expiries and the dynamic data are the expected ones
	wantBytes(t, "issuer modulus", ic.Key.Modulus, readHex(t, emvpt, "expected_issuer_pk_modulus.hex"))
	wantBytes(t, "ICC modulus", cc.Key.Modulus, readHex(t, emvpt, "expected_icc_pk_modulus.hex"))
	wantBytes(t, "issuer expiry", ic.Expiry, mustHex(t, "1230"))
	wantBytes(t, "ICC expiry", cc.Expiry, mustHex(t, "1229"))
	wantBytes(t, "ICC dynamic data", s.ICCDynamicData, readHex(t, emvpt, "expected_icc_dynamic_data.hex"))

	// And the ICC certificate fails when one byte of the static data changes
	// or the AIP is left out
	bad := append([]byte(nil), static...)
	bad[0] ^= 1
	_, err = RecoverICCCert(ic.Key, readHex(t, emvpt, "tag9F46_icc_pk_cert.hex"), nil, []byte{3}, bad)
	wantErr(t, err, ErrCertHash, "hash")
	_, err = RecoverICCCert(ic.Key, readHex(t, emvpt, "tag9F46_icc_pk_cert.hex"), nil, []byte{3}, static[:len(static)-2])
	wantErr(t, err, ErrCertHash, "hash")
	// And the certificates expire after their months
	wantErr(t, ic.Check(pan, date(2031, 1, 1)), ErrCertExpired, "")
	wantErr(t, cc.Check(pan, date(2030, 1, 1)), ErrCertExpired, "")
}
