package systest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/emv"
	"lingqian/internal/faultproxy"
	"lingqian/store"
)

// chaosProc is a long-running process of the campaign (the phone on the
// reader, the desk's forwarder) that faults kill and the campaign starts
// again, always by its own PID.
type chaosProc struct {
	name string
	path string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	runs int
}

func startChaosProc(t *testing.T, name, path string, args ...string) *chaosProc {
	t.Helper()
	p := &chaosProc{name: name, path: path, args: args}
	p.restart(t)
	t.Cleanup(p.stop)
	return p
}

// restart starts the process (again); one still running is left alone.
func (p *chaosProc) restart(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			return
		}
	}
	cmd := exec.Command(p.path, p.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Errorf("start %s: %v", p.name, err)
		return
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	p.cmd, p.out, p.done = cmd, out, done
	p.runs++
}

// keepAlive starts the process again if it ended by itself, saying why.
func (p *chaosProc) keepAlive(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	ended := false
	select {
	case <-p.done:
		ended = true
		t.Logf("%s ended by itself (%v): %s", p.name, p.cmd.ProcessState, lastLines(p.out.String(), 3))
	default:
	}
	p.mu.Unlock()
	if ended {
		p.restart(t)
	}
}

// kill ends it with SIGKILL, a crash, and waits for it.
func (p *chaosProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends it with SIGTERM, SIGKILL after 5 s, and waits for it.
func (p *chaosProc) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	stopGently(p.cmd.Process, p.done)
}

// output is what the process printed in its latest run.
func (p *chaosProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// heal brings everything back, charges twice more without faults (so a
// torn tap is recovered by the same phone), stops the forwarder and
// forwards until the desk holds nothing pending.
func (c *chaos) heal(t *testing.T) {
	t.Helper()
	c.setFault(t, faultproxy.Fault{})
	// (every fault that stops the bank starts it again before the next)
	c.phone.keepAlive(t)
	time.Sleep(1500 * time.Millisecond) // the phone back on the reader
	// Two purchases at least, and until no torn tap the phone can still
	// settle is open: each tap of the phone asks it about one.
	for made, try := 0, 0; (made < 2 || c.openTorn(t) > 0) && try < 20; try++ {
		switch o := c.chargeOnce(50, -1); o {
		case "approved", "recovered":
			made++
		case outcomeNoPhone:
			c.resetReader(t)
		default:
			t.Logf("chaos: a charge after healing: %s (%s)", o, c.notes[len(c.notes)-1])
		}
	}
	if n := c.openTorn(t); n > 0 {
		t.Errorf("chaos: %d torn taps still open after healing", n)
	}
	c.forward.stop()
	for try := 1; ; try++ {
		s, r := c.w.sync(t)
		pending := c.w.deskReport(t).Pending
		if r.code == 0 && pending.Count == 0 {
			t.Logf("chaos: healed; the last sync sent %d, accepted %d, duplicates %d", s.Sent, s.Accepted, s.Duplicate)
			return
		}
		if try == 10 {
			t.Errorf("after 10 syncs the desk still holds %+v pending: exit %d\n%s%s", pending, r.code, r.stdout, r.stderr)
			return
		}
		time.Sleep(time.Second)
	}
}

// openTorn counts the desk's torn taps the phone can still settle: open,
// and within the kernel's recovery window.
func (c *chaos) openTorn(t *testing.T) int {
	t.Helper()
	db, err := store.Open(filepath.Join(c.w.desk, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := db.OpenTorn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range list {
		if time.Since(e.At) < emv.DefaultTerminal().RecoveryWindow {
			n++
		}
	}
	return n
}

// chaosResult is what the end checks found.
type chaosResult struct {
	approved, lost, duplicated int
	problems                   []string
}

func (r *chaosResult) problem(format string, args ...any) {
	r.problems = append(r.problems, fmt.Sprintf(format, args...))
}

// check is DESIGN section 9 at the end of the campaign.
func (c *chaos) check(t *testing.T) chaosResult {
	t.Helper()
	ctx := context.Background()
	var res chaosResult
	c.mu.Lock()
	approved := map[int64]int64{}
	for seq, amount := range c.approved {
		if seq < 0 {
			res.duplicated++
			res.problem("two approvals printed under seq %d", -seq)
			continue
		}
		approved[seq] = amount
	}
	c.mu.Unlock()
	res.approved = len(approved)

	// The journal's chain is whole, as `lingqian journal verify` says.
	if r := runBinary("lingqian", "journal", "verify", "--data", c.w.desk); r.code != 0 {
		res.problem("journal verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Every purchase in the journal, and every card payment at most once.
	purchases := map[int64]app.Entry{}
	db, err := store.Open(filepath.Join(c.w.desk, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.Entries(ctx, 1, last)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	slots := map[string]int64{}
	var deskSum int64
	for _, e := range entries {
		if e.Kind != app.KindPurchase {
			continue
		}
		purchases[e.Seq] = e
		deskSum += int64(e.Amount)
		slot := fmt.Sprintf("%s/%s/%d", e.PAN, e.PSN, e.ATC)
		if first, ok := slots[slot]; ok {
			res.duplicated++
			res.problem("the card's payment %s journaled twice: entries %d and %d", slot, first, e.Seq)
		}
		slots[slot] = e.Seq
	}

	// At the bank, each of them posted once, under its seq.
	bk, err := bank.Open(c.w.bank.dir, bank.Options{Store: c.w.bank.store(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	posted := map[int64]bank.Message{}
	err = bk.Store().Read(ctx, func(tx bank.Tx) error {
		for seq := range purchases {
			m, err := tx.MessageBySeq(c.w.terminal, seq)
			if errors.Is(err, bank.ErrNotFound) {
				continue
			}
			if err != nil {
				return fmt.Errorf("message %d: %w", seq, err)
			}
			if m.State == bank.StatePosted {
				posted[seq] = m
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for seq, e := range purchases {
		if m, ok := posted[seq]; !ok {
			res.problem("journal entry %d (%d fen) is not posted at the bank", seq, e.Amount)
		} else if m.Amount != int64(e.Amount) || m.ATC != e.ATC {
			res.problem("entry %d: the bank posted %d fen ATC %d, the journal holds %d fen ATC %d", seq, m.Amount, m.ATC, e.Amount, e.ATC)
		}
	}

	// Nothing approved lost: in the journal, of its amount, and posted.
	for _, seq := range sortedKeys(approved) {
		e, inJournal := purchases[seq]
		_, atBank := posted[seq]
		if !inJournal || int64(e.Amount) != approved[seq] || !atBank {
			res.lost++
			res.problem("approved purchase %d (%d fen): in the journal %v (%d fen), posted %v", seq, approved[seq], inJournal, e.Amount, atBank)
		}
	}

	// Desk and bank totals equal; the bank posted no more than the journal holds.
	want := app.Totals{Count: len(purchases), Amount: app.Money(deskSum)}
	b := c.w.bank.report(t)
	if b.Posted.Count > want.Count {
		res.duplicated += b.Posted.Count - want.Count
	}
	if b.Posted != want || b.Pending.Count != 0 {
		res.problem("the bank posted %+v, pending %+v; the journal holds %+v", b.Posted, b.Pending, want)
	}
	if d := c.w.deskReport(t); d.Posted != want || d.Pending.Count != 0 || d.Rejected.Count != 0 {
		res.problem("the desk's report: posted %+v pending %+v rejected %+v; the journal holds %+v", d.Posted, d.Pending, d.Rejected, want)
	}
	if err := bk.Ledger().Balanced(ctx); err != nil {
		res.problem("ledger: %v", err)
	}
	if got, err := bk.Ledger().Balance(ctx, "settlement:M001"); err != nil || got != deskSum {
		res.problem("settlement:M001 holds %d (%v), the journal %d", got, err, deskSum)
	}
	atcs := map[uint16]bool{}
	for _, e := range purchases {
		atcs[e.ATC] = true
	}
	c.walletAgrees(t, &res, deskSum, atcs)
	t.Logf("chaos: %d approved by charges printing so, %d purchases in the journal (%d fen), all checked at the bank", res.approved, len(purchases), deskSum)
	return res
}

// walletShown is what `lingqian-phone show --json` says of the wallet.
type walletShown struct {
	Balance int64  `json:"balance"`
	ATC     uint16 `json:"atc"`
	Log     []struct {
		ATC    uint16 `json:"atc"`
		Amount int64  `json:"amount"`
		CID    string `json:"cid"`
		Time   string `json:"time"`
	} `json:"log"`
}

func (c *chaos) showWallet(t *testing.T) (walletShown, bool) {
	t.Helper()
	r := runBinary("lingqian-phone", "show", "--wallet", c.w.wallet, "--json")
	var w walletShown
	if err := json.Unmarshal([]byte(r.stdout), &w); err != nil {
		t.Errorf("lingqian-phone show: exit %d, %v\n%s", r.code, err, r.stderr)
		return w, false
	}
	return w, true
}

// walletAgrees checks that every payment the wallet made is a purchase in
// the desk's journal (journaled holds their ATCs), so posted at the bank:
// a desk killed between the wallet's answer and its journal write finds
// the tap it wrote down before asking, and asks the wallet again; an
// answer changed on its way (the hostile relay) is never taken for the
// wallet's refusal unless its signature says so. A payment the journal
// lacks is lost.
func (c *chaos) walletAgrees(t *testing.T, res *chaosResult, posted int64, journaled map[uint16]bool) {
	t.Helper()
	c.phone.stop()
	w, ok := c.showWallet(t)
	if !ok {
		res.problem("the wallet could not be read")
		return
	}
	var missing []string
	for _, l := range w.Log {
		if l.CID == "40" && !journaled[l.ATC] {
			missing = append(missing, fmt.Sprintf("ATC %d %d fen at %s", l.ATC, l.Amount, l.Time))
		}
	}
	paid := chaosLoad - w.Balance
	t.Logf("chaos: the wallet paid %d fen in %d payments, the bank posted %d", paid, len(w.Log), posted)
	if len(missing) > 0 {
		res.lost += len(missing)
		res.problem("payments the wallet made that the desk's journal lacks: %v", missing)
	} else if paid != posted {
		res.problem("the wallet paid %d fen, the bank posted %d", paid, posted)
	}
}
