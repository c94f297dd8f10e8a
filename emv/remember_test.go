package emv_test

import (
	"context"
	"errors"
	"testing"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/issuance"
)

func TestKernel_TheTapIsRememberedOnceJustBeforeTheCardIsAskedToPay(t *testing.T) {
	iss := issuerFor(t)
	k := newKernel(t, iss)
	for _, tc := range []struct {
		name       string
		balance    int64
		refuse     error // what Remember answers
		result     emv.Result
		code       string
		remembered int
		paid       bool
	}{
		{name: "approved", balance: 50000, result: emv.Approved, code: "approved", remembered: 1, paid: true},
		{name: "declined before asking", balance: 1000, result: emv.Declined, code: "insufficient_balance"},
		{name: "the desk cannot write it down", balance: 50000, refuse: errors.New("disk full"),
			result: emv.Failed, code: "not_recorded", remembered: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet, and a desk that writes each tap down
			w := newWallet(t, iss, issuance.Request{Balance: tc.balance})
			var got []emv.TornTap
			var logged []int // the wallet's log length when the desk wrote the tap down
			remember := func(_ context.Context, tt emv.TornTap) error {
				got, logged = append(got, tt), append(logged, len(w.Log()))
				return tc.refuse
			}

			// When the customer pays 12.50
			out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250, Remember: remember})

			// Then the tap is written down once, before the wallet paid,
			// with what the next tap needs to ask the wallet again
			if out.Result != tc.result || out.Reason.Code != tc.code {
				t.Fatalf("outcome %v %q (%s)", out.Result, out.Reason.Code, out.Reason.Detail)
			}
			if len(got) != tc.remembered {
				t.Fatalf("remembered %d times, want %d", len(got), tc.remembered)
			}
			if len(got) == 1 {
				if logged[0] != 0 {
					t.Errorf("the wallet had paid before the desk wrote the tap down")
				}
				if got[0].PAN != w.PAN() || got[0].Amount != 1250 || len(got[0].UN) != 4 || len(got[0].CDOL1Data) == 0 {
					t.Errorf("remembered %+v", got[0])
				}
			}
			if paid := w.Balance() != tc.balance; paid != tc.paid {
				t.Errorf("balance %d from %d: paid %v, want %v", w.Balance(), tc.balance, paid, tc.paid)
			}
		})
	}
}

func TestKernel_ARefusalThatIsNotTheCardsIsATornTap(t *testing.T) {
	// Given a wallet whose TC reaches the desk with its CID turned into
	// an AAC (one bit), its signature still there
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	garbled := tamper{Application: w, response: onlyINS(0xAE, replaceValue(0x9F27, []byte{0x00}))}

	// When the customer pays
	out := tap(t, k, garbled, device.Leave{}, emv.Purchase{Amount: 1250})

	// Then the desk does not take it for the card's refusal: the wallet
	// paid, and the tap is torn, to be asked about
	if out.Result != emv.Torn || out.CardRefused || out.Tear == nil || out.Reason.Code != "answer_unverified" {
		t.Fatalf("outcome %v %q refused=%v tear=%v", out.Result, out.Reason.Code, out.CardRefused, out.Tear != nil)
	}
	// And the same phone tapped again is found to have paid, once
	again := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250, Recover: []emv.TornTap{*out.Tear}})
	if again.Result != emv.Approved || again.Recovered == nil || w.Balance() != 50000-1250 {
		t.Fatalf("next tap %v %q recovered=%v balance %d", again.Result, again.Reason.Code, again.Recovered != nil, w.Balance())
	}
}

func TestKernel_ATornTapTheCardRefusedIsNotAPayment(t *testing.T) {
	// Given a tap whose wallet refused (it was asked for an AAC) and whose
	// answer never reached the desk
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	askAAC := askingAAC(w)
	n := commandsPerPurchase(t, k, iss)
	first := tap(t, k, askAAC, device.Leave{DuringCommand: n}, emv.Purchase{Amount: 1250})
	if first.Result != emv.Torn || first.Tear == nil {
		t.Fatalf("first tap %v %q", first.Result, first.Reason.Code)
	}

	// When the same phone is tapped again
	out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 700, Recover: []emv.TornTap{*first.Tear}})

	// Then the wallet's signed refusal settles the torn tap as unpaid, and
	// this tap is a new purchase of its own amount
	if out.Result != emv.Approved || out.Recovered != nil || out.Uncharged == nil || out.Amount != 700 {
		t.Fatalf("outcome %v %q recovered=%v uncharged=%v amount %d", out.Result, out.Reason.Code,
			out.Recovered != nil, out.Uncharged != nil, out.Amount)
	}
	if w.Balance() != 50000-700 {
		t.Errorf("balance %d", w.Balance())
	}
}

func TestKernel_TheCardsOwnRefusalSettlesTheTap(t *testing.T) {
	// Given a wallet asked for an AAC: its refusal, signed
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	askAAC := askingAAC(w)

	// When the customer pays
	out := tap(t, k, askAAC, device.Leave{}, emv.Purchase{Amount: 1250})

	// Then the desk takes the card at its word: declined, nothing paid, nothing to ask again
	if out.Result != emv.Declined || !out.CardRefused || out.Tear != nil || out.Reason.Code != "declined_by_card" {
		t.Fatalf("outcome %v %q refused=%v tear=%v", out.Result, out.Reason.Code, out.CardRefused, out.Tear != nil)
	}
	if w.Balance() != 50000 {
		t.Errorf("balance %d", w.Balance())
	}
}

// askingAAC is app with the desk's GENERATE AC asking for an AAC (with
// CDA): the wallet refuses, and signs its refusal.
func askingAAC(app device.Application) device.Application {
	return tamper{Application: app, command: func(cmd []byte) []byte {
		if isINS(cmd, 0xAE) {
			cmd[2] = 0x10
		}
		return cmd
	}}
}

func TestKernel_AStatusAloneIsTheCardsRefusalAStatusWithDataIsNot(t *testing.T) {
	iss := issuerFor(t)
	k := newKernel(t, iss)
	for _, tc := range []struct {
		name    string
		answer  func(resp []byte) []byte
		result  emv.Result
		refused bool
	}{
		{"69 85 alone", func([]byte) []byte { return []byte{0x69, 0x85} }, emv.Declined, true},
		{"an answer ending 69 85", func(resp []byte) []byte {
			return append(resp[:len(resp)-2:len(resp)-2], 0x69, 0x85)
		}, emv.Torn, false},
		{"two bytes of an answer, cut", func(resp []byte) []byte { return resp[:2] }, emv.Torn, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet whose answer to GENERATE AC reaches the desk so
			w := newWallet(t, iss, issuance.Request{Balance: 50000})
			app := tamper{Application: w, response: onlyINS(0xAE, func(_, resp []byte) []byte { return tc.answer(resp) })}

			// When the customer pays
			out := tap(t, k, app, device.Leave{}, emv.Purchase{Amount: 1250})

			// Then only a status alone is taken for the card's refusal
			if out.Result != tc.result || out.CardRefused != tc.refused || (out.Tear != nil) == tc.refused {
				t.Fatalf("outcome %v %q refused=%v tear=%v", out.Result, out.Reason.Code, out.CardRefused, out.Tear != nil)
			}
		})
	}
}
