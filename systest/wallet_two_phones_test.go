package systest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"

	"lingqian/internal/pcsctest"
)

// TestWallet_TwoPhoneProcessesOnOneFileNeverSpendTheSameATC presents one
// wallet file by two lingqian-phone processes, one on each slot of the
// vpcd reader, while two desks (each its own `lingqian charge` processes)
// charge on both slots at once. Whatever the interleaving, the wallet
// file's lock makes each purchase read the state the other process wrote:
// no ATC is spent twice, and the balance is what the approved purchases
// leave. A purchase that loses the race is declined by the card, never
// approved twice.
func TestWallet_TwoPhoneProcessesOnOneFileNeverSpendTheSameATC(t *testing.T) {
	const perDesk = 8
	const balance = 100000
	// Given a real pcscd, and one wallet presented on both of its slots
	d := pcsctest.Start(t)
	dir := t.TempDir()
	issuerDir, walletPath := filepath.Join(dir, "issuer"), filepath.Join(dir, "wallet.json")
	if out, err := exec.Command(bin(t, "lingqian-phone"), "personalize", "--issuer", issuerDir, "--wallet", walletPath,
		"--balance", strconv.Itoa(balance), "--single-limit", "100000").CombinedOutput(); err != nil {
		t.Fatalf("personalize: %v\n%s", err, out)
	}
	slots := []struct{ addr, reader string }{
		{d.Addr(), d.Reader},
		{net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Port+1)), pcsctest.FriendlyName + " 00 01"},
	}
	for _, s := range slots {
		phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", walletPath, "--vpcd", s.addr)
		phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := phone.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = phone.Process.Signal(syscall.SIGTERM); _ = phone.Wait() })
	}

	// When two desks charge on the two slots at the same time
	type sale struct {
		desk int
		out  chargeJSON
	}
	var mu sync.Mutex
	var sales []sale
	var wg sync.WaitGroup
	for i, s := range slots {
		data := t.TempDir()
		wg.Go(func() {
			for range perDesk {
				amount := fmt.Sprintf("%d.00", i+1)
				cmd := exec.Command(bin(t, "lingqian"), "charge", "--data", data, "--reader", s.reader, "--amount", amount,
					"--json", "--capk", filepath.Join(issuerDir, "capk.json"), "--timeout", "20s")
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != exitDeclined) {
					t.Errorf("desk %d: charge: %v\n%s%s", i, err, stdout.String(), stderr.String())
					return
				}
				var out chargeJSON
				if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
					t.Errorf("desk %d: output %q: %v", i, stdout.String(), err)
					return
				}
				mu.Lock()
				sales = append(sales, sale{i, out})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Then every approved purchase has an ATC of its own
	approved := map[int]int64{} // by ATC: amount
	perDeskApproved := make([]int, len(slots))
	declined := 0
	for _, s := range sales {
		if s.out.Outcome != "approved" {
			declined++
			t.Logf("desk %d: %s (%s)", s.desk, s.out.Outcome, s.out.Reason)
			continue
		}
		if _, twice := approved[s.out.ATC]; twice {
			t.Errorf("ATC %d approved twice", s.out.ATC)
		}
		approved[s.out.ATC] = s.out.Amount
		perDeskApproved[s.desk]++
	}
	t.Logf("%d purchases approved (%v per desk), %d declined", len(approved), perDeskApproved, declined)
	if perDeskApproved[0] == 0 || perDeskApproved[1] == 0 {
		t.Fatalf("approved per desk %v: the desks did not both spend", perDeskApproved)
	}

	// And the wallet's log holds exactly those purchases, at distinct
	// ATCs, and its balance is what they leave
	out, err := exec.Command(bin(t, "lingqian-phone"), "show", "--wallet", walletPath, "--json").Output()
	if err != nil {
		t.Fatalf("show: %v", err)
	}
	var w struct {
		Balance int64 `json:"balance"`
		Log     []struct {
			ATC    int   `json:"atc"`
			Amount int64 `json:"amount"`
		} `json:"log"`
	}
	if err := json.Unmarshal(out, &w); err != nil {
		t.Fatalf("show: %v\n%s", err, out)
	}
	logged := map[int]bool{}
	spent := int64(0)
	for _, e := range w.Log {
		if logged[e.ATC] {
			t.Errorf("the wallet logs ATC %d twice", e.ATC)
		}
		logged[e.ATC] = true
		spent += e.Amount
		if amount, ok := approved[e.ATC]; !ok || amount != e.Amount {
			t.Errorf("the wallet logs %d at ATC %d, the desks approved %d there (%v)", e.Amount, e.ATC, amount, ok)
		}
	}
	if len(logged) != len(approved) {
		t.Errorf("the wallet logs %d purchases, the desks approved %d", len(logged), len(approved))
	}
	if w.Balance != balance-spent {
		t.Errorf("balance %d, want %d less %d", w.Balance, balance, spent)
	}
}
