package sync_test

import (
	"context"
	"fmt"
	"testing"

	"lingqian/app"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

func TestReconcile_MovesTimelinesOnAndListsDifferences(t *testing.T) {
	// Given six forwarded purchases: 3 pending at the bank, 5 rejected
	bank := synctest.Start(t, synctest.Options{})
	bank.Decide = func(m desksync.Message) (string, string) {
		switch m.Seq {
		case 3:
			return desksync.BankPending, ""
		case 5:
			return desksync.BankRejected, "replayed"
		}
		return desksync.BankPosted, ""
	}
	db := openJournal(t)
	entries := seed(t, db, 6)
	c := newClient(t, fast(bank, t))
	ctx := context.Background()
	if _, err := c.Forward(ctx, db, 0, nil); err != nil {
		t.Fatal(err)
	}
	// and then the bank posts 3, loses 2, holds 4 at another amount,
	// calls 6 a duplicate and lists a message the desk never sent;
	// entry 7 is recorded but not yet forwarded
	bank.SetState(entries[2].IdempotencyKey, desksync.BankPosted, "")
	bank.Forget(entries[1].IdempotencyKey)
	m4, _ := desksync.MessageOf(entries[3])
	m4.Amount = 9999
	bank.Put(terminal, m4, desksync.BankPosted, "")
	bank.SetState(entries[5].IdempotencyKey, desksync.BankDuplicate, "")
	bank.Put(terminal, desksync.Message{Key: "T0000001-stranger", Seq: 99, Kind: "purchase", Amount: 5}, desksync.BankPosted, "")
	seed(t, db, 1)

	// When the desk reconciles from the start
	rep, err := c.Reconcile(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Then entry 3 is posted, and the differences are listed in seq order
	if s, _ := db.State(ctx, 3); s != app.StatePosted {
		t.Errorf("entry 3 is %s, want posted", s)
	}
	want := []string{"2 missing", "4 amount_mismatch 400/9999", "5 rejected replayed", "6 duplicate", "99 unknown"}
	var got []string
	for _, d := range rep.Differences {
		s := fmt.Sprintf("%d %s", d.Seq, d.Kind)
		switch d.Kind {
		case desksync.DiffAmountMismatch:
			s += fmt.Sprintf(" %d/%d", d.DeskAmount, d.BankAmount)
		case desksync.DiffRejected:
			s += " " + d.Reason
		}
		got = append(got, s)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("differences\n got %v\nwant %v", got, want)
	}
	// The desk's side: 1, 3, 4, 6 posted (1400), 5 rejected, 2 posted
	// at the desk though missing at the bank, 7 pending.
	if rep.Desk.Posted != (app.Totals{Count: 5, Amount: 100 + 200 + 300 + 400 + 600}) ||
		rep.Desk.Rejected != (app.Totals{Count: 1, Amount: 500}) || rep.Desk.Pending != (app.Totals{Count: 1, Amount: 700}) {
		t.Errorf("desk totals %+v", rep.Desk)
	}
	if rep.Bank.Rejected.Count != 1 || rep.Updated != 1 {
		t.Errorf("bank totals %+v, updated %d", rep.Bank, rep.Updated)
	}
	// Only entry 1 is settled before the first disagreement.
	if rep.Through != 1 {
		t.Errorf("through %d, want 1", rep.Through)
	}
}

func TestReconcile_FindsWhatALostAnswerLeftBehind(t *testing.T) {
	cases := []struct {
		name      string
		bankState string
		want      app.OutboxState
		through   int64
	}{
		{"the bank holds it pending", desksync.BankPending, app.StateAcknowledged, 0},
		{"the bank posted it", desksync.BankPosted, app.StatePosted, 2},
		{"the bank rejected it", desksync.BankRejected, app.StateRejected, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given two entries sent whose answer was cut off
			bank := synctest.Start(t, synctest.Options{})
			bank.Decide = func(desksync.Message) (string, string) {
				if tc.bankState == desksync.BankRejected {
					return tc.bankState, "bad_signature"
				}
				return tc.bankState, ""
			}
			bank.Fail(batches, synctest.Fault{Cut: true})
			db := openJournal(t)
			seed(t, db, 2)
			cfg := fast(bank, t)
			cfg.Retries = -1
			c := newClient(t, cfg)
			if _, err := c.Forward(context.Background(), db, 0, nil); err == nil {
				t.Fatal("the cut went unnoticed")
			}

			// When the desk reconciles
			rep, err := c.Reconcile(context.Background(), db, 0)
			if err != nil {
				t.Fatal(err)
			}

			// Then the entries take the bank's state and leave the outbox
			for seq := int64(1); seq <= 2; seq++ {
				if s, _ := db.State(context.Background(), seq); s != tc.want {
					t.Errorf("entry %d is %s, want %s", seq, s, tc.want)
				}
			}
			if left, _ := db.Unsent(context.Background(), 0); len(left) != 0 {
				t.Errorf("%d entries still unsent", len(left))
			}
			if rep.Through != tc.through {
				t.Errorf("through %d, want %d", rep.Through, tc.through)
			}
		})
	}
}

func TestReconcile_StartsAfterTheCursor(t *testing.T) {
	// Given four posted entries, reconciled once
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	seed(t, db, 4)
	c := newClient(t, fast(bank, t))
	ctx := context.Background()
	if _, err := c.Forward(ctx, db, 0, nil); err != nil {
		t.Fatal(err)
	}
	first, err := c.Reconcile(ctx, db, 0)
	if err != nil || first.Through != 4 || len(first.Differences) != 0 {
		t.Fatalf("first reconciliation %+v, %v", first, err)
	}

	// When the desk reconciles again from where it settled
	seed(t, db, 1)
	if _, err := c.Forward(ctx, db, 0, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Reconcile(ctx, db, first.Through)
	if err != nil {
		t.Fatal(err)
	}

	// Then only the new entry is compared, and the feed was asked from there
	if rep.Desk.Posted != (app.Totals{Count: 1, Amount: 500}) || rep.Through != 5 {
		t.Errorf("report %+v", rep)
	}
	var asked []string
	for _, r := range bank.Requests() {
		if r.Path == "/v1/desk/reconciliation" {
			asked = append(asked, r.Query)
		}
	}
	if len(asked) < 2 || asked[len(asked)-1] != "since_seq=4" {
		t.Errorf("feed asked with %q", asked)
	}
}

func TestReconcile_AVoidedPurchaseIsNoDifference(t *testing.T) {
	// Given a purchase voided before it was forwarded, and another purchase
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 2)
	v := entries[0]
	v.Seq, v.Kind, v.Ref, v.IdempotencyKey, v.Note, v.PrevHash, v.Hash = 0, app.KindVoid, entries[0].Seq, "void-1", "customer changed their mind", nil, nil
	if _, err := db.Append(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, fast(bank, t))

	// When the desk forwards and reconciles
	if _, err := c.Forward(context.Background(), db, 0, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := c.Reconcile(context.Background(), db, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Then the bank cancelled the voided purchase, which is no difference,
	// and only the other purchase counts on either side
	if len(rep.Differences) != 0 || rep.Through != 3 {
		t.Errorf("differences %+v, through %d", rep.Differences, rep.Through)
	}
	if rep.Desk.Posted != (app.Totals{Count: 1, Amount: 200}) || rep.Bank.Posted != rep.Desk.Posted || rep.Desk.Rejected.Count != 0 {
		t.Errorf("desk %+v, bank %+v", rep.Desk, rep.Bank)
	}
	tl, _ := db.Timeline(context.Background(), 1)
	if last := tl[len(tl)-1]; last.State != app.StateRejected || last.Reason != desksync.ReasonVoided {
		t.Errorf("the voided purchase ends %s %q", last.State, last.Reason)
	}
}
