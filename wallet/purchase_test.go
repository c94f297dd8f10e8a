package wallet

import (
	"bytes"
	"testing"

	"lingqian/issuance"
)

func TestPurchase_TCWithCDAVerifiesWithTheIssuersKeys(t *testing.T) {
	// Given a wallet with 500.00 on it, and a desk selling 12.50
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 50000})
	d := newDesk(t, c, 1250)

	// When the desk reads it and asks for a TC with a CDA signature
	d.start()
	if bal := d.ok([]byte{0x80, 0xCA, 0x9F, 0x79, 0x00}); !bytes.Equal(bal, []byte{0x9F, 0x79, 0x06, 0, 0, 0, 0x05, 0, 0}) {
		t.Errorf("GET DATA 9F79 = % X", bal)
	}
	resp, s := d.generateAC(0x50)
	if s != swOK {
		t.Fatalf("GENERATE AC: %04X", s)
	}

	// Then the answer is 77 [9F27, 9F36, 9F4B, 9F10] with a TC
	a := parseGenAC(t, resp)
	if a.cid != 0x40 || a.atc != 1 || a.ac != nil || a.sdad == nil {
		t.Fatalf("answer % X", resp)
	}
	if want := []byte{0x07, 0x01, 0x01, 0x03, 0x00, 0x48, 0x00}; !bytes.Equal(a.iad, want) {
		t.Errorf("IAD % X, want % X", a.iad, want)
	}
	// And the signature verifies under the certified ICC key, with the hash
	// over PDOL data, CDOL1 data and the answer's other objects
	ac := d.verifyCDA(d.iccKey(iss), a, d.cdol1Data)
	// And the AC in it is the one the bank recomputes
	if want := recomputeAC(t, iss, c, d.cdol1Data, d.aip, a); !bytes.Equal(ac, want) {
		t.Errorf("AC % X, the issuer computes % X", ac, want)
	}
	// And the wallet took the money and logged the purchase
	if c.Balance() != 48750 || c.ATC() != 1 {
		t.Errorf("balance %d ATC %d", c.Balance(), c.ATC())
	}
	log := c.Log()
	if len(log) != 1 {
		t.Fatalf("log of %d entries", len(log))
	}
	e := log[0]
	if e.Amount != 1250 || e.ATC != 1 || !bytes.Equal(e.AC, ac) || e.Date != "2026-03-14" ||
		e.Time != "15:09:26" || e.Merchant != "LINGQIAN TEST SHOP" || e.BalanceAfter != 48750 || e.Currency != "156" {
		t.Errorf("log entry %+v", e)
	}
}

func TestPurchase_WithoutCDA_ACIsInTheAnswer(t *testing.T) {
	// Given a desk that asks for a TC without CDA
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 50000})
	d := newDesk(t, c, 100)
	d.start()
	// When it asks
	resp, s := d.generateAC(0x40)
	// Then the answer carries 9F26, which the issuer recomputes
	a := parseGenAC(t, resp)
	if s != swOK || a.cid != 0x40 || a.sdad != nil || a.ac == nil {
		t.Fatalf("%04X % X", s, resp)
	}
	if want := recomputeAC(t, iss, c, d.cdol1Data, d.aip, a); !bytes.Equal(a.ac, want) {
		t.Errorf("AC % X, want % X", a.ac, want)
	}
}

func TestPurchase_AAC(t *testing.T) {
	cases := []struct {
		name     string
		balance  int64
		amount   int64
		currency []byte
		p1       byte
		reason   byte
	}{
		{"over the balance", 10000, 10001, nil, 0x50, issuance.DeclineOverBalance},
		{"over the single transaction limit", 50000, 20001, nil, 0x50, issuance.DeclineOverLimit},
		{"in another currency", 50000, 100, []byte{0x08, 0x40}, 0x50, issuance.DeclineCurrency},
		{"the desk asks for an AAC", 50000, 100, nil, 0x00, issuance.DeclineTerminalAsked},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet with a single limit of 200.00
			iss := testIssuer(t)
			c := newWallet(t, issuance.Request{Balance: tc.balance, SingleLimit: 20000})
			d := newDesk(t, c, tc.amount)
			if tc.currency != nil {
				d.vals[0x5F2A] = tc.currency
			}
			d.start()

			// When the desk asks for the cryptogram
			resp, s := d.generateAC(tc.p1)

			// Then the wallet answers an AAC that says why, and verifies
			a := parseGenAC(t, resp)
			if s != swOK || a.cid != 0x00 {
				t.Fatalf("%04X % X", s, resp)
			}
			if a.iad[6] != tc.reason || a.iad[5]&0xC0 != 0 {
				t.Errorf("CVR % X, want reason %02X", a.iad[4:], tc.reason)
			}
			ac := a.ac
			if tc.p1&0x10 != 0 {
				ac = d.verifyCDA(d.iccKey(iss), a, d.cdol1Data)
			}
			if want := recomputeAC(t, iss, c, d.cdol1Data, d.aip, a); !bytes.Equal(ac, want) {
				t.Errorf("AC % X, want % X", ac, want)
			}
			// And it keeps its money and logs nothing
			if c.Balance() != tc.balance || len(c.Log()) != 0 {
				t.Errorf("balance %d, %d log entries", c.Balance(), len(c.Log()))
			}
		})
	}
}

func TestPurchase_LogRecordsNewestFirst(t *testing.T) {
	// Given a wallet that made two purchases
	c := newWallet(t, issuance.Request{Balance: 50000})
	for _, amount := range []int64{111, 222} {
		d := newDesk(t, c, amount)
		d.start()
		if _, s := d.generateAC(0x50); s != swOK {
			t.Fatalf("%04X", s)
		}
	}
	d := newDesk(t, c, 1)
	d.ok(command(0, 0xA4, 4, 0, issuance.AID))

	// When a desk reads the log format and the log
	format := d.ok([]byte{0x80, 0xCA, 0x9F, 0x4F, 0x00})
	newest := d.ok([]byte{0x00, 0xB2, 0x01, 0x5C, 0x00})
	older := d.ok([]byte{0x00, 0xB2, 0x02, 0x5C, 0x00})
	_, s := d.send([]byte{0x00, 0xB2, 0x03, 0x5C, 0x00})

	// Then record 1 is the newest, laid out as 9F4F says, and there is no third
	if !bytes.Equal(format, append([]byte{0x9F, 0x4F, byte(len(issuance.LogFormat))}, issuance.LogFormat...)) {
		t.Errorf("9F4F % X", format)
	}
	want := []byte{0x26, 0x03, 0x14, 0x15, 0x09, 0x26, 0, 0, 0, 0, 0x02, 0x22}
	if len(newest) != 45 || !bytes.Equal(newest[:12], want) || !bytes.Equal(newest[43:], []byte{0, 2}) {
		t.Errorf("newest record % X", newest)
	}
	if !bytes.Equal(older[10:12], []byte{0x01, 0x11}) {
		t.Errorf("older record % X", older)
	}
	if s != swNoRecord {
		t.Errorf("third record: %04X", s)
	}
}
