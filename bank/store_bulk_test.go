package bank

import (
	"context"
	"errors"
	"testing"
)

func TestSQLite_SetBasedWritesRefuseWhatTheirSingleFormsRefuse(t *testing.T) {
	// Given a bank with two wallets and a message of its desk
	b := writerBank(t, t.TempDir(), 2, 1000)
	ctx := context.Background()
	if _, err := b.clearPlain(t, []*prepared{verified(KindPurchase, 1, 0, "k1", 0, 1, 100, 1)}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		write func(tx Tx) error
		want  error
	}{
		{"a message under a key taken", func(tx Tx) error {
			m := verified(KindPurchase, 2, 0, "k1", 1, 1, 100, 2).msg
			m.ID = 100
			return tx.InsertMessages([]Message{m})
		}, ErrExists},
		{"a message on a seq taken", func(tx Tx) error {
			m := verified(KindPurchase, 1, 0, "k2", 1, 1, 100, 2).msg
			m.ID = 100
			return tx.InsertMessages([]Message{m})
		}, ErrExists},
		{"a wallet the bank did not issue", func(tx Tx) error {
			w, err := tx.Wallet(writerPAN(0), "00")
			if err != nil {
				return err
			}
			missing := w
			missing.PAN = writerPAN(7)
			return tx.UpdateWallets([]Wallet{w, missing})
		}, ErrNotFound},
		{"a posting that does not balance", func(tx Tx) error {
			return tx.PostAll([]Posting{{ID: 100, At: writerNow, Kind: "purchase", Memo: "m", Lines: []Line{
				{Account: ecashAccount(writerPAN(0), "00"), Amount: 10}, {Account: settlementAccount("M001"), Amount: -9}}}})
		}, ErrUnbalanced},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := b.dump(t)

			// When the set-based write is tried
			err := b.store.Write(ctx, tc.write)

			// Then it fails as the single form would, and nothing changed
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			sameRows(t, 0, b.dump(t), before)
		})
	}
}

func TestBatchTx_LookupsAnswerAsTheStore(t *testing.T) {
	// Given a bank with a posted purchase, its void waiting, and a batch
	// that asks about them and about what is not there
	b := writerBank(t, t.TempDir(), 2, 1000)
	ctx := context.Background()
	stored := verified(KindPurchase, 1, 0, "k1", 0, 1, 100, 1)
	if _, err := b.clearPlain(t, []*prepared{stored, verified(KindVoid, 3, 2, "k3", 0, 1, 100, 1)}); err != nil {
		t.Fatal(err)
	}
	batch := []*prepared{verified(KindPurchase, 1, 0, "k1", 0, 1, 100, 1), verified(KindPurchase, 2, 0, "k2", 1, 1, 100, 1)}
	err := b.store.Write(ctx, func(tx Tx) error {
		btx, err := newBatchTx(tx, "T0000001", batch)
		if err != nil {
			return err
		}
		// When each question is asked of both
		questions := []struct {
			name string
			ask  func(Tx) (any, error)
		}{
			{"message by key", func(tx Tx) (any, error) { return tx.MessageByKey("T0000001", "k1") }},
			{"no message by key", func(tx Tx) (any, error) { return tx.MessageByKey("T0000001", "k2") }},
			{"message by seq", func(tx Tx) (any, error) { return tx.MessageBySeq("T0000001", 1) }},
			{"no message by seq", func(tx Tx) (any, error) { return tx.MessageBySeq("T0000001", 2) }},
			{"void of a seq", func(tx Tx) (any, error) { return tx.VoidOf("T0000001", 2) }},
			{"no void of a seq", func(tx Tx) (any, error) { return tx.VoidOf("T0000001", 1) }},
			{"slot holder", func(tx Tx) (any, error) { return tx.SlotHolder(writerPAN(0), "00", 1) }},
			{"no slot holder", func(tx Tx) (any, error) { return tx.SlotHolder(writerPAN(1), "00", 1) }},
			{"wallet", func(tx Tx) (any, error) { return tx.Wallet(writerPAN(1), "00") }},
			{"no phone record", func(tx Tx) (any, error) { return tx.PhoneRecord(writerPAN(1), "00", 1) }},
			{"not loaded: asked of the store", func(tx Tx) (any, error) { return tx.MessageBySeq("T0000001", 3) }},
		}
		for _, q := range questions {
			want, wantErr := q.ask(tx)
			got, gotErr := q.ask(btx)
			// Then the answers and the errors are the store's
			if !reflectEqual(got, want) || errText(gotErr) != errText(wantErr) || errors.Is(gotErr, ErrNotFound) != errors.Is(wantErr, ErrNotFound) {
				t.Errorf("%s: %+v %v, want %+v %v", q.name, got, gotErr, want, wantErr)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
