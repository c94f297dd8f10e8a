package ui

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/desk"
	"lingqian/device"
)

// loopBank is the real bank serving HTTPS on loopback from a temporary
// folder, with the test issuer.
type loopBank struct {
	t      *testing.T
	b      *bank.Bank
	url    string
	caFile string
}

func startBank(t *testing.T) *loopBank {
	t.Helper()
	iss, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := bank.Open(dir, bank.Options{Keys: true, Issuer: iss, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	caFile := filepath.Join(dir, "test-ca.pem")
	if err := os.WriteFile(caFile, b.PKI().CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return &loopBank{t: t, b: b, url: srv.URL, caFile: caFile}
}

// code is a one-time enrolment code for merchant.
func (lb *loopBank) code(merchant string, teller bool) string {
	lb.t.Helper()
	c, err := lb.b.NewTerminalCode(context.Background(), merchant, teller)
	if err != nil {
		lb.t.Fatal(err)
	}
	return c
}

// deskFolder is the shop's data folder as package desk opens it, over the
// shop's own database; the window's settings enrol through it.
func (s *shop) deskFolder() *desk.Desk {
	s.t.Helper()
	dk := &desk.Desk{Dir: filepath.Dir(s.db.Path()), DB: s.db, Terminal: "T0000001", Merchant: "M00000000000001", Name: "Test shop"}
	do(func() {
		s.desk.svc.Enrolment = &app.BankEnrolment{Enroller: dk.Enroller(), Audit: s.db}
		s.desk.svc.AfterEnrol = func() error { return dk.Reidentify("", s.desk.svc.Checkout, s.desk.svc.Reports, s.desk.svc.Teller) }
	})
	return dk
}

// enrolTyped fills the bank part by keyboard and presses Enter.
func (s *shop) enrolTyped(st *settingsScreen, url, ca, code string) {
	s.t.Helper()
	do(func() { st.bank.ca.SetText(""); st.bank.code.SetText("") })
	s.fill(st.bank.url, url)
	s.tab()
	s.typeKeys(ca)
	s.tab()
	s.typeKeys(code)
	s.press(fyne.KeyReturn)
}

func TestSettings_AnAdminEnrolsTheDeskWithTheBank(t *testing.T) {
	// Given a fresh desk, a real bank on loopback, and a code it issued for a teller desk
	lb := startBank(t)
	s := newShop(t, app.English, app.Limits{})
	dk := s.deskFolder()
	s.signedIn(admin)
	st := s.openSettings(1)
	eventually(t, "not enrolled", func() bool { return st.bank.status.Text == app.MsgNotEnrolled.Text(app.English) })

	// When the admin types a code the bank never gave
	s.enrolTyped(st, lb.url, lb.caFile, "NO-SUCH-CODE")
	// Then the screen says so, in words
	eventually(t, "bad code", func() bool { return st.bank.message.Text == app.MsgErrEnrolCode.Text(app.English) })

	// When they type the bank's address, its CA file and the code, and press Enter
	s.enrolTyped(st, lb.url, lb.caFile, lb.code("M001", true))
	// Then "enrolling…" shows while the bank answers, and then what the desk now is
	eventually(t, "enrolled", func() bool { return strings.HasPrefix(st.bank.message.Text, "Enrolled as terminal ") })
	enr, err := dk.Enroller().Enrolment(context.Background())
	if err != nil || !enr.Enrolled || !enr.Teller || enr.Merchant != "M001" || enr.Terminal == "" {
		t.Fatalf("enrolment %+v %v", enr, err)
	}
	var status, kind, cert, print, msg string
	do(func() {
		status, kind, cert, print, msg = st.bank.status.Text, st.bank.kind.Text, st.bank.cert.Text, st.bank.print.Text, st.bank.message.Text
	})
	if status != "Enrolled at "+lb.url+" as terminal "+enr.Terminal+" of merchant M001." || kind != app.MsgTellerDesk.Text(app.English) ||
		!strings.Contains(cert, "CN="+enr.Terminal) || !strings.Contains(cert, "valid until") || print != "SHA-256 fingerprint: "+enr.Fingerprint {
		t.Fatalf("shown:\n%s\n%s\n%s\n%s", status, kind, cert, print)
	}
	if msg != "Enrolled as terminal "+enr.Terminal+" of merchant M001." || st.bank.code.Text != "" {
		t.Errorf("message %q, code left %q", msg, st.bank.code.Text)
	}
	// And the audit log says which admin enrolled it as what
	if !s.audited(admin, "as terminal "+enr.Terminal+" of merchant M001 (a teller desk)") {
		t.Error("the enrolment is not audited as the admin's")
	}
	// And the checkout now sells as the new terminal, without a restart
	w := s.wallet(50000)
	s.press(fyne.KeyF2)
	eventually(t, "checkout", func() bool { return s.amountFocused() })
	if h, _ := s.sale("3.00", w, device.Leave{}); h != "APPROVED  3.00" {
		t.Fatalf("sale after enrolment: %q", h)
	}
	if e, err := s.db.Entry(context.Background(), 1); err != nil || e.TerminalID != enr.Terminal || e.MerchantID != "M001" {
		t.Fatalf("sale recorded as %s/%s: %v", e.TerminalID, e.MerchantID, err)
	}

	// When the admin enrols again, with the journal holding that sale
	st = s.openSettings(1)
	eventually(t, "enrolled shown", func() bool { return st.bank.current.Enrolled })
	s.enrolTyped(st, lb.url, lb.caFile, lb.code("M002", false))
	// Then they are asked first, Enter says yes, and then asked again about the journal's entry
	eventually(t, "asked to enrol again", func() bool { return s.desk.modal != nil && s.confirmFocused() })
	s.press(fyne.KeyReturn)
	eventually(t, "asked about the journal", func() bool {
		return s.desk.modal != nil && s.confirmFocused() && s.modalSays("The journal holds 1 entries recorded as terminal "+enr.Terminal)
	})
	s.press(fyne.KeyReturn)
	// And after the second yes the desk is the new terminal, audited as forced
	eventually(t, "enrolled again", func() bool { return strings.Contains(st.bank.message.Text, "of merchant M002") })
	if !s.audited(admin, "of merchant M002; certificate") || !s.audited(admin, "enrolled although the journal held entries") {
		t.Error("the second enrolment is not audited as forced")
	}
}

// modalSays says whether the dialog open shows text.
// confirmFocused says whether the open question has the keyboard, so
// Enter answers it yes (a loaded machine draws it a moment later).
func (s *shop) confirmFocused() bool {
	_, ok := s.desk.Window.Canvas().Focused().(*keyCatcher)
	return ok
}

func (s *shop) modalSays(text string) bool {
	for _, o := range s.desk.Window.Canvas().Overlays().List() {
		if containsText(s.t, o, text) {
			return true
		}
	}
	return false
}

func TestSettings_EnrollingAgainTwiceGivesTheWindowEachNewIdentity(t *testing.T) {
	// Given a fresh desk and a real bank on loopback, with a window that
	// makes a forwarder for each identity it is given, as the window does
	lb := startBank(t)
	s := newShop(t, app.English, app.Limits{})
	dk := s.deskFolder()
	var made []*countingForwarder
	do(func() {
		reidentify := s.desk.svc.AfterEnrol
		s.desk.svc.AfterEnrol = func() error {
			if err := reidentify(); err != nil {
				return err
			}
			fw := &countingForwarder{}
			made = append(made, fw)
			s.desk.svc.Forwarding.Use(fw)
			return nil
		}
	})
	s.signedIn(admin)
	st := s.openSettings(1)
	eventually(t, "not enrolled", func() bool { return st.bank.status.Text == app.MsgNotEnrolled.Text(app.English) })

	for i, merchant := range []string{"M001", "M002", "M003"} {
		// When the admin enrols the desk (again, after a yes)
		s.enrolTyped(st, lb.url, lb.caFile, lb.code(merchant, false))
		if i > 0 {
			eventually(t, "asked to enrol again", func() bool { return s.desk.modal != nil })
			s.press(fyne.KeyReturn)
		}
		eventually(t, "enrolled with "+merchant, func() bool { return strings.Contains(st.bank.message.Text, "of merchant "+merchant) })

		// Then the window was given the new identity, once, and forwards with it
		enr, err := dk.Enroller().Enrolment(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var terminal, msg string
		var forwarder app.Forwarder
		var n int
		do(func() {
			terminal, msg, forwarder, n = s.desk.svc.Checkout.Terminal, st.bank.message.Text, s.desk.svc.Forwarding.Forwarder, len(made)
		})
		if n != i+1 || terminal != enr.Terminal || forwarder != made[n-1] {
			t.Fatalf("after enrolling with %s: %d identities given, the checkout sells as %s (enrolled as %s)", merchant, n, terminal, enr.Terminal)
		}
		if strings.Contains(msg, app.MsgRestartAfterEnrol.Text(app.English)) || strings.Contains(msg, app.MsgForwardAfterRestart.Text(app.English)) {
			t.Errorf("after enrolling with %s the settings say %q", merchant, msg)
		}
	}

	// When Forward now is tapped, then only the forwarder of the last identity is asked
	s.tapButton("Forward now")
	eventually(t, "the newest forwarder asked", func() bool { return made[2].asked() == 1 })
	if made[0].asked()+made[1].asked()+s.forward.asked() != 0 {
		t.Error("a forwarder of a former identity was asked to forward")
	}
}
