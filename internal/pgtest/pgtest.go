// Package pgtest runs a private PostgreSQL cluster for tests: Debian's
// own server binaries, a cluster made by initdb in a temporary folder,
// the server on a free loopback port with its socket in that folder, run
// as an unprivileged user when the test runs as root (CI does; PostgreSQL
// refuses root), and stopped by its PID when the test or the test binary
// ends. Each test gets a database of its own in it.
//
// The cluster trades durability for speed (fsync, synchronous_commit and
// full_page_writes off): it is thrown away after the tests, and nothing
// a test checks depends on surviving a power cut. Never copy these
// settings to a bank's server.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled: no PostgreSQL server binaries were found. It is the
// only reason a test is skipped; every other failure fails it.
var ErrNotInstalled = errors.New("PostgreSQL's server is not installed (Debian: apt-get install postgresql; scripts/deps.sh installs it)")

// BinEnv names a folder holding initdb and postgres, for systems that do
// not keep them where Debian does.
const BinEnv = "LINGQIAN_TEST_PGBIN"

// Superuser is the cluster's superuser, which every DSN names. The
// cluster trusts every local connection: it listens on loopback only,
// and lives as long as the tests.
const Superuser = "postgres"

// Start starts a cluster for t alone, stopped when t ends, and returns
// the DSN of a fresh database in it. A test binary with several such
// tests does better with one cluster from StartMain and NewDB per test.
// t is skipped, saying why, only when PostgreSQL is not installed.
func Start(t testing.TB) string {
	t.Helper()
	c, err := start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Error(err)
		}
	})
	return NewDB(t, c.dsn(Superuser))
}

// StartMain starts a cluster for a whole test binary, from TestMain. It
// returns the DSN of the cluster's own database (give it to NewDB) and
// stop, which TestMain calls after m.Run; stop is never nil. err wraps
// ErrNotInstalled when PostgreSQL is not installed: TestMain should then
// run the tests anyway and let NewDB skip each.
func StartMain() (dsn string, stop func() error, err error) {
	c, err := start()
	if err != nil {
		return "", func() error { return nil }, err
	}
	return c.dsn(Superuser), c.stop, nil
}

// dbCount numbers the databases NewDB makes in this test binary.
var dbCount atomic.Int64

// NewDB makes a fresh, empty database for t in the cluster whose DSN is
// clusterDSN, dropped when t ends, and returns its DSN. An empty
// clusterDSN (StartMain found no PostgreSQL) skips t.
func NewDB(t testing.TB, clusterDSN string) string {
	t.Helper()
	if clusterDSN == "" {
		t.Skip(ErrNotInstalled)
	}
	cfg, err := pgx.ParseConfig(clusterDSN)
	if err != nil {
		t.Fatalf("pgtest: cluster DSN: %v", err)
	}
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), dbCount.Add(1))
	if err := admin(clusterDSN, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		// FORCE ends a connection a test left open, which would
		// otherwise keep the database.
		if err := admin(clusterDSN, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return dsnOf(cfg.Host, cfg.Port, cfg.User, name)
}

// admin runs one statement on the cluster's own database.
func admin(clusterDSN, stmt string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, clusterDSN)
	if err != nil {
		return fmt.Errorf("%s: connect: %w", stmt, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

func dsnOf(host string, port uint16, user, db string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", user, net.JoinHostPort(host, strconv.Itoa(int(port))), db)
}

// BinDir is the folder of the newest PostgreSQL server installed (Debian
// keeps each major version in /usr/lib/postgresql/N/bin), or BinEnv's.
func BinDir() (string, error) {
	if dir := os.Getenv(BinEnv); dir != "" {
		if !hasServer(dir) {
			return "", fmt.Errorf("%s=%s holds no initdb and postgres: %w", BinEnv, dir, ErrNotInstalled)
		}
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = slices.DeleteFunc(dirs, func(d string) bool { return !hasServer(d) })
	if len(dirs) == 0 {
		return "", fmt.Errorf("no initdb and postgres in /usr/lib/postgresql/*/bin: %w", ErrNotInstalled)
	}
	version := func(d string) int {
		v, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
		return v
	}
	return slices.MaxFunc(dirs, func(a, b string) int { return version(a) - version(b) }), nil
}

func hasServer(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// account is who runs the cluster: the test's own user, or when that is
// root (PostgreSQL refuses to run as root) Debian's postgres user, or
// nobody.
type account struct {
	cred *syscall.Credential // nil: the test's own user
	name string
}

func runAs() (account, error) {
	if os.Geteuid() != 0 {
		return account{name: "the test's user"}, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err1 != nil || err2 != nil || uid == 0 {
			continue
		}
		return account{cred: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, name: name}, nil
	}
	return account{}, errors.New("pgtest: running as root, and neither a postgres nor a nobody user to run PostgreSQL as")
}

// tempRoot is where the cluster's folder goes: the usual temporary
// folder, or /tmp when the user the cluster runs as cannot reach that.
func tempRoot(a account) (string, error) {
	for _, dir := range []string{os.TempDir(), "/tmp"} {
		if a.cred == nil || reachable(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("pgtest: neither %s nor /tmp can be reached by %s: set TMPDIR to a folder every user may enter", os.TempDir(), a.name)
}

// reachable says whether every user may enter dir and the folders above
// it.
func reachable(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for d := abs; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// env is the environment the cluster's programs get: no locale or
// PostgreSQL settings of the test's own.
func env() []string {
	return []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C", "TZ=UTC"}
}

// tail is the end of a log file, for a message about a failure.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return strings.TrimSpace(string(data))
}

// attempts is how often start tries a new port when another process took
// the one picked between finding it free and the server binding it.
const attempts = 3

// start makes and starts a cluster.
func start() (*cluster, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	who, err := runAs()
	if err != nil {
		return nil, err
	}
	root, err := tempRoot(who)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(root, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &cluster{bin: bin, dir: dir, who: who}
	if err := c.initdb(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	for i := range attempts {
		if err = c.run(); err == nil {
			return c, nil
		}
		if i+1 < attempts && strings.Contains(tail(c.logPath()), "could not bind") {
			continue
		}
		break
	}
	os.RemoveAll(dir)
	return nil, err
}

// cluster is one running server and its folder.
type cluster struct {
	bin, dir string
	who      account
	port     int
	pid      int
	done     chan error // the server's exit, once
	exited   error
}

func (c *cluster) dataDir() string { return filepath.Join(c.dir, "data") }
func (c *cluster) logPath() string { return filepath.Join(c.dir, "postgres.log") }

func (c *cluster) dsn(db string) string { return dsnOf("127.0.0.1", uint16(c.port), Superuser, db) }

// attrs make a program run as the cluster's user.
func (c *cluster) attrs() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: c.who.cred, Setpgid: true}
}

// initdb makes the cluster: the folder handed to its user, the C locale
// (byte order, as SQLite compares), UTF-8, and trust for loopback.
func (c *cluster) initdb() error {
	if c.who.cred != nil {
		if err := os.Chown(c.dir, int(c.who.cred.Uid), int(c.who.cred.Gid)); err != nil {
			return fmt.Errorf("pgtest: hand %s to %s: %w", c.dir, c.who.name, err)
		}
	}
	cmd := exec.Command(filepath.Join(c.bin, "initdb"), "-D", c.dataDir(), "-U", Superuser, "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	cmd.Dir, cmd.Env, cmd.SysProcAttr = c.dir, env(), c.attrs()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb as %s in %s: %w\n%s", c.who.name, c.dir, err, out)
	}
	return nil
}

// run starts the server on a free port and waits until it takes
// connections.
func (c *cluster) run() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	logf, err := os.OpenFile(c.logPath(), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(c.bin, "postgres"), "-D", c.dataDir(), "-k", c.dir, "-p", strconv.Itoa(port),
		"-h", "127.0.0.1",
		// Speed for a cluster thrown away after the tests: see the
		// package comment.
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "shared_buffers=32MB", "-c", "max_connections=200", "-c", "log_min_messages=warning")
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = c.dir, env(), logf, logf
	cmd.SysProcAttr = c.attrs()
	// Should the test binary die without stopping it, the server gets
	// SIGQUIT (its immediate shutdown). The kernel sends it when the
	// thread that started it ends, so one thread is kept for that until
	// the server has exited.
	cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	started := make(chan error, 1)
	c.done = make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.done <- cmd.Wait()
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("pgtest: start postgres as %s: %w", c.who.name, err)
	}
	c.pid = cmd.Process.Pid
	if err := c.ready(60 * time.Second); err != nil {
		return errors.Join(err, c.shutdown())
	}
	return nil
}

// ready waits until the server takes connections, or has exited.
func (c *cluster) ready(within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		select {
		case err := <-c.done:
			c.exited, c.done = err, nil
			return fmt.Errorf("pgtest: postgres (pid %d) exited while starting: %v\n%s", c.pid, err, tail(c.logPath()))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, c.dsn("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return nil
		}
		cancel()
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres (pid %d) took no connection in %s: %v\n%s", c.pid, within, err, tail(c.logPath()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop ends the server and removes its folder.
func (c *cluster) stop() error {
	err := c.shutdown()
	if rmErr := os.RemoveAll(c.dir); rmErr != nil {
		err = errors.Join(err, fmt.Errorf("pgtest: %w", rmErr))
	}
	return err
}

// shutdown ends the server by its PID, with a fast shutdown (SIGINT:
// open transactions rolled back, connections closed), then an immediate
// one (SIGQUIT) and a kill if it does not end.
func (c *cluster) shutdown() error {
	var errs []error
	if c.done != nil {
		for _, s := range []struct {
			sig  syscall.Signal
			wait time.Duration
		}{{syscall.SIGINT, 60 * time.Second}, {syscall.SIGQUIT, 10 * time.Second}, {syscall.SIGKILL, 10 * time.Second}} {
			if err := syscall.Kill(c.pid, s.sig); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("pgtest: signal postgres (pid %d): %w", c.pid, err))
			}
			select {
			case c.exited = <-c.done:
				c.done = nil
			case <-time.After(s.wait):
				errs = append(errs, fmt.Errorf("pgtest: postgres (pid %d) still running %s after %v", c.pid, s.wait, s.sig))
				continue
			}
			break
		}
	}
	return errors.Join(errs...)
}

// freePort is a loopback port nobody listens on now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
