package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/emv"
)

// memory is an in-memory stand-in for the desk's store, for the app's
// rules alone: the store's own tests cover SQLite.
type memory struct {
	ops      map[string]app.Operator
	pins     map[string]string
	settings map[string]string
	audit    []app.AuditEvent
	entries  []app.Entry
	states   map[int64]app.OutboxState
	pending  app.Pending
}

func newMemory() *memory {
	return &memory{ops: map[string]app.Operator{}, pins: map[string]string{}, settings: map[string]string{}, states: map[int64]app.OutboxState{}}
}

func (m *memory) Authenticate(_ context.Context, id, pin string) (app.Operator, error) {
	op, ok := m.ops[id]
	if !ok || m.pins[id] != pin {
		return app.Operator{}, app.ErrWrongPIN
	}
	return op, nil
}
func (m *memory) Operators(context.Context) ([]app.Operator, error) {
	var out []app.Operator
	for _, o := range m.ops {
		out = append(out, o)
	}
	return out, nil
}
func (m *memory) AddOperator(_ context.Context, op app.Operator, pin string) error {
	m.ops[op.ID], m.pins[op.ID] = op, pin
	return nil
}
func (m *memory) SetPIN(_ context.Context, id, pin string) error { m.pins[id] = pin; return nil }
func (m *memory) Record(_ context.Context, e app.AuditEvent) error {
	m.audit = append(m.audit, e)
	return nil
}
func (m *memory) Setting(_ context.Context, key string) (string, error) {
	v, ok := m.settings[key]
	if !ok {
		return "", app.ErrNotFound
	}
	return v, nil
}
func (m *memory) SetSetting(_ context.Context, key, value, _ string) error {
	m.settings[key] = value
	return nil
}
func (m *memory) Pending(context.Context) (app.Pending, error) { return m.pending, nil }
func (m *memory) LastSeq(context.Context) (int64, error)       { return int64(len(m.entries)), nil }
func (m *memory) Entries(_ context.Context, from, to int64) ([]app.Entry, error) {
	return m.entries[from-1 : to], nil
}
func (m *memory) States(_ context.Context, from, to int64) (map[int64]app.OutboxState, error) {
	return m.states, nil
}
func (m *memory) Entry(_ context.Context, seq int64) (app.Entry, error) {
	if seq < 1 || seq > int64(len(m.entries)) {
		return app.Entry{}, app.ErrNotFound
	}
	return m.entries[seq-1], nil
}
func (m *memory) Voided(_ context.Context, seq int64) (bool, error) {
	for _, e := range m.entries {
		if e.Kind == app.KindVoid && e.Ref == seq {
			return true, nil
		}
	}
	return false, nil
}
func (m *memory) State(_ context.Context, seq int64) (app.OutboxState, error) {
	return m.states[seq], nil
}

func TestStaff_TheFirstOperatorIsAnAdminAndOnlyAdminsAddMore(t *testing.T) {
	ctx := context.Background()
	m := newMemory()
	s := &app.Staff{Store: m, Audit: m}
	// Given a desk with no operator, a cashier cannot be its first
	if err := s.Add(ctx, nil, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"); !errors.Is(err, app.ErrFirstAdmin) {
		t.Fatalf("first operator a cashier: %v", err)
	}
	// When an admin is the first, then they are added and audited as the system's act
	if err := s.Add(ctx, nil, app.Operator{ID: "boss", Role: app.RoleAdmin}, "1111"); err != nil {
		t.Fatal(err)
	}
	if len(m.audit) != 1 || m.audit[0].Operator != "system" {
		t.Fatalf("audit %+v", m.audit)
	}
	// Then nobody adds another without an admin's authority
	if err := s.Add(ctx, nil, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"); !errors.Is(err, app.ErrRole) {
		t.Fatalf("second operator without authority: %v", err)
	}
	boss, err := s.Authorise(ctx, "boss", "1111", app.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Add(ctx, &boss, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"); err != nil {
		t.Fatal(err)
	}
	// And a cashier is not a supervisor
	if _, err := s.Authorise(ctx, "li.na", "1234", app.RoleSupervisor); !errors.Is(err, app.ErrRole) {
		t.Fatalf("cashier as supervisor: %v", err)
	}
	if _, err := s.SignIn(ctx, "li.na", "0000"); !errors.Is(err, app.ErrWrongPIN) {
		t.Fatalf("wrong PIN: %v", err)
	}
}

func TestForwarding_TheBannerSaysWhatTheLimitsStillAllow(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	m := newMemory()
	m.pending = app.Pending{Count: 3, Amount: 4250, Oldest: now.Add(-2 * time.Hour)}
	m.settings[app.SettingLimitAmount] = "10000"
	m.settings[app.SettingLimitCount] = "3"
	m.settings[app.SettingLimitAge] = "24"
	f := &app.Forwarding{Journal: m, Settings: app.Settings{Store: m}, Now: func() time.Time { return now }}

	b, err := f.Banner(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Enrolled || b.LeftAmount != 5750 || b.LeftCount != 0 || b.Oldest != 2*time.Hour || b.LeftAge != 22*time.Hour {
		t.Fatalf("banner %+v", b)
	}
	if f.ForwardNow() {
		t.Error("a desk without a bank started forwarding")
	}
	// When the forwarder reports a batch and then a pass that could not reach the bank
	f.Apply(app.ForwardEvent{At: now, Reached: true, Sent: 3, Posted: 2})
	if b, _ = f.Banner(ctx); !b.Online || !b.Busy || b.Posted != 2 {
		t.Fatalf("after a batch %+v", b)
	}
	f.Apply(app.ForwardEvent{At: now, Done: true, Err: errors.New("connection refused")})
	if b, _ = f.Banner(ctx); b.Online || b.Busy || !b.Failed {
		t.Fatalf("after a failed pass %+v", b)
	}
}

func TestSales_RecentListsPurchasesNewestFirstWithVoids(t *testing.T) {
	m := newMemory()
	m.entries = []app.Entry{
		{Seq: 1, Kind: app.KindPurchase, Amount: 1250, PAN: "6231990000000019", Operator: "li.na"},
		{Seq: 2, Kind: app.KindPurchase, Amount: 300},
		{Seq: 3, Kind: app.KindVoid, Ref: 2, Amount: 300},
		{Seq: 4, Kind: app.KindTorn, Amount: 800},
	}
	m.states = map[int64]app.OutboxState{1: app.StatePosted, 2: app.StateCaptured, 3: app.StateCaptured}
	s := &app.Sales{Journal: m, MerchantName: "Shop"}
	rows, err := s.Recent(context.Background(), 10)
	if err != nil || len(rows) != 2 || rows[0].Entry.Seq != 2 || !rows[0].Voided || rows[1].State != app.StatePosted {
		t.Fatalf("rows %+v %v", rows, err)
	}
	if rows[0].Voidable() || rows[1].Voidable() {
		t.Error("a voided or posted sale is voidable")
	}
	rc, err := s.Receipt(context.Background(), 1, true)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(rc.Lines(app.SimplifiedChinese), "\n")
	for _, want := range []string{"Shop", "重印", "623199******0019", "12.50", "脱机电子现金支付"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
}

func TestResult_OnlyTheAmountInFrontOfTheCashierIsApproved(t *testing.T) {
	entry := &app.Entry{Seq: 7}
	for _, tc := range []struct {
		name string
		res  app.Result
		want app.Verdict
	}{
		{"approved", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.Approved, Amount: 1250}, Entry: entry}, app.VerdictApproved},
		{"approved but not recorded", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.Approved, Amount: 1250}}, app.VerdictError},
		{"an earlier sale recovered", app.Result{Sale: 3000, Outcome: emv.Outcome{Result: emv.Approved, Amount: 1250, Recovered: &emv.TornTap{}}, Entry: entry}, app.VerdictRecovered},
		{"the same sale recovered", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.Approved, Amount: 1250, Recovered: &emv.TornTap{}}, Entry: entry}, app.VerdictApproved},
		{"declined", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.Declined}}, app.VerdictDeclined},
		{"torn", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.Torn}, Entry: entry}, app.VerdictError},
		{"card left", app.Result{Sale: 1250, Outcome: emv.Outcome{Result: emv.CardLeft}}, app.VerdictError},
	} {
		if got := tc.res.Verdict(); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestMessages_EveryKeyHasBothLanguages(t *testing.T) {
	for _, m := range app.AllMessages() {
		for _, lang := range []string{app.English, app.SimplifiedChinese} {
			if !app.HasText(m, lang) {
				t.Errorf("%s has no %s text", m, lang)
			}
		}
	}
	// And every reason the kernel gives has its Chinese sentence
	for _, r := range emvReasons() {
		if got := app.ReasonText(r, app.SimplifiedChinese); got == r.Text {
			t.Errorf("reason %s has no Chinese text", r.Code)
		}
	}
}

func emvReasons() []emv.Reason {
	return []emv.Reason{emv.ReasonApproved, emv.ReasonRecovered, emv.ReasonDeclinedByCard, emv.ReasonCardWantsOnline,
		emv.ReasonInsufficient, emv.ReasonOverCardLimit, emv.ReasonOverTerminalLimit, emv.ReasonNotSupported,
		emv.ReasonHotlisted, emv.ReasonExpired, emv.ReasonNotEffective, emv.ReasonServiceNotAllowed, emv.ReasonCDAFailed,
		emv.ReasonNoCDA, emv.ReasonCAPKMissing, emv.ReasonICCDataMissing, emv.ReasonTorn, emv.ReasonCardLeft,
		emv.ReasonCardError, emv.ReasonCancelled, emv.ReasonNotRecorded, emv.ReasonUnverified}
}

func (m *memory) SalesPage(context.Context, app.SaleFilter, int64, int) ([]app.SaleRow, error) {
	return nil, nil
}
func (m *memory) Timeline(context.Context, int64) ([]app.StateChange, error) { return nil, nil }
