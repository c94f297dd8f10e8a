package systest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/internal/pcsctest"
	"lingqian/wallet"
)

// BenchmarkTap_ToApproved is DESIGN section 8's first figure: a purchase
// from the moment the desk sees the phone on the reader to "approved"
// (journal committed, card released), through the real pcscd, vpcd and
// the phone — lingqian-phone, a process of its own, as in a shop — against
// its floor: the same C-APDUs sent through the same path to a null card
// (lingqian-phone --app echo, also its own process) that echoes them, plus
// the time the phone spent answering them (its cryptography and the
// writes of its wallet file), which the phone notes itself (--trace).
// Target: p50 ≤ 1.2 × the floor's p50.
//
// Each iteration is one purchase with the phone on the reader. Reported:
// tap-p50-ms, floor-p50-ms (echo + phone), their ratio, and where the
// time went: the desk's and the phone's traces side by side.
func BenchmarkTap_ToApproved(b *testing.B) {
	dir := b.TempDir()
	d := pcsctest.Start(b)
	issuerDir, walletPath := filepath.Join(dir, "issuer"), filepath.Join(dir, "wallet.json")
	if out, err := exec.Command(binB(b, "lingqian-phone"), "personalize", "--issuer", issuerDir, "--wallet", walletPath,
		"--balance", "99999999", "--single-limit", "100000").CombinedOutput(); err != nil {
		b.Fatalf("personalize: %v\n%s", err, out)
	}
	bc := newTapCheckout(b, d, filepath.Join(issuerDir, "capk.json"))

	// The phone stays on the reader: every purchase is then what a tap is
	// from the moment the desk sees the phone (connect, select, read,
	// authenticate, generate the cryptogram, journal), without the
	// reader's presence polling, which no purchase waits for twice.
	tapTrace, phoneTrace := &deskTrace{}, filepath.Join(dir, "phone.trace")
	bc.seen.trace = tapTrace
	phone := startPhone(b, d, bc.pcsc, phoneTrace, "--wallet", walletPath)
	// The phone uploads its purchases now and then as a phone in use does,
	// so that its wallet file, rewritten at every purchase, stays the size
	// it has in a shop rather than growing with b.N. Not after every
	// purchase: the phone reads a wallet file changed under it again at its
	// next tap, which costs that tap milliseconds.
	uploaded, err := wallet.Open(walletPath)
	if err != nil {
		b.Fatal(err)
	}
	taps := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		taps = append(taps, bc.charge(b, i))
		if i%uploadEvery == uploadEvery-1 {
			b.StopTimer()
			if _, err := uploaded.TrimLog(func(uint16) bool { return true }); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	phone.leave(b, bc)
	frames := readPhoneTrace(b, phoneTrace)
	splits, perCmd, skipped := splitTaps(tapTrace, frames)
	// LINGQIAN_TAP_TIMELINE=FILE: one tap's events, the desk's and the phone's.
	if n, path := len(tapTrace.taps), os.Getenv("LINGQIAN_TAP_TIMELINE"); n > 3 && path != "" {
		writeTimeline(b, path, "tap", tapTrace.taps[n-3], frames, tapTrace.taps[n-2].seen)
	}
	phoneWork := make([]time.Duration, len(splits))
	for i, s := range splits {
		phoneWork[i] = s.phone
	}
	if len(phoneWork) == 0 {
		b.Fatalf("the phone's trace matches none of the %d taps", b.N)
	}
	var sequence [][]byte
	for _, c := range tapTrace.taps[len(tapTrace.taps)-1].cmds {
		sequence = append(sequence, c.cmd)
	}

	// The floor: the last tap's commands, echoed by a null card over the
	// same path (connect and release included), as many times as there
	// were taps.
	echoTrace, echoPhoneTrace := &deskTrace{}, filepath.Join(dir, "echo.trace")
	echoArgs := []string{"--app", "echo"}
	// LINGQIAN_ECHO_DELAY (a duration) holds back every echoed answer so
	// long, as a phone at work would: what pauses alone do to the path.
	if v := os.Getenv("LINGQIAN_ECHO_DELAY"); v != "" {
		echoArgs = append(echoArgs, "--delay", v)
	}
	echoPhone := startPhone(b, d, bc.pcsc, echoPhoneTrace, echoArgs...)
	echo := echoTaps(b, bc.pcsc, d.Reader, sequence, b.N, echoTrace)
	echoPhone.leave(b, bc)

	bc.report(b, taps, echo, phoneWork)
	logSplit(b, "tap", tapTrace, splits, perCmd, skipped)
	es, ep, eskipped := splitTaps(echoTrace, readPhoneTrace(b, echoPhoneTrace))
	logSplit(b, "echo", echoTrace, es, ep, eskipped)
	reportSplit(b, splits, es)
}

// uploadEvery is how many purchases the phone makes between uploads.
const uploadEvery = 20

// phoneProcess is `lingqian-phone tap` on the daemon's reader, started and
// stopped by its PID.
type phoneProcess struct {
	cmd *exec.Cmd
	d   *pcsctest.Daemon
}

func startPhone(b *testing.B, d *pcsctest.Daemon, pcsc *device.PCSC, trace string, args ...string) *phoneProcess {
	args = append([]string{"tap", "--vpcd", d.Addr(), "--trace", trace}, args...)
	cmd := exec.Command(binB(b, "lingqian-phone"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// LINGQIAN_PHONE_GOGC sets the phone's GOGC alone, to tell the
	// phone's garbage collection from the desk's.
	if v := os.Getenv("LINGQIAN_PHONE_GOGC"); v != "" {
		cmd.Env = append(os.Environ(), "GOGC="+v)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	p := &phoneProcess{cmd: cmd, d: d}
	b.Cleanup(func() { p.stop() })
	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pcsc.WaitForCard(wait, d.Reader); err != nil {
		b.Fatalf("the phone is not on the reader: %v", err)
	}
	return p
}

// stop takes the phone away: SIGTERM to its PID, and the wait for it to
// have written its trace and gone.
func (p *phoneProcess) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// leave stops the phone and waits until pcscd sees the reader empty.
func (p *phoneProcess) leave(b *testing.B, bc *tapCheckout) {
	p.stop()
	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bc.pcsc.WaitForRemoval(wait, p.d.Reader); err != nil {
		b.Fatal(err)
	}
}

// binB is bin for a benchmark: the programs built once for the package.
func binB(b *testing.B, name string) string {
	b.Helper()
	dir, err := binaries()
	if err != nil {
		b.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// reportSplit adds the split's p50s as metrics, in milliseconds.
func reportSplit(b *testing.B, tap, echo []tapSplit) {
	col := func(splits []tapSplit, f func(tapSplit) time.Duration) float64 {
		if len(splits) == 0 {
			return 0
		}
		v := make([]time.Duration, len(splits))
		for i, s := range splits {
			v[i] = f(s)
		}
		return ms(p50(v))
	}
	wire := func(s tapSplit) time.Duration { return s.there + s.back }
	b.ReportMetric(col(tap, wire), "wire-p50-ms")
	b.ReportMetric(col(echo, wire), "echo-wire-p50-ms")
	b.ReportMetric(col(tap, func(s tapSplit) time.Duration { return s.connect + s.release }), "connect-release-p50-ms")
	b.ReportMetric(col(echo, func(s tapSplit) time.Duration { return s.connect + s.release }), "echo-connect-release-p50-ms")
	b.ReportMetric(col(tap, func(s tapSplit) time.Duration { return s.desk }), "desk-between-p50-ms")
}
