package sync_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/device"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/wallet"
)

// tellerDesk is the teller's desk on the real bank: app.Teller over this
// package's client, the real kernel, the desk's real SQLite store for its
// notes and audit log, and a loopback reader the test puts the phone on.
type tellerDesk struct {
	b      *branch
	db     *store.DB
	teller *app.Teller
	reader *device.Loopback
	phone  device.Application
	leave  device.Leave
}

type enrolledTeller struct{}

func (enrolledTeller) IsTellerDesk(context.Context) (bool, error) { return true, nil }

func (b *branch) tellerDesk(bank app.TellerBank) *tellerDesk {
	b.t.Helper()
	db, err := store.Open(filepath.Join(b.t.TempDir(), "desk.db"))
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = db.Close() })
	d := &tellerDesk{b: b, db: db, reader: device.NewLoopback("L")}
	d.teller = &app.Teller{Bank: bank, Reader: d, Kernel: b.kernel, Desk: enrolledTeller{}, Audit: db, Notes: db, Terminal: "BRANCH1"}
	return d
}

// Tap presents the phone, leaving as d.leave says, once.
func (d *tellerDesk) Tap(ctx context.Context) (app.Card, error) {
	d.reader.Tap(d.phone, d.leave)
	d.leave = device.Leave{}
	return d.reader.Connect(ctx, "L")
}

// phone is a customer with deposit fen left after a wallet of load fen,
// and the phone's own login for uploads.
func (b *branch) phone(user string, deposit, load int64) (*wallet.Card, *banktest.Client) {
	b.t.Helper()
	if err := b.bank.AddCustomer(b.ctx, user, "s3cret-"+user, deposit+load); err != nil {
		b.t.Fatal(err)
	}
	c := banktest.Login(b.t, b.base, b.ca, user, "s3cret-"+user)
	return c.NewWallet(b.t, b.t.TempDir(), load), c
}

// owes is the bank's side of a customer: the deposit, and the e-cash it
// owes on the wallet.
func (b *branch) owes(t *testing.T, user string, w *wallet.Card) (deposit, ecash int64) {
	t.Helper()
	deposit, err1 := b.bank.Ledger().Balance(b.ctx, "deposit:"+user)
	ecash, err2 := b.bank.Ledger().Balance(b.ctx, "ecash:"+w.PAN()+"/"+w.PSN())
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	return deposit, ecash
}

// filed are the bank's open unfinished loads of the wallet.
func (b *branch) filed(t *testing.T, w *wallet.Card) []app.BankException {
	t.Helper()
	open, err := b.teller.Exceptions(b.ctx, app.ExceptionsOpen)
	if err != nil {
		t.Fatal(err)
	}
	var out []app.BankException
	for _, e := range open {
		if e.Kind == bank.ExceptionUnfinishedLoad && e.PAN == w.PAN() {
			out = append(out, e)
		}
	}
	return out
}

func TestTeller_OnTheRealBankTheLoadMovesMoneyExactlyOnceWhereverThePhoneLeaves(t *testing.T) {
	// One bank and one teller desk for every case; a customer each.
	// alice has a wallet per case (her logins are rate limited), so her
	// deposit is counted by what each case takes from it.
	b := newBranch(t)
	d := b.tellerDesk(b.teller)
	li := app.Operator{ID: "li.na", Role: app.RoleTeller}
	_, phone := b.phone("alice", 10_000_000, 0)
	const commands = 16 // of a load, as emv's tests count them
	for i := 1; i <= commands; i++ {
		for _, mode := range []string{"before", "during", "after"} {
			leave := map[string]device.Leave{"before": {BeforeCommand: i}, "during": {DuringCommand: i}, "after": {AfterAnswers: i}}[mode]
			t.Run(fmt.Sprintf("%s command %d", mode, i), func(t *testing.T) {
				// Given alice's phone with 500.00, which leaves the reader at that moment
				w := phone.NewWallet(t, t.TempDir(), 50000)
				d.phone, d.leave = w, leave
				deposit, _ := b.owes(t, "alice", w)

				// When the teller loads 200.00
				res, err := d.teller.Load(b.ctx, li, 20000, nil)

				// And, if that did not load, looks the phone up by a tap
				if err != nil {
					if _, err := d.teller.Lookup(b.ctx, li, ""); err != nil {
						t.Fatalf("lookup tap after %v: %v", res.Outcome, err)
					}
				}
				// And the phone spends 15.00 at a shop and uploads
				if r := b.shop.Send(t, b.shop.Purchase(t, w, 1500)); len(r) != 1 || r[0].State != "posted" {
					t.Fatalf("purchase %+v", r)
				}
				up := phone.Upload(t, w)
				// And the teller loads it again if it lacks the 200.00
				if w.Balance() == 50000-1500 {
					if res, err := d.teller.Load(b.ctx, li, 20000, nil); err != nil || res.Outcome != app.LoadDone {
						t.Fatalf("second load %+v, %v", res, err)
					}
				}

				// Then 200.00 left the deposit once and is on the phone once, as the bank says
				dep, ecash := b.owes(t, "alice", w)
				if w.Balance() != 70000-1500 || dep != deposit-20000 || ecash != w.Balance() {
					t.Fatalf("phone %d, deposit %d (was %d), e-cash %d", w.Balance(), dep, deposit, ecash)
				}
				// And the purchase chained at the bank: a load given back is not in the wallet's balance chain
				if up.Accepted != 1 || len(up.Rejected) != 0 {
					t.Errorf("upload %+v", up)
				}
				// And nothing is in flight at the desk or waiting in the bank's queue
				if _, err := d.db.TellerNote(b.ctx, w.PAN()+"-"+w.PSN()); !errors.Is(err, app.ErrNotFound) {
					t.Errorf("a note is left: %v", err)
				}
				if f := b.filed(t, w); len(f) != 0 {
					t.Errorf("filed %+v", f)
				}
			})
		}
	}
	if err := b.bank.Ledger().Balanced(b.ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTeller_OnTheRealBankALoadNoTapCanSettleIsInTheExceptionQueue(t *testing.T) {
	// Given a load the phone took while the desk did not hear it (the phone left during the script)
	b := newBranch(t)
	d := b.tellerDesk(b.teller)
	li := app.Operator{ID: "li.na", Role: app.RoleTeller}
	w, _ := b.phone("alice", 100000, 50000)
	d.phone, d.leave = w, device.Leave{DuringCommand: 14}
	first, _ := d.teller.Load(b.ctx, li, 20000, nil)
	if first.Outcome != app.LoadUnfinished || w.Balance() != 70000 {
		t.Fatalf("first load %+v; phone %d", first, w.Balance())
	}
	// And the phone loaded at another branch before it came back
	other := b.tellerDesk(b.client(b.desk("BRANCH2", true)).Teller())
	other.phone = w
	if res, err := other.teller.Load(b.ctx, li, 100, nil); err != nil || res.Outcome != app.LoadDone {
		t.Fatalf("at the other branch %+v, %v", res, err)
	}

	// When it is tapped at the first desk
	look, err := d.teller.Lookup(b.ctx, li, "")

	// Then the desk cannot tell, and the bank's exception queue has it; the desk forgets it
	if err != nil || look.Settled == nil || look.Settled.Outcome != app.NoteFiled {
		t.Fatalf("lookup %+v, %v", look, err)
	}
	f := b.filed(t, w)
	if len(f) != 1 || f[0].ATC != first.ATC || f[0].TerminalID == "" {
		t.Fatalf("filed %+v", f)
	}
	if _, err := d.db.TellerNote(b.ctx, w.PAN()+"-"+w.PSN()); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("a note is left: %v", err)
	}
	// And the money is where the phone says: nothing was created or lost
	dep, ecash := b.owes(t, "alice", w)
	if w.Balance() != 70100 || dep != 100000-20000-100 || ecash != 70100 {
		t.Errorf("phone %d, deposit %d, e-cash %d", w.Balance(), dep, ecash)
	}
}

func TestTeller_OnTheRealBankAReturnAfterANewEnrolment(t *testing.T) {
	// Given a load whose answer the desk lost (the bank did it), at a desk enrolled again since
	b := newBranch(t)
	w, _ := b.phone("alice", 100000, 50000)
	li := app.Operator{ID: "li.na", Role: app.RoleTeller}
	d := b.tellerDesk(lostAnswer{Teller: b.teller})
	d.phone = w
	if res, err := d.teller.Load(b.ctx, li, 20000, nil); res.Outcome != app.LoadUnfinished || !errors.Is(err, app.ErrBankUnavailable) {
		t.Fatalf("first load %+v, %v", res, err)
	}
	d.teller.Bank = b.client(b.desk("BRANCH1", true)).Teller()

	// When the teller taps the phone to load 200.00
	res, err := d.teller.Load(b.ctx, li, 20000, nil)

	// Then the bank's "answered already" is taken for done: the earlier load goes back, and this one loads
	if err != nil || res.Outcome != app.LoadDone || res.Returned != 20000 {
		t.Fatalf("second load %+v, %v", res, err)
	}
	dep, ecash := b.owes(t, "alice", w)
	if w.Balance() != 70000 || dep != 80000 || ecash != 70000 {
		t.Errorf("phone %d, deposit %d, e-cash %d", w.Balance(), dep, ecash)
	}
}

// lostAnswer is the bank's load done and its answer lost on the way.
type lostAnswer struct{ *desksync.Teller }

func (l lostAnswer) Load(ctx context.Context, key string, r app.BankLoad) (app.BankLoadAnswer, error) {
	if _, err := l.Teller.Load(ctx, key, r); err != nil {
		return app.BankLoadAnswer{}, err
	}
	return app.BankLoadAnswer{}, fmt.Errorf("%w: the answer was lost", app.ErrBankUnavailable)
}
