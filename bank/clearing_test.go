package bank_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"lingqian/bank"
)

func TestBatch_SetBasedClearingAnswersAndPostsAsPerMessage(t *testing.T) {
	// Given a bank with a desk and wallets that make every rule of clearing
	// come up in one batch
	s := newShop(t)
	d := s.deskA
	several := s.phone.NewWallet(t, t.TempDir(), 20000)
	pSeveral1, pSeveral2, pSeveral3 := d.Purchase(t, several, 1000), d.Purchase(t, several, 1100), d.Purchase(t, several, 1200)
	pVoidFirst, pWaited := d.Purchase(t, several, 1300), d.Purchase(t, several, 1400)
	// a void that waits in the bank since an earlier batch
	one(t, d.Send(t, d.Void(pWaited)), bank.StatusAccepted, "", "pending")

	cloned := s.phone.NewWallet(t, t.TempDir(), 5000)
	copyOfCloned := copyWallet(t, cloned)
	pCloned, pClone := d.Purchase(t, cloned, 500), d.Purchase(t, copyOfCloned, 600)
	pAfterClone := d.Purchase(t, cloned, 700)

	small := s.phone.NewWallet(t, t.TempDir(), 1000)
	copyOfSmall := copyWallet(t, small)
	declined(t, d, copyOfSmall)
	pSmall, pOverBalance := d.Purchase(t, small, 800), d.Purchase(t, copyOfSmall, 800)

	lost := s.phone.NewWallet(t, t.TempDir(), 1000)
	pLost := d.Purchase(t, lost, 100)
	if _, err := s.b.Hotlist(s.ctx, lost.PAN(), "lost phone"); err != nil {
		t.Fatal(err)
	}

	uploaded := s.phone.NewWallet(t, t.TempDir(), 1000)
	pUploaded := d.Purchase(t, uploaded, 300)
	if up := s.phone.Upload(t, uploaded); up.Accepted != 1 {
		t.Fatalf("upload %+v", up)
	}
	foreign := s.deskB.Purchase(t, several, 100)
	altered := d.Purchase(t, several, 200)
	altered.Amount = 201
	sameSeq := pSeveral3
	sameSeq.Key = "another key for seq " + fmt.Sprint(pSeveral3.Seq)

	batch := []bank.WireMessage{
		pSeveral1, pSeveral2, d.Void(pSeveral2), pSeveral1, pSeveral3, sameSeq,
		d.Void(pVoidFirst), pVoidFirst, pWaited,
		pCloned, pClone, pAfterClone,
		pSmall, pOverBalance,
		pLost, pUploaded, foreign, altered,
	}
	// And, made the moment before the batch, a copy of the bank
	s.clock.advance(time.Minute)
	perMessage := copyOf(t, s.env)

	// When the batch is cleared over HTTPS, and on the copy one statement
	// per question
	got := d.Send(t, batch...)
	want, err := bank.ClearPerMessage(s.ctx, perMessage, d.TerminalID, batch)
	if err != nil {
		t.Fatal(err)
	}

	// Then the answers are the same, and the ones the rules give
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answers:\n set-based   %+v\n per message %+v", got, want)
	}
	wantAnswers := []struct{ status, reason, state string }{
		{bank.StatusAccepted, "", "posted"},                         // several purchases of one wallet
		{bank.StatusRejected, bank.ReasonVoided, "rejected"},        // voided later in the batch
		{bank.StatusAccepted, "", "posted"},                         // the void, done
		{bank.StatusDuplicate, "", "posted"},                        // the same key again
		{bank.StatusAccepted, "", "posted"},                         //
		{bank.StatusRejected, bank.ReasonReplayed, "rejected"},      // the same seq, another key
		{bank.StatusAccepted, "", "posted"},                         // a void before its purchase
		{bank.StatusRejected, bank.ReasonVoided, "rejected"},        //
		{bank.StatusRejected, bank.ReasonVoided, "rejected"},        // voided by a void of an earlier batch
		{bank.StatusAccepted, "", "posted"},                         // the first cryptogram on a slot
		{bank.StatusAccepted, "", "posted"},                         // another on the same slot: the loss account pays
		{bank.StatusAccepted, "", "posted"},                         // the cloned wallet, hotlisted after the desk's hotlist
		{bank.StatusAccepted, "", "posted"},                         //
		{bank.StatusAccepted, "", "posted"},                         // more than was loaded: the loss account pays the rest
		{bank.StatusAccepted, "", "posted"},                         // hotlisted after the desk's hotlist
		{bank.StatusAccepted, "", "posted"},                         // confirmed by its phone
		{bank.StatusRejected, bank.ReasonWrongMerchant, "rejected"}, //
		{bank.StatusRejected, bank.ReasonAmountMismatch, "rejected"},
	}
	for i, w := range wantAnswers {
		if r := got[i]; r.Status != w.status || r.Reason != w.reason || r.State != w.state {
			t.Errorf("message %d (seq %d): %s/%s/%s, want %s/%s/%s", i, r.Seq, r.Status, r.Reason, r.State, w.status, w.reason, w.state)
		}
	}
	// And both banks hold the same rows, their books balanced
	setBased, other := bank.DumpDB(t, filepath.Join(s.dir, bank.DBFile)), bank.DumpDB(t, perMessage.Store().(*bank.SQLite).Path())
	for table, rows := range other {
		if !reflect.DeepEqual(setBased[table], rows) {
			t.Errorf("%s:\n set-based   %v\n per message %v", table, setBased[table], rows)
		}
	}
	s.balanced()
	if err := perMessage.Ledger().Balanced(s.ctx); err != nil {
		t.Fatal(err)
	}
	// And the copies' spending was paid from the loss account: all of the
	// second cryptogram on a slot, and what the e-cash left did not cover
	if got := s.balance(bank.LossAccount); got != 600+(800-200) {
		t.Errorf("loss account %d", got)
	}
}

// copyOf opens a second bank on a copy of e's database as it is now.
func copyOf(t *testing.T, e *env) *bank.Bank {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, bank.DBFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`VACUUM INTO ?`, filepath.Join(dir, bank.DBFile)); err != nil {
		t.Fatal(err)
	}
	iss, err := sharedIssuer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bank.Open(dir, bank.Options{Issuer: iss, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
