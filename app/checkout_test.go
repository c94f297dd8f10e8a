package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
	"lingqian/store"
	"lingqian/wallet"
)

var testIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// shop is a desk with a real journal on disk, the real kernel, and a
// loopback reader on which the test places the customer's phone.
type shop struct {
	t      *testing.T
	db     *store.DB
	reader *device.Loopback
	co     *app.Checkout
	iss    *issuance.Issuer
	leave  device.Leave
}

func newShop(t *testing.T, limits app.Limits) *shop {
	t.Helper()
	iss, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys := oda.NewStore()
	if err := keys.Add(iss.CAPK()); err != nil {
		t.Fatal(err)
	}
	term := emv.DefaultTerminal()
	term.Keys = keys
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{t: t, db: db, reader: device.NewLoopback("L"), iss: iss}
	s.co = &app.Checkout{Journal: db, Audit: db, Kernel: k, Reader: s, Terminal: "T0000001",
		Merchant: "M00000000000001", Limits: limits}
	return s
}

// Tap gives the checkout the phone lying on the loopback reader.
func (s *shop) Tap(ctx context.Context) (app.Card, error) {
	return s.reader.Connect(ctx, "L")
}

func (s *shop) wallet(balance int64) *wallet.Card {
	s.t.Helper()
	w, err := wallet.Create(filepath.Join(s.t.TempDir(), "w.json"), wallet.CreateOptions{},
		wallet.LocalIssuer(s.iss, issuance.Request{Balance: balance, Effective: time.Now().AddDate(0, -1, 0)}))
	if err != nil {
		s.t.Fatal(err)
	}
	return w
}

func (s *shop) charge(w *wallet.Card, leave device.Leave, sale app.Sale) (app.Result, error) {
	s.reader.Tap(w, leave)
	if sale.Cashier.ID == "" {
		sale.Cashier = app.Operator{ID: "li.na", Role: app.RoleCashier}
	}
	return s.co.Charge(context.Background(), sale)
}

func TestCharge_ApprovedPurchaseIsInTheJournalFirst(t *testing.T) {
	// Given a desk and a phone with 500.00
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)

	// When the cashier charges 12.50
	res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250})

	// Then it is approved, and the journal already holds it, captured for the bank
	if err != nil || !res.Approved() {
		t.Fatalf("charge: %v %+v", err, res.Outcome.Reason)
	}
	e, err := s.db.Entry(context.Background(), res.Entry.Seq)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != app.KindPurchase || e.Amount != 1250 || string(e.AC) != string(res.Outcome.AC) || e.PAN != w.PAN() || e.Operator != "li.na" {
		t.Errorf("journal entry %+v", e)
	}
	if st, _ := s.db.State(context.Background(), e.Seq); st != app.StateCaptured {
		t.Errorf("state %s, want captured", st)
	}
	if e.IdempotencyKey == "" {
		t.Error("no idempotency key fixed at capture")
	}
}

func TestCharge_OfflineLimits(t *testing.T) {
	sup := app.Operator{ID: "wang.wei", Role: app.RoleSupervisor}
	cashier := app.Operator{ID: "li.na", Role: app.RoleCashier}
	cases := []struct {
		name     string
		limits   app.Limits
		before   int // purchases made first
		override *app.Operator
		want     string // limit broken, "" for approved
		wantErr  error
	}{
		{"per purchase", app.Limits{PerPurchase: 1000}, 0, nil, "per_purchase", app.ErrLimit},
		{"pending count", app.Limits{PendingCount: 1}, 1, nil, "pending_count", app.ErrLimit},
		{"pending amount", app.Limits{PendingAmount: 2000}, 1, nil, "pending_amount", app.ErrLimit},
		{"supervisor override", app.Limits{PerPurchase: 1000}, 0, &sup, "", nil},
		{"a cashier cannot override", app.Limits{PerPurchase: 1000}, 0, &cashier, "", app.ErrRole},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk with the limit, and purchases already waiting for the bank
			s := newShop(t, tc.limits)
			w := s.wallet(50000)
			for i := 0; i < tc.before; i++ {
				s.co.Limits = app.Limits{}
				if res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250}); err != nil || !res.Approved() {
					t.Fatalf("setup purchase: %v", err)
				}
				s.co.Limits = tc.limits
			}

			// When the cashier charges 12.50
			res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250, Override: tc.override})

			// Then the limit refuses it, or the supervisor's override lets it through, audited
			if tc.wantErr != nil {
				var le *app.LimitError
				if !errors.Is(err, tc.wantErr) || (tc.want != "" && (!errors.As(err, &le) || le.Limit != tc.want)) {
					t.Fatalf("error %v, want %v (%s)", err, tc.wantErr, tc.want)
				}
				return
			}
			if err != nil || !res.Approved() {
				t.Fatalf("%v %+v", err, res.Outcome.Reason)
			}
			log, err := s.db.AuditLog(context.Background(), time.Time{}, 100)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, a := range log {
				found = found || (a.Action == app.AuditLimitOverride && a.Operator == sup.ID)
			}
			if !found {
				t.Errorf("no limit_override audit row by %s in %+v", sup.ID, log)
			}
		})
	}
}

func TestVoid(t *testing.T) {
	ctx := context.Background()
	sup := app.Operator{ID: "wang.wei", Role: app.RoleSupervisor}
	// Given an approved purchase not yet forwarded
	s := newShop(t, app.Limits{})
	w := s.wallet(50000)
	res, err := s.charge(w, device.Leave{}, app.Sale{Amount: 1250})
	if err != nil || !res.Approved() {
		t.Fatal(err)
	}

	// When a cashier tries to void it, then it is refused
	if _, err := s.co.Void(ctx, res.Entry.Seq, app.Operator{ID: "li.na", Role: app.RoleCashier}, "wrong item"); !errors.Is(err, app.ErrRole) {
		t.Fatalf("cashier void: %v", err)
	}

	// When the supervisor voids it
	v, err := s.co.Void(ctx, res.Entry.Seq, sup, "wrong item")

	// Then a void entry names it, is forwarded, audited, and the pending total drops
	if err != nil || v.Kind != app.KindVoid || v.Ref != res.Entry.Seq || v.Amount != 1250 {
		t.Fatalf("void: %v %+v", err, v)
	}
	if st, _ := s.db.State(ctx, v.Seq); st != app.StateCaptured {
		t.Errorf("void state %s, want captured (it goes to the bank)", st)
	}
	if p, _ := s.db.Pending(ctx); p.Count != 0 || p.Amount != 0 {
		t.Errorf("pending %+v after the void", p)
	}
	log, _ := s.db.AuditLog(ctx, time.Time{}, 100)
	if len(log) == 0 || log[len(log)-1].Action != app.AuditVoid {
		t.Errorf("audit %+v", log)
	}
	// And it cannot be voided twice
	if _, err := s.co.Void(ctx, res.Entry.Seq, sup, "again"); err == nil {
		t.Error("voided twice")
	}

	// Given a purchase that has gone to the bank, then it cannot be voided here
	res2, _ := s.charge(w, device.Leave{}, app.Sale{Amount: 300})
	if err := s.db.SetState(ctx, res2.Entry.Seq, app.StateSent, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.co.Void(ctx, res2.Entry.Seq, sup, "too late"); err == nil {
		t.Error("voided a purchase already sent to the bank")
	}
}

func TestCharge_TornTapIsRecoveredOnTheNextTap(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		leave   device.Leave
		entries []app.EntryKind
	}{
		{"the card ran GENERATE AC", device.Leave{DuringCommand: 10}, []app.EntryKind{app.KindTorn, app.KindPurchase}},
		// The purchase is recorded first: the money before the note.
		{"the card never got it", device.Leave{BeforeCommand: 10}, []app.EntryKind{app.KindTorn, app.KindPurchase, app.KindTornCleared}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a tap torn at GENERATE AC
			s := newShop(t, app.Limits{})
			w := s.wallet(50000)
			res, err := s.charge(w, tc.leave, app.Sale{Amount: 1250})
			if err != nil || res.Outcome.Result != emv.Torn || res.Entry == nil || res.Entry.Kind != app.KindTorn {
				t.Fatalf("torn tap: %v %v", err, res.Outcome.Result)
			}

			// When the same phone is tapped again for the same sale
			res, err = s.charge(w, device.Leave{}, app.Sale{Amount: 1250})

			// Then it is approved once, the torn entry is resolved, and the wallet paid once
			if err != nil || !res.Approved() {
				t.Fatalf("re-tap: %v %+v", err, res.Outcome.Reason)
			}
			if open, _ := s.db.OpenTorn(ctx); len(open) != 0 {
				t.Errorf("torn taps still open: %+v", open)
			}
			if w.Balance() != 50000-1250 {
				t.Errorf("balance %d", w.Balance())
			}
			entries, err := s.db.Entries(ctx, 1, 10)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []app.EntryKind
			for _, e := range entries {
				kinds = append(kinds, e.Kind)
			}
			if len(kinds) != len(tc.entries) {
				t.Fatalf("journal %v, want %v", kinds, tc.entries)
			}
			for i := range kinds {
				if kinds[i] != tc.entries[i] {
					t.Fatalf("journal %v, want %v", kinds, tc.entries)
				}
			}
		})
	}
}

func TestParseMoney(t *testing.T) {
	good := map[string]app.Money{"12.50": 1250, "12": 1200, "0.01": 1, "12.5": 1250, " 3.00 ": 300}
	for in, want := range good {
		if got, err := app.ParseMoney(in); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0.00", "-1", "12.505", "1,50", "12.", ".5", "abc", "1e3", "9999999999"} {
		if _, err := app.ParseMoney(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if got := app.FormatMoney(1250); got != "12.50" {
		t.Errorf("FormatMoney %q", got)
	}
	if got := app.MaskPAN("6231990000000019"); got != "623199******0019" {
		t.Errorf("MaskPAN %q", got)
	}
}
