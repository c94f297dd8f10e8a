package bank

import (
	"context"
	"reflect"
	"testing"
)

// clearAs clears preps as one batch from desk, one statement per question
// or set-based as handleBatch does.
func (b *Bank) clearAs(tb testing.TB, desk *Desk, preps []*prepared, setBased bool) []Result {
	tb.Helper()
	bs := newBatchState(desk, preps)
	var resp BatchResponse
	err := b.store.Write(context.Background(), func(tx Tx) error {
		var err error
		if !setBased {
			resp, err = b.clearBatch(tx, bs, preps)
			return err
		}
		btx, err := newBatchTx(tx, desk.TerminalID, preps)
		if err != nil {
			return err
		}
		if resp, err = b.clearBatch(btx, bs, preps); err != nil {
			return err
		}
		return btx.flush()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return resp.Results
}

func TestClearing_ACryptogramSpentOnceIsAReplayFromAnyDeskInAnyBatch(t *testing.T) {
	// Given a wallet issued before CDOL1 signed the merchant and terminal
	// (so any desk can send its cryptograms), on two copies of a bank, and
	// desks of two merchants
	plain, setBased := copyBank(t, writerBank(t, t.TempDir(), 1, 100000), t.TempDir())
	other := &Desk{TerminalID: "T0000009", MerchantID: "M009", CertSerial: "09", NotAfter: writerNow.AddDate(1, 0, 0), Enrolled: writerNow}
	for _, b := range []*Bank{plain, setBased} {
		if err := b.store.Write(context.Background(), func(tx Tx) error { return tx.CreateDesk(*other) }); err != nil {
			t.Fatal(err)
		}
	}
	ours := plain.testDesk(t)
	seq := int64(0)
	// msg is desk's purchase of 30.00 at ATC 1 with the cryptogram ac,
	// under a new key and seq; as is another merchant's copy of it.
	msg := func(desk *Desk, ac byte) *prepared {
		seq++
		p := verified(KindPurchase, seq, 0, desk.TerminalID+"-"+string(rune('a'+seq)), 0, 1, 3000, ac)
		p.msg.TerminalID, p.msg.MerchantID = desk.TerminalID, desk.MerchantID
		return p
	}
	as := func(p *prepared, merchant string) *prepared {
		p.msg.MerchantID = merchant
		return p
	}
	steps := []struct {
		name  string
		desk  *Desk
		preps []*prepared
		// Then
		reasons []string
	}{
		{"another merchant's copy is refused, and spends nothing", other, []*prepared{as(msg(other, 0x20), "M001")},
			[]string{ReasonWrongMerchant}},
		{"the genuine cryptogram holds the ATC", ours, []*prepared{msg(ours, 0x10)}, []string{""}},
		{"a copy's cryptogram is paid from the loss account", ours, []*prepared{msg(ours, 0x20)}, []string{""}},
		{"the copy's again, from its desk", ours, []*prepared{msg(ours, 0x20)}, []string{ReasonReplayed}},
		{"the copy's again, from another merchant's desk", other, []*prepared{msg(other, 0x20)}, []string{ReasonReplayed}},
		{"the genuine one again, from another merchant's desk", other, []*prepared{msg(other, 0x10)}, []string{ReasonReplayed}},
		{"a second copy's, twice in one batch", other, []*prepared{msg(other, 0x30), msg(other, 0x30)},
			[]string{"", ReasonReplayed}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got := plain.clearAs(t, st.desk, st.preps, false)
			if set := setBased.clearAs(t, st.desk, st.preps, true); !reflect.DeepEqual(set, got) {
				t.Fatalf("set-based %+v, plain %+v", set, got)
			}
			for i, r := range got {
				if r.Reason != st.reasons[i] {
					t.Errorf("message %d: %s/%s, want reason %q", i, r.Status, r.Reason, st.reasons[i])
				}
			}
		})
	}
	t.Run("a copy refused hotlisted, then sent again", func(t *testing.T) {
		// The wallet is cloned (hotlisted) by now and this desk holds the
		// entry, so a third copy's purchase (the wallet signs no date) is
		// refused; sent again it is a replay, not judged afresh
		third := msg(ours, 0x40)
		for _, b := range []*Bank{plain, setBased} {
			bs := newBatchState(ours, []*prepared{third})
			bs.hotlistVersion = 1 << 40
			if err := b.store.Write(context.Background(), func(tx Tx) error {
				r, err := b.clear(tx, bs, third)
				if err == nil && r.Reason != ReasonHotlisted {
					t.Errorf("the third copy: %+v", r)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		again := msg(ours, 0x40)
		got := plain.clearAs(t, ours, []*prepared{again}, false)
		if set := setBased.clearAs(t, ours, []*prepared{again}, true); !reflect.DeepEqual(set, got) || got[0].Reason != ReasonReplayed {
			t.Errorf("sent again: plain %+v, set-based %+v", got, set)
		}
	})

	// And each copy was paid once, from the loss account, and the two banks
	// hold the same rows
	for _, b := range []*Bank{plain, setBased} {
		for account, want := range map[string]int64{"settlement:M001": 6000, "settlement:M009": 3000, LossAccount: 6000} {
			if got, err := b.Ledger().Balance(context.Background(), account); err != nil || got != want {
				t.Errorf("%s %d (%v), want %d", account, got, err, want)
			}
		}
	}
	sameRows(t, 0, setBased.dump(t), plain.dump(t))
}
