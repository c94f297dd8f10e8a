package app_test

import (
	"context"
	"errors"
	"testing"

	"lingqian/app"
	"lingqian/device"
)

func TestTeller_ATellerLockedOrDemotedWhileSignedInIsRefusedAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		now  app.Operator
		want error
	}{
		{"locked", app.Operator{ID: teller.ID, Role: app.RoleTeller, Locked: true}, app.ErrLocked},
		{"made a cashier", app.Operator{ID: teller.ID, Role: app.RoleCashier}, app.ErrRole},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a teller signed in at a branch whose store knows its operators
			b := newBranch(t)
			ctx := context.Background()
			if err := b.mem.AddOperator(ctx, teller, "1357"); err != nil {
				t.Fatal(err)
			}
			b.teller.Operators = b.mem
			w := b.bank.customer("alice", 100000, 50000)
			b.on(w, device.Leave{})

			// When an admin locks or demotes them while their window stays open
			b.mem.ops[teller.ID] = tc.now

			// Then their next load is refused, and nothing moved
			_, err := b.teller.Load(ctx, teller, 20000, nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("load: %v, want %v", err, tc.want)
			}
			if w.Balance() != 50000 || b.bank.deposit("alice") != 100000 {
				t.Errorf("phone %d, deposit %d", w.Balance(), b.bank.deposit("alice"))
			}
		})
	}
}
