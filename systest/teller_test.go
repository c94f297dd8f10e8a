package systest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"lingqian/internal/pcsctest"
)

// tellerBranch is a bank branch as its people set it up from a shell:
// `lingqian-bank serve` on loopback, alice with a deposit and a wallet
// issued over HTTPS, and a desk enrolled with `terminal-code --teller`
// whose teller li.na (PIN 2468) was added by its admin.
type tellerBranch struct {
	t      *testing.T
	bank   *realBank
	desk   string
	wallet string
}

func newTellerBranch(t *testing.T) *tellerBranch {
	t.Helper()
	work := t.TempDir()
	b := &tellerBranch{t: t, bank: startRealBank(t, filepath.Join(work, "bank")), desk: filepath.Join(work, "desk"),
		wallet: filepath.Join(work, "wallet.json")}
	url := "https://" + b.bank.addr
	b.ok("lingqian-bank", "", "customer", "add", "--data", b.bank.dir, "--user", "alice", "--password", "s3cret", "--deposit", "100000")
	code := b.ok("lingqian-bank", "", "terminal-code", "--data", b.bank.dir, "--merchant", "BRANCH1", "--teller")
	b.ok("lingqian", "", "enroll", "--data", b.desk, "--bank", url, "--ca", b.bank.ca(), "--code", code)
	b.ok("lingqian", "1111\n", "operator", "add", "--data", b.desk, "--id", "boss", "--role", "admin")
	b.ok("lingqian", "1111\n2468\n", "operator", "add", "--data", b.desk, "--id", "li.na", "--name", "Li Na", "--role", "teller", "--by", "boss")
	b.ok("lingqian-phone", "", "apply", "--wallet", b.wallet, "--bank", url, "--ca", b.bank.ca(), "--user", "alice",
		"--password", "s3cret", "--load", "50000")
	return b
}

// run runs one of the programs with stdin; it answers standard output
// and the exit code.
func (b *tellerBranch) run(name, stdin string, args ...string) (string, int) {
	b.t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command(bin(b.t, name), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errs
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		b.t.Logf("%s %s: exit %d\n%s", name, strings.Join(args, " "), exit.ExitCode(), errs.String())
		return out.String(), exit.ExitCode()
	case err != nil:
		b.t.Fatalf("%s: %v", name, err)
	}
	return out.String(), 0
}

func (b *tellerBranch) ok(name, stdin string, args ...string) string {
	b.t.Helper()
	out, code := b.run(name, stdin, args...)
	if code != 0 {
		b.t.Fatalf("%s %s: exit %d", name, strings.Join(args, " "), code)
	}
	return strings.TrimSpace(out)
}

// teller runs `lingqian teller ARGS --json` as li.na and decodes its line.
func (b *tellerBranch) teller(args ...string) (map[string]any, int) {
	b.t.Helper()
	return b.tellerIn("2468\n", args...)
}

// tellerIn is teller with stdin as given: li.na's PIN, then what an
// unload's signer types.
func (b *tellerBranch) tellerIn(stdin string, args ...string) (map[string]any, int) {
	b.t.Helper()
	args = append([]string{"teller"}, append(args, "--data", b.desk, "--operator", "li.na", "--json")...)
	out, code := b.run("lingqian", stdin, args...)
	var j map[string]any
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		b.t.Fatalf("lingqian %s: %q: %v", strings.Join(args, " "), out, err)
	}
	return j, code
}

// phone is what the wallet file says now.
func (b *tellerBranch) phone() (pan string, balance int64, atc int) {
	b.t.Helper()
	var w struct {
		PAN     string `json:"pan"`
		Balance int64  `json:"balance"`
		ATC     int    `json:"atc"`
	}
	if err := json.Unmarshal([]byte(b.ok("lingqian-phone", "", "show", "--wallet", b.wallet, "--json")), &w); err != nil {
		b.t.Fatal(err)
	}
	return w.PAN, w.Balance, w.ATC
}

// onReader keeps the phone on the daemon's reader until the test ends.
func (b *tellerBranch) onReader(d *pcsctest.Daemon) {
	b.t.Helper()
	phone := exec.Command(bin(b.t, "lingqian-phone"), "tap", "--wallet", b.wallet, "--vpcd", d.Addr())
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = phone.Process.Signal(syscall.SIGTERM); _ = phone.Wait() })
}

func TestTeller_LoadThroughPcscdRaisesThePhoneByTheAmount(t *testing.T) {
	// Given a teller desk, alice's phone with 500.00 on the real pcscd's reader
	d := pcsctest.Start(t)
	b := newTellerBranch(t)
	b.onReader(d)
	pan, before, _ := b.phone()

	// When the teller loads 100.00 onto it
	j, code := b.teller("load", "--amount", "100.00", "--timeout", "20s")

	// Then the command says loaded, and the phone holds exactly 100.00 more
	if code != 0 || j["outcome"] != "loaded" || j["amount"] != 10000.0 || j["customer"] != "alice" ||
		j["balance_before"] != float64(before) || j["balance_after"] != float64(before+10000) || j["balance_after_read"] != true {
		t.Fatalf("load: exit %d %v", code, j)
	}
	if _, after, _ := b.phone(); after != before+10000 {
		t.Fatalf("the phone holds %d, want %d", after, before+10000)
	}

	// And the bank's lookup and statement show the load, with the teller
	look, code := b.teller("lookup", "--pan", pan)
	if code != 0 || look["bank_balance"] != float64(before+10000) {
		t.Errorf("lookup: exit %d %v", code, look)
	}
	st, code := b.teller("statement", "--pan", pan)
	if !hasEntry(st, "load", 10000, "li.na") || code != 0 {
		t.Errorf("statement: exit %d %v", code, st)
	}
	var bankSide map[string]any
	if err := json.Unmarshal([]byte(b.ok("lingqian-bank", "", "report", "--data", b.bank.dir, "--wallet", pan, "--format", "json")), &bankSide); err != nil {
		t.Fatal(err)
	}
	if !hasEntry(bankSide, "load", 10000, "li.na") {
		t.Errorf("the bank's own statement: %v", bankSide)
	}

	// And a lookup by tap reads the phone as it is now
	tapped, code := b.teller("lookup", "--timeout", "20s")
	if code != 0 || tapped["pan"] != pan || tapped["phone_balance"] != float64(before+10000) {
		t.Errorf("lookup by tap: exit %d %v", code, tapped)
	}

	// And more than alice's deposit is refused by the bank, moving nothing
	j, code = b.teller("load", "--amount", "900.00", "--timeout", "20s")
	if code != 3 || j["outcome"] != "refused" || j["reason_code"] != "insufficient_funds" {
		t.Errorf("a load over the deposit: exit %d %v", code, j)
	}
	if _, now, _ := b.phone(); now != before+10000 {
		t.Errorf("a refused load changed the phone: %d", now)
	}
}

func TestTeller_ReentryAndSignedUnloadsThroughTheCommand(t *testing.T) {
	// Given a teller desk with a second teller, zhou (PIN 1357), and alice's phone with 500.00 on the reader
	d := pcsctest.Start(t)
	b := newTellerBranch(t)
	b.ok("lingqian", "1111\n1357\n", "operator", "add", "--data", b.desk, "--id", "zhou", "--name", "Zhou", "--role", "teller", "--by", "boss")
	b.onReader(d)
	pan, balance, _ := b.phone()

	// When the phone, whose log was lost, is re-entered
	j, code := b.teller("reentry", "--note", "phone reinstalled", "--timeout", "20s")
	// Then the bank restarts its chain at what the phone holds
	if code != 0 || j["outcome"] != "reentered" || j["balance"] != float64(balance) || j["pan"] != pan {
		t.Fatalf("re-entry: exit %d %v", code, j)
	}

	// When an unload is asked with nobody to sign it, or with a wrong password
	j, code = b.teller("unload", "--pan", pan, "--amount", "200.00")
	if code != 2 || j["reason_code"] != "bad_input" {
		t.Errorf("an unload nobody signs: exit %d %v", code, j)
	}
	j, code = b.tellerIn("2468\nguess\n", "unload", "--pan", pan, "--amount", "200.00", "--customer-signs")
	// Then the bank refuses the wrong password, exit 3, and nothing is unloaded
	if code != 3 || j["reason_code"] != "wrong_password" {
		t.Errorf("a wrong password: exit %d %v", code, j)
	}

	// When alice types her password after li.na's PIN
	j, code = b.tellerIn("2468\ns3cret\n", "unload", "--pan", pan, "--amount", "200.00", "--customer-signs")
	// Then the bank holds 200.00 for its settlement window: done, with the day it pays
	if code != 0 || j["outcome"] != "unloaded" || j["state"] != "held" || j["amount"] != 20000.0 ||
		j["bank_balance"] != float64(balance) || j["signed_by"] != "customer" || j["pays_at"] == nil {
		t.Fatalf("unload signed by the customer: exit %d %v", code, j)
	}
	// And when zhou signs a second one with his PIN, it is held too
	j, code = b.tellerIn("2468\n1357\n", "unload", "--pan", pan, "--amount", "100.00", "--approver", "zhou")
	if code != 0 || j["state"] != "held" || j["signed_by"] != "zhou" {
		t.Fatalf("unload signed by a second teller: exit %d %v", code, j)
	}

	// Then the wallet is hotlisted, and the statements, the desk's and the bank's, show both held with who signed
	if look, code := b.teller("lookup", "--pan", pan); code != 0 || look["status"] != "hotlisted" {
		t.Errorf("lookup: exit %d %v", code, look)
	}
	st, code := b.teller("statement", "--pan", pan)
	if code != 0 || !hasHeld(st, 20000, "li.na", "customer") || !hasHeld(st, 10000, "li.na", "zhou") {
		t.Errorf("statement: exit %d %v", code, st)
	}
	var bankSide map[string]any
	if err := json.Unmarshal([]byte(b.ok("lingqian-bank", "", "report", "--data", b.bank.dir, "--wallet", pan, "--format", "json")), &bankSide); err != nil {
		t.Fatal(err)
	}
	if !hasHeld(bankSide, 20000, "li.na", "customer") || !hasHeld(bankSide, 10000, "li.na", "zhou") {
		t.Errorf("the bank's own statement: %v", bankSide)
	}
	// And nothing is in the exception queue
	if q, code := b.teller("exceptions", "--state", "open"); code != 0 || len(q["exceptions"].([]any)) != 0 {
		t.Errorf("exceptions: exit %d %v", code, q)
	}

	// When the teller loads it, then the load is refused as hotlisted, and the phone keeps what it had
	j, code = b.teller("load", "--amount", "10.00", "--timeout", "20s")
	if code != 3 || j["reason_code"] != "hotlisted" {
		t.Errorf("load of a hotlisted wallet: exit %d %v", code, j)
	}
	if _, now, _ := b.phone(); now != balance {
		t.Errorf("the phone holds %d, had %d", now, balance)
	}
	// And a hotlist with its reason is taken all the same
	if j, code = b.teller("hotlist", "--pan", pan, "--reason", "lost phone"); code != 0 || j["outcome"] != "hotlisted" {
		t.Errorf("hotlist: exit %d %v", code, j)
	}
}

// hasHeld says whether a statement's JSON holds a held unload of amount
// asked by operator and signed by approver.
func hasHeld(st map[string]any, amount float64, operator, approver string) bool {
	held, _ := st["held_unloads"].([]any)
	for _, e := range held {
		m, _ := e.(map[string]any)
		if m["state"] == "held" && m["amount"] == amount && m["operator"] == operator && m["approver"] == approver {
			return true
		}
	}
	return false
}

// hasEntry says whether a statement's JSON holds an entry of kind and
// amount by the operator.
func hasEntry(st map[string]any, kind string, amount float64, operator string) bool {
	entries, _ := st["entries"].([]any)
	for _, e := range entries {
		m, _ := e.(map[string]any)
		if m["kind"] == kind && m["amount"] == amount && m["operator"] == operator {
			return true
		}
	}
	return false
}
