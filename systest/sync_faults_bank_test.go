package systest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/desk"
)

// realBank is `lingqian-bank serve` on a folder, as its own process.
type realBank struct {
	dir, addr string
	db        string // --db: the bank's PostgreSQL database; "" for SQLite in dir
	mu        sync.Mutex
	cmd       *exec.Cmd
	runs      int
}

// startRealBank starts the bank on a free loopback port; it is stopped
// when the test ends.
func startRealBank(tb testing.TB, dir string) *realBank {
	tb.Helper()
	return startRealBankOn(tb, dir, "")
}

// startRealBankOn is startRealBank with --db db when db is not "".
func startRealBankOn(tb testing.TB, dir, db string) *realBank {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	b := &realBank{dir: dir, addr: l.Addr().String(), db: db}
	l.Close()
	b.start(tb)
	tb.Cleanup(func() { b.stop(tb, syscall.SIGTERM) })
	return b
}

func (b *realBank) ca() string { return filepath.Join(b.dir, bank.CAFile) }

func (b *realBank) start(tb testing.TB) {
	tb.Helper()
	if err := b.launch(); err != nil {
		tb.Fatal(err)
	}
}

// launch starts the server and waits until it accepts connections.
func (b *realBank) launch() error {
	dir, err := binaries()
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.runs++
	if err := os.MkdirAll(filepath.Dir(b.dir), 0o700); err != nil {
		return err
	}
	log, err := os.Create(filepath.Join(filepath.Dir(b.dir), fmt.Sprintf("bank-%d.log", b.runs)))
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(dir, "lingqian-bank"), b.flags("serve", "--data", b.dir, "--addr", b.addr)...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return err
	}
	b.cmd = cmd
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", b.addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("the bank did not start listening on %s (log %s)", b.addr, log.Name())
}

// stop ends the server with sig (SIGTERM: gracefully; SIGKILL: a crash).
func (b *realBank) stop(tb testing.TB, sig syscall.Signal) {
	tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(sig)
	_ = b.cmd.Wait()
	b.cmd = nil
}

// answeredBatches counts the batch requests the server's latest run logged.
func (b *realBank) answeredBatches(t *testing.T) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(filepath.Dir(b.dir), fmt.Sprintf("bank-%d.log", b.runs)))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(data), "path=/v1/desk/batches")
}

// swapBack stops the stand-in f and starts the real bank again.
func (b *realBank) swapBack(f *httpFault) error {
	time.Sleep(50 * time.Millisecond) // let the stand-in's answer leave
	f.stop()
	return b.launch()
}

// bankTotals is the part of `lingqian-bank report --format json` read here.
type bankTotals struct {
	Posted   app.Totals `json:"posted"`
	Pending  app.Totals `json:"pending"`
	Rejected app.Totals `json:"rejected"`
}

func (b *realBank) report(tb testing.TB) bankTotals {
	tb.Helper()
	dir, err := binaries()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "lingqian-bank"), b.flags("report", "--data", b.dir, "--format", "json")...).Output()
	if err != nil {
		tb.Fatalf("lingqian-bank report: %v", err)
	}
	var r bankTotals
	if err := json.Unmarshal(out, &r); err != nil {
		tb.Fatalf("lingqian-bank report printed %q: %v", out, err)
	}
	return r
}

// checkLedger reads the bank's books (read-only, beside the running
// server, as its administrative commands do): they balance, and the
// merchant's settlement account holds what was posted to it.
func (b *realBank) checkLedger(tb testing.TB, merchant string, posted int64) {
	tb.Helper()
	ctx := context.Background()
	bk, err := bank.Open(b.dir, bank.Options{Store: b.store(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	defer bk.Close()
	if err := bk.Ledger().Balanced(ctx); err != nil {
		tb.Errorf("ledger: %v", err)
	}
	if got, err := bk.Ledger().Balance(ctx, "settlement:"+merchant); err != nil || got != posted {
		tb.Errorf("settlement:%s holds %d (%v), want %d", merchant, got, err, posted)
	}
}

// httpFault is not the bank: a TLS server the test runs on the bank's
// address while the real bank is stopped, with the bank's own server
// certificate and CA (so the desk's pinned TLS accepts it), answering
// every request with answer. It records when each request came.
type httpFault struct {
	srv  *http.Server
	mu   sync.Mutex
	at   []time.Time
	once sync.Once
}

func startHTTPFault(t *testing.T, b *realBank, answer func(w http.ResponseWriter, n int)) *httpFault {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(b.dir, bank.TLSFile), filepath.Join(b.dir, bank.TLSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(b.ca())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	f := &httpFault{}
	f.srv = &http.Server{
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			f.mu.Lock()
			f.at = append(f.at, time.Now())
			n := len(f.at)
			f.mu.Unlock()
			answer(w, n)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	var ln net.Listener
	for range 100 { // the bank has just let the port go
		if ln, err = net.Listen("tcp", b.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.srv.ServeTLS(ln, "", "") }()
	t.Cleanup(f.stop)
	return f
}

func (f *httpFault) stop() { f.once.Do(func() { f.srv.Close() }) }

func (f *httpFault) hits() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.at...)
}

// faultAnswer writes an error as the bank's API does.
func faultAnswer(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": message}})
}

// copyDeskFolder copies a desk's data folder (no process has it open).
func copyDeskFolder(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "desk-copy")
	if err := os.CopyFS(dst, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// setDeskIdentity gives the desk in dir another client certificate and key.
func setDeskIdentity(t *testing.T, dir string, certPEM, keyPEM []byte) {
	t.Helper()
	d, err := desk.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.DB.SetSetting(context.Background(), desk.SettingBankCert, string(certPEM), "test"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, desk.BankKeyFile), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
}

// copyDeskIdentity puts the certificate and key of the desk in from into
// the desk in to.
func copyDeskIdentity(t *testing.T, from, to string) {
	t.Helper()
	d, err := desk.Open(context.Background(), from)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := d.DB.Setting(context.Background(), desk.SettingBankCert)
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(from, desk.BankKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	setDeskIdentity(t, to, []byte(cert), key)
}

// foreignDeskCertificate is a client certificate naming the terminal and
// merchant, signed by a CA of its own: not the bank's.
func foreignDeskCertificate(t *testing.T, terminal, merchant string) (certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Not the bank's CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2),
		Subject:   pkix.Name{CommonName: terminal, OrganizationalUnit: []string{merchant}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}
