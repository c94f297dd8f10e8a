package app_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
)

// exactlyOnce checks that a load of amount reached alice's phone, which
// held before, once and only once, and that nothing is left in flight.
func exactlyOnce(t *testing.T, b *branch, w interface{ Balance() int64 }, before, deposit, amount app.Money) {
	t.Helper()
	phone := app.Money(w.Balance())
	if phone != before+amount || b.bank.deposit("alice") != deposit-amount || b.bank.knownOf("alice") != phone {
		t.Errorf("phone %d, deposit %d, bank %d; want %d, %d, %d", phone, b.bank.deposit("alice"), b.bank.knownOf("alice"),
			before+amount, deposit-amount, before+amount)
	}
	if n := b.notes.count(); n != 0 {
		t.Errorf("%d notes left", n)
	}
	if f := b.bank.filed(); len(f) != 0 {
		t.Errorf("filed %+v", f)
	}
}

func TestTeller_ThePhoneLeavingAnywhereThenALookupTapNeverLoadsTwice(t *testing.T) {
	const commands = 16
	for i := 1; i <= commands; i++ {
		for _, mode := range []string{"before", "during", "after"} {
			leave := map[string]device.Leave{"before": {BeforeCommand: i}, "during": {DuringCommand: i}, "after": {AfterAnswers: i}}[mode]
			t.Run(fmt.Sprintf("%s command %d", mode, i), func(t *testing.T) {
				// Given a phone with 500.00 that leaves the reader at that moment
				ctx := context.Background()
				b := newBranch(t)
				w := b.bank.customer("alice", 100000, 50000)
				b.on(w, leave)
				res, err := b.teller.Load(ctx, teller, 20000, nil)

				// When, if it did not load, the teller looks the phone up by a tap, then loads it if it lacks the money
				if err != nil {
					b.on(w, device.Leave{})
					if _, err := b.teller.Lookup(ctx, teller, ""); err != nil {
						t.Fatalf("lookup tap: %v", err)
					}
					if w.Balance() == 50000 {
						if res, err = b.teller.Load(ctx, teller, 20000, nil); err != nil || res.Outcome != app.LoadDone {
							t.Fatalf("second load %+v, %v", res, err)
						}
					}
				}

				// Then 200.00 moved once, and nothing is left in flight or filed
				exactlyOnce(t, b, w, 50000, 100000, 20000)
			})
		}
	}
}

func TestTeller_AnyTapThatReadsThePhoneSettlesItsEarlierLoad(t *testing.T) {
	cases := []struct {
		name  string
		leave device.Leave
		tap   func(b *branch) (*app.NoteSettlement, error)
		// Then
		settled app.NoteOutcome
		took    bool
	}{
		{"a lookup tap, the phone took it", device.Leave{DuringCommand: 14}, lookupTap, app.NoteFinished, true},
		{"a lookup tap, the phone lacks it", device.Leave{BeforeCommand: 14}, lookupTap, app.NoteReturned, false},
		{"a re-entry tap, the phone took it", device.Leave{DuringCommand: 14}, reentryTap, app.NoteFinished, true},
		{"a re-entry tap, the phone lacks it", device.Leave{BeforeCommand: 14}, reentryTap, app.NoteReturned, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a load of 200.00 left unfinished
			b := newBranch(t)
			w := b.bank.customer("alice", 100000, 50000)
			b.on(w, tc.leave)
			if res, _ := b.teller.Load(context.Background(), teller, 20000, nil); res.Outcome != app.LoadUnfinished {
				t.Fatalf("first tap %v", res.Outcome)
			}

			// When the phone is tapped for something else
			b.on(w, device.Leave{})
			s, err := tc.tap(b)

			// Then that tap settled it
			if err != nil || s == nil || s.Outcome != tc.settled || s.Load.Amount != 20000 {
				t.Fatalf("settled %+v, %v", s, err)
			}
			took := app.Money(0)
			if tc.took {
				took = 20000
			}
			exactlyOnce(t, b, w, 50000, 100000, took)

			// And the next load loads, without a word of the earlier one
			res, err := b.teller.Load(context.Background(), teller, 20000, nil)
			if err != nil || res.Outcome != app.LoadDone || res.Returned != 0 {
				t.Fatalf("next load %+v, %v", res, err)
			}
			exactlyOnce(t, b, w, 50000, 100000, took+20000)
			// And the audit log tells all of it with the wallet number masked
			for _, e := range b.mem.audit {
				if strings.Contains(e.Detail, w.PAN()) {
					t.Errorf("audit line with the whole PAN: %s", e.Detail)
				}
			}
		})
	}
}

func lookupTap(b *branch) (*app.NoteSettlement, error) {
	l, err := b.teller.Lookup(context.Background(), teller, "")
	return l.Settled, err
}

func reentryTap(b *branch) (*app.NoteSettlement, error) {
	r, err := b.teller.ReEnter(context.Background(), teller, "phone reinstalled", nil)
	return r.Settled, err
}

// dying is the desk's process dying at one point of a load: the goroutine
// running it ends there, its deferred calls (the card closed) and nothing
// else run, as when the process is killed.
type dying struct {
	app.TellerBank
	app.LoadKernel
	at string
}

func (d dying) Load(ctx context.Context, key string, r app.BankLoad) (app.BankLoadAnswer, error) {
	if d.at == "before the bank hears of it" {
		runtime.Goexit()
	}
	a, err := d.TellerBank.Load(ctx, key, r)
	if d.at == "after the bank approved, before its answer is noted" {
		runtime.Goexit()
	}
	return a, err
}

func (d dying) FinishLoad(ctx context.Context, card emv.Card, st emv.LoadStart, ans emv.IssuerAnswer) (emv.LoadFinish, error) {
	if d.at == "after the answer is noted, before the script" {
		runtime.Goexit()
	}
	f, err := d.LoadKernel.FinishLoad(ctx, card, st, ans)
	if d.at == "after the script, before the note goes" {
		runtime.Goexit()
	}
	return f, err
}

func TestTeller_ADeskThatDiesMidLoadSettlesItAtTheNextTap(t *testing.T) {
	for _, at := range []string{
		"before the bank hears of it",
		"after the bank approved, before its answer is noted",
		"after the answer is noted, before the script",
		"after the script, before the note goes",
	} {
		for _, enrolledAgain := range []bool{false, true} {
			name := at
			if enrolledAgain {
				name += ", then enrolled again"
			}
			t.Run(name, func(t *testing.T) {
				// Given a desk that dies at that point of a load of 200.00
				b := newBranch(t)
				w := b.bank.customer("alice", 100000, 50000)
				b.on(w, device.Leave{})
				real := *b.teller
				d := dying{TellerBank: b.bank, LoadKernel: real.Kernel, at: at}
				dies := real
				dies.Bank, dies.Kernel = d, d
				ended := make(chan struct{})
				go func() {
					defer close(ended)
					_, _ = dies.Load(context.Background(), teller, 20000, nil)
					t.Error("the desk did not die")
				}()
				<-ended
				if enrolledAgain {
					b.bank.forget()
				}

				// When the desk starts again and the teller taps the phone to load 200.00
				restarted := real
				b.teller = &restarted
				res, err := b.teller.Load(context.Background(), teller, 20000, nil)

				// Then it moved once: the earlier load is found on the phone, or given back and loaded now
				if err != nil || (res.Outcome != app.LoadDone && res.Outcome != app.LoadFinished) {
					t.Fatalf("next tap %+v, %v", res, err)
				}
				exactlyOnce(t, b, w, 50000, 100000, 20000)
			})
		}
	}
}

func TestTeller_ANoteTheDeskCannotWrite(t *testing.T) {
	cases := []struct {
		name string
		fail int // the write that fails
		// Then
		outcome app.LoadOutcome
		asked   bool
	}{
		{"before the bank is asked: nothing is asked", 1, app.LoadFailed, false},
		{"with the bank's answer: the phone is given nothing", 2, app.LoadUnfinished, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk whose notes cannot be written from that write on
			b := newBranch(t)
			w := b.bank.customer("alice", 100000, 50000)
			b.on(w, device.Leave{})
			b.notes.fail = tc.fail

			// When it loads 200.00
			res, _ := b.teller.Load(context.Background(), teller, 20000, nil)

			// Then the load stops where the desk can no longer remember it
			if res.Outcome != tc.outcome || slices.Contains(b.bank.calls, "load") != tc.asked || w.Balance() != 50000 {
				t.Fatalf("%+v; bank %v; phone %d", res, b.bank.calls, w.Balance())
			}
			// And once the disk is back, the next tap loads 200.00 once
			b.notes.fail = 0
			if res, err := b.teller.Load(context.Background(), teller, 20000, nil); err != nil || res.Outcome != app.LoadDone {
				t.Fatalf("next tap %+v, %v", res, err)
			}
			exactlyOnce(t, b, w, 50000, 100000, 20000)
		})
	}
}

func TestTeller_AReturnSentAgainByAnotherTellerIsTheSameRequest(t *testing.T) {
	// Given a load li.na's tap left unfinished (the phone refused the ARPC)
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{})
	b.bank.spoilARPC = true
	if res, _ := b.teller.Load(ctx, teller, 20000, nil); res.Outcome != app.LoadUnfinished {
		t.Fatalf("first tap %v", res.Outcome)
	}
	// And her next tap, whose return to the deposit the bank did but whose answer was lost
	b.bank.loseAnswer = true
	if res, err := b.teller.Load(ctx, teller, 20000, nil); !errors.Is(err, app.ErrUnfinishedLoad) || res.Returned != 0 {
		t.Fatalf("second tap %+v, %v", res, err)
	}

	// When another teller taps the phone to load 200.00
	wang := app.Operator{ID: "wang.fang", Role: app.RoleTeller}
	res, err := b.teller.Load(ctx, wang, 20000, nil)

	// Then the return is sent again as it was (same key, same body), answered, and not done twice
	if err != nil || res.Outcome != app.LoadDone || res.Returned != 20000 {
		t.Fatalf("third tap %+v, %v", res, err)
	}
	exactlyOnce(t, b, w, 50000, 100000, 20000)
	if got := b.bank.wallets[w.PAN()+"/"+w.PSN()].ops; !slices.Equal(got, []string{"load:li.na", "unload:li.na", "load:wang.fang"}) {
		t.Errorf("bank records %v", got)
	}
}

func TestTeller_ALoadTheBankWillNotTakeBackIsFiled(t *testing.T) {
	// Given a load the phone never took, which the bank refuses to give back
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{BeforeCommand: 14})
	first, _ := b.teller.Load(ctx, teller, 20000, nil)
	b.bank.refuseReturns = true

	// When the phone is tapped again
	b.on(w, device.Leave{})
	res, err := b.teller.Load(ctx, teller, 20000, nil)

	// Then the desk files it with the bank and forgets it; nothing more is loaded
	if !errors.Is(err, app.ErrNeedsBank) || res.Outcome != app.LoadRefused || w.Balance() != 50000 {
		t.Fatalf("%+v, %v", res, err)
	}
	if f := b.bank.filed(); len(f) != 1 || f[0].ATC != first.ATC || !strings.Contains(f[0].Detail, "insufficient_funds") {
		t.Errorf("filed %+v", f)
	}
	if b.notes.count() != 0 {
		t.Error("the note stayed")
	}
}

func TestTeller_AnUnansweredLoadTheBankNeverDidIsForgotten(t *testing.T) {
	// Given a load the bank never heard of, then a hotlist of the wallet
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{})
	b.bank.downOn = "load"
	if res, err := b.teller.Load(ctx, teller, 20000, nil); res.Outcome != app.LoadUnfinished || !errors.Is(err, app.ErrBankUnavailable) {
		t.Fatalf("first tap %+v, %v", res, err)
	}
	b.bank.downOn = ""
	b.bank.wallets[w.PAN()+"/"+w.PSN()].hot = true

	// When the phone is looked up by a tap
	look, err := b.teller.Lookup(ctx, teller, "")

	// Then the bank, asked again, refuses it, its statement has no such load, and the desk forgets it
	if err != nil || look.Settled == nil || look.Settled.Outcome != app.NoteNotDone || !look.Bank.Hotlisted() {
		t.Fatalf("lookup %+v, %v", look, err)
	}
	if s := app.SettledText(look.Settled, app.SimplifiedChinese); !strings.Contains(s, "200.00") {
		t.Errorf("settled %q", s)
	}
	exactlyOnce(t, b, w, 50000, 100000, 0)
}

func TestTeller_AnUnfinishedLoadIsNeverSettledWithoutTheBank(t *testing.T) {
	// Given a load the phone never took, and a bank that went away since
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{BeforeCommand: 14})
	if res, _ := b.teller.Load(ctx, teller, 20000, nil); res.Outcome != app.LoadUnfinished {
		t.Fatalf("first tap %v", res.Outcome)
	}
	b.bank.down = true

	// When the phone is tapped, twice
	b.on(w, device.Leave{})
	for range 2 {
		_, err := b.teller.Lookup(ctx, teller, "")
		// Then each tap says the load waits, and keeps it
		if !errors.Is(err, app.ErrUnfinishedLoad) || !errors.Is(err, app.ErrBankUnavailable) || b.notes.count() != 1 {
			t.Fatalf("lookup %v; %d notes", err, b.notes.count())
		}
	}

	// When the bank is back, the next tap gives it back once, though the phone's ATC moved on twice
	b.bank.down = false
	look, err := b.teller.Lookup(ctx, teller, "")
	if err != nil || look.Settled == nil || look.Settled.Outcome != app.NoteReturned {
		t.Fatalf("lookup %+v, %v", look, err)
	}
	exactlyOnce(t, b, w, 50000, 100000, 0)
}

func TestTeller_TheAuditLogMasksEveryWalletNumber(t *testing.T) {
	// Given a bank whose lookup fails with the wallet's URL in the error
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{})
	b.bank.downOn = "unload"
	b.teller.Bank = urlErrors{b.bank}

	// When a load is refused and an unload fails
	_, _ = b.teller.Load(ctx, teller, 20000, nil)
	_, _ = b.teller.Unload(ctx, teller, w.PAN(), "", 100, signs)

	// Then the audit log has the lines, never the whole number
	if len(b.mem.audit) < 2 {
		t.Fatalf("audit %+v", b.mem.audit)
	}
	for _, e := range b.mem.audit {
		if strings.Contains(e.Detail, w.PAN()) || !strings.Contains(e.Detail, app.MaskPAN(w.PAN())) {
			t.Errorf("audit line %q", e.Detail)
		}
	}
}

// urlErrors is a bank whose refusals of a load name the wallet's URL, as
// the desk's HTTP client's errors do.
type urlErrors struct{ *memBank }

func (u urlErrors) Load(_ context.Context, _ string, r app.BankLoad) (app.BankLoadAnswer, error) {
	return app.BankLoadAnswer{}, &app.BankError{Status: 403, Code: app.BankCodeForbidden,
		Message: "GET /v1/teller/wallets/" + r.PAN + ": refused"}
}

// FuzzTellerNote reads whatever the desk's table of notes might hold (a
// damaged disk, an older release's note) as a wallet's note: it is read,
// or refused with an error that says so, never a panic, and an unload of
// the wallet is refused either way.
func FuzzTellerNote(f *testing.F) {
	const pan, psn = "6231990000000019", "00"
	f.Add(`{"pan":"6231990000000019","psn":"00","atc":5,"amount":20000,"key":"K","target":70000}`)
	f.Add(`{"pan":"6231990000000019","psn":"00","atc":5,"amount":20000,"key":"K","unanswered":true,"request":{"ARQC":"AAEC"}}`)
	f.Add(`{"pan":"6231990000000019","psn":"00","atc":70000,"amount":-1,"filing":{"atc":"x"}}`)
	f.Add(`{"pan":"6231990000000018","psn":"00","amount":1,"key":"K"}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		notes := newMemNotes()
		notes.notes[pan+"-"+psn] = body
		// A bank that cannot be reached: the unload must stop before it.
		tl := &app.Teller{Bank: &memBank{t: t, down: true}, Desk: &tellerDesk{teller: true}, Notes: notes, Terminal: "BRANCH01"}
		_, err := tl.Unload(context.Background(), teller, pan, psn, 100, signs)
		if body == "" { // no note, as a dropped one
			if !errors.Is(err, app.ErrBankUnavailable) {
				t.Fatalf("no note: %v", err)
			}
			return
		}
		if !errors.Is(err, app.ErrTapFirst) && !strings.Contains(err.Error(), "damaged") {
			t.Fatalf("note %q: %v", body, err)
		}
	})
}
