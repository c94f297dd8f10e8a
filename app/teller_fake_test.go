package app_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
	"lingqian/wallet"
)

// memBank is the bank's teller calls in memory, with the real issuer's
// cryptography: the ARQC is verified, the ARPC and the script are the
// issuer's. It keeps the rules the desk relies on: idempotent writes, a
// load built on the lower of the bank's and the phone's balance, an ARQC
// answered once (answered_already when asked again under another key), a
// load returned once, the exception queue. The real bank's own tests are
// in bank/ and sync/.
type memBank struct {
	t   *testing.T
	iss *issuance.Issuer

	mu       sync.Mutex
	wallets  map[string]*memWallet // PAN/PSN
	deposits map[string]app.Money
	answered map[string]string // key → request, for idempotency
	answers  map[string]any
	hotlist  []string
	excs     []app.BankException
	calls    []string
	// down refuses every call as unreachable; loseAnswer does the next
	// load or unload and then says the bank could not be reached.
	down       bool
	loseAnswer bool
	// spoilARPC flips a bit of the next load's ARPC.
	spoilARPC bool
	// downOn refuses the calls of that name as unreachable ("unload",
	// "file"…); refuseReturns refuses returns as a bank short of money would.
	downOn        string
	refuseReturns bool
	// The customers' bank passwords, their wrong tries in a row, and
	// until when each is locked; until when the bank takes no password
	// at all (429); unloads held until payHeld, and how long the bank
	// says it holds them.
	passwords   map[string]string
	wrong       map[string]int
	lockedUntil map[string]time.Time
	slowDown    time.Time
	held        []memHeld
	window      time.Duration
}

func newMemBank(t *testing.T) *memBank {
	t.Helper()
	iss, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	return &memBank{t: t, iss: iss, wallets: map[string]*memWallet{}, deposits: map[string]app.Money{},
		answered: map[string]string{}, answers: map[string]any{},
		passwords: map[string]string{}, wrong: map[string]int{}, lockedUntil: map[string]time.Time{}, window: 72 * time.Hour}
}

// customer has a deposit and a wallet holding balance.
func (b *memBank) customer(user string, deposit, balance app.Money) *wallet.Card {
	b.t.Helper()
	w, err := wallet.Create(filepath.Join(b.t.TempDir(), user+".json"), wallet.CreateOptions{},
		wallet.LocalIssuer(b.iss, issuance.Request{Balance: int64(balance), Effective: time.Now().AddDate(0, -1, 0)}))
	if err != nil {
		b.t.Fatal(err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.deposits[user] = deposit
	b.passwords[user] = "pw-" + user
	b.wallets[w.PAN()+"/"+w.PSN()] = &memWallet{card: w, customer: user, known: balance, loads: map[uint16]*memLoad{}}
	return w
}

func (b *memBank) refuse(status int, code, msg string) error {
	return &app.BankError{Status: status, Code: code, Message: msg}
}

// begin counts the call and answers a replay; done is false when the
// call must go on.
func (b *memBank) begin(name, key string, req any) (answer any, done bool, err error) {
	b.calls = append(b.calls, name)
	if b.down || b.downOn == name {
		return nil, true, fmt.Errorf("%w: connection refused", app.ErrBankUnavailable)
	}
	if key == "" {
		return nil, false, nil
	}
	body := fmt.Sprintf("%s %#v", name, req)
	if prev, ok := b.answered[key]; ok {
		if prev != body {
			return nil, true, b.refuse(http.StatusConflict, app.BankCodeConflict, "the key was used with another body")
		}
		return b.answers[key], true, nil
	}
	return nil, false, nil
}

func (b *memBank) keep(name, key string, req, answer any) error {
	b.answered[key], b.answers[key] = fmt.Sprintf("%s %#v", name, req), answer
	if b.loseAnswer {
		b.loseAnswer = false
		return fmt.Errorf("%w: the answer was lost", app.ErrBankUnavailable)
	}
	return nil
}

func (b *memBank) wallet(pan, psn string) (*memWallet, string, error) {
	for k, w := range b.wallets {
		if strings.HasPrefix(k, pan+"/") && (psn == "" || k == pan+"/"+psn) {
			return w, k, nil
		}
	}
	return nil, "", b.refuse(http.StatusNotFound, app.BankCodeNotFound, "no wallet has this PAN")
}

func (b *memBank) Wallet(_ context.Context, pan, psn string) (app.BankWallet, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, done, err := b.begin("wallet", "", nil); done {
		return app.BankWallet{}, err
	}
	w, _, err := b.wallet(pan, psn)
	if err != nil {
		return app.BankWallet{}, err
	}
	status := "active"
	if w.hot {
		status = "hotlisted"
	}
	return app.BankWallet{PAN: w.card.PAN(), PSN: w.card.PSN(), Status: status, Customer: w.customer, Balance: w.known, LastATC: w.lastATC}, nil
}

func (b *memBank) Statement(_ context.Context, pan, psn string) (app.WalletStatement, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	w, _, err := b.wallet(pan, psn)
	if err != nil {
		return app.WalletStatement{}, err
	}
	st := app.WalletStatement{PAN: w.card.PAN(), PSN: w.card.PSN(), Customer: w.customer, Balance: w.known}
	for atc, l := range w.loads {
		after := l.after
		st.Entries = append(st.Entries, app.StatementLine{Kind: "load", ATC: atc, Amount: l.amount, State: "posted", Balance: &after})
	}
	return st, nil
}

// forget drops every idempotency record, as the bank does for a desk
// enrolled again: its new certificate is a new client.
func (b *memBank) forget() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answered, b.answers = map[string]string{}, map[string]any{}
}

func (b *memBank) Load(_ context.Context, key string, r app.BankLoad) (app.BankLoadAnswer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("load", key, r); done {
		a, _ := prev.(app.BankLoadAnswer)
		return a, err
	}
	w, _, err := b.wallet(r.PAN, r.PSN)
	if err != nil {
		return app.BankLoadAnswer{}, err
	}
	cvr, err := issuance.ParseIAD(r.IAD)
	if err != nil || w.customer != r.Customer {
		return app.BankLoadAnswer{}, b.refuse(http.StatusForbidden, app.BankCodeForbidden, "not the customer's, or not an ARQC")
	}
	ok, err := b.iss.VerifyAC(r.PAN, r.PSN, r.ATC, issuance.ACData(r.CDOL1Data, w.card.Personalisation().AIP, r.ATC, cvr), r.ARQC)
	switch {
	case err != nil || !ok:
		return app.BankLoadAnswer{}, b.refuse(http.StatusForbidden, app.BankCodeForbidden, "the ARQC does not verify")
	case w.loads[r.ATC] != nil:
		return app.BankLoadAnswer{}, b.refuse(http.StatusConflict, app.BankCodeAnswered, "this ARQC was answered already")
	case w.hot:
		return app.BankLoadAnswer{}, b.refuse(http.StatusForbidden, app.BankCodeHotlisted, "the wallet is hotlisted")
	case r.ATC <= w.lastATC:
		return app.BankLoadAnswer{}, b.refuse(http.StatusConflict, app.BankCodeConflict, "an old ARQC")
	case b.deposits[r.Customer] < r.Amount:
		return app.BankLoadAnswer{}, b.refuse(http.StatusPaymentRequired, app.BankCodeInsufficientFunds, "the deposit holds less")
	}
	newBal := min(w.known, r.Balance) + r.Amount
	arc := [2]byte{'0', '0'}
	arpc, err := b.iss.ARPC(r.PAN, r.PSN, r.ATC, r.ARQC, arc)
	if err != nil {
		b.t.Fatal(err)
	}
	script, err := b.iss.BalanceScript(r.PAN, r.PSN, r.ATC, r.ARQC, int64(newBal))
	if err != nil {
		b.t.Fatal(err)
	}
	if b.spoilARPC {
		b.spoilARPC = false
		arpc[0] ^= 1
	}
	w.loads[r.ATC] = &memLoad{amount: r.Amount, after: newBal}
	b.deposits[r.Customer] -= r.Amount
	w.known += r.Amount
	w.lastATC = r.ATC
	w.ops = append(w.ops, "load:"+r.Operator)
	a := app.BankLoadAnswer{ARPC: arpc, ARC: arc, Script: script, Balance: newBal}
	return a, b.keep("load", key, r, a)
}

func (b *memBank) Hotlist(_ context.Context, key, operator, pan, reason string) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("hotlist", key, [3]string{operator, pan, reason}); done {
		a, _ := prev.(int64)
		return a, err
	}
	w, _, err := b.wallet(pan, "")
	if err != nil {
		return 0, err
	}
	w.hot = true
	b.hotlist = append(b.hotlist, pan)
	v := int64(len(b.hotlist))
	return v, b.keep("hotlist", key, [3]string{operator, pan, reason}, v)
}

func (b *memBank) Exceptions(_ context.Context, state app.ExceptionState) ([]app.BankException, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, done, err := b.begin("exceptions", "", nil); done {
		return nil, err
	}
	var out []app.BankException
	for _, e := range b.excs {
		if state == app.ExceptionsAll || (state == app.ExceptionsOpen) == e.Open() {
			out = append(out, e)
		}
	}
	return out, nil
}

func (b *memBank) Resolve(_ context.Context, key, operator string, id int64, note string) (app.BankException, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("resolve", key, [2]string{operator, note}); done {
		a, _ := prev.(app.BankException)
		return a, err
	}
	for i := range b.excs {
		if e := &b.excs[i]; e.ID == id {
			if !e.Open() {
				return app.BankException{}, b.refuse(http.StatusConflict, app.BankCodeConflict, "resolved already")
			}
			e.ResolvedAt, e.ResolvedBy, e.Resolution = time.Now(), operator, note
			return *e, b.keep("resolve", key, [2]string{operator, note}, *e)
		}
	}
	return app.BankException{}, b.refuse(http.StatusNotFound, app.BankCodeNotFound, "no such exception")
}

func (b *memBank) ReEnter(_ context.Context, key string, r app.ReEntry) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("reentry", key, r); done {
		a, _ := prev.(int)
		return a, err
	}
	w, k, err := b.wallet(r.PAN, r.PSN)
	if err != nil {
		return 0, err
	}
	if r.ATC < w.lastATC {
		return 0, b.refuse(http.StatusConflict, app.BankCodeConflict, "an ATC below the last")
	}
	w.lastATC = r.ATC
	n := 0
	for i := range b.excs {
		if e := &b.excs[i]; e.Open() && e.PAN+"/"+e.PSN == k {
			e.ResolvedAt, e.ResolvedBy, e.Resolution, n = time.Now(), r.Operator, r.Note, n+1
		}
	}
	return n, b.keep("reentry", key, r, n)
}

func (b *memBank) FileException(_ context.Context, key string, r app.UnfinishedReport) (app.BankException, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("file", key, r); done {
		a, _ := prev.(app.BankException)
		return a, err
	}
	if _, _, err := b.wallet(r.PAN, r.PSN); err != nil {
		return app.BankException{}, err
	}
	e := app.BankException{ID: int64(len(b.excs) + 100), At: time.Now(), Kind: "unfinished_load", PAN: r.PAN, PSN: r.PSN, ATC: r.ATC,
		TerminalID: "BRANCH01", Detail: fmt.Sprintf("load of %s at ATC %d, filed by %s: %s", app.FormatMoney(r.Amount), r.ATC, r.Operator, r.Detail)}
	b.excs = append(b.excs, e)
	return e, b.keep("file", key, r, e)
}

// filed are the open unfinished loads in the exception queue.
func (b *memBank) filed() []app.BankException {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []app.BankException
	for _, e := range b.excs {
		if e.Kind == "unfinished_load" && e.Open() {
			out = append(out, e)
		}
	}
	return out
}

// known is what the bank owes on w.
func (b *memBank) known(w *wallet.Card) app.Money {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.wallets[w.PAN()+"/"+w.PSN()].known
}

// knownOf is what the bank owes on user's only wallet.
func (b *memBank) knownOf(user string) app.Money {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, w := range b.wallets {
		if w.customer == user {
			return w.known
		}
	}
	return -1
}

func (b *memBank) deposit(user string) app.Money {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.deposits[user]
}

// memNotes is the desk's table of teller notes in memory.
type memNotes struct {
	mu    sync.Mutex
	notes map[string]string
	// fail refuses every write from the fail-th on (1: the first), as a
	// full disk would; 0 never.
	fail, writes int
}

func newMemNotes() *memNotes { return &memNotes{notes: map[string]string{}} }

func (n *memNotes) TellerNote(_ context.Context, wallet string) (string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	v, ok := n.notes[wallet]
	if !ok {
		return "", app.ErrNotFound
	}
	return v, nil
}

func (n *memNotes) KeepTellerNote(_ context.Context, wallet, body string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.writes++; n.fail > 0 && n.writes >= n.fail {
		return fmt.Errorf("disk full")
	}
	n.notes[wallet] = body
	return nil
}

func (n *memNotes) DropTellerNote(_ context.Context, wallet string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.notes, wallet)
	return nil
}

func (n *memNotes) count() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.notes)
}

// branch is a teller desk: the Teller over the bank in memory, the real
// kernel, and a loopback reader the test puts phones on.
type branch struct {
	t      *testing.T
	bank   *memBank
	mem    *memory
	notes  *memNotes
	reader *device.Loopback
	leave  device.Leave
	phone  device.Application
	teller *app.Teller
	desk   *tellerDesk
}

type tellerDesk struct{ teller bool }

func (d *tellerDesk) IsTellerDesk(context.Context) (bool, error) { return d.teller, nil }

func newBranch(t *testing.T) *branch {
	t.Helper()
	term := emv.DefaultTerminal()
	term.Keys = oda.NewStore()
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	b := &branch{t: t, bank: newMemBank(t), mem: newMemory(), notes: newMemNotes(), reader: device.NewLoopback("L"), desk: &tellerDesk{teller: true}}
	b.teller = &app.Teller{Bank: b.bank, Reader: b, Kernel: k, Desk: b.desk, Audit: b.mem, Notes: b.notes, Approvers: b.mem, Terminal: "BRANCH01"}
	return b
}

// another is a second teller desk at the same bank, with notes of its own.
func (b *branch) another() *branch {
	b.t.Helper()
	o := newBranch(b.t)
	o.bank = b.bank
	o.teller.Bank, o.teller.Terminal = b.bank, "BRANCH02"
	return o
}

// Tap puts the phone on the reader as the next tap, leaving as b.leave says.
func (b *branch) Tap(ctx context.Context) (app.Card, error) {
	if b.phone == nil {
		return nil, fmt.Errorf("no phone: %w", context.DeadlineExceeded)
	}
	b.reader.Tap(b.phone, b.leave)
	return b.reader.Connect(ctx, "L")
}

// on puts w on the reader for the next taps, leaving as leave says once.
func (b *branch) on(w device.Application, leave device.Leave) { b.phone, b.leave = w, leave }

var teller = app.Operator{ID: "li.na", Role: app.RoleTeller}

// signs is alice signing an unload with her bank password, as the fake
// bank's customer() gives it.
var signs = app.CustomerSigns("pw-alice")
