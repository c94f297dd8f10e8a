package oda

import (
	"bytes"
	"testing"
)

// A tamper case builds a block that is valid except for one thing, signs it
// with the right key (so that only that thing is wrong), and hands the
// terminal the result.
type tamper struct {
	name   string
	fields func(b []byte)                // change signed fields; the hash is recomputed to match
	frame  func(b []byte)                // change after hashing: header, trailer, hash field
	signed func(r []byte) []byte         // change the remainder both signer and terminal use
	rem    func(r []byte) []byte         // change only the remainder the terminal is given
	cert   func(c []byte) []byte         // change the signature block the terminal is given
	exp    []byte                        // exponent the terminal is given; nil: the real one
	extra  func(x []byte) []byte         // change the data only the terminal hashes (static data, DDOL data)
	signer func(k testChain) *PrivateKey // nil: the right key

	sentinel error
	check    string // "" with a sentinel: any check
}

func lastByte(b []byte) []byte { c := bytes.Clone(b); c[len(c)-1]++; return c }

// run builds and signs one case. layout gives the valid block's body and
// the remainder; hashTail gives what the hash covers after the remainder.
func (tc tamper) build(t *testing.T, signer *PrivateKey, format byte, body, rem []byte, tail ...[]byte) (block, remOut []byte) {
	t.Helper()
	signedRem := rem
	if tc.signed != nil {
		signedRem = tc.signed(bytes.Clone(rem))
	}
	extra := append([][]byte{signedRem}, tail...)
	if rem == nil && tc.signed == nil {
		extra = tail
	}
	b, err := layoutBlock(signer.Size(), format, body, extra...)
	if err != nil {
		t.Fatal(err)
	}
	if tc.fields != nil {
		tc.fields(b)
		putHash(b, extra...)
	}
	if tc.frame != nil {
		tc.frame(b)
	}
	s := signer
	if tc.signer != nil {
		s = tc.signer(keys(t))
	}
	sig, err := s.sign(b)
	if err != nil {
		t.Fatal(err)
	}
	if tc.cert != nil {
		sig = tc.cert(sig)
	}
	remOut = signedRem
	if tc.rem != nil {
		remOut = tc.rem(bytes.Clone(signedRem))
	}
	return sig, remOut
}

func TestIssuerCertChecks(t *testing.T) {
	k := keys(t)
	issuer := k.issuer.Public() // 65537: a 3-byte exponent
	body := append(append(bytes.Clone(testIssuerID), testExpiry...), testSerial...)
	body, rem := keyBody(body, issuer, k.ca.Size()-issuerCertOverhead)
	smallBody, _ := keyBody(append(append(bytes.Clone(testIssuerID), testExpiry...), testSerial...), k.small.Public(), k.ca.Size()-issuerCertOverhead)

	cases := []tamper{
		{name: "valid"},
		{name: "header 6B", frame: func(b []byte) { b[0] = 0x6B }, sentinel: ErrCertFormat, check: "header"},
		{name: "trailer BD", frame: func(b []byte) { b[len(b)-1] = 0xBD }, sentinel: ErrCertFormat, check: "trailer"},
		{name: "format 04", fields: func(b []byte) { b[1] = FormatICCCert }, sentinel: ErrCertFormat, check: "format"},
		{name: "hash algorithm 02", fields: func(b []byte) { b[11] = 2 }, sentinel: ErrCertFormat, check: "hash algorithm indicator"},
		{name: "key algorithm 02", fields: func(b []byte) { b[12] = 2 }, sentinel: ErrCertFormat, check: "public key algorithm indicator"},
		{name: "key longer than the CA key", fields: func(b []byte) { b[13] = byte(len(b) + 1) }, sentinel: ErrCertFormat, check: "public key length"},
		{name: "key of 10 bytes", fields: func(b []byte) { b[13] = 10 }, sentinel: ErrCertFormat, check: "public key length"},
		{name: "exponent length 1", fields: func(b []byte) { b[14] = 1 }, sentinel: ErrCertFormat, check: "public key exponent length"},
		{name: "hash field changed", frame: func(b []byte) { b[len(b)-2] ^= 1 }, sentinel: ErrCertHash, check: "hash"},
		{name: "remainder changed", rem: lastByte, sentinel: ErrCertHash, check: "hash"},
		{name: "remainder missing", rem: func([]byte) []byte { return nil }, sentinel: ErrCertFormat, check: "public key remainder"},
		{name: "remainder a byte long", rem: func(r []byte) []byte { return append(r, 0) }, sentinel: ErrCertFormat, check: "public key remainder"},
		{name: "exponent 010003", exp: []byte{1, 0, 3}, sentinel: ErrCertHash, check: "hash"},
		{name: "exponent 03", exp: []byte{3}, sentinel: ErrCertFormat, check: "public key exponent length"},
		{name: "signed key even", signed: func(r []byte) []byte { r[len(r)-1] &^= 1; return r }, sentinel: ErrCertFormat, check: "recovered public key"},
		{name: "certificate a byte short", cert: func(c []byte) []byte { return c[1:] }, sentinel: ErrCertFormat, check: "length"},
		{name: "certificate above the modulus", cert: func(c []byte) []byte { return bytes.Repeat([]byte{0xFF}, len(c)) }, sentinel: ErrCertFormat, check: "value"},
		{name: "certificate changed", cert: lastByte, sentinel: ErrCertFormat},
		{name: "signed by another key", signer: func(k testChain) *PrivateKey { return k.other }, sentinel: ErrCertFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a certificate valid but for one thing
			exp := issuer.Exponent
			cert, r := tc.build(t, k.ca, FormatIssuerCert, body, rem, exp)
			if tc.exp != nil {
				exp = tc.exp
			}
			// When the terminal recovers it
			c, err := RecoverIssuerCert(k.ca.Public(), cert, r, exp)
			// Then that one check fails
			wantErr(t, err, tc.sentinel, tc.check)
			if err == nil && !c.Key.Equal(issuer) {
				t.Fatal("recovered key differs")
			}
		})
	}
	t.Run("remainder given for a key that fits", func(t *testing.T) {
		cert, _ := tamper{}.build(t, k.ca, FormatIssuerCert, smallBody, nil, k.small.Public().Exponent)
		_, err := RecoverIssuerCert(k.ca.Public(), cert, []byte{1}, k.small.Public().Exponent)
		wantErr(t, err, ErrCertFormat, "public key remainder")
	})
	t.Run("CA key unusable", func(t *testing.T) {
		_, err := RecoverIssuerCert(PublicKey{Modulus: k.ca.Public().Modulus, Exponent: []byte{2}}, make([]byte, k.ca.Size()), nil, []byte{3})
		wantErr(t, err, ErrPublicKey, "")
	})
}

func TestICCCertChecks(t *testing.T) {
	k := keys(t)
	icc := k.icc.Public()
	body := append(append(packDigits(mustDigits(t, testPAN), 10), testExpiry...), testSerial...)
	body, rem := keyBody(body, icc, k.issuer.Size()-iccCertOverhead)

	cases := []tamper{
		{name: "valid"},
		{name: "header 00", frame: func(b []byte) { b[0] = 0 }, sentinel: ErrCertFormat, check: "header"},
		{name: "trailer 00", frame: func(b []byte) { b[len(b)-1] = 0 }, sentinel: ErrCertFormat, check: "trailer"},
		{name: "format 02", fields: func(b []byte) { b[1] = FormatIssuerCert }, sentinel: ErrCertFormat, check: "format"},
		{name: "hash algorithm 00", fields: func(b []byte) { b[17] = 0 }, sentinel: ErrCertFormat, check: "hash algorithm indicator"},
		{name: "key algorithm 00", fields: func(b []byte) { b[18] = 0 }, sentinel: ErrCertFormat, check: "public key algorithm indicator"},
		{name: "static data changed", extra: lastByte, sentinel: ErrCertHash, check: "hash"},
		{name: "static data missing", extra: func([]byte) []byte { return nil }, sentinel: ErrCertHash, check: "hash"},
		{name: "remainder missing", rem: func([]byte) []byte { return nil }, sentinel: ErrCertFormat, check: "public key remainder"},
		{name: "exponent 010001", exp: []byte{1, 0, 1}, sentinel: ErrCertFormat, check: "public key exponent length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cert, r := tc.build(t, k.issuer, FormatICCCert, body, rem, icc.Exponent, testStatic)
			exp, static := icc.Exponent, testStatic
			if tc.exp != nil {
				exp = tc.exp
			}
			if tc.extra != nil {
				static = tc.extra(bytes.Clone(static))
			}
			_, err := RecoverICCCert(k.issuer.Public(), cert, r, exp, static)
			wantErr(t, err, tc.sentinel, tc.check)
		})
	}

	// The PAN field is checked after recovery, against tag 5A.
	panCases := []struct {
		name, field string
		sentinel    error
		check       string
	}{
		{"same PAN", "6231990000000019FFFF", nil, ""},
		{"other PAN", "6231990000000018FFFF", ErrPANMismatch, "PAN"},
		{"PAN one digit longer", "62319900000000191FFF", ErrPANMismatch, "PAN"},
		{"digit after padding", "6231990000000019F1FF", ErrCertFormat, "PAN"},
		{"not BCD", "623199000000001AFFFF", ErrCertFormat, "PAN"},
	}
	for _, tc := range panCases {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(body)
			copy(b, mustHex(t, tc.field))
			cert, r := tamper{}.build(t, k.issuer, FormatICCCert, b, rem, icc.Exponent, testStatic)
			c, err := RecoverICCCert(k.issuer.Public(), cert, r, icc.Exponent, testStatic)
			wantErr(t, err, nil, "")
			wantErr(t, c.Check(testPAN, date(2030, 1, 1)), tc.sentinel, tc.check)
		})
	}
}

func mustDigits(t *testing.T, pan []byte) []byte {
	d, ok := digitsFPadded(pan, maxPANDigits)
	if !ok {
		t.Fatalf("PAN %X", pan)
	}
	return d
}

func TestSDADChecks(t *testing.T) {
	k := keys(t)
	un := []byte{1, 2, 3, 4}
	dyn := []byte{0x02, 0x00, 0x2C}
	body := append([]byte{HashSHA1, byte(len(dyn))}, dyn...)

	cases := []tamper{
		{name: "valid"},
		{name: "header 6B", frame: func(b []byte) { b[0] = 0x6B }, sentinel: ErrSignature, check: "header"},
		{name: "trailer BD", frame: func(b []byte) { b[len(b)-1] = 0xBD }, sentinel: ErrSignature, check: "trailer"},
		{name: "format 03", fields: func(b []byte) { b[1] = FormatSSAD }, sentinel: ErrSignature, check: "format"},
		{name: "hash algorithm 02", fields: func(b []byte) { b[2] = 2 }, sentinel: ErrSignature, check: "hash algorithm indicator"},
		{name: "L_DD past the padding", fields: func(b []byte) { b[3] = byte(len(b) - 24) }, sentinel: ErrSignature, check: "ICC dynamic data length"},
		{name: "other unpredictable number", extra: lastByte, sentinel: ErrSignature, check: "hash"},
		{name: "a byte short", cert: func(c []byte) []byte { return c[:len(c)-1] }, sentinel: ErrSignature, check: "length"},
		{name: "changed", cert: lastByte, sentinel: ErrSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sdad, _ := tc.build(t, k.icc, FormatSDAD, body, nil, un)
			ddol := un
			if tc.extra != nil {
				ddol = tc.extra(ddol)
			}
			s, err := RecoverSDAD(k.icc.Public(), sdad, ddol)
			wantErr(t, err, tc.sentinel, tc.check)
			if err == nil {
				wantBytes(t, "dynamic data", s.ICCDynamicData, dyn)
			}
		})
	}
}

func TestSSADChecks(t *testing.T) {
	k := keys(t)
	body := []byte{HashSHA1, 0xDA, 0xC0}
	cases := []tamper{
		{name: "valid"},
		{name: "format 05", fields: func(b []byte) { b[1] = FormatSDAD }, sentinel: ErrSignature, check: "format"},
		{name: "hash algorithm 02", fields: func(b []byte) { b[2] = 2 }, sentinel: ErrSignature, check: "hash algorithm indicator"},
		{name: "static data changed", extra: lastByte, sentinel: ErrSignature, check: "hash"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ssad, _ := tc.build(t, k.issuer, FormatSSAD, body, nil, testStatic)
			static := testStatic
			if tc.extra != nil {
				static = tc.extra(bytes.Clone(static))
			}
			s, err := RecoverSSAD(k.issuer.Public(), ssad, static)
			wantErr(t, err, tc.sentinel, tc.check)
			if err == nil && s.DAC != [2]byte{0xDA, 0xC0} {
				t.Fatalf("DAC %X", s.DAC)
			}
		})
	}
}

func TestParseCDADynamicData(t *testing.T) {
	good := mustHex(t, "08 537EB5E03CC433C8 00 55B6408DBC985131 A04620C52455EA8F2370647AF36748A2CA4AA9F6")
	cases := []struct {
		name  string
		in    []byte
		check string
	}{
		{"valid", good, ""},
		{"empty", nil, "length"},
		{"IDN of 1 byte", append([]byte{1}, good[8:]...), "ICC dynamic number length"},
		{"IDN of 9 bytes", append([]byte{9}, good[1:]...), "ICC dynamic number length"},
		{"L_IDN 255", append([]byte{0xFF}, good[1:]...), "ICC dynamic number length"},
		{"a byte short", good[:len(good)-1], "length"},
		{"a byte long", append(bytes.Clone(good), 0), "length"},
		{"IDN of 2 bytes, data for 8", append([]byte{2}, good[1:]...), "length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ParseCDADynamicData(tc.in)
			if tc.check == "" {
				wantErr(t, err, nil, "")
				wantBytes(t, "IDN", d.IDN, good[1:9])
				return
			}
			wantErr(t, err, ErrCDAData, tc.check)
		})
	}
}
