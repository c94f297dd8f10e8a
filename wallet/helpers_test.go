package wallet

import (
	"bytes"
	"crypto/sha1"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lingqian/emv/issuer"
	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// The tests share one issuer: its keys take a moment to make.
var (
	issuerOnce sync.Once
	testIss    *issuance.Issuer
	issuerErr  error
)

func testIssuer(t testing.TB) *issuance.Issuer {
	t.Helper()
	issuerOnce.Do(func() { testIss, issuerErr = issuance.New(issuance.Options{}) })
	if issuerErr != nil {
		t.Fatal(issuerErr)
	}
	return testIss
}

// newWallet makes a wallet file in a temporary directory.
func newWallet(t testing.TB, req issuance.Request) *Card {
	t.Helper()
	c, err := Create(filepath.Join(t.TempDir(), "w.json"), CreateOptions{}, LocalIssuer(testIssuer(t), req))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// desk is a scripted terminal: it sends the APDUs of a purchase and keeps
// what it needs to check the answers, as the desk's kernel does.
type desk struct {
	t    testing.TB
	c    CardApplication
	vals map[tlv.Tag][]byte

	aip, afl, pdolData, cdol1Data []byte
	data                          map[tlv.Tag][]byte
	static                        []byte
}

var testDay = time.Date(2026, 3, 14, 15, 9, 26, 0, time.Local)

func newDesk(t testing.TB, c CardApplication, amount int64) *desk {
	amt, _ := issuance.Amount(amount)
	return &desk{t: t, c: c, data: map[tlv.Tag][]byte{}, vals: map[tlv.Tag][]byte{
		0x9F02: amt, 0x9F03: make([]byte, 6), 0x9F1A: {0x01, 0x56}, 0x95: make([]byte, 5),
		0x5F2A: {0x01, 0x56}, 0x9A: {0x26, 0x03, 0x14}, 0x9C: {0x00}, 0x9F37: {0xDE, 0xAD, 0xBE, 0xEF},
		0x9F21: {0x15, 0x09, 0x26}, 0x9F4E: []byte("LINGQIAN TEST SHOP\x00\x00"),
		0x9F66: {0x28, 0, 0, 0}, 0x9F7A: {0x01}, 0x8A: []byte("00"),
	}}
}

// send transmits a command and splits the answer.
func (d *desk) send(cmd []byte) ([]byte, uint16) {
	d.t.Helper()
	r := d.c.Process(cmd)
	if len(r) < 2 {
		d.t.Fatalf("answer % X to % X has no status word", r, cmd)
	}
	return r[:len(r)-2], uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
}

func (d *desk) ok(cmd []byte) []byte {
	d.t.Helper()
	data, s := d.send(cmd)
	if s != swOK {
		d.t.Fatalf("% X answered %04X", cmd, s)
	}
	return data
}

// dolData fills a DOL from the desk's values; unknown tags get zeros.
func (d *desk) dolData(dol []byte) []byte {
	d.t.Helper()
	entries, err := issuance.ParseDOL(dol)
	if err != nil {
		d.t.Fatal(err)
	}
	var out []byte
	for _, e := range entries {
		v := make([]byte, e.Length)
		if x, ok := d.vals[e.Tag]; ok && len(x) == e.Length {
			copy(v, x)
		}
		out = append(out, v...)
	}
	return out
}

func command(cla, ins, p1, p2 byte, data []byte) []byte {
	cmd := append([]byte{cla, ins, p1, p2, byte(len(data))}, data...)
	return append(cmd, 0x00)
}

// start runs the purchase up to GENERATE AC: selection, GPO, records.
func (d *desk) start() {
	d.t.Helper()
	ppse := d.ok(command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01")))
	objs, err := tlv.Parse(ppse)
	if err != nil {
		d.t.Fatal(err)
	}
	fci := d.ok(command(0, 0xA4, 4, 0, tlv.Value(objs, 0x4F)))
	if objs, err = tlv.Parse(fci); err != nil {
		d.t.Fatal(err)
	}
	d.pdolData = d.dolData(tlv.Value(objs, 0x9F38))
	gpo := d.ok(command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, d.pdolData)))
	if objs, err = tlv.Parse(gpo); err != nil || len(objs) != 1 || objs[0].Tag != 0x77 {
		d.t.Fatalf("GPO answer % X: %v", gpo, err)
	}
	d.aip, d.afl = tlv.Value(objs, 0x82), tlv.Value(objs, 0x94)
	for i := 0; i+4 <= len(d.afl); i += 4 {
		sfi, first, last, signed := d.afl[i]>>3, d.afl[i+1], d.afl[i+2], d.afl[i+3]
		for n := first; n <= last; n++ {
			rec := d.ok([]byte{0x00, 0xB2, n, sfi<<3 | 4, 0x00})
			objs, err := tlv.Parse(rec)
			if err != nil || len(objs) != 1 || objs[0].Tag != 0x70 {
				d.t.Fatalf("record %d of SFI %d: % X (%v)", n, sfi, rec, err)
			}
			if n < first+signed {
				if sfi <= 10 {
					d.static = append(d.static, objs[0].Value...)
				} else {
					d.static = append(d.static, rec...)
				}
			}
			for _, o := range objs[0].Children {
				d.data[o.Tag] = o.Value
			}
		}
	}
	if bytes.Equal(d.data[0x9F4A], []byte{0x82}) {
		d.static = append(d.static, d.aip...)
	}
}

// generateAC sends the first GENERATE AC and returns its template 77.
func (d *desk) generateAC(p1 byte) ([]byte, uint16) {
	d.t.Helper()
	d.cdol1Data = d.dolData(d.data[0x8C])
	return d.send(command(0x80, 0xAE, p1, 0, d.cdol1Data))
}

// iccKey recovers the ICC public key from the certificates, with the CA
// key the issuer publishes, checking them as a desk does.
func (d *desk) iccKey(iss *issuance.Issuer) oda.PublicKey {
	d.t.Helper()
	ic, err := oda.RecoverIssuerCert(iss.CAPK().Public(), d.data[0x90], d.data[0x92], d.data[0x9F32])
	if err != nil {
		d.t.Fatal(err)
	}
	if err := ic.Check(d.data[0x5A], testDay); err != nil {
		d.t.Fatal(err)
	}
	cc, err := oda.RecoverICCCert(ic.Key, d.data[0x9F46], d.data[0x9F48], d.data[0x9F47], d.static)
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cc.Check(d.data[0x5A], testDay); err != nil {
		d.t.Fatal(err)
	}
	return cc.Key
}

// answer is a parsed GENERATE AC answer.
type genACAnswer struct {
	cid      byte
	atc      uint16
	ac, iad  []byte
	sdad     []byte
	unsigned []byte // every object but 9F4B, as received
}

func parseGenAC(t testing.TB, resp []byte) genACAnswer {
	t.Helper()
	objs, err := tlv.Parse(resp)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x77 {
		t.Fatalf("GENERATE AC answer % X is not template 77 (%v)", resp, err)
	}
	var a genACAnswer
	for _, o := range objs[0].Children {
		switch o.Tag {
		case 0x9F27:
			a.cid = o.Value[0]
		case 0x9F36:
			a.atc = uint16(o.Value[0])<<8 | uint16(o.Value[1])
		case 0x9F26:
			a.ac = o.Value
		case 0x9F10:
			a.iad = o.Value
		case 0x9F4B:
			a.sdad = o.Value
			continue
		}
		a.unsigned = append(a.unsigned, o.Raw...)
	}
	return a
}

// verifyCDA checks the signature as EMV Book 2 6.6.2 says and returns
// the AC it carries.
func (d *desk) verifyCDA(key oda.PublicKey, a genACAnswer, dols ...[]byte) []byte {
	d.t.Helper()
	h := sha1.New()
	h.Write(d.pdolData)
	for _, x := range dols {
		h.Write(x)
	}
	h.Write(a.unsigned)
	cda, err := oda.VerifyCDA(key, a.sdad, d.vals[0x9F37], a.cid, h.Sum(nil))
	if err != nil {
		d.t.Fatalf("CDA: %v", err)
	}
	return cda.AC
}

// recomputeAC is the bank's check, with emv/issuer directly: option A
// master key, common session key, MAC algorithm 3 over CDOL data ‖ AIP ‖
// ATC ‖ CVR.
func recomputeAC(t testing.TB, iss *issuance.Issuer, c *Card, dolData, aip []byte, a genACAnswer) []byte {
	t.Helper()
	mkAC, _, err := iss.MasterKeys(c.PAN(), c.PSN())
	if err != nil {
		t.Fatal(err)
	}
	sk, err := issuer.DeriveCommonSessionKey(mkAC, [2]byte{byte(a.atc >> 8), byte(a.atc)})
	if err != nil {
		t.Fatal(err)
	}
	data := append(append(append(bytes.Clone(dolData), aip...), byte(a.atc>>8), byte(a.atc)), a.iad[4:7]...)
	ac, err := issuer.GenerateAC(sk, data, issuer.Padding2)
	if err != nil {
		t.Fatal(err)
	}
	return ac
}
