package emv_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/issuance"
	"lingqian/wallet"
)

// onReader puts app in a loopback reader's field and opens the session a
// teller's desk has with it for the whole load.
func onReader(t *testing.T, app device.Application, leave device.Leave) emv.Card {
	t.Helper()
	r := device.NewLoopback("Loopback 00 00")
	r.Tap(app, leave)
	card, err := r.Connect(context.Background(), "Loopback 00 00")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = card.Close() })
	return card
}

// bankAnswer is what the bank answers an ARQC it verified: the ARPC for
// "00" and the script that sets the phone's balance plus the load.
func bankAnswer(t *testing.T, iss *issuance.Issuer, w *wallet.Card, st emv.LoadStart) emv.IssuerAnswer {
	t.Helper()
	cvr, err := issuance.ParseIAD(st.IAD)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := iss.VerifyAC(w.PAN(), w.PSN(), st.ATC, issuance.ACData(st.CDOL1Data, w.Personalisation().AIP, st.ATC, cvr), st.ARQC)
	if err != nil || !ok {
		t.Fatalf("the ARQC does not verify: %v", err)
	}
	arc := [2]byte{'0', '0'}
	arpc, err := iss.ARPC(w.PAN(), w.PSN(), st.ATC, st.ARQC, arc)
	if err != nil {
		t.Fatal(err)
	}
	script, err := iss.BalanceScript(w.PAN(), w.PSN(), st.ATC, st.ARQC, st.Wallet.Balance+st.Amount)
	if err != nil {
		t.Fatal(err)
	}
	return emv.IssuerAnswer{ARPC: arpc, ARC: arc, Script: script}
}

func TestLoad_ThePhoneGetsExactlyTheAmount(t *testing.T) {
	// Given a wallet holding 500.00 on the reader
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	card := onReader(t, w, device.Leave{})
	ctx := context.Background()

	// When the desk asks it for an ARQC for 200.00
	var steps []emv.LoadStep
	st, err := k.StartLoad(ctx, card, emv.Load{Amount: 20000, At: today, Progress: func(s emv.LoadStep) { steps = append(steps, s) }})
	if err != nil {
		t.Fatal(err)
	}

	// Then it read the wallet and has what the bank needs
	if st.Wallet.PAN != w.PAN() || st.Wallet.PSN != w.PSN() || st.Wallet.Balance != 50000 || st.Wallet.ATC != w.ATC() {
		t.Errorf("read %+v, wallet %s/%s balance %d ATC %d", st.Wallet, w.PAN(), w.PSN(), w.Balance(), w.ATC())
	}
	if st.CID&0xC0 != 0x80 || len(st.ARQC) != 8 || len(st.IAD) == 0 || st.ATC != w.ATC() || len(st.CDOL2) == 0 {
		t.Errorf("ARQC answer %+v", st)
	}

	// When the bank's ARPC and script go back to the phone
	f, err := k.FinishLoad(ctx, card, st, bankAnswer(t, iss, w, st))
	if err != nil {
		t.Fatal(err)
	}

	// Then the phone took both, closed with a TC, and holds 700.00
	if !f.IssuerAuthenticated || !f.ScriptApplied || f.CID&0xC0 != 0x40 || !f.BalanceRead || f.Balance != 70000 {
		t.Errorf("finish %+v", f)
	}
	if w.Balance() != 70000 || w.LastOnlineATC() != st.ATC {
		t.Errorf("wallet balance %d, last online ATC %d (load ATC %d)", w.Balance(), w.LastOnlineATC(), st.ATC)
	}
	// And each step was announced as it began, through both halves
	want := []emv.LoadStep{emv.StepSelect, emv.StepRead, emv.StepBalance, emv.StepARQC,
		emv.StepIssuerAuth, emv.StepScript, emv.StepClose, emv.StepBalanceNext}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
}

func TestLoad_ReadWallet(t *testing.T) {
	// Given a wallet that made one purchase
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 30000})
	if out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250}); out.Result != emv.Approved {
		t.Fatalf("purchase %v %+v", out.Result, out.Reason)
	}

	// When the teller reads it
	r, err := k.ReadWallet(context.Background(), onReader(t, w, device.Leave{}))

	// Then the desk sees its number, balance and counter, and no money moved
	if err != nil {
		t.Fatal(err)
	}
	if r.PAN != w.PAN() || r.PSN != w.PSN() || r.Balance != 28750 || r.ATC != w.ATC() || r.Currency != "156" || !r.HasLastOnline {
		t.Errorf("read %+v; wallet balance %d ATC %d", r, w.Balance(), w.ATC())
	}
	if w.Balance() != 28750 {
		t.Errorf("reading moved money: %d", w.Balance())
	}
}

// failing is a load whose phone misbehaves somewhere.
type failing struct {
	name   string
	leave  device.Leave
	tamper func(cmd, resp []byte) []byte
	answer func(a *emv.IssuerAnswer)
	// Then
	step     emv.LoadStep
	is       error
	sw       emv.SW
	issuerOK bool
	script   bool
	balance  int64 // on the phone after
}

func TestLoad_WhenThePhoneMisbehaves(t *testing.T) {
	iss := issuerFor(t)
	k := newKernel(t, iss)
	// The commands of a load: PPSE, AID, GPO, the 5 records of the AFL,
	// 9F79, 9F36, 9F13, ARQC, EXTERNAL AUTHENTICATE, script, TC, 9F79.
	const arqc, extAuth, script, tc = 12, 13, 14, 15
	cases := []failing{
		{name: "the phone leaves before the ARQC", leave: device.Leave{BeforeCommand: arqc},
			step: emv.StepARQC, is: emv.ErrCardLeft, balance: 50000},
		{name: "the phone leaves while the bank answers", leave: device.Leave{AfterAnswers: arqc},
			step: emv.StepIssuerAuth, is: emv.ErrCardLeft, balance: 50000},
		{name: "the phone leaves before the script", leave: device.Leave{AfterAnswers: extAuth},
			step: emv.StepScript, is: emv.ErrCardLeft, issuerOK: true, balance: 50000},
		{name: "the phone leaves during the script", leave: device.Leave{DuringCommand: script},
			step: emv.StepScript, is: emv.ErrCardLeft, issuerOK: true, balance: 70000},
		{name: "the phone leaves after the script", leave: device.Leave{AfterAnswers: script},
			step: emv.StepClose, is: emv.ErrCardLeft, issuerOK: true, script: true, balance: 70000},
		{name: "the phone leaves before the balance after", leave: device.Leave{AfterAnswers: tc},
			step: emv.StepBalanceNext, is: emv.ErrCardLeft, issuerOK: true, script: true, balance: 70000},
		{name: "a wrong ARPC", answer: func(a *emv.IssuerAnswer) { a.ARPC[0] ^= 1 },
			step: emv.StepIssuerAuth, is: emv.ErrCardRefused, sw: 0x6300, balance: 50000},
		{name: "a script with a wrong MAC", answer: func(a *emv.IssuerAnswer) { a.Script[len(a.Script)-1] ^= 1 },
			step: emv.StepScript, is: emv.ErrCardRefused, sw: 0x6988, issuerOK: true, balance: 50000},
		{name: "the phone declines the load", tamper: onlyINS(0xAE, replaceValue(0x9F27, []byte{0x00})),
			step: emv.StepARQC, is: emv.ErrCardRefused, balance: 50000},
		{name: "the phone answers a TC to an ARQC", tamper: onlyINS(0xAE, replaceValue(0x9F27, []byte{0x40})),
			step: emv.StepARQC, is: emv.ErrCardAnswer, balance: 50000},
		{name: "garbage for a cryptogram", tamper: onlyINS(0xAE, func(_, _ []byte) []byte { return []byte{0x77, 0x05, 1, 0x90, 0x00} }),
			step: emv.StepARQC, is: emv.ErrCardAnswer, balance: 50000},
		{name: "garbage for a balance", tamper: onlyINS(0xCA, func(_, _ []byte) []byte { return []byte{0x9F, 0x79, 0x06, 0xAA, 0x90, 0x00} }),
			step: emv.StepBalance, is: emv.ErrCardAnswer, balance: 50000},
		{name: "an empty answer", tamper: func(cmd, resp []byte) []byte {
			if isINS(cmd, 0x82) {
				return nil
			}
			return resp
		}, step: emv.StepIssuerAuth, is: emv.ErrCardLeft, balance: 50000},
		{name: "the GET DATA after the script refused", tamper: secondBalance([]byte{0x6A, 0x88}),
			step: emv.StepBalanceNext, is: emv.ErrCardRefused, sw: 0x6A88, issuerOK: true, script: true, balance: 70000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet holding 500.00 that misbehaves so
			w := newWallet(t, iss, issuance.Request{Balance: 50000})
			var app device.Application = w
			if tc.tamper != nil {
				app = tamper{Application: w, response: tc.tamper}
			}
			card := onReader(t, app, tc.leave)
			ctx := context.Background()

			// When the desk runs a load of 200.00 as far as it goes
			st, err := k.StartLoad(ctx, card, emv.Load{Amount: 20000, At: today})
			var f emv.LoadFinish
			if err == nil {
				a := bankAnswer(t, iss, w, st)
				if tc.answer != nil {
					tc.answer(&a)
				}
				f, err = k.FinishLoad(ctx, card, st, a)
			}

			// Then it stops at the step, says why, and never panics
			var le *emv.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T), want a LoadError", err, err)
			}
			if le.Step != tc.step || !errors.Is(err, tc.is) || le.SW != tc.sw {
				t.Errorf("stopped at %s with %v (SW %04X), want %s, %v, %04X", le.Step, err, uint16(le.SW), tc.step, tc.is, uint16(tc.sw))
			}
			if f.IssuerAuthenticated != tc.issuerOK || f.ScriptApplied != tc.script {
				t.Errorf("finish %+v, want issuer authenticated %v, script %v", f, tc.issuerOK, tc.script)
			}
			if w.Balance() != tc.balance {
				t.Errorf("the phone holds %d, want %d", w.Balance(), tc.balance)
			}
		})
	}
}

func TestLoad_RefusesABadAnswerFromTheBank(t *testing.T) {
	iss := issuerFor(t)
	k := newKernel(t, iss)
	for name, spoil := range map[string]func(a *emv.IssuerAnswer){
		"a short ARPC":         func(a *emv.IssuerAnswer) { a.ARPC = a.ARPC[:4] },
		"a script too short":   func(a *emv.IssuerAnswer) { a.Script = a.Script[:3] },
		"a script's Lc wrong":  func(a *emv.IssuerAnswer) { a.Script[4]++ },
		"a script with no Lc":  func(a *emv.IssuerAnswer) { a.Script[4] = 0 },
		"a script of class FF": func(a *emv.IssuerAnswer) { a.Script[0] = 0xFF },
	} {
		t.Run(name, func(t *testing.T) {
			// Given a phone with its ARQC made
			w := newWallet(t, iss, issuance.Request{Balance: 50000})
			card := onReader(t, w, device.Leave{})
			st, err := k.StartLoad(context.Background(), card, emv.Load{Amount: 100, At: today})
			if err != nil {
				t.Fatal(err)
			}
			// When the bank's answer is not well formed
			a := bankAnswer(t, iss, w, st)
			spoil(&a)
			f, err := k.FinishLoad(context.Background(), card, st, a)
			// Then nothing reaches the phone
			if err == nil || f.Commands != 0 || f.IssuerAuthenticated {
				t.Errorf("finish %+v, %v", f, err)
			}
		})
	}
}

func TestLoad_NoWallet(t *testing.T) {
	k := newKernel(t, issuerFor(t))
	card := onReader(t, notAWallet{}, device.Leave{})
	_, err := k.ReadWallet(context.Background(), card)
	if !errors.Is(err, emv.ErrNoWallet) {
		t.Errorf("a card without the wallet: %v", err)
	}
	if _, err := k.StartLoad(context.Background(), card, emv.Load{Amount: 0}); err == nil {
		t.Error("a load of nothing was started")
	}
}

// secondBalance answers the second GET DATA 9F79 of a tap with resp.
func secondBalance(resp []byte) func(cmd, resp []byte) []byte {
	n := 0
	return func(cmd, r []byte) []byte {
		if isINS(cmd, 0xCA) && len(cmd) > 3 && cmd[2] == 0x9F && cmd[3] == 0x79 {
			if n++; n == 2 {
				return resp
			}
		}
		return r
	}
}

// notAWallet is a card with no application the desk knows.
type notAWallet struct{}

func (notAWallet) Reset()                {}
func (notAWallet) Process([]byte) []byte { return []byte{0x6A, 0x82} }
