package systest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/internal/pcsctest"
	"lingqian/store"
)

// windowBinary builds the desk with its real window: without -tags ci,
// which swaps in Fyne's test driver and opens nothing. The first build of
// Fyne's GLFW driver takes minutes; later ones come from the build cache.
var windowBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lingqian-window-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "lingqian-window")
	if out, err := exec.Command("go", "build", "-o", path, "lingqian").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build (the real window): %v\n%s", err, out)
	}
	return path, nil
})

// TestWindow_KeyboardOnlySaleThroughPcscd opens the real window on a
// virtual display, signs a cashier in and takes a sale with the keyboard
// alone, the phone tapped on a real pcscd's virtual reader, and checks
// what the journal recorded.
func TestWindow_KeyboardOnlySaleThroughPcscd(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import")
	window, err := windowBinary()
	if err != nil {
		t.Fatal(err)
	}
	x := startXvfb(t)
	d := pcsctest.Start(t)

	// Given a wallet from a local issuer and a desk with an admin and a cashier
	dir := t.TempDir()
	issuerDir, walletPath := filepath.Join(dir, "issuer"), filepath.Join(dir, "wallet.json")
	runProgram(t, bin(t, "lingqian-phone"), "", "personalize", "--issuer", issuerDir, "--wallet", walletPath, "--balance", "50000")
	data := filepath.Join(dir, "desk")
	const cashier, cashierPIN, admin, adminPIN = "li.na", "1234", "boss", "2468"
	runProgram(t, window, adminPIN+"\n", "operator", "add", "--data", data, "--id", admin, "--name", "Wang Wei", "--role", "admin")
	runProgram(t, window, adminPIN+"\n"+cashierPIN+"\n", "operator", "add", "--data", data, "--id", cashier, "--name", "Li Na",
		"--role", "cashier", "--by", admin)
	db, err := store.Open(filepath.Join(data, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// And the window open on it
	w := startWindow(t, x, window, "--data", data, "--capk", filepath.Join(issuerDir, "capk.json"), "--lang", "en")
	id := x.findWindow(t, w, "Lingqian")
	x.focus(t, id)
	time.Sleep(2 * time.Second) // the first frames: the sign-in form takes the focus
	x.screenshot(t, "window-1-signin.png")

	// When the cashier signs in by keyboard alone
	x.xdo(t, "type", "--delay", "40", cashier)
	x.xdo(t, "key", "Tab")
	x.xdo(t, "type", "--delay", "40", cashierPIN)
	x.xdo(t, "key", "Return")
	waitSignedIn(t, db, w, cashier)
	time.Sleep(time.Second) // the checkout screen takes the focus
	x.screenshot(t, "window-2-checkout.png")

	// And types 12.50, Enter, and the customer presents the phone
	x.xdo(t, "type", "--delay", "40", "12.50")
	x.xdo(t, "key", "Return")
	time.Sleep(300 * time.Millisecond)
	phoneCtx, cancelPhone := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancelPhone()
	phone := exec.CommandContext(phoneCtx, bin(t, "lingqian-phone"), "tap", "--wallet", walletPath, "--vpcd", d.Addr(), "--once")
	var phoneOut lockedBuffer
	phone.Stdout, phone.Stderr = &phoneOut, &phoneOut
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Fatal(err)
	}
	phoneDone := make(chan error, 1)
	go func() { phoneDone <- phone.Wait() }()
	t.Cleanup(func() {
		cancelPhone()
		select {
		case <-phoneDone:
		case <-time.After(5 * time.Second):
		}
	})

	// Then the journal holds a purchase of 12.50 by the signed-in cashier
	e := waitPurchase(t, db, w, 45*time.Second, &phoneOut)
	if e.Amount != 1250 {
		t.Errorf("journal entry %d: amount %d, want 1250", e.Seq, e.Amount)
	}
	if e.Operator != cashier {
		t.Errorf("journal entry %d: cashier %q, want %q", e.Seq, e.Operator, cashier)
	}
	// And the window says so on its standard error
	line := fmt.Sprintf("checkout: approved 12.50 entry %d cashier %s", e.Seq, cashier)
	if !waitUntil(10*time.Second, func() bool { return strings.Contains(w.output(), line) }) {
		t.Errorf("the window's log has no %q:\n%s", line, w.output())
	}
	time.Sleep(500 * time.Millisecond) // the result on screen
	x.screenshot(t, "window-3-sale.png")

	// And the day's report counts it for that cashier
	out := runProgram(t, window, "", "report", "--data", data, "--x", "--format", "json")
	var r struct {
		ByCashier map[string]struct{ Count, Amount int64 } `json:"by_cashier"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if got := r.ByCashier[cashier]; got.Count != 1 || got.Amount != 1250 {
		t.Errorf("report by_cashier[%s] = %+v, want 1 sale of 1250:\n%s", cashier, got, out)
	}

	select {
	case err := <-phoneDone:
		if err != nil {
			t.Errorf("the phone: %v\n%s", err, phoneOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Errorf("the phone did not leave the reader after the sale:\n%s", phoneOut.String())
	}
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed: run `make test`, which installs it (scripts/deps.sh)", tool)
		}
	}
}

// runProgram runs a program to its end (at most a minute) with stdin and answers
// its standard output; it fails the test when the program fails.
func runProgram(t *testing.T, program, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(program), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func waitUntil(limit time.Duration, ok func() bool) bool {
	deadline := time.Now().Add(limit)
	for {
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// lockedBuffer is a process's output, read while the process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// xDisplay is a private Xvfb.
type xDisplay struct {
	name string // ":N"
	shot string // where this test's screenshots go
}

func startXvfb(t *testing.T) *xDisplay {
	t.Helper()
	return &xDisplay{name: xvfb(t, 90, "1280x800x24"), shot: t.TempDir()}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// xdo runs xdotool on the display, bounded, and answers what it printed.
func (x *xDisplay) xdo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := x.tryXdo(20*time.Second, args...)
	if err != nil {
		t.Fatalf("xdotool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (x *xDisplay) tryXdo(limit time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.name)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// findWindow waits until a window whose title holds name is shown.
func (x *xDisplay) findWindow(t *testing.T, w *windowProc, name string) string {
	t.Helper()
	var ids []string
	waitUntil(60*time.Second, func() bool {
		out, _ := x.tryXdo(5*time.Second, "search", "--onlyvisible", "--name", name)
		ids = strings.Fields(out)
		return len(ids) > 0 || w.exited()
	})
	switch {
	case len(ids) > 0:
		return ids[0]
	case w.exited():
		t.Fatalf("the window ended before it showed (%v)", w.cmd.ProcessState)
	default:
		t.Fatalf("no window named %q after 60 s", name)
	}
	return ""
}

// focus gives the window the keyboard. A bare Xvfb has no window manager,
// so windowactivate may refuse; windowfocus sets the X input focus itself.
func (x *xDisplay) focus(t *testing.T, id string) {
	t.Helper()
	_, _ = x.tryXdo(5*time.Second, "windowactivate", "--sync", id)
	x.xdo(t, "windowfocus", "--sync", id)
}

// screenshot saves the whole screen as a PNG in the test's folder, and in
// $LINGQIAN_SCREENSHOTS when it is set, for a person to look at.
func (x *xDisplay) screenshot(t *testing.T, name string) {
	t.Helper()
	path := filepath.Join(x.shot, name)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "import", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+x.name)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("screenshot %s: %v\n%s", name, err, out)
		return
	}
	t.Logf("screenshot: %s", path)
	if dir := os.Getenv("LINGQIAN_SCREENSHOTS"); dir != "" {
		b, err := os.ReadFile(path)
		if err == nil {
			err = os.MkdirAll(dir, 0o755)
		}
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		if err != nil {
			t.Errorf("screenshot %s into %s: %v", name, dir, err)
		}
	}
}

// windowProc is the desk's window process and what it printed.
type windowProc struct {
	cmd  *exec.Cmd
	done chan struct{}
	out  lockedBuffer
}

func (w *windowProc) output() string { return w.out.String() }

func (w *windowProc) exited() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// startWindow opens the desk's window on the display, with its own home
// folder, and stops it by its PID when the test ends. A failed test gets a
// last screenshot and the window's output first.
func startWindow(t *testing.T, x *xDisplay, program string, args ...string) *windowProc {
	t.Helper()
	w := &windowProc{cmd: exec.Command(program, args...), done: make(chan struct{})}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "DISPLAY" && k != "WAYLAND_DISPLAY" && k != "HOME" && k != "LANG" && k != "LC_ALL" {
			env = append(env, kv)
		}
	}
	w.cmd.Env = append(env, "DISPLAY="+x.name, "HOME="+t.TempDir(), "LANG=en_US.UTF-8")
	w.cmd.Stdout, w.cmd.Stderr = &w.out, &w.out
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = w.cmd.Wait(); close(w.done) }()
	t.Cleanup(func() {
		if t.Failed() {
			if !w.exited() {
				x.screenshot(t, "window-failed.png")
			}
			t.Logf("the window's output:\n%s", w.output())
		}
		stopProcess(w.cmd.Process, w.done)
	})
	return w
}

// waitSignedIn waits until the desk's audit log has the operator's sign-in.
func waitSignedIn(t *testing.T, db *store.DB, w *windowProc, operator string) {
	t.Helper()
	var failed string
	ok := waitUntil(20*time.Second, func() bool {
		events, err := db.AuditLog(context.Background(), time.Time{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.Operator != operator {
				continue
			}
			switch e.Action {
			case app.AuditLogin:
				return true
			case app.AuditLoginFailed, app.AuditLocked:
				failed = fmt.Sprintf("%s: %s", e.Action, e.Detail)
				return true
			}
		}
		return w.exited()
	})
	switch {
	case w.exited():
		t.Fatalf("the window ended before %s signed in", operator)
	case failed != "":
		t.Fatalf("the sign-in of %s by keyboard failed: %s", operator, failed)
	case !ok:
		t.Fatalf("%s did not sign in within 20 s of typing the id, Tab, the PIN and Return", operator)
	}
}

// waitPurchase waits until the journal's first entry is written and
// answers it.
func waitPurchase(t *testing.T, db *store.DB, w *windowProc, limit time.Duration, phoneOut *lockedBuffer) app.Entry {
	t.Helper()
	ctx := context.Background()
	var e app.Entry
	ok := waitUntil(limit, func() bool {
		last, err := db.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last < 1 {
			return w.exited()
		}
		if e, err = db.Entry(ctx, last); err != nil {
			t.Fatal(err)
		}
		return true
	})
	switch {
	case w.exited() && e.Seq == 0:
		t.Fatalf("the window ended before the sale was recorded")
	case !ok:
		t.Fatalf("no journal entry %v after the amount, Return and the tap; the phone said:\n%s", limit, phoneOut.String())
	}
	if e.Kind != app.KindPurchase {
		t.Fatalf("journal entry %d is a %s, not a purchase: %+v", e.Seq, e.Kind, e)
	}
	return e
}
