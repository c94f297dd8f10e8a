package systest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lingqian/desk"
	"lingqian/internal/pcsctest"
)

// chargeStep is one `lingqian charge` at the desk, with or without the
// phone on the reader.
type chargeStep struct {
	amount string
	// phone: the customer presents the phone for this charge.
	phone bool
	// tear: the phone is lifted while GENERATE AC is in flight; the wallet
	// has already charged itself when it leaves.
	tear bool
	// timeout is the charge's --timeout (default 20s).
	timeout string
	// text: run without --json and check the sentence instead.
	text bool

	wantExit int
	want     chargeJSON // outcome, reason_code, amount, sale_amount; seq when not 0
	wantText []string   // text mode: what standard output says
}

func TestCharge_OutcomeContract(t *testing.T) {
	// Given a real pcscd with a vpcd reader, and how many commands a whole
	// purchase takes (its last is GENERATE AC, where a tap tears)
	d := pcsctest.Start(t)
	genAC := commandsOfAPurchase(t, d)

	cases := []struct {
		name    string
		balance string
		limit   string // the desk's limit_per_purchase, minor units
		steps   []chargeStep
		// wantBalance is the wallet's balance after the steps, minor units.
		wantBalance int64
	}{
		{
			name: "approved", balance: "50000",
			steps: []chargeStep{{amount: "12.50", phone: true, wantExit: exitApproved,
				want: chargeJSON{Outcome: "approved", ReasonCode: "approved", Amount: 1250, Seq: 1}}},
			wantBalance: 50000 - 1250,
		},
		{
			name: "declined by the wallet: over its balance", balance: "1000",
			steps: []chargeStep{{amount: "12.50", phone: true, wantExit: exitDeclined,
				want: chargeJSON{Outcome: "declined", Amount: 1250}}},
			wantBalance: 1000,
		},
		{
			name: "refused by the desk's offline limit for one purchase", balance: "50000", limit: "1000",
			steps: []chargeStep{{amount: "12.50", phone: true, wantExit: exitDeclined,
				want: chargeJSON{Outcome: "declined", ReasonCode: "limit_per_purchase", Amount: 1250}}},
			wantBalance: 50000,
		},
		{
			name: "a torn purchase recovered by the next sale's tap", balance: "50000",
			steps: []chargeStep{
				{amount: "12.50", phone: true, tear: true, wantExit: exitError,
					want: chargeJSON{Outcome: "error", ReasonCode: "torn", Amount: 1250, Seq: 1}},
				{amount: "30.00", phone: true, wantExit: exitRecovered,
					want: chargeJSON{Outcome: "recovered", ReasonCode: "earlier_sale_recovered", Amount: 1250, SaleAmount: 3000, Seq: 2}},
				// The cashier taps again, as told: now the 30.00 is paid.
				{amount: "30.00", phone: true, wantExit: exitApproved,
					want: chargeJSON{Outcome: "approved", ReasonCode: "approved", Amount: 3000, Seq: 3}},
			},
			wantBalance: 50000 - 1250 - 3000,
		},
		{
			name: "a torn purchase recovered, as text", balance: "50000",
			steps: []chargeStep{
				{amount: "12.50", phone: true, tear: true, text: true, wantExit: exitError},
				{amount: "30.00", phone: true, text: true, wantExit: exitRecovered, wantText: []string{
					"NOT PAID: the earlier 12.50 went through; this 30.00 sale is not paid yet: tap again",
					"journal entry 2 records the earlier purchase of 12.50"}},
			},
			wantBalance: 50000 - 1250,
		},
		{
			name: "the same sale tapped again after a tear", balance: "50000",
			steps: []chargeStep{
				{amount: "12.50", phone: true, tear: true, wantExit: exitError,
					want: chargeJSON{Outcome: "error", ReasonCode: "torn", Amount: 1250, Seq: 1}},
				{amount: "12.50", phone: true, wantExit: exitApproved,
					want: chargeJSON{Outcome: "approved", ReasonCode: "approved_recovered", Amount: 1250, Seq: 2}},
			},
			wantBalance: 50000 - 1250,
		},
		{
			name: "no phone within the timeout", balance: "50000",
			steps: []chargeStep{{amount: "12.50", timeout: "2s", wantExit: exitError,
				want: chargeJSON{Outcome: "error", ReasonCode: "timeout", Amount: 1250}}},
			wantBalance: 50000,
		},
		{
			name: "an amount that is not money", balance: "50000",
			steps: []chargeStep{{amount: "12.5x", wantExit: exitError,
				want: chargeJSON{Outcome: "error", ReasonCode: "bad_input"}}},
			wantBalance: 50000,
		},
		{
			name: "an amount of nothing", balance: "50000",
			steps: []chargeStep{{amount: "0.00", wantExit: exitError,
				want: chargeJSON{Outcome: "error", ReasonCode: "bad_input"}}},
			wantBalance: 50000,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a fresh desk, with its offline limit set, and a phone
			// personalised by a local test issuer
			data := t.TempDir()
			if tc.limit != "" {
				setDeskSetting(t, data, desk.SettingLimitPurchase, tc.limit)
			}
			capk, wallet := personalizePhone(t, tc.balance)

			for i, st := range tc.steps {
				// When the cashier charges, and the phone is presented (or
				// lifted during GENERATE AC, or never comes)
				drop := 0
				if st.tear {
					drop = genAC
				}
				var phone *phoneProc
				if st.phone {
					phone = presentPhone(t, d, wallet, drop)
				}
				code, stdout, stderr := chargeAtDesk(t, data, capk, st)
				if phone != nil {
					phone.leave(t)
				}

				// Then the exit code and the one line of JSON (or the
				// sentence) say what happened to this sale
				where := fmt.Sprintf("step %d (charge %s)", i+1, st.amount)
				t.Logf("%s: exit %d: %s", where, code, strings.TrimSpace(stdout))
				if code != st.wantExit {
					t.Fatalf("%s: exit %d, want %d\nstdout %s\nstderr %s", where, code, st.wantExit, stdout, stderr)
				}
				if st.text {
					for _, w := range st.wantText {
						if !strings.Contains(stdout, w) {
							t.Errorf("%s: standard output %q does not say %q", where, stdout, w)
						}
					}
				} else {
					checkChargeJSON(t, where, stdout, st.want)
				}
				if code == exitError && strings.TrimSpace(stderr) == "" {
					t.Errorf("%s: an error with nothing on standard error", where)
				}
			}

			// And the wallet paid exactly what was approved or recovered, once
			if got := phoneBalance(t, wallet); got != tc.wantBalance {
				t.Errorf("wallet balance %d, want %d", got, tc.wantBalance)
			}
		})
	}
}

// checkChargeJSON checks that stdout is exactly one line of the charge
// contract and that it carries want's fields.
func checkChargeJSON(t *testing.T, where, stdout string, want chargeJSON) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
	if len(lines) != 1 || lines[0] == "" {
		t.Fatalf("%s: want exactly one line of JSON, got %q", where, stdout)
	}
	var got chargeJSON
	dec := json.NewDecoder(strings.NewReader(lines[0]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("%s: %q: %v", where, lines[0], err)
	}
	if got.Outcome != want.Outcome || got.Amount != want.Amount || got.SaleAmount != want.SaleAmount {
		t.Errorf("%s: outcome %q amount %d sale_amount %d, want %q %d %d (%s)", where,
			got.Outcome, got.Amount, got.SaleAmount, want.Outcome, want.Amount, want.SaleAmount, lines[0])
	}
	if want.ReasonCode != "" && got.ReasonCode != want.ReasonCode {
		t.Errorf("%s: reason_code %q, want %q (%s)", where, got.ReasonCode, want.ReasonCode, got.Reason)
	}
	if got.ReasonCode == "" || got.Reason == "" || got.Currency != "156" {
		t.Errorf("%s: reason %q, reason_code %q, currency %q: all must be given", where, got.Reason, got.ReasonCode, got.Currency)
	}
	if want.Outcome == "declined" && want.ReasonCode == "" && strings.HasPrefix(got.ReasonCode, "limit_") {
		t.Errorf("%s: the wallet's decline reported as the desk's limit %q", where, got.ReasonCode)
	}
	if want.Seq != 0 && got.Seq != want.Seq {
		t.Errorf("%s: seq %d, want %d", where, got.Seq, want.Seq)
	}
	if got.Outcome == "approved" || got.Outcome == "recovered" {
		if !regexp.MustCompile(`^623199\*{6}\d{4}$`).MatchString(got.PAN) || got.ATC < 1 || got.CID != "40" ||
			!regexp.MustCompile(`^[0-9a-f]{10}$`).MatchString(got.TVR) {
			t.Errorf("%s: pan %q atc %d cid %q tvr %q", where, got.PAN, got.ATC, got.CID, got.TVR)
		}
	}
}

// chargeAtDesk runs `lingqian charge` on the desk in data, bounded in time.
func chargeAtDesk(t *testing.T, data, capk string, st chargeStep) (code int, stdout, stderr string) {
	t.Helper()
	timeout := st.timeout
	if timeout == "" {
		timeout = "20s"
	}
	args := []string{"charge", "--data", data, "--amount", st.amount, "--capk", capk, "--timeout", timeout}
	if !st.text {
		args = append(args, "--json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin(t, "lingqian"), args...)
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("charge %v did not end within a minute\n%s", args, errs.String())
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("charge %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errs.String()
}

// phoneProc is one `lingqian-phone tap --once`: the phone presented for one tap.
type phoneProc struct {
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
}

// presentPhone puts the wallet's phone on the reader for one tap; with
// dropBefore > 0 it leaves while that command is in flight.
func presentPhone(t *testing.T, d *pcsctest.Daemon, wallet string, dropBefore int) *phoneProc {
	t.Helper()
	args := []string{"tap", "--wallet", wallet, "--vpcd", d.Addr(), "--once", "--timeout", "40s"}
	if dropBefore > 0 {
		args = append(args, "--drop-before", strconv.Itoa(dropBefore))
	}
	p := &phoneProc{cmd: exec.Command(bin(t, "lingqian-phone"), args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// leave waits for the phone to leave the reader (it leaves by itself when
// the desk is done with it; one the desk never used is told to go), then
// for pcscd to notice, so the next tap is a new one.
func (p *phoneProc) leave(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		p.stop()
	}
	// pcscd polls the reader every 400 ms.
	time.Sleep(time.Second)
}

// stop ends the phone process by its PID, politely first.
func (p *phoneProc) stop() { stopGently(p.cmd.Process, p.done) }

// stopGently ends a process it started with SIGTERM, SIGKILL after 5 s,
// and waits until done says it has; one already ended is left alone.
func stopGently(proc *os.Process, done <-chan struct{}) {
	select {
	case <-done:
		return
	default:
	}
	_ = proc.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = proc.Kill()
		<-done
	}
}

// commandsOfAPurchase runs one whole purchase on a probe phone and answers
// how many commands the phone answered: the last is GENERATE AC.
func commandsOfAPurchase(t *testing.T, d *pcsctest.Daemon) int {
	t.Helper()
	capk, wallet := personalizePhone(t, "50000")
	p := presentPhone(t, d, wallet, 0)
	code, stdout, stderr := chargeAtDesk(t, t.TempDir(), capk, chargeStep{amount: "1.00"})
	p.leave(t)
	if code != exitApproved {
		t.Fatalf("probe purchase: exit %d\n%s\n%s", code, stdout, stderr)
	}
	m := regexp.MustCompile(`tap over: (\d+) commands answered`).FindStringSubmatch(p.out.String())
	if m == nil {
		t.Fatalf("probe phone said %q", p.out.String())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// personalizePhone makes a wallet from a local test issuer and answers
// the issuer's CA key file and the wallet file.
func personalizePhone(t *testing.T, balance string) (capk, wallet string) {
	t.Helper()
	dir := t.TempDir()
	issuer := filepath.Join(dir, "issuer")
	wallet = filepath.Join(dir, "wallet.json")
	out, err := exec.Command(bin(t, "lingqian-phone"), "personalize", "--issuer", issuer, "--wallet", wallet,
		"--balance", balance, "--single-limit", "100000").CombinedOutput()
	if err != nil {
		t.Fatalf("personalize: %v\n%s", err, out)
	}
	return filepath.Join(issuer, "capk.json"), wallet
}

// phoneBalance reads the wallet's balance as the phone shows it.
func phoneBalance(t *testing.T, wallet string) int64 {
	t.Helper()
	out, err := exec.Command(bin(t, "lingqian-phone"), "show", "--wallet", wallet, "--json").Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	var v struct {
		Balance int64 `json:"balance"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("show: %q: %v", out, err)
	}
	return v.Balance
}

// setDeskSetting sets one of the desk's settings as its owner would.
func setDeskSetting(t *testing.T, data, key, value string) {
	t.Helper()
	ctx := context.Background()
	dk, err := desk.Open(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	if err := dk.DB.SetSetting(ctx, key, value, "test"); err != nil {
		t.Fatal(err)
	}
}
