package oda_test

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"lingqian/emv/oda"
)

func fromFile(name string) []byte {
	raw, err := os.ReadFile("testdata/emvpt_dda_trace/" + name)
	if err != nil {
		panic(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		panic(err)
	}
	return b
}

// The terminal's side of DDA, on a recorded contact transaction: the CA
// key from the store, both certificates, then the card's signature over the
// terminal's unpredictable number.
func Example() {
	ca := oda.CAPK{RID: [5]byte{0xAF, 0xFF, 0xFF, 0xFF, 0xFF}, Index: 0x92, Set: oda.SetTest,
		Modulus: fromFile("capk_AFFFFFFFFF_92_modulus.hex"), Exponent: []byte{0x03}}
	store := oda.NewStore(oda.SetTest)
	if err := store.Add(ca); err != nil {
		panic(err)
	}
	txnDate := time.Date(2020, 7, 24, 0, 0, 0, 0, time.UTC)
	pan := fromFile("tag5A_pan.hex")

	capk, err := store.Lookup(ca.RID, 0x92, txnDate)
	if err != nil {
		panic(err)
	}
	issuer, err := oda.RecoverIssuerCert(capk.Public(), fromFile("tag90_issuer_pk_cert.hex"),
		fromFile("tag92_issuer_pk_remainder.hex"), fromFile("tag9F32_issuer_pk_exponent.hex"))
	if err == nil {
		err = issuer.Check(pan, txnDate)
	}
	if err != nil {
		panic(err)
	}
	icc, err := oda.RecoverICCCert(issuer.Key, fromFile("tag9F46_icc_pk_cert.hex"), nil,
		fromFile("tag9F47_icc_pk_exponent.hex"), fromFile("static_data_to_authenticate.hex"))
	if err == nil {
		err = icc.Check(pan, txnDate)
	}
	if err != nil {
		panic(err)
	}
	sdad, err := oda.RecoverSDAD(icc.Key, fromFile("tag9F4B_sdad.hex"), fromFile("ddol_data_9F37.hex"))
	if err != nil {
		panic(err)
	}
	fmt.Printf("issuer %X expires %X, ICC key %d bits, dynamic data %X\n",
		issuer.IssuerID, issuer.Expiry, 8*len(icc.Key.Modulus), sdad.ICCDynamicData)
	// Output: issuer 123456FF expires 1230, ICC key 1024 bits, dynamic data 02002C
}

// The issuer's and the card's side: keys, certificates and a CDA signature,
// checked the way a terminal checks them.
func ExampleSignSDAD() {
	ca, _ := oda.GenerateKey(1024, 3)
	issuer, _ := oda.GenerateKey(1024, 3)
	icc, _ := oda.GenerateKey(768, 3)
	pan := []byte{0x62, 0x31, 0x99, 0x00, 0x00, 0x00, 0x00, 0x19}
	static := []byte{0x5A, 0x08, 0x62, 0x31, 0x99, 0x00, 0x00, 0x00, 0x00, 0x19, 0x3C, 0x00}

	issuerID, _ := oda.IssuerIDFromPAN(pan, 6)
	cert90, rem92, _ := oda.SignIssuerCert(ca, issuer.Public(), issuerID, []byte{0x12, 0x30}, []byte{0, 0, 1})
	cert9F46, rem9F48, _ := oda.SignICCCert(issuer, icc.Public(), pan, []byte{0x12, 0x29}, []byte{0, 0, 7}, static)

	un := []byte{0x8B, 0x55, 0x63, 0x3B}
	tdhc := oda.TransactionDataHash([]byte("PDOL data"), []byte("CDOL1 data"), []byte("response objects"))
	dyn, _ := oda.BuildCDADynamicData([]byte{0, 1}, 0x40, make([]byte, 8), tdhc)
	sdad, _ := oda.SignSDAD(icc, dyn, un)

	ic, err := oda.RecoverIssuerCert(ca.Public(), cert90, rem92, []byte{3})
	if err != nil {
		panic(err)
	}
	cc, err := oda.RecoverICCCert(ic.Key, cert9F46, rem9F48, []byte{3}, static)
	if err != nil {
		panic(err)
	}
	_, err = oda.VerifyCDA(cc.Key, sdad, un, 0x40, tdhc)
	fmt.Println("CDA verifies:", err == nil)
	// Output: CDA verifies: true
}
