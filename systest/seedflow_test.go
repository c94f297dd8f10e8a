package systest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"lingqian/internal/pcsctest"
)

// The seed flow of DESIGN section 7, as a shop, a bank and a customer
// would run it: real processes, HTTPS on loopback, the real pcscd.
func TestSeedFlow_EndToEnd(t *testing.T) { seedFlow(t) }

// seedFlow runs the seed flow with bankFlags on every lingqian-bank
// command (--db for the bank on PostgreSQL, bank_pg_test.go).
func seedFlow(t *testing.T, bankFlags ...string) {
	d := pcsctest.Start(t)
	work := t.TempDir()
	B, D, W := filepath.Join(work, "bank"), filepath.Join(work, "desk"), filepath.Join(work, "wallet.json")
	addr := freeAddr(t)
	bank := "https://" + addr
	ca := filepath.Join(B, "ca.pem")

	// The bank starts on an empty folder.
	serve := exec.Command(bin(t, "lingqian-bank"), append([]string{"serve", "--data", B, "--addr", addr}, bankFlags...)...)
	var serveLog bytes.Buffer
	serve.Stdout, serve.Stderr = &serveLog, &serveLog
	serve.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = serve.Process.Signal(syscall.SIGTERM)
		_ = serve.Wait()
		if t.Failed() {
			t.Logf("bank log:\n%s", serveLog.String())
		}
	})
	waitListening(t, addr)

	step := func(name string, args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		cmd := exec.Command(bin(t, name), args...)
		cmd.Stdout, cmd.Stderr = &out, &errs
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errs.String())
		}
		return strings.TrimSpace(out.String())
	}

	// A customer has a deposit; a desk enrols; the customer applies for a voucher.
	step("lingqian-bank", append([]string{"customer", "add", "--data", B, "--user", "alice", "--password", "s3cret", "--deposit", "100000"}, bankFlags...)...)
	code := step("lingqian-bank", append([]string{"terminal-code", "--data", B, "--merchant", "M001"}, bankFlags...)...)
	step("lingqian", "enroll", "--data", D, "--bank", bank, "--ca", ca, "--code", code)
	step("lingqian-phone", "apply", "--wallet", W, "--bank", bank, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "50000")

	// The phone is tapped and the purchase approved offline.
	phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", W, "--vpcd", d.Addr(), "--once")
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Fatal(err)
	}
	charged := step("lingqian", "charge", "--data", D, "--amount", "12.50", "--json")
	_ = phone.Wait()
	var c struct {
		Outcome string `json:"outcome"`
		Amount  int64  `json:"amount"`
	}
	if err := json.Unmarshal([]byte(charged), &c); err != nil || c.Outcome != "approved" || c.Amount != 1250 {
		t.Fatalf("charge: %s (%v)", charged, err)
	}

	// Desk and phone upload; the bank posts it once.
	step("lingqian-phone", "upload", "--wallet", W)
	step("lingqian", "sync", "--data", D, "--once", "--json")
	step("lingqian", "sync", "--data", D, "--once", "--json") // again: nothing posts twice

	// The bank's report and the desk's reconciliation agree to the cent.
	var desk, bankRep struct {
		Posted struct {
			Count  int   `json:"count"`
			Amount int64 `json:"amount"`
		} `json:"posted"`
	}
	if err := json.Unmarshal([]byte(step("lingqian", "report", "--data", D, "--x", "--format", "json")), &desk); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(step("lingqian-bank", append([]string{"report", "--data", B, "--format", "json"}, bankFlags...)...)), &bankRep); err != nil {
		t.Fatal(err)
	}
	if desk.Posted.Count != 1 || desk.Posted.Amount != 1250 || desk.Posted != bankRep.Posted {
		t.Fatalf("desk posted %+v, bank posted %+v", desk.Posted, bankRep.Posted)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitListening waits until the bank accepts connections (up to 20 s).
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Errorf("the bank did not start listening on %s", addr))
}
