package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// cli runs the program in this process, with nothing on standard input.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runWith(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_AdministrativeCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "B")

	// Given a customer added from the command line
	if code, out, errs := cli(t, "customer", "add", "--data", data, "--user", "alice", "--password", "s3cret", "--deposit", "100000"); code != 0 {
		t.Fatalf("customer add: %d %s %s", code, out, errs)
	}
	// When a terminal code is asked for
	code, out, errs := cli(t, "terminal-code", "--data", data, "--merchant", "M001")
	// Then only the code is printed
	if code != 0 || errs != "" || len(strings.TrimSpace(out)) != 24 || strings.Count(out, "\n") != 1 {
		t.Fatalf("terminal-code: %d %q %q", code, out, errs)
	}
	// And the report has the posted totals in every format
	code, out, _ = cli(t, "report", "--data", data, "--format", "json")
	var rep bank.Report
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !strings.Contains(out, `"posted": {`) {
		t.Fatalf("report json: %d %s", code, out)
	}
	if code, out, _ := cli(t, "report", "--data", data, "--format", "csv"); code != 0 || !strings.HasPrefix(out, "merchant_id,date,posted_count") {
		t.Errorf("report csv: %d %s", code, out)
	}
	if code, out, _ := cli(t, "report", "--data", data); code != 0 || !strings.Contains(out, "Posted") {
		t.Errorf("report text: %d %s", code, out)
	}

	// Errors are exit status 2 with a message
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage"},
		{"unknown command", []string{"fly"}, "unknown command"},
		{"missing flag", []string{"customer", "add", "--data", data, "--password", "s3cret"}, "--user is required"},
		{"no password anywhere", []string{"customer", "add", "--data", data, "--user", "bob"}, "no password"},
		{"logout of an unknown customer", []string{"customer", "logout", "--data", data, "--user", "bob"}, "not found"},
		{"unknown customer subcommand", []string{"customer", "remove", "--data", data, "--user", "alice"}, "add and logout"},
		{"bad admin log format", []string{"admin-log", "--data", data, "--format", "csv"}, "--format"},
		{"a --by that is not a name", []string{"customer", "logout", "--data", data, "--user", "alice", "--by", "a\tb"}, "--by"},
		{"a second alice", []string{"customer", "add", "--data", data, "--user", "alice", "--password", "s3cret"}, "already exists"},
		{"short password", []string{"customer", "add", "--data", data, "--user", "bob", "--password", "x"}, "password"},
		{"bad merchant", []string{"terminal-code", "--data", data, "--merchant", "M 1"}, "merchant id"},
		{"bad format", []string{"report", "--data", data, "--format", "pdf"}, "--format"},
		{"bad date", []string{"report", "--data", data, "--date", "yesterday"}, "--date"},
		{"unknown wallet", []string{"report", "--data", data, "--wallet", "6231990000000018"}, "not found"},
		{"hotlist an unknown wallet", []string{"hotlist", "add", "--data", data, "--pan", "6231990000000018", "--reason", "lost"}, "not found"},
		{"hotlist a bad PAN", []string{"hotlist", "add", "--data", data, "--pan", "123", "--reason", "lost"}, "pan"},
		{"stray argument", []string{"report", "--data", data, "extra"}, "unexpected argument"},
		{"no bank there", []string{"report", "--data", filepath.Join(data, "typo")}, "no bank in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := cli(t, tc.args...)
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, tc.want)
			}
		})
	}
}

// buildDir holds the command built for the tests; TestMain removes it.
var buildDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// buildBank builds the command once per test binary.
var buildBank = sync.OnceValues(func() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir, err := os.MkdirTemp("", "lingqian-bank-test-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	bin := filepath.Join(dir, "lingqian-bank")
	out, err := exec.Command(goBin, "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// server is lingqian-bank serve running as a child process.
type server struct {
	cmd  *exec.Cmd
	log  *bytes.Buffer
	done chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer starts the server, with extra flags if any, and waits
// until it answers over TLS.
func startServer(t *testing.T, data, addr string, extra ...string) *server {
	t.Helper()
	bin, err := buildBank()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{log: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, append([]string{"serve", "--data", data, "--addr", addr}, extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if ca, err := os.ReadFile(filepath.Join(data, bank.CAFile)); err == nil {
			c := banktest.NewClient("https://"+addr, ca, nil)
			c.HTTP.Timeout = time.Second
			if r, err := c.Raw(context.Background(), "GET", "/v1/desk/hotlist", "", nil); err == nil && r.Status == http.StatusUnauthorized {
				return s
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("the server stopped: %v\n%s", err, s.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("the server did not come up:\n%s", s.log)
	return nil
}

// stop sends sig and waits for the process to end.
func (s *server) stop(t *testing.T, sig os.Signal) error {
	t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	return nil
}

func TestServe_KilledMidBatchNeverPostsTwiceNorLoses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the server several times")
	}
	data := filepath.Join(t.TempDir(), "B")
	addr := freeAddr(t)
	base := "https://" + addr

	// Given a running bank with a customer, a wallet and an enrolled desk
	srv := startServer(t, data, addr)
	ca, err := os.ReadFile(filepath.Join(data, bank.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "customer", "add", "--data", data, "--user", "alice", "--password", "s3cret", "--deposit", "100000"); code != 0 {
		t.Fatal(errs)
	}
	_, enrolCode, _ := cli(t, "terminal-code", "--data", data, "--merchant", "M001")
	desk := banktest.Enroll(t, base, ca, strings.TrimSpace(enrolCode))
	phone := banktest.Login(t, base, ca, "alice", "s3cret")
	w := phone.NewWallet(t, t.TempDir(), 90000)

	// And 600 approved purchases, in six batches with fixed keys
	const batches, per = 6, 100
	var all []bank.WireMessage
	var total int64
	for i := range batches * per {
		amount := int64(1 + i%97)
		all = append(all, desk.Purchase(t, w, amount))
		total += amount
	}
	// split cuts the messages into batches of size under keys named by prefix.
	split := func(prefix string, size int) (keys []string, bodies [][]byte) {
		for i := 0; i < len(all); i += size {
			body, _ := json.Marshal(bank.BatchRequest{Messages: all[i:min(i+size, len(all))]})
			keys, bodies = append(keys, fmt.Sprintf("%s-%d", prefix, i/size)), append(bodies, body)
		}
		return keys, bodies
	}
	keys, bodies := split("batch", per)
	send := func(c *banktest.Client, key string, body []byte) (banktest.Response, error) {
		return c.Raw(context.Background(), "POST", "/v1/desk/batches", key, body)
	}

	// When the server is killed with SIGKILL while batches arrive, five
	// times: first the batches above, then the same messages batched
	// otherwise under new keys, as a desk that lost its answers may
	for round := range 5 {
		if round > 0 {
			srv = startServer(t, data, addr)
		}
		rk, rb := keys, bodies
		if round > 0 {
			rk, rb = split(fmt.Sprintf("round%d", round), 60+40*round)
		}
		c := banktest.NewClient(base, ca, &desk.Cert)
		var wg sync.WaitGroup
		for i := range rk {
			wg.Go(func() { _, _ = send(c, rk[i], rb[i]) })
		}
		time.Sleep(time.Duration(10+rand.IntN(150)) * time.Millisecond)
		if err := srv.stop(t, syscall.SIGKILL); err == nil {
			t.Log("the server had ended before the kill")
		}
		wg.Wait()
		t.Logf("round %d: %d posted when killed", round, posted(t, data).Count)
	}

	// And it is started again and every batch is sent again with its key
	srv = startServer(t, data, addr)
	c := banktest.NewClient(base, ca, &desk.Cert)
	for i := range keys {
		r, err := send(c, keys[i], bodies[i])
		if err != nil || r.Status != http.StatusOK {
			t.Fatalf("batch %d: %v %d %s", i, err, r.Status, r.Body)
		}
		var resp bank.BatchResponse
		if err := json.Unmarshal(r.Body, &resp); err != nil {
			t.Fatal(err)
		}
		for _, res := range resp.Results {
			if res.State != "posted" || res.Status == bank.StatusRejected {
				t.Fatalf("batch %d: %+v", i, res)
			}
		}
	}

	// Then every purchase is posted exactly once
	want := bank.Totals{Count: batches * per, Amount: total}
	if got := posted(t, data); got != want {
		t.Errorf("report posted %+v, want %+v", got, want)
	}
	rec := desk.Reconciliation(t)
	if rec.Totals.Posted != want {
		t.Errorf("reconciliation %+v, want %+v", rec.Totals.Posted, want)
	}

	// And a SIGTERM stops the server cleanly
	if err := srv.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("SIGTERM: %v\n%s", err, srv.log)
	}
	if !strings.Contains(srv.log.String(), "msg=stopped") {
		t.Errorf("no clean stop in the log:\n%s", srv.log)
	}

	// And the ledger balances, with one posting per purchase
	b, err := bank.Open(data, bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	if err := b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := b.Ledger().Postings(ctx); n != batches*per+2 { // and the deposit and the voucher
		t.Errorf("%d postings", n)
	}
	if v, _ := b.Ledger().Balance(ctx, "settlement:M001"); v != total {
		t.Errorf("settled %d, want %d", v, total)
	}
	if strings.Contains(srv.log.String(), w.PAN()) {
		t.Error("the log holds a whole PAN")
	}
}

// posted is what the bank's report says was posted, read with the
// command as a shell script would.
func posted(t *testing.T, data string) bank.Totals {
	t.Helper()
	code, out, errs := cli(t, "report", "--data", data, "--format", "json")
	var rep bank.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("report: %d %v %s", code, err, errs)
	}
	if rep.Rejected.Count != 0 {
		t.Errorf("rejected %+v", rep.Rejected)
	}
	return rep.Posted
}

func TestServe_RefusesABusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "B")
	code, _, errs := cli(t, "serve", "--data", data, "--addr", ln.Addr().String())
	if code != 2 || !strings.Contains(errs, "listen") {
		t.Errorf("exit %d: %s", code, errs)
	}
}
