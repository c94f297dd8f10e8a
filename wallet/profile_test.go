package wallet

import (
	"bytes"
	"testing"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// otherLayout is a card laid out unlike the default: a PDOL and CDOL1 with
// tags no desk knows (DF8101, 9F7C) and the amount, currency and UN at other
// places; signed data in SFI 12, which is hashed with its template;
// long-form lengths and padding inside records.
func otherLayout() issuance.Profile {
	return issuance.Profile{
		PDOL: []byte{0xDF, 0x81, 0x01, 0x03, 0x9F, 0x02, 0x06, 0x9F, 0x37, 0x04},
		CDOL1: []byte{0x9F, 0x7C, 0x05, 0x9F, 0x37, 0x04, 0xDF, 0x81, 0x01, 0x02, 0x9A, 0x03,
			0x5F, 0x2A, 0x02, 0x9F, 0x02, 0x06},
		CDOL2: []byte{0x8A, 0x02, 0x9F, 0x7C, 0x05},
		Records: []issuance.RecordSpec{
			{SFI: 1, Record: 1, Tags: []tlv.Tag{0x8C, 0x8D, 0x9F08, 0x90}},
			{SFI: 5, Record: 1, Signed: true, Tags: []tlv.Tag{0x5A, 0x5F24, 0x5F34, 0x9F4A, 0x8F}},
			{SFI: 12, Record: 1, Signed: true, Tags: []tlv.Tag{0x9F32, 0x92, 0x9F47, 0x9F48, 0x9F78}},
			{SFI: 12, Record: 2, Tags: []tlv.Tag{0x9F46}},
		},
		Lengths: issuance.Long82,
		Padding: 2,
	}
}

func TestProfile_OtherLayoutStillAnswersVerifiably(t *testing.T) {
	// Given a wallet laid out by another profile
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 50000, Profile: otherLayout()})
	d := newDesk(t, c, 1250)
	d.vals[0x9F37] = []byte{0x01, 0x02, 0x03, 0x04}

	// When a desk that fills unknown tags with zeros buys 12.50 with CDA
	d.start()
	if !bytes.Equal(d.afl, []byte{0x08, 1, 1, 0, 0x28, 1, 1, 1, 0x60, 1, 2, 1}) {
		t.Errorf("AFL % X", d.afl)
	}
	resp, s := d.generateAC(0x50)
	if s != swOK {
		t.Fatalf("%04X", s)
	}

	// Then the wallet found the amount, currency and UN in its own CDOL1,
	// answered a TC, and the signature and AC verify
	a := parseGenAC(t, resp)
	if a.cid != issuance.CIDTC {
		t.Fatalf("answer % X", resp)
	}
	ac := d.verifyCDA(d.iccKey(iss), a, d.cdol1Data)
	if want := recomputeAC(t, iss, c, d.cdol1Data, d.aip, a); !bytes.Equal(ac, want) {
		t.Errorf("AC % X, want % X", ac, want)
	}
	if c.Balance() != 48750 {
		t.Errorf("balance %d", c.Balance())
	}
	// And its log still has the date, amount and currency, from whichever
	// DOL carried them, and nothing for what none did
	e := c.Log()[0]
	if e.Amount != 1250 || e.Date != "2026-03-14" || e.Currency != "156" || e.Merchant != "" || e.Time != "" || e.Country != "" {
		t.Errorf("log entry %+v", e)
	}
}

func TestProfile_GPOWantsThePDOLLength(t *testing.T) {
	// Given a wallet whose PDOL asks for 13 bytes
	c := newWallet(t, issuance.Request{Profile: otherLayout()})
	d := newDesk(t, c, 1)
	d.ok(command(0, 0xA4, 4, 0, issuance.AID))
	// When a GPO carries the default PDOL's 34 bytes, then it is refused
	if _, s := d.send(command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, 34)))); s != swWrongLength {
		t.Errorf("GPO with the wrong length: %04X", s)
	}
	// And one with 13 is taken
	d.ok(command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, 13))))
}
