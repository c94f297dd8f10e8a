package systest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/internal/faultproxy"
	"lingqian/internal/pcsctest"
	"lingqian/store"
)

// faultWorld is one bank, one desk enrolled through the fault proxy, and
// one phone on the reader, shared by the cases.
type faultWorld struct {
	work, desk, wallet string
	terminal           string
	bank               *realBank
	proxy              *faultproxy.Proxy
	// charged is every purchase the desk approved, in fen; bankRejected
	// counts messages the bank rejected (those hostile desks sent).
	charged      []int64
	bankRejected int
}

func newFaultWorld(t *testing.T) *faultWorld {
	t.Helper()
	w, d := newEnrolledWorld(t, 50000)
	phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", w.wallet, "--vpcd", d.Addr())
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Process.Signal(syscall.SIGTERM); _ = phone.Wait() })
	return w
}

// newEnrolledWorld starts pcscd with vpcd, the real bank behind the fault
// proxy, a desk of merchant M001 enrolled through it, and alice's wallet
// loaded with load fen; the phone is not on the reader yet.
func newEnrolledWorld(t *testing.T, load int) (*faultWorld, *pcsctest.Daemon) {
	t.Helper()
	d := pcsctest.Start(t)
	work := t.TempDir()
	w := &faultWorld{work: work, desk: filepath.Join(work, "desk"), wallet: filepath.Join(work, "wallet.json")}
	w.bank = startRealBank(t, filepath.Join(work, "bank"))
	p, err := faultproxy.Start(w.bank.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	w.proxy = p
	w.mustRun(t, "lingqian-bank", "customer", "add", "--data", w.bank.dir, "--user", "alice", "--password", "s3cret", "--deposit", "100000")
	w.terminal = w.enrolAt(t, w.desk, "M001")
	w.mustRun(t, "lingqian-phone", "apply", "--wallet", w.wallet, "--bank", "https://"+w.bank.addr, "--ca", w.bank.ca(),
		"--user", "alice", "--password", "s3cret", "--load", strconv.Itoa(load))
	return w, d
}

// enrolDesk enrols a new desk of merchant through the proxy; its folder.
func (w *faultWorld) enrolDesk(t *testing.T, merchant string) string {
	t.Helper()
	dir := filepath.Join(w.work, "desk-"+merchant)
	w.enrolAt(t, dir, merchant)
	return dir
}

// enrolAt enrols the desk in dir through the proxy; its terminal id.
func (w *faultWorld) enrolAt(t *testing.T, dir, merchant string) string {
	t.Helper()
	code := strings.TrimSpace(w.mustRun(t, "lingqian-bank", "terminal-code", "--data", w.bank.dir, "--merchant", merchant))
	out := w.mustRun(t, "lingqian", "enroll", "--data", dir, "--bank", "https://"+w.proxy.Addr(), "--ca", w.bank.ca(), "--code", code)
	_, rest, _ := strings.Cut(out, " as terminal ")
	terminal, _, _ := strings.Cut(rest, " ")
	if terminal == "" {
		t.Fatalf("enroll said %q", out)
	}
	return terminal
}

// faultRun is how a command ended.
type faultRun struct {
	code           int
	stdout, stderr string
}

func (w *faultWorld) runCmd(name string, args ...string) faultRun { return runBinary(name, args...) }

// runBinary runs one of the binaries to its end (at most two minutes).
func runBinary(name string, args ...string) faultRun {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := binaries()
	if err != nil {
		return faultRun{code: -1, stderr: err.Error()}
	}
	cmd := exec.CommandContext(ctx, filepath.Join(dir, name), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err = cmd.Run()
	r := faultRun{stdout: out.String(), stderr: errs.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		r.code, r.stderr = -1, r.stderr+err.Error()
	}
	return r
}

func (w *faultWorld) mustRun(t *testing.T, name string, args ...string) string {
	t.Helper()
	r := w.runCmd(name, args...)
	if r.code != 0 {
		t.Fatalf("%s %s: exit %d\n%s%s", name, strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// charge makes n purchases at the desk through pcscd, of amounts that
// differ so that sums tell them apart.
func (w *faultWorld) charge(t *testing.T, n int) {
	t.Helper()
	for range n {
		amount := int64(101 + 37*len(w.charged)%500)
		out := w.mustRun(t, "lingqian", "charge", "--data", w.desk, "--amount", fmt.Sprintf("%d.%02d", amount/100, amount%100),
			"--json", "--timeout", "20s")
		var c chargeJSON
		if err := json.Unmarshal([]byte(out), &c); err != nil || c.Outcome != "approved" || c.Amount != amount {
			t.Fatalf("charge printed %q (%v)", out, err)
		}
		w.charged = append(w.charged, amount)
	}
}

func (w *faultWorld) setFault(t *testing.T, f faultproxy.Fault) {
	t.Helper()
	if err := w.proxy.Set(f); err != nil {
		t.Fatal(err)
	}
}

// faultSummary is the part of `lingqian sync --json` the cases read.
type faultSummary struct {
	Sent        int               `json:"sent"`
	Accepted    int               `json:"accepted"`
	Duplicate   int               `json:"duplicate"`
	Delivered   bool              `json:"delivered"`
	Reconciled  bool              `json:"reconciled"`
	Differences []json.RawMessage `json:"differences"`
	Errors      []string          `json:"errors"`
}

// sync runs `lingqian sync --once --json` on the shared desk.
func (w *faultWorld) sync(t *testing.T, args ...string) (faultSummary, faultRun) {
	t.Helper()
	return w.runSync(t, w.desk, args...)
}

func (w *faultWorld) runSync(t *testing.T, dir string, args ...string) (faultSummary, faultRun) {
	t.Helper()
	r := w.runCmd("lingqian", append([]string{"sync", "--data", dir, "--once", "--json"}, args...)...)
	var s faultSummary
	if line := strings.TrimSpace(r.stdout); line != "" {
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("sync printed %q: %v", r.stdout, err)
		}
	}
	return s, r
}

// expectSynced runs a sync that must forward n purchases and settle.
func (w *faultWorld) expectSynced(t *testing.T, n int) faultSummary {
	t.Helper()
	s, r := w.sync(t)
	w.expectExit(t, r, 0, "")
	if s.Sent != n || s.Accepted+s.Duplicate != n || !s.Delivered || !s.Reconciled || len(s.Differences) != 0 {
		t.Errorf("sync summary %s", r.stdout)
	}
	return s
}

func (w *faultWorld) expectExit(t *testing.T, r faultRun, code int, says string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, says) {
		t.Fatalf("exit %d, want %d saying %q\nstdout: %s\nstderr: %s", r.code, code, says, r.stdout, r.stderr)
	}
	if says != "" {
		t.Logf("the desk said: %s", strings.TrimSpace(r.stderr))
	}
}

// deskReport is the desk's X report.
func (w *faultWorld) deskReport(t *testing.T) app.Report {
	t.Helper()
	var rep app.Report
	if err := json.Unmarshal([]byte(w.mustRun(t, "lingqian", "report", "--data", w.desk, "--x", "--format", "json")), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// expectDeskPending: the last n purchases, and no others, are pending in
// the desk's X report.
func (w *faultWorld) expectDeskPending(t *testing.T, n int) {
	t.Helper()
	if p := w.deskReport(t).Pending; p.Count != n || int64(p.Amount) != sumFen(w.charged[len(w.charged)-n:]) {
		t.Errorf("desk pending %+v, want the last %d purchases", p, n)
	}
}

// expectBankPostedMore: the bank posted the last n purchases since before.
func (w *faultWorld) expectBankPostedMore(t *testing.T, before app.Totals, n int) {
	t.Helper()
	want := app.Totals{Count: before.Count + n, Amount: before.Amount + app.Money(sumFen(w.charged[len(w.charged)-n:]))}
	if got := w.bank.report(t).Posted; got != want {
		t.Errorf("bank posted %+v, want %+v: it had not committed the batch", got, want)
	}
}

// waitDeskPosted waits (up to 30 s) until the desk holds every purchase posted.
func (w *faultWorld) waitDeskPosted(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep := w.deskReport(t)
		if rep.Posted.Count == len(w.charged) && rep.Pending.Count == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the desk still holds %+v pending", rep.Pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkSettled is the end state every case must reach: every purchase
// posted exactly once, by the bank and at the desk, nothing pending or
// different, and the bank's ledger balanced with the merchant's money in
// its settlement account.
func (w *faultWorld) checkSettled(t *testing.T) {
	t.Helper()
	want := app.Totals{Count: len(w.charged), Amount: app.Money(sumFen(w.charged))}
	s, r := w.sync(t)
	if r.code != 0 || s.Sent != 0 || len(s.Differences) != 0 {
		t.Errorf("a final sync: exit %d, %s%s", r.code, r.stdout, r.stderr)
	}
	b := w.bank.report(t)
	if b.Posted != want || b.Pending.Count != 0 || b.Rejected.Count != w.bankRejected {
		t.Errorf("bank posted %+v pending %+v rejected %+v; want posted %+v, rejected %d", b.Posted, b.Pending, b.Rejected, want, w.bankRejected)
	}
	d := w.deskReport(t)
	if d.Posted != want || d.Pending.Count != 0 || d.Rejected.Count != 0 {
		t.Errorf("desk posted %+v pending %+v rejected %+v; want posted %+v", d.Posted, d.Pending, d.Rejected, want)
	}
	checkTimelines(t, w.desk)
	w.bank.checkLedger(t, "M001", int64(want.Amount))
}

// checkTimelines: every purchase's timeline at the desk ends posted.
func checkTimelines(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := int64(1); seq <= last; seq++ {
		tl, err := db.Timeline(ctx, seq)
		if err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
		if end := tl[len(tl)-1]; end.State != app.StatePosted {
			t.Errorf("entry %d ends %s (%s): %+v", seq, end.State, end.Reason, tl)
		}
	}
}

// sumFen adds amounts in fen.
func sumFen(v []int64) int64 {
	var s int64
	for _, x := range v {
		s += x
	}
	return s
}

// deskProc is `lingqian sync` running in the background.
type deskProc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan int
}

func (w *faultWorld) startSync(t *testing.T) *deskProc {
	t.Helper()
	cmd := exec.Command(bin(t, "lingqian"), "sync", "--data", w.desk, "--json", "--interval", "300ms")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &deskProc{cmd: cmd, out: &bytes.Buffer{}, done: make(chan int, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = cmd.Wait()
		p.done <- cmd.ProcessState.ExitCode()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *deskProc) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	p.wait(t)
}

// stop interrupts it as a shop owner would; its exit code.
func (p *deskProc) stop(t *testing.T) int {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	return p.wait(t)
}

func (p *deskProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-p.done:
		return code
	case <-time.After(20 * time.Second):
		t.Fatal("`lingqian sync` did not end")
		return -1
	}
}

func waitFired(t *testing.T, fired <-chan struct{}) {
	t.Helper()
	select {
	case <-fired:
	case <-time.After(30 * time.Second):
		t.Fatal("the batch never reached the bank")
	}
}
