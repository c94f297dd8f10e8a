// Package pcsctest runs a real pcscd with a private vpcd reader for tests.
//
// pcscd keeps its socket and PID file at fixed paths under /run/pcscd, so
// only one can run on a machine: Start takes a machine-wide lock, and test
// binaries that need the daemon take turns. Each daemon is started and
// stopped by its own PID; nothing else is touched.
package pcsctest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Paths fixed by Debian's pcsc-lite and vsmartcard-vpcd packages.
const (
	runDir     = "/run/pcscd"
	socketPath = runDir + "/pcscd.comm"
	pidPath    = runDir + "/pcscd.pid"
	vpcdDriver = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
	lockPath   = "/tmp/lingqian-pcscd.lock"
)

// FriendlyName is the private reader's name; vpcd serves two slots,
// "<name> 00 00" on Port and "<name> 00 01" on Port+1.
const FriendlyName = "Lingqian Test PCD"

// Daemon is one private pcscd with a vpcd reader.
type Daemon struct {
	Port   int    // where the virtual card connects for slot 0
	Reader string // slot 0's reader name
	Log    string // the daemon's output, for failure messages

	dir  string
	lock *os.File
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs pcscd for the test and stops it when the test ends. It fails
// the test with the reason when pcscd or the vpcd driver is missing:
// `make test` installs both.
func Start(t testing.TB) *Daemon {
	t.Helper()
	for _, need := range []string{vpcdDriver} {
		if _, err := os.Stat(need); err != nil {
			t.Fatalf("vsmartcard's vpcd driver is missing (%v): run `make test`, which installs it", err)
		}
	}
	if _, err := exec.LookPath("pcscd"); err != nil {
		t.Fatalf("pcscd is not installed: run `make test`, which installs it")
	}
	d := &Daemon{dir: t.TempDir()}
	if err := d.acquire(); err != nil {
		t.Fatal(err)
	}
	port, err := freePortPair()
	if err != nil {
		d.releaseLock()
		t.Fatal(err)
	}
	d.Port = port
	d.Reader = FriendlyName + " 00 00"
	d.Log = filepath.Join(d.dir, "pcscd.log")
	conf := fmt.Sprintf("FRIENDLYNAME \"%s\"\nDEVICENAME   /dev/null:%#x\nLIBPATH      %s\nCHANNELID    %#x\n",
		FriendlyName, port, vpcdDriver, port)
	if err := os.MkdirAll(filepath.Join(d.dir, "reader.conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "reader.conf.d", "vpcd"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Stop()
		d.releaseLock()
		if t.Failed() {
			t.Logf("pcscd's log (set LINGQIAN_PCSCD_DEBUG=1 for more):\n%s", d.tail())
		}
	})
	if err := d.start(); err != nil {
		t.Fatal(err)
	}
	return d
}

// acquire waits for the machine-wide turn at running pcscd, then checks
// that no pcscd outside the tests is running.
func (d *Daemon) acquire() error {
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return fmt.Errorf("pcscd lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("pcscd lock: %w", err)
	}
	d.lock = f
	if pid, alive := runningPcscd(); alive {
		d.releaseLock()
		return fmt.Errorf("another pcscd (pid %d) is running; the tests need their own: stop that one first", pid)
	}
	return nil
}

func (d *Daemon) releaseLock() {
	if d.lock != nil {
		_ = syscall.Flock(int(d.lock.Fd()), syscall.LOCK_UN)
		_ = d.lock.Close()
		d.lock = nil
	}
}

// runningPcscd reads pcscd's PID file and says whether that process lives.
func runningPcscd() (int, bool) {
	b, err := os.ReadFile(pidPath)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return pid, false
	}
	comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	return pid, strings.TrimSpace(string(comm)) == "pcscd"
}

// freePortPair finds a port p with p and p+1 free on all interfaces, as
// vpcd listens on both.
func freePortPair() (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", ":0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", ":"+strconv.Itoa(p+1))
		l.Close()
		if err == nil {
			l2.Close()
			return p, nil
		}
	}
	return 0, errors.New("find a free port pair: none after 50 tries")
}

func (d *Daemon) start() error {
	if d.cmd != nil {
		return errors.New("pcscd already started")
	}
	logf, err := os.OpenFile(d.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	level := "--info"
	if os.Getenv("LINGQIAN_PCSCD_DEBUG") != "" {
		level = "--debug"
	}
	cmd := exec.Command("pcscd", "--foreground", level, "--config", filepath.Join(d.dir, "reader.conf.d"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// The daemon must not outlive a test binary that crashes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start pcscd: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	d.cmd, d.done = cmd, done
	if err := d.waitReady(10 * time.Second); err != nil {
		d.Stop()
		return err
	}
	return nil
}

// waitReady waits until pcscd accepts clients on its socket: it creates
// the socket only after loading the readers of its configuration.
func (d *Daemon) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			return fmt.Errorf("pcscd exited at start; its log:\n%s", d.tail())
		default:
		}
		if c, err := net.Dial("unix", socketPath); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("pcscd not ready after %v; its log:\n%s", limit, d.tail())
}

func (d *Daemon) tail() string {
	b, _ := os.ReadFile(d.Log)
	if n := tailBytes(); len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// PID is the running daemon's process id, 0 when stopped.
func (d *Daemon) PID() int {
	if d.cmd == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// Stop ends the daemon as an administrator would (SIGTERM, then SIGKILL
// after 5 s) and waits for it. Stopping a stopped daemon does nothing.
func (d *Daemon) Stop() {
	if d.cmd == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
	d.cmd, d.done = nil, nil
}

// Restart stops the daemon and starts it again with the same reader.
func (d *Daemon) Restart() error {
	d.Stop()
	return d.start()
}

// Addr is where a virtual card dials to enter slot 0's field.
func (d *Daemon) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.Port)) }

func tailBytes() int {
	if n, err := strconv.Atoi(os.Getenv("LINGQIAN_PCSCD_LOG_TAIL")); err == nil && n > 0 {
		return n
	}
	return 4000
}
