package app_test

import (
	"context"
	"errors"
	"testing"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
)

// failingJournal is the desk's real journal with one kind of entry
// refused: the desk dying at that write, as the card sees it.
type failingJournal struct {
	app.Journal
	refuse app.EntryKind
}

var errDiskGone = errors.New("disk I/O error")

func (j failingJournal) Append(ctx context.Context, e app.Entry) (app.Entry, error) {
	if e.Kind == j.refuse {
		return app.Entry{}, errDiskGone
	}
	return j.Journal.Append(ctx, e)
}

func (j failingJournal) Ask(ctx context.Context, e app.Entry) error {
	if e.Kind == j.refuse {
		return errDiskGone
	}
	return j.Journal.Ask(ctx, e)
}

func (j failingJournal) Answer(ctx context.Context, key string, e *app.Entry) (app.Entry, error) {
	if e != nil && e.Kind == j.refuse {
		return app.Entry{}, errDiskGone
	}
	return j.Journal.Answer(ctx, key, e)
}

func kinds(t *testing.T, s *shop) []app.EntryKind {
	t.Helper()
	entries, err := s.db.Entries(context.Background(), 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []app.EntryKind
	for _, e := range entries {
		out = append(out, e.Kind)
	}
	return out
}

func TestCharge_TheTapIsWrittenDownBeforeTheWalletIsAsked(t *testing.T) {
	ctx := context.Background()
	// Given a desk whose purchase entry is lost after the wallet paid (a
	// desk killed between the wallet's answer and its journal write)
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)
	s.co.Journal = failingJournal{Journal: s.db, refuse: app.KindPurchase}
	res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250})
	if err == nil || res.Approved() || w.Balance() != 50000-1250 {
		t.Fatalf("lost purchase: %v approved=%v balance %d", err, res.Approved(), w.Balance())
	}

	// Then the tap written down before asking is found as a torn tap
	open, err := s.db.OpenTorn(ctx)
	if err != nil || len(open) != 1 || open[0].Amount != 1250 || open[0].PAN != w.PAN() {
		t.Fatalf("open taps after the lost write: %+v, %v", open, err)
	}

	// When the desk comes back and the same phone is tapped for the same sale
	s.co.Journal = s.db
	res, err = s.charge(w, device.Leave{}, app.Sale{Amount: 1250})

	// Then the wallet's payment is found and recorded once, nothing charged twice
	if err != nil || !res.Approved() || res.Outcome.Recovered == nil {
		t.Fatalf("next tap: %v %+v recovered=%v", err, res.Outcome.Reason, res.Outcome.Recovered)
	}
	if res.Entry.Ref != open[0].Seq {
		t.Errorf("the purchase names entry %d, want the open tap %d", res.Entry.Ref, open[0].Seq)
	}
	if w.Balance() != 50000-1250 {
		t.Errorf("balance %d: charged twice", w.Balance())
	}
	if open, _ := s.db.OpenTorn(ctx); len(open) != 0 {
		t.Errorf("taps still open: %+v", open)
	}
}

func TestCharge_NothingIsAskedOfTheWalletWhenTheTapCannotBeWrittenDown(t *testing.T) {
	// Given a desk that cannot write a tap down
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)
	s.co.Journal = failingJournal{Journal: s.db, refuse: app.KindTorn}

	// When the cashier charges
	res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250})

	// Then the sale is not paid, the cashier is told the desk could not
	// record it, and the wallet was never asked to pay
	if err != nil || res.Verdict() != app.VerdictError || res.Outcome.Reason.Code != emv.ReasonNotRecorded.Code {
		t.Fatalf("charge: %v %s %+v", err, res.Verdict(), res.Outcome.Reason)
	}
	if w.Balance() != 50000 {
		t.Errorf("balance %d: the wallet paid", w.Balance())
	}
}

func TestCharge_EveryTapEndsSettled(t *testing.T) {
	for _, tc := range []struct {
		name    string
		balance int64
		amount  app.Money
		verdict app.Verdict
		entries []app.EntryKind
	}{
		{"approved", 50000, 1250, app.VerdictApproved, []app.EntryKind{app.KindPurchase}},
		// The desk reads the balance and declines before asking: nothing to write down.
		{"declined before the wallet is asked", 1000, 1250, app.VerdictDeclined, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone with tc.balance
			s := newShop(t, app.Limits{})
			w := s.wallet(tc.balance)

			// When it pays
			res, err := s.charge(w, device.Leave{}, app.Sale{Amount: tc.amount})

			// Then the tap written down before asking is settled, and the
			// journal holds what happened and nothing more
			if err != nil || res.Verdict() != tc.verdict {
				t.Fatalf("charge: %v %s %+v", err, res.Verdict(), res.Outcome.Reason)
			}
			got := kinds(t, s)
			if len(got) != len(tc.entries) {
				t.Fatalf("journal %v, want %v", got, tc.entries)
			}
			for i := range got {
				if got[i] != tc.entries[i] {
					t.Fatalf("journal %v, want %v", got, tc.entries)
				}
			}
			if open, _ := s.db.OpenTorn(context.Background()); len(open) != 0 {
				t.Errorf("taps still open: %+v", open)
			}
		})
	}
}

func TestCharge_ThePurchaseIsRecordedBeforeAnEarlierTornTapIsCleared(t *testing.T) {
	ctx := context.Background()
	// Given a tap torn before the wallet got GENERATE AC, and a desk that
	// then fails to write that the wallet never completed it
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)
	if res, _ := s.charge(w, device.Leave{BeforeCommand: 10}, app.Sale{Amount: 1250}); res.Outcome.Result != emv.Torn {
		t.Fatalf("first tap: %v", res.Outcome.Result)
	}
	s.co.Journal = failingJournal{Journal: s.db, refuse: app.KindTornCleared}

	// When the same phone pays again
	res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250})

	// Then the payment is approved and recorded, once; the torn tap stays
	// open for the wallet's next tap
	if err != nil || !res.Approved() || res.Entry == nil || res.Entry.Kind != app.KindPurchase {
		t.Fatalf("charge: %v %s %+v", err, res.Verdict(), res.Outcome.Reason)
	}
	if w.Balance() != 50000-1250 {
		t.Errorf("balance %d", w.Balance())
	}
	if open, _ := s.db.OpenTorn(ctx); len(open) != 1 {
		t.Errorf("open torn taps: %+v", open)
	}
}

func TestCharge_AnAnswerTheDeskCannotCheckAsksForTheSamePhoneAgain(t *testing.T) {
	ctx := context.Background()
	// Given a wallet whose answer to GENERATE AC is garbled on its way
	// (a bit of its signature flipped): it has paid
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)
	s.reader.Tap(garbleSignature{w}, device.Leave{})
	res, err := s.co.Charge(ctx, app.Sale{Amount: 1250, Cashier: app.Operator{ID: "li.na", Role: app.RoleCashier}})

	// Then the cashier is told to have the same phone tapped again, not
	// that it was declined, and the tap is kept as torn
	if err != nil || res.Verdict() != app.VerdictError || res.Outcome.Reason.Code != emv.ReasonUnverified.Code ||
		res.Entry == nil || res.Entry.Kind != app.KindTorn {
		t.Fatalf("charge: %v %s %+v", err, res.Verdict(), res.Outcome.Reason)
	}

	// When it is tapped again, then the payment is found, once
	res, err = s.charge(w, device.Leave{}, app.Sale{Amount: 1250})
	if err != nil || !res.Approved() || res.Outcome.Recovered == nil || w.Balance() != 50000-1250 {
		t.Fatalf("next tap: %v %s balance %d", err, res.Verdict(), w.Balance())
	}
}

// garbleSignature flips a bit of the last object of the wallet's answers
// to GENERATE AC: signed, or covered by the signature.
type garbleSignature struct{ device.Application }

func (g garbleSignature) Process(cmd []byte) []byte {
	resp := g.Application.Process(cmd)
	if len(cmd) > 1 && cmd[1] == 0xAE && len(resp) > 10 {
		resp = append([]byte(nil), resp...)
		resp[len(resp)-3] ^= 0x01
	}
	return resp
}
