package emv_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// BenchmarkKernel_PurchaseODAOnly is BenchmarkKernel_Purchase's baseline:
// the offline data authentication a CDA purchase cannot do without, on the
// same recorded purchase and keys — the issuer certificate recovered with
// the CA key, the ICC certificate with the issuer key (its hash over the
// same static data), the signed dynamic data with the ICC key, and the
// transaction data hash code compared. Three RSA public-key operations and
// their SHA-1 hashes; no parsing of the card's answers, no risk
// management. Kernel p50 over this p50 is what the kernel adds.
func BenchmarkKernel_PurchaseODAOnly(b *testing.B) {
	iss := issuerFor(b)
	w := newWallet(b, iss, issuance.Request{Balance: 50000})
	k := newKernel(b, iss, func(t *emv.Terminal) { t.Random = sameNumbers{} })
	rec := &recordingCard{Application: w}
	if out := tap(b, k, rec, device.Leave{}, emv.Purchase{Amount: 1250}); out.Result != emv.Approved {
		b.Fatalf("recording: %v %+v", out.Result, out.Reason)
	}
	in := odaInputOf(b, rec)
	capk := iss.CAPK()
	ca := oda.PublicKey{Modulus: capk.Modulus, Exponent: capk.Exponent}
	took := make([]time.Duration, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		issuer, err := oda.RecoverIssuerCert(ca, in.data[0x90], in.data[0x92], in.data[0x9F32])
		if err != nil {
			b.Fatal(err)
		}
		icc, err := oda.RecoverICCCert(issuer.Key, in.data[0x9F46], in.data[0x9F48], in.data[0x9F47], in.static)
		if err != nil {
			b.Fatal(err)
		}
		sdad, err := oda.RecoverSDAD(icc.Key, in.sdad, in.un)
		if err != nil {
			b.Fatal(err)
		}
		cda, err := oda.ParseCDADynamicData(sdad.ICCDynamicData)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(cda.TDHC, oda.TransactionDataHash(in.pdol, in.cdol1, in.hashed)) {
			b.Fatal("transaction data hash code differs")
		}
		took = append(took, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(took)
	at := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}

// odaInput is what the terminal holds for the checks of one purchase,
// taken from its recorded commands and answers as the kernel takes them.
type odaInput struct {
	data                    map[tlv.Tag][]byte // primitive objects, first seen
	static                  []byte             // the static data to be authenticated
	pdol, cdol1, hashed, un []byte
	sdad                    []byte
}

func odaInputOf(b *testing.B, rec *recordingCard) odaInput {
	b.Helper()
	in := odaInput{data: map[tlv.Tag][]byte{}}
	var keep func([]tlv.Object)
	keep = func(objs []tlv.Object) {
		for _, o := range objs {
			if len(o.Children) > 0 {
				keep(o.Children)
			} else if _, ok := in.data[o.Tag]; !ok {
				in.data[o.Tag] = o.Value
			}
		}
	}
	var records [][]byte // READ RECORD commands and answers, in order
	for i, cmd := range rec.commands {
		resp := rec.answers[i]
		if len(resp) < 2 || len(cmd) < 5 {
			b.Fatalf("exchange %d: % X → % X", i, cmd, resp)
		}
		body := resp[:len(resp)-2]
		objs, err := tlv.Parse(body)
		if err != nil {
			b.Fatalf("answer %d: %v", i, err)
		}
		switch {
		case cmd[0] == 0x80 && cmd[1] == 0xA8: // GET PROCESSING OPTIONS
			gpo, err := tlv.Parse(cmd[5 : 5+int(cmd[4])])
			if err != nil || len(gpo) != 1 {
				b.Fatalf("GPO data: %v", err)
			}
			in.pdol = gpo[0].Value
		case cmd[1] == 0xB2: // READ RECORD
			records = append(records, cmd, body)
		case cmd[0] == 0x80 && cmd[1] == 0xAE: // GENERATE AC
			in.cdol1 = cmd[5 : 5+int(cmd[4])]
			if len(objs) != 1 || objs[0].Tag != 0x77 {
				b.Fatalf("GENERATE AC answer is not template 77")
			}
			if in.hashed, in.sdad, err = oda.SplitGenerateACResponse(objs[0].Value); err != nil {
				b.Fatal(err)
			}
		}
		keep(objs)
	}
	in.un = in.data[0x9F37]
	if in.un == nil {
		in.un = bytes.Repeat([]byte{0x5A}, 4) // sameNumbers
	}
	afl, err := emv.ParseAFL(in.data[0x94])
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(records); i += 2 {
		cmd, body := records[i], records[i+1]
		rn, sfi := int(cmd[2]), int(cmd[3]>>3)
		for _, e := range afl {
			if e.SFI != sfi || rn < e.First || rn >= e.First+e.Signed {
				continue
			}
			if sfi > 10 {
				in.static = append(in.static, body...)
				continue
			}
			objs, err := tlv.Parse(body)
			if err != nil || len(objs) != 1 || objs[0].Tag != 0x70 {
				b.Fatalf("record %d of SFI %d is not template 70", rn, sfi)
			}
			in.static = append(in.static, objs[0].Value...)
		}
	}
	if list, ok := in.data[0x9F4A]; ok && len(list) == 1 && list[0] == 0x82 {
		in.static = append(in.static, in.data[0x82]...)
	}
	return in
}
