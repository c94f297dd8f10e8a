package oda

import (
	"testing"
	"time"
)

// chainInput is everything the terminal has for the ODA chain of one card.
type chainInput struct {
	ca                      PublicKey
	issuerCert, issuerRem   []byte
	issuerExp               []byte
	iccCert, iccRem, iccExp []byte
	static                  []byte
	checkStatic             bool // false: the vector lacks the static data (see below)
	sdad, ddol              []byte
	pan                     []byte
	txn                     int // yymmdd
	cda                     bool
	cid                     byte
	tdhc                    []byte
}

func loadChain(b *testing.B, name string) chainInput {
	switch name {
	case visa94:
		return chainInput{
			ca:         PublicKey{Modulus: readHex(b, visa94, "capk_A000000003_94_modulus.hex"), Exponent: []byte{3}},
			issuerCert: readHex(b, visa94, "valid_issuer_cert.hex"), issuerExp: []byte{3},
			iccCert: readHex(b, visa94, "valid_icc_cert.hex"), iccRem: readHex(b, visa94, "tag9F48_icc_pk_remainder.hex"), iccExp: []byte{3},
			sdad: readHex(b, visa94, "valid_enc_sdad.hex"), ddol: readHex(b, visa94, "ddol_data.hex"),
			pan: readHex(b, visa94, "tag5A_pan.hex"), txn: 220506,
		}
	case mcF1:
		return chainInput{
			ca:         PublicKey{Modulus: readHex(b, mcF1, "capk_A000000004_F1_modulus.hex"), Exponent: []byte{3}},
			issuerCert: readHex(b, mcF1, "valid_issuer_cert.hex"), issuerExp: []byte{3},
			iccCert: readHex(b, mcF1, "valid_icc_cert.hex"), iccRem: readHex(b, mcF1, "tag9F48_icc_pk_remainder.hex"), iccExp: []byte{3},
			sdad: readHex(b, mcF1, "valid_enc_sdad.hex"), ddol: readHex(b, mcF1, "ddol_data.hex"),
			pan: readHex(b, mcF1, "tag5A_pan.hex"), txn: 250506,
			cda: true, cid: 0x00, tdhc: readHex(b, mcF1, "expected_tdhc.hex"),
		}
	default: // emvpt
		return chainInput{
			ca:         PublicKey{Modulus: readHex(b, emvpt, "capk_AFFFFFFFFF_92_modulus.hex"), Exponent: []byte{3}},
			issuerCert: readHex(b, emvpt, "tag90_issuer_pk_cert.hex"), issuerRem: readHex(b, emvpt, "tag92_issuer_pk_remainder.hex"), issuerExp: []byte{3},
			iccCert: readHex(b, emvpt, "tag9F46_icc_pk_cert.hex"), iccExp: []byte{3},
			static: readHex(b, emvpt, "static_data_to_authenticate.hex"), checkStatic: true,
			sdad: readHex(b, emvpt, "tag9F4B_sdad.hex"), ddol: readHex(b, emvpt, "ddol_data_9F37.hex"),
			pan: readHex(b, emvpt, "tag5A_pan.hex"), txn: 200724,
		}
	}
}

// BenchmarkVerifyChain is the terminal's whole ODA work for one purchase:
// recover and check the issuer certificate, the ICC certificate and the
// signed dynamic data (and, for CDA, read and compare its fields). The
// visa94 and mcF1 vectors do not come with the static data the ICC
// certificate hash covers, so for them that one SHA-1 (about 1 µs over a
// few hundred bytes) is skipped; emvpt runs every check.
func BenchmarkVerifyChain(b *testing.B) {
	for _, name := range []string{visa94, mcF1, emvpt} {
		b.Run(name, func(b *testing.B) {
			in := loadChain(b, name)
			txn := date(2000+in.txn/10000, time.Month(in.txn/100%100), in.txn%100)
			b.ReportAllocs()
			for b.Loop() {
				ic, err := RecoverIssuerCert(in.ca, in.issuerCert, in.issuerRem, in.issuerExp)
				if err != nil {
					b.Fatal(err)
				}
				if err := ic.Check(in.pan, txn); err != nil {
					b.Fatal(err)
				}
				cc, _, err := recoverICCCert(ic.Key, in.iccCert, in.iccRem, in.iccExp, in.static, in.checkStatic)
				if err != nil {
					b.Fatal(err)
				}
				if err := cc.Check(in.pan, txn); err != nil {
					b.Fatal(err)
				}
				if in.cda {
					if _, err := VerifyCDA(cc.Key, in.sdad, in.ddol, in.cid, in.tdhc); err != nil {
						b.Fatal(err)
					}
				} else if _, err := RecoverSDAD(cc.Key, in.sdad, in.ddol); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignSDAD is the phone's CDA signature, for ICC key sizes a
// wallet might use.
func BenchmarkSignSDAD(b *testing.B) {
	k := keys(b)
	for _, tc := range []struct {
		name string
		key  *PrivateKey
	}{{"768-bit", nil}, {"968-bit", k.icc}, {"1024-bit", k.ca}} {
		b.Run(tc.name, func(b *testing.B) {
			key := tc.key
			if key == nil {
				var err error
				if key, err = GenerateKey(768, 3); err != nil {
					b.Fatal(err)
				}
			}
			dyn := make([]byte, 38)
			dyn[0] = 8
			un := []byte{1, 2, 3, 4}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SignSDAD(key, dyn, un); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
