package emv_test

import (
	"bytes"
	"fmt"
	"testing"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/issuance"
)

// commandsPerPurchase counts the commands of an uninterrupted purchase.
func commandsPerPurchase(t *testing.T, k *emv.Kernel, iss *issuance.Issuer) int {
	t.Helper()
	out := tap(t, k, newWallet(t, iss, issuance.Request{}), device.Leave{}, emv.Purchase{Amount: 1250})
	if out.Result != emv.Approved {
		t.Fatalf("baseline purchase: %v %+v", out.Result, out.Reason)
	}
	return out.Commands
}

func TestKernel_CardLeavingAtEveryCommandNeverChargesTwice(t *testing.T) {
	iss := issuerFor(t)
	k := newKernel(t, iss)
	n := commandsPerPurchase(t, k, iss)
	for i := 1; i <= n; i++ {
		for _, mode := range []string{"before", "during", "after"} {
			leave := map[string]device.Leave{
				"before": {BeforeCommand: i}, "during": {DuringCommand: i}, "after": {AfterAnswers: i},
			}[mode]
			t.Run(fmt.Sprintf("%s command %d of %d", mode, i, n), func(t *testing.T) {
				// Given a customer who lifts the phone at that moment, then taps again
				w := newWallet(t, iss, issuance.Request{Balance: 50000})
				var open []emv.TornTap
				var approved []emv.Outcome
				var outcomes []emv.Result
				for attempt := 0; attempt < 3 && len(approved) == 0; attempt++ {
					l := device.Leave{}
					if attempt == 0 {
						l = leave
					}
					// When the desk runs the purchase, handing back torn taps it keeps
					out := tap(t, k, w, l, emv.Purchase{Amount: 1250, Recover: open})
					outcomes = append(outcomes, out.Result)
					switch out.Result {
					case emv.Approved:
						approved = append(approved, out)
					case emv.Torn:
						open = append(open, *out.Tear)
					case emv.CardLeft:
					default:
						t.Fatalf("attempt %d: %v %+v", attempt, out.Result, out.Reason)
					}
				}

				// Then exactly one purchase is approved and the wallet paid exactly once
				if len(approved) != 1 {
					t.Fatalf("approved %d times (outcomes %v)", len(approved), outcomes)
				}
				if got := w.Balance(); got != 50000-1250 {
					t.Fatalf("balance %d, want %d (outcomes %v)", got, 50000-1250, outcomes)
				}
				tcs := 0
				for _, e := range w.Log() {
					if len(e.CID) == 1 && e.CID[0]&0xC0 == 0x40 {
						tcs++
					}
				}
				if tcs != 1 {
					t.Fatalf("the wallet logged %d TCs", tcs)
				}
				// And what the desk approved is the wallet's own purchase
				out := approved[0]
				last := w.Log()[len(w.Log())-1]
				if !bytes.Equal(out.AC, last.AC) || out.ATC != last.ATC {
					t.Errorf("desk has AC %X ATC %d, wallet logged AC %X ATC %d", out.AC, out.ATC, last.AC, last.ATC)
				}
				// And a tear that reached the card is recovered, not charged again
				if outcomes[0] == emv.Torn && (mode == "during" && i == n) != (out.Recovered != nil) {
					t.Errorf("torn at GENERATE AC must be recovered; recovered=%v uncharged=%v", out.Recovered != nil, out.Uncharged != nil)
				}
			})
		}
	}
}

func TestKernel_TornTapOfAnotherCardIsLeftAlone(t *testing.T) {
	// Given a torn tap by one wallet
	iss := issuerFor(t)
	k := newKernel(t, iss)
	first := newWallet(t, iss, issuance.Request{})
	n := commandsPerPurchase(t, k, iss)
	torn := tap(t, k, first, device.Leave{DuringCommand: n}, emv.Purchase{Amount: 1250})
	if torn.Result != emv.Torn {
		t.Fatalf("first tap: %v", torn.Result)
	}

	// When another wallet is tapped
	other := newWallet(t, iss, issuance.Request{})
	out := tap(t, k, other, device.Leave{}, emv.Purchase{Amount: 800, Recover: []emv.TornTap{*torn.Tear}})

	// Then it pays its own purchase, and the torn tap stays open
	if out.Result != emv.Approved || out.Recovered != nil || out.Uncharged != nil || out.Amount != 800 {
		t.Fatalf("%v recovered=%v uncharged=%v amount=%d", out.Result, out.Recovered, out.Uncharged, out.Amount)
	}
}

func TestKernel_ForeignCardLayouts(t *testing.T) {
	iss := issuerFor(t)
	cases := []struct {
		name    string
		profile issuance.Profile
	}{
		{"other PDOL and CDOL1 with tags the desk does not know", issuance.Profile{
			PDOL:  h("9F66 04 9F02 06 DF8101 03 9F37 04 9F7C 05 5F2A 02 9A 03"),
			CDOL1: h("9F37 04 9F02 06 DF8102 02 5F2A 02 9A 03 9C 01 95 05 9F1A 02 9F03 06"),
		}},
		{"signed records in SFI 12, hashed with their template", issuance.Profile{
			Records: []issuance.RecordSpec{
				{SFI: 1, Record: 1, Tags: h2tags(0x9F08, 0x5F28, 0x9F07, 0x8C, 0x8D, 0x9F51)},
				{SFI: 12, Record: 1, Signed: true, Tags: h2tags(0x5A, 0x5F34, 0x5F24, 0x5F25, 0x9F78)},
				{SFI: 12, Record: 2, Signed: true, Tags: h2tags(0x9F6D, 0x9F4A, 0x8F, 0x9F32, 0x92)},
				{SFI: 2, Record: 1, Signed: true, Tags: h2tags(0x9F47, 0x9F48)},
				{SFI: 3, Record: 1, Tags: h2tags(0x90)},
				{SFI: 4, Record: 1, Tags: h2tags(0x9F46)},
			},
		}},
		{"long-form lengths (81)", issuance.Profile{Lengths: issuance.Long81}},
		{"long-form lengths (82)", issuance.Profile{Lengths: issuance.Long82}},
		{"00 padding between objects", issuance.Profile{Padding: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a card laid out as another issuer would
			w := newWallet(t, iss, issuance.Request{Profile: tc.profile})
			k := newKernel(t, iss)

			// When the customer pays
			out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250})

			// Then the desk approves it, with CDA verified
			if out.Result != emv.Approved || w.Balance() != 50000-1250 {
				t.Fatalf("%v %q %s; balance %d", out.Result, out.Reason.Code, out.Reason.Detail, w.Balance())
			}
		})
	}
}

func TestKernel_TornBeforeTheCardRanGenerateACIsNotCharged(t *testing.T) {
	// Given a tap torn as GENERATE AC was sent, before the card ran it
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	n := commandsPerPurchase(t, k, iss)
	torn := tap(t, k, w, device.Leave{BeforeCommand: n}, emv.Purchase{Amount: 1250})
	if torn.Result != emv.Torn || w.Balance() != 50000 {
		t.Fatalf("first tap: %v, balance %d", torn.Result, w.Balance())
	}

	// When the same phone is tapped again
	out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250, Recover: []emv.TornTap{*torn.Tear}})

	// Then the card says the torn tap never completed, and this tap pays once
	if out.Result != emv.Approved || out.Uncharged == nil || out.Recovered != nil {
		t.Fatalf("%v uncharged=%v recovered=%v", out.Result, out.Uncharged != nil, out.Recovered != nil)
	}
	if w.Balance() != 50000-1250 {
		t.Fatalf("balance %d", w.Balance())
	}
}
