package wallet

import (
	"testing"

	"lingqian/issuance"
)

// Two Cards on one wallet file exclude each other through the file's
// lock exactly as two processes do (the lock belongs to the open file,
// not the process); systest runs the same with two lingqian-phone
// processes and two desks.

func TestTwoHolders_NeverSpendTheSameATC(t *testing.T) {
	// Given one wallet file opened twice, as two phones' processes would
	a := newWallet(t, issuance.Request{Balance: 50000})
	b, err := Open(a.Path())
	if err != nil {
		t.Fatal(err)
	}

	// When each spends in turn, three times
	for i := range 6 {
		c := []*Card{a, b}[i%2]
		d := newDesk(t, c, 1000)
		d.start()
		if resp, s := d.generateAC(0x50); s != swOK || parseGenAC(t, resp).cid != issuance.CIDTC {
			t.Fatalf("purchase %d: %04X", i, s)
		}
	}

	// Then the file holds six purchases at six distinct ATCs, and the
	// balance less all six
	again, err := Open(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint16]bool{}
	for _, e := range again.Log() {
		if seen[e.ATC] {
			t.Errorf("ATC %d spent twice", e.ATC)
		}
		seen[e.ATC] = true
	}
	if len(seen) != 6 || again.ATC() != 6 || again.Balance() != 50000-6*1000 {
		t.Errorf("%d distinct ATCs, ATC %d, balance %d", len(seen), again.ATC(), again.Balance())
	}
	// And each holder follows the file from its next command on
	for _, c := range []*Card{a, b} {
		c.Process(command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01")))
	}
	if a.Balance() != again.Balance() || b.Balance() != again.Balance() {
		t.Errorf("holders see %d and %d", a.Balance(), b.Balance())
	}
}

func TestTwoHolders_AnInterleavedPurchaseEndsTheOlderTransaction(t *testing.T) {
	// Given a desk that began a purchase on one holder of the wallet
	a := newWallet(t, issuance.Request{Balance: 50000})
	b, err := Open(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	first := newDesk(t, a, 700)
	first.start()

	// When another desk makes a whole purchase on the other holder
	second := newDesk(t, b, 300)
	second.start()
	if _, s := second.generateAC(0x50); s != swOK {
		t.Fatalf("the second purchase: %04X", s)
	}

	// Then the first desk's GENERATE AC is refused, as out of ATC order
	if _, s := first.generateAC(0x50); s != swConditions {
		t.Errorf("the older transaction's GENERATE AC: %04X, want 6985", s)
	}
	// And only the second purchase was spent
	again, err := Open(a.Path())
	if err != nil {
		t.Fatal(err)
	}
	if again.Balance() != 49700 || len(again.Log()) != 1 || again.Log()[0].ATC != 2 {
		t.Errorf("balance %d, log %+v", again.Balance(), again.Log())
	}
}

func TestHolder_RefusesAFileThatNowHoldsAnotherWallet(t *testing.T) {
	// Given a wallet open on the reader
	a := newWallet(t, issuance.Request{Balance: 50000})

	// When its file is replaced by another wallet
	if _, err := Create(a.Path(), CreateOptions{Overwrite: true}, LocalIssuer(testIssuer(t), issuance.Request{Balance: 100})); err != nil {
		t.Fatal(err)
	}

	// Then the card answers the next selection with a memory failure,
	// rather than spending from either wallet
	d := newDesk(t, a, 100)
	if _, s := d.send(command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01"))); s != swMemoryFailure {
		t.Errorf("SELECT: %04X", s)
	}
}
