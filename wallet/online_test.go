package wallet

import (
	"bytes"
	"testing"

	"lingqian/issuance"
)

// arqc starts an online load of amount on the wallet and returns the
// desk and the ARQC answer.
func arqc(t *testing.T, c *Card, amount int64) (*desk, genACAnswer) {
	t.Helper()
	d := newDesk(t, c, amount)
	d.start()
	resp, s := d.generateAC(0x80)
	if s != swOK {
		t.Fatalf("GENERATE AC ARQC: %04X", s)
	}
	a := parseGenAC(t, resp)
	if a.cid != issuance.CIDARQC || a.ac == nil {
		t.Fatalf("answer % X", resp)
	}
	return d, a
}

var approved = [2]byte{'0', '0'}

func TestOnlineLoad_EndToEnd(t *testing.T) {
	// Given a wallet with 100.00 at a teller's desk loading 300.00
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 10000})
	d, a := arqc(t, c, 30000)

	// When the bank verifies the ARQC and answers with an ARPC and a script
	data := issuance.ACData(d.cdol1Data, d.aip, a.atc, issuance.CVR{a.iad[4], a.iad[5], a.iad[6]})
	if ok, err := iss.VerifyAC(c.PAN(), c.PSN(), a.atc, data, a.ac); !ok || err != nil {
		t.Fatalf("the bank does not accept the ARQC: %v %v", ok, err)
	}
	if want := recomputeAC(t, iss, c, d.cdol1Data, d.aip, a); !bytes.Equal(a.ac, want) {
		t.Fatalf("ARQC % X, want % X", a.ac, want)
	}
	arpc, err := iss.ARPC(c.PAN(), c.PSN(), a.atc, a.ac, approved)
	if err != nil {
		t.Fatal(err)
	}
	script, err := iss.BalanceScript(c.PAN(), c.PSN(), a.atc, a.ac, 40000)
	if err != nil {
		t.Fatal(err)
	}
	d.ok(issuance.ExternalAuthenticate(arpc, approved))
	d.ok(script)
	cdol2Data := d.dolData(d.data[0x8D])
	resp, s := d.send(command(0x80, 0xAE, 0x40, 0, cdol2Data))

	// Then the wallet closes with a TC the bank verifies, over CDOL2 data
	tc := parseGenAC(t, resp)
	if s != swOK || tc.cid != issuance.CIDTC {
		t.Fatalf("second GENERATE AC: %04X % X", s, resp)
	}
	if tc.iad[5]&issuance.CVR2ScriptDone == 0 {
		t.Errorf("CVR % X does not say the script was applied", tc.iad[4:])
	}
	if want := recomputeAC(t, iss, c, cdol2Data, d.aip, tc); !bytes.Equal(tc.ac, want) {
		t.Errorf("TC % X, want % X", tc.ac, want)
	}
	// And the new balance and the last online ATC are on disk
	again, err := Open(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	if again.Balance() != 40000 || again.LastOnlineATC() != a.atc {
		t.Errorf("balance %d, last online ATC %d", again.Balance(), again.LastOnlineATC())
	}
	if got := d.ok([]byte{0x80, 0xCA, 0x9F, 0x13, 0x00}); !bytes.Equal(got, []byte{0x9F, 0x13, 0x02, 0x00, byte(a.atc)}) {
		t.Errorf("GET DATA 9F13 = % X", got)
	}
}

func TestOnlineLoad_RefusedScripts(t *testing.T) {
	iss := testIssuer(t)
	cases := []struct {
		name      string
		arpcWrong bool
		skipEA    bool
		macWrong  bool
		wantEA    uint16
		want      uint16
		wantClose byte // the second GENERATE AC: a TC once the issuer is authenticated
	}{
		{"wrong MAC", false, false, true, swOK, swSMWrong, issuance.CIDTC},
		{"no EXTERNAL AUTHENTICATE", false, true, false, 0, swConditions, issuance.CIDAAC},
		{"wrong ARPC", true, false, false, swAuthFailed, swConditions, issuance.CIDAAC},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given an online load under way
			c := newWallet(t, issuance.Request{Balance: 10000})
			d, a := arqc(t, c, 30000)
			arpc, _ := iss.ARPC(c.PAN(), c.PSN(), a.atc, a.ac, approved)
			script, _ := iss.BalanceScript(c.PAN(), c.PSN(), a.atc, a.ac, 40000)
			if tc.arpcWrong {
				arpc[0] ^= 1
			}
			if tc.macWrong {
				script[len(script)-1] ^= 1
			}

			// When the issuer's answer is delivered as the case has it
			if !tc.skipEA {
				if _, s := d.send(issuance.ExternalAuthenticate(arpc, approved)); s != tc.wantEA {
					t.Errorf("EXTERNAL AUTHENTICATE: %04X, want %04X", s, tc.wantEA)
				}
			}
			_, s := d.send(script)

			// Then the script is refused and the balance stays, on disk too
			if s != tc.want {
				t.Errorf("script: %04X, want %04X", s, tc.want)
			}
			again, err := Open(c.Path())
			if err != nil {
				t.Fatal(err)
			}
			if c.Balance() != 10000 || again.Balance() != 10000 {
				t.Errorf("balance %d, on disk %d", c.Balance(), again.Balance())
			}
			// And the transaction closes without the script having run
			resp, s := d.send(command(0x80, 0xAE, 0x40, 0, d.dolData(d.data[0x8D])))
			closing := parseGenAC(t, resp)
			if s != swOK || closing.cid != tc.wantClose || closing.iad[5]&issuance.CVR2ScriptDone != 0 {
				t.Errorf("second GENERATE AC: %04X % X", s, resp)
			}
		})
	}
}

func TestOnlineLoad_ScriptOfAnotherTransactionIsRefused(t *testing.T) {
	// Given a script the bank made for one ARQC
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 10000})
	_, a := arqc(t, c, 30000)
	old, _ := iss.BalanceScript(c.PAN(), c.PSN(), a.atc, a.ac, 99999)

	// When it is replayed in the next online transaction, after a good ARPC
	d, b := arqc(t, c, 30000)
	arpc, _ := iss.ARPC(c.PAN(), c.PSN(), b.atc, b.ac, approved)
	d.ok(issuance.ExternalAuthenticate(arpc, approved))
	_, s := d.send(old)

	// Then its MAC does not verify
	if s != swSMWrong || c.Balance() != 10000 {
		t.Errorf("replayed script: %04X, balance %d", s, c.Balance())
	}
	// And one ARPC is all a transaction gets
	if _, s := d.send(issuance.ExternalAuthenticate(arpc, approved)); s != swConditions {
		t.Errorf("second EXTERNAL AUTHENTICATE: %04X", s)
	}
}
