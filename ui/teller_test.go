package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/device"
	"lingqian/wallet"
)

// The teller every teller test signs in as.
const teller, tellerPIN = "zhao.lei", "2468"

// branch is a shop desk enrolled with the real bank on loopback as a
// teller desk, with teller mode on the loopback reader, and a customer
// alice whose phone the bank issued with 500.00 on it from her deposit of
// 1000.00.
type branch struct {
	*shop
	bank  *loopBank
	phone *banktest.Client
	w     *wallet.Card
}

func newBranch(t *testing.T, lang string) *branch {
	t.Helper()
	ctx := context.Background()
	lb := startBank(t)
	s := newShop(t, lang, app.Limits{})
	admin := &app.Operator{ID: admin, Role: app.RoleAdmin}
	if err := s.desk.svc.Staff.Add(ctx, admin, app.Operator{ID: teller, Name: "Zhao Lei", Role: app.RoleTeller}, tellerPIN); err != nil {
		t.Fatal(err)
	}
	dk := s.deskFolder()
	if _, _, err := dk.Enrol(ctx, lb.url, lb.b.PKI().CAPEM, lb.code("B001", true), false); err != nil {
		t.Fatal(err)
	}
	tl, closeReader, err := dk.Teller(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeReader)
	tl.Reader = loopbackReader{s.reader}
	do(func() { s.desk.svc.Teller = tl })

	if err := lb.b.AddCustomer(ctx, "alice", "s3cret-alice", 100000); err != nil {
		t.Fatal(err)
	}
	phone := banktest.Login(t, lb.url, lb.b.PKI().CAPEM, "alice", "s3cret-alice")
	return &branch{shop: s, bank: lb, phone: phone, w: phone.NewWallet(t, t.TempDir(), 50000)}
}

// tellerSignedIn signs the teller in and opens F5.
func (b *branch) tellerSignedIn() *tellerScreen {
	b.t.Helper()
	b.signIn(teller, tellerPIN)
	eventually(b.t, "signed in", func() bool { op := b.desk.Operator(); return op != nil && op.ID == teller })
	b.press(fyne.KeyF5)
	var ts *tellerScreen
	do(func() { ts = b.desk.teller })
	eventually(b.t, "teller mode open", func() bool { return ts.open && b.desk.Window.Canvas().Focused() == ts.load.amount })
	return ts
}

// tellerPart shows part i of teller mode by keyboard.
func (b *branch) tellerPart(ts *tellerScreen, i int) {
	b.t.Helper()
	shown := func() (at int) { do(func() { at = ts.parts.SelectedIndex() }); return at }
	for n := 0; n < 4 && shown() != i; n++ {
		eventually(b.t, "not busy", func() bool { return !ts.busy() })
		b.press(fyne.KeyPageDown)
	}
	if shown() != i {
		b.t.Fatalf("part %d not shown", i)
	}
}

func (b *branch) deposit() int64 {
	b.t.Helper()
	v, err := b.bank.b.Deposit(context.Background(), "alice")
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func TestTeller_ALoadAndAnUnloadAtTheBank(t *testing.T) {
	// Given a teller at a teller desk, and alice's phone with 500.00
	b := newBranch(t, app.English)
	ts := b.tellerSignedIn()
	if b.deposit() != 50000 {
		t.Fatalf("deposit %d before", b.deposit())
	}

	// When the teller types 100.00 and Enter, and alice taps her phone
	b.typeKeys("100.00")
	b.press(fyne.KeyReturn)
	eventually(t, "waiting for the phone", func() bool { return ts.busy() })
	var h, balances, reason string
	var shown int
	do(func() { h, _, _ = ts.load.Result(); shown = ts.shown })
	if h != "Present phone: load 100.00 CNY" {
		t.Errorf("while waiting: %q", h)
	}
	b.reader.Tap(b.w, device.Leave{})
	eventually(t, "the load's result", func() bool { return ts.shown > shown })
	b.reader.Remove()

	// Then the screen says loaded, with the balance before and after, large
	do(func() { h, balances, reason = ts.load.Result() })
	if h != "LOADED  100.00" || balances != "Before 500.00   After 600.00" || reason != "Loaded 100.00 CNY. Balance on the phone: 500.00 → 600.00 CNY." {
		t.Fatalf("result %q / %q / %q", h, balances, reason)
	}
	var steps string
	do(func() { steps = ts.load.steps.Text })
	for _, s := range []app.TellerStep{app.StepTap, app.StepBank, app.StepScript, app.StepDone} {
		if !strings.Contains(steps, app.StepText(s, app.English)) {
			t.Errorf("step %s not shown: %q", s, steps)
		}
	}
	// And the phone holds 600.00, the deposit 400.00, and the desk's audit names the teller
	if b.w.Balance() != 60000 || b.deposit() != 40000 {
		t.Fatalf("phone %d, deposit %d", b.w.Balance(), b.deposit())
	}
	if !b.audited(teller, "loaded 100.00 onto wallet") {
		t.Error("the load is not audited")
	}

	// When the teller looks the wallet up by its number
	b.tellerPart(ts, 1)
	b.typeKeys(b.w.PAN())
	b.press(fyne.KeyReturn)
	// Then the wallet and its statement, with the load, are shown
	eventually(t, "wallet found", func() bool { return ts.wallet.found != nil && !ts.busy() })
	var info, statement string
	do(func() { info, statement = ts.wallet.info.Text, ts.wallet.statement.Text })
	if !strings.Contains(info, "Wallet "+b.w.PAN()+"/"+b.w.PSN()+" of alice: active") || !strings.Contains(info, "The bank holds 600.00 CNY") {
		t.Errorf("wallet shown as %q", info)
	}
	if !strings.Contains(statement, "load") || !strings.Contains(statement, "100.00") || !strings.Contains(statement, teller) {
		t.Errorf("statement %q", statement)
	}

	// When the teller unloads 30.00 to alice's deposit, alice types her
	// bank password in the confirmation, and Enter says yes
	b.fill(ts.wallet.unloadAmount, "30.00")
	b.press(fyne.KeyReturn)
	eventually(t, "asked", func() bool { return b.modalSays("30.00 CNY of wallet " + b.w.PAN()) })
	b.typeKeys("s3cret-alice")
	b.press(fyne.KeyReturn)

	// Then the bank holds it for its settlement window, the wallet
	// hotlisted, and the screen says so; the deposit is paid after the window
	eventually(t, "held", func() bool {
		return strings.HasPrefix(ts.wallet.message.Text, "Unload of 30.00 CNY held: paid to alice's deposit on ")
	})
	if b.deposit() != 40000 {
		t.Errorf("deposit %d at once", b.deposit())
	}
	eventually(t, "shown again", func() bool { return strings.Contains(ts.wallet.info.Text, ": hotlisted") && !ts.busy() })
	if !b.audited(teller, "signed by the customer") {
		t.Error("the unload is not audited")
	}
}

func TestTeller_TheExceptionQueueResolvesAnItem(t *testing.T) {
	ctx := context.Background()
	// Given a phone that told the bank it holds more than its loads left it
	b := newBranch(t, app.English)
	var up bank.UploadResponse
	if _, err := b.phone.Call(ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("upload"), map[string]any{
		"pan": b.w.PAN(), "psn": b.w.PSN(), "balance": 90000, "atc": b.w.ATC(), "records": []any{},
	}, &up); err != nil {
		t.Fatal(err)
	}
	ts := b.tellerSignedIn()

	// When the teller opens the exception queue
	b.tellerPart(ts, 2)
	// Then the open item is listed
	eventually(t, "listed", func() bool { return len(ts.exc.items) == 1 })
	var row string
	var id int64
	do(func() { row, id = ts.exc.Rows()[0], ts.exc.items[0].ID })
	if !strings.Contains(row, "Balance mismatch") || !strings.Contains(row, "The bank's words: the phone says 900.00") || !strings.Contains(row, b.w.PAN()) {
		t.Fatalf("row %q", row)
	}

	// When they choose it, type a note and press Enter
	do(func() { ts.exc.list.Select(0) })
	eventually(t, "note focused", func() bool { return b.desk.Window.Canvas().Focused() == ts.exc.note })
	b.typeKeys("phone restored from a backup; checked with alice")
	b.press(fyne.KeyReturn)

	// Then it is resolved at the bank in the teller's name, and leaves the open queue
	eventually(t, "resolved", func() bool { return ts.exc.message.Text == app.MsgTellerResolved.Textf(app.English, id) })
	eventually(t, "queue empty", func() bool { return len(ts.exc.items) == 0 && !ts.busy() && ts.exc.empty.Visible() })
	var x bank.Exception
	if err := b.bank.b.Store().Read(ctx, func(tx bank.Tx) (err error) { x, err = tx.Exception(id); return err }); err != nil {
		t.Fatal(err)
	}
	if x.Resolved.By != teller || x.Resolved.Note != "phone restored from a backup; checked with alice" {
		t.Errorf("resolution %+v", x.Resolved)
	}
	// And the resolved filter shows who resolved it
	do(func() { ts.exc.filter.SetSelected(app.MsgTellerUIFilterResolved.Text(app.English)) })
	eventually(t, "resolved listed", func() bool { return len(ts.exc.items) == 1 })
	do(func() { row = ts.exc.Rows()[0] })
	if !strings.Contains(row, "Resolved by "+teller) {
		t.Errorf("resolved row %q", row)
	}
}

func TestTeller_NotForACashierOrAShopDesk(t *testing.T) {
	// Given a teller desk
	b := newBranch(t, app.English)
	// When a cashier opens F5, then it says why not
	b.signedIn(cashier)
	b.press(fyne.KeyF5)
	eventually(t, "why", func() bool {
		return !b.desk.teller.open && b.desk.teller.why.Text == "Teller mode needs an operator with the teller role; li.na is signed in as cashier."
	})
	// When the desk is a shop's, then a teller is told that instead
	if err := b.db.SetSetting(context.Background(), "teller", "false", "test"); err != nil {
		t.Fatal(err)
	}
	do(func() { b.desk.SignOut("") })
	b.signIn(teller, tellerPIN)
	eventually(t, "signed in", func() bool { return b.desk.Operator() != nil })
	b.press(fyne.KeyF5)
	eventually(t, "not a teller desk", func() bool { return b.desk.teller.why.Text == app.MsgTellerErrNotDesk.Text(app.English) })
}

func TestTeller_ReEntryAndHotlist(t *testing.T) {
	// Given a teller, and alice's phone whose log the bank must take afresh
	b := newBranch(t, app.English)
	ts := b.tellerSignedIn()

	// When the teller writes a note on the lost-log part, says yes, and alice taps
	b.tellerPart(ts, 3)
	b.typeKeys("phone reset by the customer; log lost")
	b.press(fyne.KeyReturn)
	eventually(t, "asked", func() bool { return b.modalSays(app.MsgTellerUIReEntryConfirm.Text(app.English)) })
	var shown int
	do(func() { shown = ts.shown })
	b.press(fyne.KeyReturn)
	eventually(t, "waiting", func() bool { return ts.busy() })
	b.reader.Tap(b.w, device.Leave{})
	eventually(t, "re-entered", func() bool { return ts.shown > shown })
	b.reader.Remove()
	// Then the bank took the phone's balance, and the screen says so
	var got string
	do(func() { got = ts.reentry.message.Text })
	if !strings.Contains(got, "re-entered at ATC") || !strings.Contains(got, "500.00") {
		t.Fatalf("re-entry: %q", got)
	}

	// When the teller looks the wallet up by a tap and hotlists it with a reason
	b.tellerPart(ts, 1)
	b.tapKeyButton(app.MsgTellerUITapLookup.Text(app.English))
	eventually(t, "waiting", func() bool { return ts.busy() })
	b.reader.Tap(b.w, device.Leave{})
	eventually(t, "found", func() bool { return ts.wallet.found != nil && !ts.busy() })
	b.reader.Remove()
	do(func() { got = ts.wallet.info.Text })
	if !strings.Contains(got, "The phone shows 500.00 CNY now") {
		t.Errorf("tapped wallet shown as %q", got)
	}
	b.fill(ts.wallet.reason, "phone stolen, reported by alice")
	b.press(fyne.KeyReturn)
	eventually(t, "asked", func() bool { return b.modalSays(app.MsgTellerUIHotlistConfirm.Text(app.English)) })
	b.press(fyne.KeyReturn)
	// Then it is hotlisted at the bank, and shown so
	eventually(t, "hotlisted", func() bool { return strings.Contains(ts.wallet.info.Text, ": hotlisted") })
	do(func() { got = ts.wallet.message.Text })
	if !strings.Contains(got, "is hotlisted") {
		t.Errorf("message %q", got)
	}
}

// secondCard gives alice a second wallet with the phone's PAN, PSN 01 and
// psn01 fen on it from her deposit, issued after the phone's: the bank's
// default wallet of the PAN from then on.
func (b *branch) secondCard(psn01 int64) {
	b.t.Helper()
	ctx := context.Background()
	err := b.bank.b.Store().Write(ctx, func(tx bank.Tx) error {
		w, err := tx.Wallet(b.w.PAN(), b.w.PSN())
		if err != nil {
			return err
		}
		now := time.Now()
		w.PSN, w.KnownBalance, w.LastATC, w.Created = "01", psn01, 0, now.Add(time.Second)
		if err := tx.CreateWallet(w); err != nil {
			return err
		}
		// The bank's ledger names, as a voucher posts them.
		ecash := "ecash:" + w.PAN + "/01"
		if err := tx.EnsureAccount(ecash, bank.Liability); err != nil {
			return err
		}
		p := bank.Posting{At: now, Kind: "voucher", Memo: "second card", Lines: []bank.Line{{Account: "deposit:alice", Amount: psn01}, {Account: ecash, Amount: -psn01}}}
		if err := tx.Post(&p); err != nil {
			return err
		}
		return tx.AddLoad(&bank.Load{PAN: w.PAN, PSN: "01", Kind: bank.LoadVoucher, Amount: psn01, BalanceAfter: psn01, PostingID: p.ID, At: now})
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// bankBalance is what the bank holds on alice's wallet with this PSN.
func (b *branch) bankBalance(psn string) int64 {
	b.t.Helper()
	var w bank.Wallet
	if err := b.bank.b.Store().Read(context.Background(), func(tx bank.Tx) (err error) { w, err = tx.Wallet(b.w.PAN(), psn); return err }); err != nil {
		b.t.Fatal(err)
	}
	return w.KnownBalance
}

func TestTeller_AfterAnUnloadTheWalletShownStaysWhenAnotherCardSharesItsPAN(t *testing.T) {
	// Given alice's phone (PSN 00, 500.00) and a newer card of hers with the
	// same PAN (PSN 01, 200.00), which the bank answers for the PAN alone
	b := newBranch(t, app.English)
	b.secondCard(20000)
	ts := b.tellerSignedIn()

	// When the teller looks the phone up by a tap
	b.tellerPart(ts, 1)
	b.tapKeyButton(app.MsgTellerUITapLookup.Text(app.English))
	eventually(t, "waiting", func() bool { return ts.busy() })
	b.reader.Tap(b.w, device.Leave{})
	eventually(t, "found", func() bool { return ts.wallet.found != nil && !ts.busy() })
	b.reader.Remove()
	phone := "Wallet " + b.w.PAN() + "/" + b.w.PSN() + " of alice"
	var info string
	do(func() { info = ts.wallet.info.Text })
	if !strings.Contains(info, phone) || !strings.Contains(info, "The bank holds 500.00 CNY") {
		t.Fatalf("tapped wallet shown as %q", info)
	}

	// And unloads 30.00 from it, alice signing with her password
	b.fill(ts.wallet.unloadAmount, "30.00")
	b.press(fyne.KeyReturn)
	eventually(t, "asked", func() bool { return b.modalSays("30.00 CNY of wallet " + b.w.PAN() + "/" + b.w.PSN()) })
	b.typeKeys("s3cret-alice")
	b.press(fyne.KeyReturn)

	// Then the bank holds 30.00 of the phone's wallet, and the screen still
	// shows the phone's wallet, now hotlisted, with the unload held
	eventually(t, "held", func() bool {
		return strings.HasPrefix(ts.wallet.message.Text, "Unload of 30.00 CNY held") && !ts.busy()
	})
	eventually(t, "shown again", func() bool { return strings.Contains(ts.wallet.info.Text, ": hotlisted") })
	var statement string
	do(func() { info, statement = ts.wallet.info.Text, ts.wallet.statement.Text })
	if !strings.Contains(info, phone) || !strings.Contains(info, "The phone shows 500.00 CNY now") {
		t.Errorf("after the unload the screen shows %q", info)
	}
	if strings.Count(statement, "30.00 CNY  held, pays the deposit on") != 1 {
		t.Errorf("statement %q", statement)
	}

	// When the teller unloads again, then it is the phone's wallet again that holds it
	b.fill(ts.wallet.unloadAmount, "10.00")
	b.press(fyne.KeyReturn)
	eventually(t, "asked again", func() bool { return b.modalSays("10.00 CNY of wallet " + b.w.PAN() + "/" + b.w.PSN()) })
	b.typeKeys("s3cret-alice")
	b.press(fyne.KeyReturn)
	eventually(t, "shown after the second", func() bool {
		return strings.Contains(ts.wallet.statement.Text, "10.00 CNY  held") && strings.Contains(ts.wallet.statement.Text, "30.00 CNY  held")
	})
	if b.bankBalance(b.w.PSN()) != 50000 || b.bankBalance("01") != 20000 || b.deposit() != 30000 {
		t.Fatalf("the bank holds %d on PSN 00 and %d on PSN 01, deposit %d", b.bankBalance(b.w.PSN()), b.bankBalance("01"), b.deposit())
	}
	if other, err := b.bank.b.WalletStatement(context.Background(), b.w.PAN(), "01"); err != nil || len(other.HeldUnloads) != 0 {
		t.Errorf("the other card: %+v, %v", other, err)
	}
}
