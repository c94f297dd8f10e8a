package systest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/internal/pcsctest"
	"lingqian/store"
)

// screenshotDir is where the pictures of the screens go, for the README.
const screenshotDir = "../docs/screenshots"

// screensWorld is a bank with a shop's desk that has taken a few sales
// (some posted, one pending) and a branch's teller desk, both enrolled.
type screensWorld struct {
	t            *testing.T
	shop, teller string // data folders
}

func newScreensWorld(t *testing.T, window string) *screensWorld {
	t.Helper()
	d := pcsctest.Start(t)
	work := t.TempDir()
	bk := startRealBank(t, filepath.Join(work, "bank"))
	w := &screensWorld{t: t, shop: filepath.Join(work, "shop"), teller: filepath.Join(work, "teller")}
	phone := filepath.Join(work, "wallet.json")
	run := func(name string, stdin string, args ...string) string {
		t.Helper()
		program := bin(t, name)
		if name == "lingqian" {
			program = window
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var out, errs bytes.Buffer
		cmd := exec.CommandContext(ctx, program, args...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errs
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errs.String())
		}
		return strings.TrimSpace(out.String())
	}
	bankURL := "https://" + bk.addr
	run("lingqian-bank", "", "customer", "add", "--data", bk.dir, "--user", "alice", "--password", "s3cret", "--deposit", "100000")
	run("lingqian", "", "enroll", "--data", w.shop, "--bank", bankURL, "--ca", bk.ca(),
		"--code", run("lingqian-bank", "", "terminal-code", "--data", bk.dir, "--merchant", "M001"))
	run("lingqian", "", "enroll", "--data", w.teller, "--bank", bankURL, "--ca", bk.ca(),
		"--code", run("lingqian-bank", "", "terminal-code", "--data", bk.dir, "--merchant", "BRANCH01", "--teller"))
	for _, data := range []string{w.shop, w.teller} {
		run("lingqian", "2468\n", "operator", "add", "--data", data, "--id", "admin", "--name", "Wang Wei", "--role", "admin")
	}
	run("lingqian", "2468\n1234\n", "operator", "add", "--data", w.shop, "--id", "li.na", "--name", "Li Na", "--role", "cashier", "--by", "admin")
	run("lingqian", "2468\n1357\n", "operator", "add", "--data", w.teller, "--id", "zhao.lei", "--name", "Zhao Lei", "--role", "teller", "--by", "admin")
	run("lingqian-phone", "", "apply", "--wallet", phone, "--bank", bankURL, "--ca", bk.ca(), "--user", "alice", "--password", "s3cret", "--load", "50000")

	// Three sales forwarded and posted, one more still pending.
	for i, amount := range []string{"12.50", "8.00", "36.80", "5.20"} {
		p := presentPhone(t, d, phone, 0)
		run("lingqian", "", "charge", "--data", w.shop, "--amount", amount, "--cashier", "li.na", "--json")
		p.leave(t)
		if i == 2 {
			run("lingqian-phone", "", "upload", "--wallet", phone)
			run("lingqian", "", "sync", "--data", w.shop, "--once", "--json")
		}
	}
	return w
}

// TestScreenshots_EveryScreenInBothLanguagesAndThemes opens the real window
// on a 1024×600 virtual display, signs in by keyboard and saves a picture
// of every screen, in English and Chinese, light and dark, into
// docs/screenshots for the README.
func TestScreenshots_EveryScreenInBothLanguagesAndThemes(t *testing.T) {
	needTools(t, "Xvfb", "xdotool", "import")
	window, err := windowBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	x := &xDisplay{name: xvfb(t, 150, "1024x600x24"), shot: t.TempDir()}
	world := newScreensWorld(t, window)

	for _, lang := range []string{"en", "zh-Hans"} {
		for _, theme := range []string{"light", "dark"} {
			suffix := "-" + lang + "-" + theme + ".png"
			// Given the shop's desk open in this language and theme
			shots := world.open(x, window, world.shop, lang, theme, "li.na", "1234", "signin"+suffix)
			// When the cashier types an amount and goes through the screens by their keys
			shots.typeAndShoot("12.50", "checkout"+suffix)
			shots.keyAndShoot("F3", "forwarding"+suffix)
			shots.keyAndShoot("F4", "endofday"+suffix)
			shots.close()
			shots = world.open(x, window, world.shop, lang, theme, "admin", "2468", "")
			shots.keyAndShoot("F6", "settings"+suffix)
			shots.close()
			// And a teller signs in at the branch's desk
			shots = world.open(x, window, world.teller, lang, theme, "zhao.lei", "1357", "")
			shots.keyAndShoot("F5", "teller"+suffix)
			shots.close()
		}
	}
	// Then every picture is there
	for _, screen := range []string{"signin", "checkout", "forwarding", "endofday", "settings", "teller"} {
		for _, lang := range []string{"en", "zh-Hans"} {
			for _, theme := range []string{"light", "dark"} {
				name := screen + "-" + lang + "-" + theme + ".png"
				if info, err := os.Stat(filepath.Join(screenshotDir, name)); err != nil || info.Size() < 10_000 {
					t.Errorf("%s: missing or blank (%v)", name, err)
				}
			}
		}
	}
}

// windowShots is one window open for pictures.
type windowShots struct {
	t  *testing.T
	x  *xDisplay
	w  *windowProc
	id string
}

// open starts the window on a desk, signs the operator in by keyboard and
// saves the sign-in screen first when signinShot is named.
func (sw *screensWorld) open(x *xDisplay, window, data, lang, theme, operator, pin, signinShot string) *windowShots {
	t := sw.t
	t.Helper()
	db, err := store.Open(filepath.Join(data, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := startWindow(t, x, window, "--data", data, "--lang", lang, "--theme", theme)
	s := &windowShots{t: t, x: x, w: w, id: x.findWindow(t, w, "Lingqian")}
	x.focus(t, s.id)
	time.Sleep(1500 * time.Millisecond) // the first frames; the operator field takes the focus
	if signinShot != "" {
		s.save(signinShot)
	}
	before := countLogins(t, db, operator)
	x.xdo(t, "type", "--delay", "30", operator)
	x.xdo(t, "key", "Tab")
	x.xdo(t, "type", "--delay", "30", pin)
	x.xdo(t, "key", "Return")
	if !waitUntil(20*time.Second, func() bool { return countLogins(t, db, operator) > before || w.exited() }) || w.exited() {
		t.Fatalf("%s did not sign in at %s:\n%s", operator, data, w.output())
	}
	time.Sleep(time.Second) // the screen behind sign-in is drawn
	return s
}

func countLogins(t *testing.T, db *store.DB, operator string) int {
	t.Helper()
	events, err := db.AuditLog(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Operator == operator && e.Action == app.AuditLogin {
			n++
		}
	}
	return n
}

func (s *windowShots) typeAndShoot(text, name string) {
	s.x.xdo(s.t, "type", "--delay", "40", text)
	time.Sleep(500 * time.Millisecond)
	s.save(name)
}

func (s *windowShots) keyAndShoot(key, name string) {
	s.x.xdo(s.t, "key", key)
	time.Sleep(1500 * time.Millisecond) // the screen reads its data off the window's thread
	s.save(name)
}

func (s *windowShots) save(name string) {
	s.t.Helper()
	s.x.screenshot(s.t, name)
	b, err := os.ReadFile(filepath.Join(s.x.shot, name))
	if err == nil {
		err = os.WriteFile(filepath.Join(screenshotDir, name), b, 0o644)
	}
	if err != nil {
		s.t.Fatalf("screenshot %s: %v", name, err)
	}
}

func (s *windowShots) close() {
	stopProcess(s.w.cmd.Process, s.w.done)
}
