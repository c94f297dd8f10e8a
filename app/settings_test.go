package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

var (
	adminOp      = app.Operator{ID: "boss", Role: app.RoleAdmin}
	supervisorOp = app.Operator{ID: "wang.wei", Role: app.RoleSupervisor}
	cashierOp    = app.Operator{ID: "li.na", Role: app.RoleCashier}
)

// staffed is a memory store with the three operators above: the
// settings check each one's role as the store has it.
func staffed() *memory {
	m := newMemory()
	for _, op := range []app.Operator{adminOp, supervisorOp, cashierOp} {
		m.ops[op.ID] = op
	}
	return m
}

func TestSettings_AnAdminSetsTheOfflineLimits(t *testing.T) {
	ctx := context.Background()
	m := staffed()
	s := app.Settings{Store: m}
	want := app.Limits{PerPurchase: 20000, PendingAmount: 300000, PendingCount: 150, OldestPending: 48 * time.Hour}

	// When an admin sets them, then they read back as set
	if err := s.SetLimits(ctx, adminOp, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Limits(ctx)
	if err != nil || got != want {
		t.Fatalf("limits %+v %v", got, err)
	}
	// And zero, no limit, is a value like the others
	if err := s.SetLimits(ctx, adminOp, app.Limits{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Limits(ctx); got != (app.Limits{}) {
		t.Fatalf("no limits read back as %+v", got)
	}
}

func TestSettings_LimitsRefused(t *testing.T) {
	ctx := context.Background()
	s := app.Settings{Store: staffed()}
	ok := app.DefaultLimits
	for _, tc := range []struct {
		name  string
		by    app.Operator
		l     func(l app.Limits) app.Limits
		want  error
		limit string
	}{
		{"by a supervisor", supervisorOp, func(l app.Limits) app.Limits { return l }, app.ErrRole, ""},
		{"negative", adminOp, func(l app.Limits) app.Limits { l.PerPurchase = -1; return l }, app.ErrBadLimit, "per_purchase"},
		{"a zero too many", adminOp, func(l app.Limits) app.Limits { l.PendingAmount = app.MaxLimitAmount + 1; return l }, app.ErrBadLimit, "pending_amount"},
		{"too many sales", adminOp, func(l app.Limits) app.Limits { l.PendingCount = app.MaxLimitCount + 1; return l }, app.ErrBadLimit, "pending_count"},
		{"half an hour", adminOp, func(l app.Limits) app.Limits { l.OldestPending = 90 * time.Minute; return l }, app.ErrBadLimit, "oldest_pending"},
		{"one purchase over the whole", adminOp, func(l app.Limits) app.Limits { l.PerPurchase = l.PendingAmount + 1; return l }, app.ErrBadLimit, "order"},
	} {
		err := s.SetLimits(ctx, tc.by, tc.l(ok))
		var le *app.LimitSettingError
		if !errors.Is(err, tc.want) || (tc.limit != "" && (!errors.As(err, &le) || le.Limit != tc.limit)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if got, _ := s.Limits(ctx); got != app.DefaultLimits {
		t.Errorf("a refused change stored %+v", got)
	}
	// And the screen says which limit, in the desk's language
	err := s.SetLimits(ctx, adminOp, app.Limits{PendingCount: -1})
	if got := app.ExplainSettings(err, app.English); got != "Sales not yet at the bank, up to: give 0 (no limit) up to 100000." {
		t.Errorf("explained as %q", got)
	}
	if got := app.ExplainSettings(err, app.SimplifiedChinese); !strings.HasPrefix(got, "未上送笔数上限") {
		t.Errorf("explained in Chinese as %q", got)
	}
}

func TestSettings_AnyOperatorChoosesTheLanguage(t *testing.T) {
	ctx := context.Background()
	s := app.Settings{Store: newMemory()}
	// Given a desk where nobody chose a language
	if l, err := s.Language(ctx); l != "" || err != nil {
		t.Fatalf("language %q %v", l, err)
	}
	// When a cashier chooses Chinese, then it is the desk's language
	if err := s.SetLanguage(ctx, cashierOp, app.SimplifiedChinese); err != nil {
		t.Fatal(err)
	}
	if l, _ := s.Language(ctx); l != app.SimplifiedChinese {
		t.Fatalf("language %q", l)
	}
	// And a language the desk does not speak is refused
	if err := s.SetLanguage(ctx, cashierOp, "fr"); err == nil {
		t.Fatal("French accepted")
	}
}

// enroller is a bank that enrols at once, or fails as told.
type enroller struct {
	got  app.EnrolRequest
	err  error
	made app.Enrolment
}

func (e *enroller) Enrol(_ context.Context, req app.EnrolRequest) (app.Enrolment, error) {
	e.got = req
	if e.err != nil {
		return app.Enrolment{}, e.err
	}
	e.made = app.Enrolment{Enrolled: true, BankURL: req.BankURL, Terminal: "T0000009", Merchant: "M001", Teller: true,
		Subject: "CN=T0000009", NotAfter: time.Date(2027, 12, 3, 0, 0, 0, 0, time.UTC), Fingerprint: "AB:CD"}
	return e.made, nil
}

func (e *enroller) Enrolment(context.Context) (app.Enrolment, error) { return e.made, nil }

func TestBankEnrolment_AnAdminEnrolsAndItIsAudited(t *testing.T) {
	ctx := context.Background()
	m := staffed()
	e := &enroller{}
	b := &app.BankEnrolment{Enroller: e, Audit: m}

	// When an admin enrols with the form filled, spaces and all
	enr, err := b.Enrol(ctx, adminOp, app.EnrolRequest{BankURL: " https://127.0.0.1:8443 ", CA: "ca.pem", Code: " C-1\n"})
	if err != nil {
		t.Fatal(err)
	}
	// Then the bank got the trimmed form, and the audit log says who enrolled as what
	if e.got.Code != "C-1" || e.got.BankURL != "https://127.0.0.1:8443" || enr.Terminal != "T0000009" {
		t.Fatalf("request %+v, enrolment %+v", e.got, enr)
	}
	if len(m.audit) != 1 || m.audit[0].Operator != "boss" || m.audit[0].Action != app.AuditSettings ||
		!strings.Contains(m.audit[0].Detail, "as terminal T0000009 of merchant M001 (a teller desk)") ||
		!strings.Contains(m.audit[0].Detail, "SHA-256 AB:CD, valid until 2027-12-03") {
		t.Fatalf("audit %+v", m.audit)
	}
}

func TestBankEnrolment_Refused(t *testing.T) {
	ctx := context.Background()
	m := staffed()
	for _, tc := range []struct {
		name string
		by   app.Operator
		req  app.EnrolRequest
		bank error
		want string
	}{
		{"by a supervisor", supervisorOp, app.EnrolRequest{BankURL: "https://b", CA: "x", Code: "c"}, nil, "Your role does not allow this."},
		{"plain http", adminOp, app.EnrolRequest{BankURL: "http://b", CA: "x", Code: "c"}, nil, app.MsgErrEnrolForm.Text(app.English)},
		{"no code", adminOp, app.EnrolRequest{BankURL: "https://b", CA: "x"}, nil, app.MsgErrEnrolForm.Text(app.English)},
		{"a used code", adminOp, app.EnrolRequest{BankURL: "https://b", CA: "x", Code: "c"}, app.ErrEnrolCode, app.MsgErrEnrolCode.Text(app.English)},
		{"entries under the old identity", adminOp, app.EnrolRequest{BankURL: "https://b", CA: "x", Code: "c"},
			&app.ReenrolError{Entries: 2, Terminal: "T0000001", Merchant: "M0"}, "The journal holds 2 entries recorded as terminal T0000001 of merchant M0."},
	} {
		b := &app.BankEnrolment{Enroller: &enroller{err: tc.bank}, Audit: m}
		_, err := b.Enrol(ctx, tc.by, tc.req)
		if got := app.ExplainSettings(err, app.English); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: %v, shown as %q", tc.name, err, got)
		}
	}
	if len(m.audit) != 0 {
		t.Errorf("refused enrolments audited: %+v", m.audit)
	}
}
