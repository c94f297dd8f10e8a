package systest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/internal/pcsctest"
	"lingqian/store"
)

// binaries builds lingqian, lingqian-phone and lingqian-bank once for the
// tests that run them as real processes.
var binaries = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lingqian-bin-")
	if err != nil {
		return "", err
	}
	for _, b := range [][]string{{"-o", filepath.Join(dir, "lingqian"), "lingqian"}, {"-o", dir + "/", "lingqian/cmd/..."}} {
		cmd := exec.Command("go", append([]string{"build", "-tags", "ci"}, b...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %v: %v\n%s", b, err, out)
		}
	}
	return dir, nil
})

func bin(t *testing.T, name string) string {
	t.Helper()
	dir, err := binaries()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

// phoneOnReader personalises a wallet with a local test issuer and keeps
// the phone on the daemon's reader until the test ends.
func phoneOnReader(t *testing.T, d *pcsctest.Daemon, balance string) (issuerDir, walletPath string) {
	t.Helper()
	dir := t.TempDir()
	issuerDir, walletPath = filepath.Join(dir, "issuer"), filepath.Join(dir, "wallet.json")
	out, err := exec.Command(bin(t, "lingqian-phone"), "personalize", "--issuer", issuerDir, "--wallet", walletPath,
		"--balance", balance, "--single-limit", "100000").CombinedOutput()
	if err != nil {
		t.Fatalf("personalize: %v\n%s", err, out)
	}
	phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", walletPath, "--vpcd", d.Addr())
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Process.Signal(syscall.SIGTERM); _ = phone.Wait() })
	return issuerDir, walletPath
}

func TestCharge_JSONThroughPcscd(t *testing.T) {
	// Given a real pcscd, the phone on its reader, and a fresh desk
	d := pcsctest.Start(t)
	issuerDir, _ := phoneOnReader(t, d, "50000")
	data := t.TempDir()

	// When `lingqian charge --json` runs
	cmd := exec.Command(bin(t, "lingqian"), "charge", "--data", data, "--amount", "12.50", "--json",
		"--capk", filepath.Join(issuerDir, "capk.json"), "--timeout", "20s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()

	// Then it exits 0 and prints the contract of DESIGN section 7
	if err != nil {
		t.Fatalf("charge: %v\n%s", err, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("output %q: %v", stdout.String(), err)
	}
	for key, want := range map[string]any{"outcome": "approved", "amount": 1250.0, "currency": "156", "seq": 1.0, "cid": "40", "tvr": "0000000000"} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if pan, _ := got["pan"].(string); !regexp.MustCompile(`^623199\*{6}\d{4}$`).MatchString(pan) {
		t.Errorf("pan %q is not masked as 623199******NNNN", got["pan"])
	}
	if atc, _ := got["atc"].(float64); atc < 1 {
		t.Errorf("atc %v", got["atc"])
	}
	if reason, _ := got["reason"].(string); reason == "" {
		t.Error("no reason")
	}
}

// TestCharge_KilledAnywhereLosesNothing kills `lingqian charge` with
// SIGKILL at random moments of the purchase and of the journal write,
// hundreds of times. After each kill the journal must open with no
// partial row, no gap and a valid chain, and hold every purchase that
// printed "approved".
func TestCharge_KilledAnywhereLosesNothing(t *testing.T) {
	runs := 200
	if v, err := strconv.Atoi(os.Getenv("LINGQIAN_CRASH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	d := pcsctest.Start(t)
	issuerDir, _ := phoneOnReader(t, d, "99999999")
	data := t.TempDir()
	args := []string{"charge", "--data", data, "--amount", "1.00", "--json", "--capk", filepath.Join(issuerDir, "capk.json"), "--timeout", "20s"}

	// Given how long an uninterrupted charge takes here
	var took []time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		if out, err := exec.Command(bin(t, "lingqian"), args...).CombinedOutput(); err != nil {
			t.Fatalf("charge: %v\n%s", err, out)
		}
		took = append(took, time.Since(start))
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	span := took[1] + took[1]/5
	approved := map[int64]bool{1: true, 2: true, 3: true}

	rng := rand.New(rand.NewPCG(1, 2))
	killed := 0
	for i := 0; i < runs; i++ {
		// When a charge is killed at a random moment
		cmd := exec.Command(bin(t, "lingqian"), args...)
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 4)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Half the kills fall anywhere, half in the later part, where the
		// journal is written.
		delay := time.Duration(rng.Int64N(int64(span)))
		if i%2 == 1 {
			delay = span/2 + time.Duration(rng.Int64N(int64(span/2)))
		}
		timer := time.AfterFunc(delay, func() { _ = cmd.Process.Kill() })
		var printed []string
		for l := range lines {
			printed = append(printed, l)
		}
		err := cmd.Wait()
		if !timer.Stop() {
			killed++
		}
		for _, l := range printed {
			var o struct {
				Outcome string `json:"outcome"`
				Seq     int64  `json:"seq"`
			}
			if json.Unmarshal([]byte(l), &o) == nil && o.Outcome == "approved" {
				approved[o.Seq] = true
			}
		}
		if err != nil && !strings.Contains(err.Error(), "killed") && !strings.Contains(err.Error(), "exit status") {
			t.Fatalf("run %d: %v", i, err)
		}

		// Then the journal opens, its chain holds without gaps, and every
		// approved purchase is in it
		checkJournal(t, filepath.Join(data, "desk.db"), approved, i)
	}
	t.Logf("%d runs, %d killed before they ended, %d purchases approved", runs, killed, len(approved))
	if killed < runs/4 {
		t.Errorf("only %d of %d runs were killed: the kill window missed the purchase", killed, runs)
	}
}

func checkJournal(t *testing.T, path string, approved map[int64]bool, run int) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(path)
	if err != nil {
		t.Fatalf("run %d: reopen: %v", run, err)
	}
	defer db.Close()
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("run %d: journal verify: %v %+v", run, err, brk)
	}
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for seq := range approved {
		if seq > last {
			t.Fatalf("run %d: approved purchase %d missing (last entry %d)", run, seq, last)
		}
		e, err := db.Entry(ctx, seq)
		if err != nil || e.Kind != app.KindPurchase || e.Amount != 100 {
			t.Fatalf("run %d: approved purchase %d: %+v %v", run, seq, e, err)
		}
	}
}
