package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
)

// The second teller of the branch.
const secondTeller, secondPIN = "qian.yu", "1357"

// unloadAsked has the teller look alice's phone up by its number on the
// wallet part, type amount and press Enter: the unload's confirmation.
func (b *branch) unloadAsked(ts *tellerScreen, amount string) {
	b.t.Helper()
	b.tellerPart(ts, 1)
	if ts.wallet.found == nil {
		b.typeKeys(b.w.PAN())
		b.press(fyne.KeyReturn)
		eventually(b.t, "wallet found", func() bool { return ts.wallet.found != nil && !ts.busy() })
	}
	b.fill(ts.wallet.unloadAmount, amount)
	b.press(fyne.KeyReturn)
	eventually(b.t, "asked", func() bool { return b.modalSays(amount) && ts.wallet.asking != nil })
}

func (b *branch) focused() fyne.Focusable {
	var f fyne.Focusable
	do(func() { f = b.desk.Window.Canvas().Focused() })
	return f
}

func TestTeller_AnUnloadSignedByASecondTellerIsHeldAndShownSo(t *testing.T) {
	// Given a teller desk with a second teller, and alice's phone with 500.00
	b := newBranch(t, app.English)
	admin := &app.Operator{ID: admin, Role: app.RoleAdmin}
	if err := b.desk.svc.Staff.Add(context.Background(), admin, app.Operator{ID: secondTeller, Name: "Qian Yu", Role: app.RoleTeller}, secondPIN); err != nil {
		t.Fatal(err)
	}
	ts := b.tellerSignedIn()

	// When the teller asks to unload 30.00, by keyboard alone
	b.unloadAsked(ts, "30.00")
	a := ts.wallet.asking
	// Then the customer's password has the focus, and Shift+Tab reaches the choice of who signs
	if b.focused() != a.password {
		t.Fatalf("focus on %T", b.focused())
	}
	do(func() { b.desk.Window.Canvas().FocusPrevious() })
	if b.focused() != a.who {
		t.Fatalf("Shift+Tab: focus on %T", b.focused())
	}
	// When ↓ chooses a second teller, then their fields are shown, and Tab goes to the id, then the PIN
	b.press(fyne.KeyDown)
	var customerShown, tellerShown bool
	do(func() { customerShown, tellerShown = a.password.Visible(), a.approver.Visible() && a.pin.Visible() })
	if customerShown || !tellerShown {
		t.Fatalf("customer's field shown %v, second teller's %v", customerShown, tellerShown)
	}
	if dir := os.Getenv("LINGQIAN_UI_SHOTS"); dir != "" {
		saveWindow(t, b.desk, filepath.Join(dir, "unload-second-teller.png"))
	}
	b.tab()
	if b.focused() != a.approver {
		t.Fatalf("Tab: focus on %T", b.focused())
	}
	b.typeKeys(secondTeller)
	b.tab()
	if b.focused() != a.pin {
		t.Fatalf("Tab again: focus on %T", b.focused())
	}
	b.typeKeys(secondPIN)
	// And Enter unloads
	b.press(fyne.KeyReturn)

	// Then the bank holds it for its settlement window, and the screen says until when
	eventually(t, "held", func() bool {
		return strings.HasPrefix(ts.wallet.message.Text, "Unload of 30.00 CNY held: paid to alice's deposit on ")
	})
	var said string
	do(func() { said = ts.wallet.message.Text })
	if !strings.HasSuffix(said, ", less purchases that arrive before then.") {
		t.Errorf("said %q", said)
	}
	// And the wallet shows hotlisted, its statement the unload held with who signed
	eventually(t, "shown again", func() bool {
		return strings.Contains(ts.wallet.info.Text, ": hotlisted") && strings.Contains(ts.wallet.statement.Text, "held, pays the deposit on")
	})
	var statement string
	do(func() { statement = ts.wallet.statement.Text })
	if !strings.Contains(statement, "30.00 CNY  held, pays the deposit on") || !strings.Contains(statement, teller+", approved by "+secondTeller) {
		t.Errorf("statement %q", statement)
	}
	// And the deposit has nothing yet; the desk's audit names both tellers
	if b.deposit() != 50000 {
		t.Errorf("deposit %d at once", b.deposit())
	}
	if !b.audited(teller, "signed by second teller "+secondTeller) {
		t.Error("the unload is not audited with its second teller")
	}
}

func TestTeller_AnUnloadWithAWrongCustomerPasswordIsRefusedInWords(t *testing.T) {
	// Given a teller at a teller desk in Chinese, and alice's phone
	b := newBranch(t, app.SimplifiedChinese)
	ts := b.tellerSignedIn()

	// When the teller asks to unload, and Esc cancels
	b.unloadAsked(ts, "30.00")
	b.typeKeys("not-her-password")
	b.press(fyne.KeyEscape)
	// Then nothing is asked of the bank
	eventually(t, "closed", func() bool { return b.desk.Window.Canvas().Overlays().Top() == nil })
	if ts.busy() || ts.wallet.message.Text != "" {
		t.Fatalf("after Esc: busy %v, %q", ts.busy(), ts.wallet.message.Text)
	}

	// When alice types a wrong password and Enter says yes
	b.unloadAsked(ts, "30.00")
	if a := ts.wallet.asking; b.focused() != a.password || a.password.Text != "" {
		t.Fatalf("a fresh confirmation: focus on %T, password %q", b.focused(), a.password.Text)
	}
	b.typeKeys("not-her-password")
	b.press(fyne.KeyReturn)

	// Then the bank's refusal is said in Chinese, and nothing moved
	want := app.MsgTellerErrWrongPassword.Text(app.SimplifiedChinese)
	eventually(t, "refused", func() bool { return ts.wallet.message.Text == want && !ts.busy() })
	if b.deposit() != 50000 {
		t.Errorf("deposit %d", b.deposit())
	}
	var info string
	do(func() { info = ts.wallet.info.Text })
	if !strings.Contains(info, app.MsgTellerUIStatusActive.Text(app.SimplifiedChinese)) {
		t.Errorf("the wallet after a refused unload: %q", info)
	}
	if !b.audited(teller, "wrong_password") {
		t.Error("the refusal is not audited")
	}
}
