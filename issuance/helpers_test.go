package issuance

import (
	"sync"
	"testing"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
)

// Keys take a moment to make: the tests of this package share one issuer
// and one ICC key.
var (
	sharedOnce   sync.Once
	sharedIssuer *Issuer
	sharedICC    *oda.PrivateKey
	sharedErr    error
)

func testIssuer(t testing.TB) (*Issuer, *oda.PrivateKey) {
	t.Helper()
	sharedOnce.Do(func() {
		if sharedIssuer, sharedErr = New(Options{}); sharedErr != nil {
			return
		}
		sharedICC, sharedErr = oda.GenerateKey(1024, 3)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedIssuer, sharedICC
}

// deskView reads a card as a desk does: every record the AFL names, the
// static data to be authenticated built from the signed ones (EMV Book 3
// 10.3), and the data objects of the records.
func deskView(t testing.TB, p *Personalisation) (static []byte, data map[tlv.Tag][]byte) {
	t.Helper()
	recs := map[[2]int][]byte{}
	for _, r := range p.Records {
		recs[[2]int{r.SFI, r.Number}] = r.Data
	}
	data = map[tlv.Tag][]byte{}
	for i := 0; i+4 <= len(p.AFL); i += 4 {
		sfi, first, last, signed := int(p.AFL[i]>>3), int(p.AFL[i+1]), int(p.AFL[i+2]), int(p.AFL[i+3])
		for n := first; n <= last; n++ {
			rec, ok := recs[[2]int{sfi, n}]
			if !ok {
				t.Fatalf("the AFL names record %d of SFI %d, which the card does not have", n, sfi)
			}
			objs, err := tlv.Parse(rec)
			if err != nil || len(objs) != 1 || objs[0].Tag != 0x70 {
				t.Fatalf("record %d of SFI %d is not template 70: %v", n, sfi, err)
			}
			if n < first+signed {
				if sfi <= 10 {
					static = append(static, objs[0].Value...)
				} else {
					static = append(static, rec...)
				}
			}
			for _, o := range objs[0].Children {
				if _, dup := data[o.Tag]; dup {
					t.Fatalf("%s is in two records", o.Tag)
				}
				data[o.Tag] = o.Value
			}
		}
	}
	if len(data[0x9F4A]) == 1 && data[0x9F4A][0] == 0x82 {
		static = append(static, p.AIP...)
	}
	return static, data
}

// verifyChain recovers the ICC key as a desk does, from the CA key down.
func verifyChain(t testing.TB, iss *Issuer, p *Personalisation) (*oda.IssuerCert, *oda.ICCCert, map[tlv.Tag][]byte) {
	t.Helper()
	static, d := deskView(t, p)
	ic, err := oda.RecoverIssuerCert(iss.CAPK().Public(), d[0x90], d[0x92], d[0x9F32])
	if err != nil {
		t.Fatalf("issuer certificate: %v", err)
	}
	cc, err := oda.RecoverICCCert(ic.Key, d[0x9F46], d[0x9F48], d[0x9F47], static)
	if err != nil {
		t.Fatalf("ICC certificate: %v", err)
	}
	return ic, cc, d
}
