package wallet

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// FuzzWalletFile reads whatever a corrupted or hostile wallet file holds.
// It is refused with an error or read whole; what reads whole makes a
// card, writes back to a file that reads as the same state, and that
// card runs a purchase without panicking.
func FuzzWalletFile(f *testing.F) {
	c := newWallet(f, issuance.Request{Balance: 50000})
	fresh, err := os.ReadFile(c.Path())
	if err != nil {
		f.Fatal(err)
	}
	d := newDesk(f, c, 1250)
	d.start()
	if _, s := d.generateAC(0x50); s != swOK {
		f.Fatalf("GENERATE AC: %04X", s)
	}
	spent, err := os.ReadFile(c.Path())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fresh)
	f.Add(spent)
	f.Add(bytes.Replace(spent, []byte(`"balance": 48750`), []byte(`"balance": -1`), 1))
	f.Add(bytes.Replace(spent, []byte(`"format": 1`), []byte(`"format": 2`), 1))
	f.Add(spent[:len(spent)/2])
	f.Add([]byte(`{"format":1,"personalisation":{},"icc_key":{"modulus":"0F","exponent":"03","d":"01","p":"03","q":"05"}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"format":1,"log":[{"atc":70000}]}`))

	desk := newDesk(f, c, 100)
	cdol1 := desk.dolData(issuance.DefaultCDOL1)
	path := filepath.Join(f.TempDir(), "w.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeState(data)
		if err != nil {
			return
		}
		// What reads whole makes a card: validate parsed its DOLs
		card, err := newCard(path, st)
		if err != nil {
			t.Fatalf("a state that validates makes no card: %v", err)
		}
		// And writes back to a file that reads as the same state
		out, err := json.MarshalIndent(&st, "", "  ")
		if err != nil {
			t.Fatalf("encoding: %v", err)
		}
		again, err := decodeState(out)
		if err != nil {
			t.Fatalf("the file written back does not read: %v\n%s", err, out)
		}
		// (Text that is not UTF-8, in a merchant's name say, is written
		// back with U+FFFD: the money and the counters never change.)
		out2, _ := json.MarshalIndent(&again, "", "  ")
		if !bytes.Equal(out, out2) || again.Balance != st.Balance || again.ATC != st.ATC ||
			again.LastOnlineATC != st.LastOnlineATC || len(again.Log) != len(st.Log) {
			t.Fatalf("the state changed in the round trip:\n%s\n%s", out, out2)
		}
		for i, e := range st.Log {
			if a := again.Log[i]; a.ATC != e.ATC || a.Amount != e.Amount || !bytes.Equal(a.AC, e.AC) || a.BalanceAfter != e.BalanceAfter {
				t.Fatalf("log entry %d changed in the round trip: %+v became %+v", i, e, a)
			}
		}
		// And the card runs a purchase without panicking (process, not
		// Process: no safety net)
		card.persist = func([]byte) error { return nil }
		p := card.st.Perso
		pdol, _ := issuance.ParseDOL(p.PDOL)
		for _, cmd := range [][]byte{
			command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01")),
			command(0, 0xA4, 4, 0, p.AID),
			command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, pdol.Len()))),
			{0x00, 0xB2, 0x01, 0x5C, 0x00},
			{0x80, 0xCA, 0x9F, 0x79, 0x00},
			command(0x80, 0xAE, 0x50, 0, cdol1),
			command(0x80, 0xD0, 0, 0, []byte{0xDE, 0xAD, 0xBE, 0xEF}),
		} {
			if r := card.process(cmd); len(r) < 2 {
				t.Fatalf("answer % X to % X has no status word", r, cmd)
			}
		}
	})
}

// FuzzBankLink reads whatever the bank link file beside a wallet holds:
// refused, or read, saved and read again unchanged.
func FuzzBankLink(f *testing.F) {
	f.Add([]byte(`{"bank":"https://127.0.0.1:8443","ca":"/tmp/ca.pem","user":"alice","token":"t0k","expires":"2026-03-14T15:09:26Z","at_bank":[1,2,3],"rejected":[{"atc":4,"reason":"bad_cryptogram"}],"uploaded":{"atc":4,"balance":48750,"at":"2026-03-14T15:10:00Z"}}`))
	f.Add([]byte(`{"bank":"","ca":"","at_bank":[]}`))
	f.Add([]byte(`{"at_bank":[65536]}`))
	f.Add([]byte(`{"expires":"yesterday"}`))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	walletPath := filepath.Join(dir, "w.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(LinkPath(walletPath), data, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := ReadLink(walletPath)
		if err != nil {
			return
		}
		if err := l.Save(walletPath); err != nil {
			t.Fatalf("a link read cannot be saved: %v", err)
		}
		again, err := ReadLink(walletPath)
		if err != nil {
			t.Fatalf("a link saved does not read: %v", err)
		}
		if !again.Expires.Equal(l.Expires) {
			t.Fatalf("expiry %v became %v", l.Expires, again.Expires)
		}
		again.Expires, l.Expires = time.Time{}, time.Time{} // compared as instants above
		if a, b := fmtJSON(t, l), fmtJSON(t, again); a != b {
			t.Fatalf("the link changed in the round trip:\n%s\n%s", a, b)
		}
	})
}

func fmtJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
