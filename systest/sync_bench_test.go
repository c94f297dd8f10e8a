package systest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/desk"
	"lingqian/device"
	"lingqian/emv/oda"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/wallet"
)

// forwardBenchMessages is DESIGN section 8's figure: 100,000 queued
// messages forwarded to the bank, cleared and posted.
const forwardBenchMessages = 100_000

// BenchmarkForward_RealBank forwards a desk's 100,000 queued purchases to
// the real `lingqian-bank serve` on loopback and reports messages per
// second until the bank's own report counts every one posted (target
// ≥ 10,000/s). The pass is what `lingqian sync --once` does: forward,
// reconcile, refresh; forward-msgs/s is the forwarding alone.
//
// The purchases are real: wallets the bank issued through its voucher
// endpoint, tapped on the in-process loopback reader, run through the
// desk's kernel and checkout into its journal. Making them takes about two
// minutes, so it is done once per test process (forwardFixture); every
// run forwards a fresh copy of the desk's and the bank's folders, on disk.
//
// LINGQIAN_FORWARD_BENCH_N sets another count, for a quick look;
// LINGQIAN_FORWARD_BENCH_FIXTURE=DIR keeps the fixture in DIR and uses it
// again in later runs (delete DIR after a change to either schema);
// LINGQIAN_FORWARD_BENCH_PROFILE=FILE writes a CPU profile of the measured
// pass alone; LINGQIAN_FORWARD_BENCH_BANK=inprocess serves the same bank
// folder from this process instead, so that the profile has the bank's
// side too.
func BenchmarkForward_RealBank(b *testing.B) {
	n := forwardBenchMessages
	if v, err := strconv.Atoi(os.Getenv("LINGQIAN_FORWARD_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	b.StopTimer() // the fixture is built once, untimed
	fx := forwardFixtureOf(b, n)
	for range b.N {
		b.StopTimer()
		run := fx.copy(b)
		b.StartTimer()
		run.forward(b)
	}
}

// forwardRun is a bank serving a copy of the fixture's bank and a copy of
// its desk, enrolled with that bank, whose journal holds n purchases that
// have never been forwarded.
type forwardRun struct {
	fx     *forwardFixture
	desk   string
	bank   *realBank // nil when the bank is served in process
	report func(testing.TB) bankTotals
}

// forward is the measured part: one pass of the desk's forwarder, then the
// bank's own report must count every purchase posted.
func (r *forwardRun) forward(b *testing.B) {
	ctx := context.Background()
	d, err := desk.Open(ctx, r.desk)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	client, err := d.BankClient(desksync.DefaultRetries)
	if err != nil {
		b.Fatal(err)
	}
	f := desksync.NewForwarder(client, d.DB, desksync.Options{Dir: d.Dir})
	lastBatch := make(chan time.Time, 1)
	go func() { // the last batch's answer marks the end of forwarding
		var at time.Time
		for ev := range f.Events() {
			if ev.Kind == desksync.EventPass {
				lastBatch <- at
				return
			}
			at = ev.At
		}
	}()

	stopProfile := profilePass(b)
	start := time.Now()
	ev := f.Pass(ctx, true, true)
	forwarded := (<-lastBatch).Sub(start)
	passed := time.Since(start)
	posted := r.report(b).Posted
	took := time.Since(start)

	b.StopTimer()
	stopProfile()
	n := r.fx.n
	if err := ev.Err(); err != nil || ev.Progress.Sent != n || ev.Progress.Accepted != n {
		b.Fatalf("pass: %v, progress %+v", err, ev.Progress)
	}
	if ev.Report == nil || len(ev.Report.Differences) != 0 {
		b.Fatalf("reconciliation: %+v", ev.Report)
	}
	if posted != (app.Totals{Count: n, Amount: app.Money(r.fx.amount)}) {
		b.Fatalf("the bank posted %+v of %d purchases (%d fen)", posted, n, r.fx.amount)
	}
	b.ReportMetric(float64(n)/took.Seconds(), "msgs/s")
	b.ReportMetric(float64(n)/forwarded.Seconds(), "forward-msgs/s")
	b.Logf("%d messages: forwarded in %v, reconciled and refreshed by %v, counted in the bank's report by %v",
		n, forwarded.Round(time.Millisecond), passed.Round(time.Millisecond), took.Round(time.Millisecond))
	if r.bank != nil {
		batches, spent := r.bank.batchTime(b)
		b.Logf("the bank's log: %d batches, %v in their handlers (%.0f µs a message)",
			batches, spent.Round(time.Millisecond), float64(spent.Microseconds())/float64(n))
	}
}

// profilePass writes a CPU profile of the measured pass alone to the file
// LINGQIAN_FORWARD_BENCH_PROFILE names, if it names one.
func profilePass(b *testing.B) (stop func()) {
	path := os.Getenv("LINGQIAN_FORWARD_BENCH_PROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// batchTime adds up what the bank's request log says its batch requests
// took (the "ms" of each POST /v1/desk/batches line).
func (bk *realBank) batchTime(b *testing.B) (int, time.Duration) {
	b.Helper()
	logs, err := filepath.Glob(filepath.Join(filepath.Dir(bk.dir), "bank-*.log"))
	if err != nil {
		b.Fatal(err)
	}
	n, ms := 0, 0
	for _, path := range logs {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			_, rest, ok := strings.Cut(line, " ms=")
			if !ok || !strings.Contains(line, "path=/v1/desk/batches") {
				continue
			}
			v, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				b.Fatalf("%s: %q", path, line)
			}
			n, ms = n+1, ms+v
		}
	}
	return n, time.Duration(ms) * time.Millisecond
}

// forwardFixture is a bank folder and a desk folder, both at rest: the
// bank has issued the wallets, the desk's journal holds n purchases made
// with them, none forwarded.
type forwardFixture struct {
	dir    string // holds bank/ and desk/
	n      int
	amount int64 // their sum, in fen
}

var forwardFixtures struct {
	sync.Mutex
	byN map[int]*forwardFixture
}

// forwardFixtureOf builds the fixture for n purchases once per process,
// in a folder named after the process; folders left by processes that
// are gone are removed first.
func forwardFixtureOf(b *testing.B, n int) *forwardFixture {
	b.Helper()
	forwardFixtures.Lock()
	defer forwardFixtures.Unlock()
	if fx := forwardFixtures.byN[n]; fx != nil {
		return fx
	}
	removeStaleFixtures()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("lingqian-forward-bench-%d", os.Getpid()), strconv.Itoa(n))
	kept := os.Getenv("LINGQIAN_FORWARD_BENCH_FIXTURE")
	if kept != "" {
		dir = filepath.Join(kept, strconv.Itoa(n))
	}
	fx := keptFixture(dir, n)
	if fx == nil {
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		fx = buildForwardFixture(b, dir, n, "")
		if kept != "" {
			if err := os.WriteFile(filepath.Join(dir, "amount"), []byte(strconv.FormatInt(fx.amount, 10)), 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	if forwardFixtures.byN == nil {
		forwardFixtures.byN = map[int]*forwardFixture{}
	}
	forwardFixtures.byN[n] = fx
	return fx
}

// keptFixture is a fixture built by an earlier process in dir, for
// LINGQIAN_FORWARD_BENCH_FIXTURE=DIR (a folder the benchmark may keep
// between runs while one works on forwarding); nil when there is none.
func keptFixture(dir string, n int) *forwardFixture {
	data, err := os.ReadFile(filepath.Join(dir, "amount"))
	if err != nil {
		return nil
	}
	amount, err := strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return nil
	}
	return &forwardFixture{dir: dir, n: n, amount: amount}
}

func removeStaleFixtures() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "lingqian-forward-bench-*"))
	for _, d := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "lingqian-forward-bench-"))
		if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
}

// Wallets take purchasesPerWallet each: a wallet rewrites its whole log on
// every purchase, so fuller wallets make the purchases slower, and more
// wallets (an RSA key each) the issuing.
const purchasesPerWallet = 100

// buildForwardFixture builds the fixture in dir, the bank's database in
// db (PostgreSQL, bank_pg_bench_test.go) or, for "", in its folder.
func buildForwardFixture(b *testing.B, dir string, n int, db string) *forwardFixture {
	b.Helper()
	start := time.Now()
	scratch := scratchDir(b)
	fx := &forwardFixture{dir: dir, n: n}
	bk := startRealBankOn(b, filepath.Join(dir, "bank"), db)
	wallets := (n + purchasesPerWallet - 1) / purchasesPerWallet
	load := int64(purchasesPerWallet * 200)
	mustBinary(b, "lingqian-bank", bk.flags("customer", "add", "--data", bk.dir, "--user", "bench", "--password", "s3cret",
		"--deposit", strconv.FormatInt(int64(wallets)*load, 10))...)
	code := strings.TrimSpace(mustBinary(b, "lingqian-bank", bk.flags("terminal-code", "--data", bk.dir, "--merchant", "M001")...))
	built := filepath.Join(scratch, "desk")
	mustBinary(b, "lingqian", "enroll", "--data", built, "--bank", "https://"+bk.addr, "--ca", bk.ca(), "--code", code)
	cards := issueWallets(b, bk, filepath.Join(scratch, "wallets"), wallets, load)
	issued := time.Since(start)
	fx.amount = chargeAll(b, built, cards, n)
	charged := time.Since(start)
	bk.stop(b, syscall.SIGTERM)
	if err := os.CopyFS(filepath.Join(dir, "desk"), os.DirFS(built)); err != nil {
		b.Fatal(err)
	}
	b.Logf("fixture: %d wallets issued in %v, %d purchases (%s) made in %v, folders at rest in %v", wallets,
		issued.Round(time.Millisecond), n, app.FormatMoney(app.Money(fx.amount)), (charged - issued).Round(time.Millisecond),
		(time.Since(start) - charged).Round(time.Millisecond))
	return fx
}

// copy makes a run: the fixture's folders copied to disk, the bank
// serving its copy on a new port, and the desk's copy pointed at it.
func (fx *forwardFixture) copy(b *testing.B) *forwardRun {
	b.Helper()
	work := b.TempDir()
	for _, d := range []string{"bank", "desk"} {
		if err := os.CopyFS(filepath.Join(work, d), os.DirFS(filepath.Join(fx.dir, d))); err != nil {
			b.Fatal(err)
		}
	}
	r := &forwardRun{fx: fx, desk: filepath.Join(work, "desk")}
	var addr string
	if os.Getenv("LINGQIAN_FORWARD_BENCH_BANK") == "inprocess" {
		addr, r.report = serveBankInProcess(b, filepath.Join(work, "bank"))
	} else {
		r.bank = startRealBank(b, filepath.Join(work, "bank"))
		addr, r.report = r.bank.addr, r.bank.report
	}
	d, err := desk.Open(context.Background(), r.desk)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	if err := d.DB.SetSetting(context.Background(), desk.SettingBankURL, "https://"+addr, "bench"); err != nil {
		b.Fatal(err)
	}
	return r
}

// serveBankInProcess serves the bank folder from this process (for
// profiling); its address and its report.
func serveBankInProcess(b *testing.B, dir string) (string, func(testing.TB) bankTotals) {
	b.Helper()
	bk, err := bank.Open(dir, bank.Options{Keys: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	ready, done := make(chan net.Addr, 1), make(chan error, 1)
	go func() { done <- bk.Serve(ctx, "127.0.0.1:0", func(a net.Addr) { ready <- a }) }()
	var addr string
	select {
	case a := <-ready:
		addr = a.String()
	case err := <-done:
		b.Fatal(err)
	}
	b.Cleanup(func() { stop(); <-done; bk.Close() })
	return addr, func(tb testing.TB) bankTotals {
		rep, err := bk.Report(context.Background(), bank.ReportFilter{})
		if err != nil {
			tb.Fatal(err)
		}
		return bankTotals{Posted: app.Totals{Count: int(rep.Posted.Count), Amount: app.Money(rep.Posted.Amount)}}
	}
}

// issueWallets has the bank issue n wallets of load fen each, the phone's
// way: log in, make the ICC key, POST /v1/vouchers.
func issueWallets(b testing.TB, bk *realBank, dir string, n int, load int64) []*wallet.Card {
	b.Helper()
	caPEM, err := os.ReadFile(bk.ca())
	if err != nil {
		b.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	cards := make([]*wallet.Card, n)
	errs := make(chan error, runtime.NumCPU())
	var wg sync.WaitGroup
	workers := runtime.NumCPU()
	for wk := range workers {
		wg.Go(func() {
			c, err := wallet.NewBankClient("https://"+bk.addr, caPEM)
			if err == nil {
				_, err = c.Login(context.Background(), "bench", "s3cret")
			}
			for i := wk; i < n && err == nil; i += workers {
				cards[i], _, err = c.Apply(context.Background(), filepath.Join(dir, fmt.Sprintf("w%05d.json", i)), load, wallet.CreateOptions{})
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatalf("issuing wallets: %v", err)
	}
	return cards
}

// chargeAll makes n purchases at the desk in dir, purchasesPerWallet on
// each wallet in turn, with one checkout per CPU; their sum in fen.
func chargeAll(b testing.TB, dir string, cards []*wallet.Card, n int) int64 {
	b.Helper()
	ctx := context.Background()
	d, err := desk.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	keys, err := d.CAKeys("")
	if err != nil {
		b.Fatal(err)
	}
	workers := runtime.NumCPU()
	sums := make([]int64, workers)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Go(func() {
			co, reader, err := benchCheckout(d, keys)
			for i := wk; i < len(cards) && err == nil; i += workers {
				for j := 0; j < purchasesPerWallet && i*purchasesPerWallet+j < n && err == nil; j++ {
					amount := app.Money(100 + j%100)
					reader.Tap(cards[i], device.Leave{})
					var res app.Result
					res, err = co.Charge(ctx, app.Sale{Amount: amount, Cashier: app.Operator{ID: "bench", Role: app.RoleCashier}})
					if err == nil && !res.Approved() {
						err = fmt.Errorf("wallet %d purchase %d declined: %s", i, j, res.Outcome.Reason.Text)
					}
					sums[wk] += int64(amount)
				}
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	return sumFen(sums)
}

// benchCheckout is the desk's checkout over an in-process loopback reader.
func benchCheckout(d *desk.Desk, keys *oda.Store) (*app.Checkout, *device.Loopback, error) {
	k, err := d.Kernel(keys)
	if err != nil {
		return nil, nil, err
	}
	r := device.NewLoopback("bench")
	return &app.Checkout{Journal: benchJournal{d.DB}, Audit: d.DB, Kernel: k, Reader: benchReader{r},
		Terminal: d.Terminal, Merchant: d.Merchant}, r, nil
}

// benchJournal is the desk's journal less one cost: the offline limits
// read the pending total before every sale, a scan of every purchase not
// yet at the bank, which for 100,000 queued ones would dominate the setup.
// The benchmark sets no limits.
type benchJournal struct{ *store.DB }

func (benchJournal) Pending(context.Context) (app.Pending, error) { return app.Pending{}, nil }

// benchReader gives the checkout the phone on the loopback reader.
type benchReader struct{ r *device.Loopback }

func (b benchReader) Tap(ctx context.Context) (app.Card, error) { return b.r.Connect(ctx, "bench") }

// scratchDir is a folder on tmpfs when there is one.
func scratchDir(tb testing.TB) string {
	dir, err := os.MkdirTemp("/dev/shm", "lingqian-bench-")
	if err != nil {
		return tb.TempDir()
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func mustBinary(tb testing.TB, name string, args ...string) string {
	tb.Helper()
	r := runBinary(name, args...)
	if r.code != 0 {
		tb.Fatalf("%s: exit %d\n%s%s", name, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}
