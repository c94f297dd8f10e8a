package systest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"lingqian/internal/pgtest"
)

// BenchmarkForward_PostgreSQL is BenchmarkForward_RealBank with the bank's
// database on PostgreSQL: 100,000 queued purchases forwarded by one desk
// to one lingqian-bank serve, and to two on one database behind a
// round-robin TCP balancer (the desk keeps two batches on the wire, one
// connection each, so each process clears one of them: the worst case,
// two processes writing the same desk's and merchant's rows at once). The cluster is
// internal/pgtest's: fsync off, so the figures are the bank's and the
// engine's, not a disk's. Skipped, saying so, without PostgreSQL.
func BenchmarkForward_PostgreSQL(b *testing.B) {
	n := forwardBenchMessages
	if v, err := strconv.Atoi(os.Getenv("LINGQIAN_FORWARD_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	for _, banks := range []int{1, 2} {
		b.Run(fmt.Sprintf("banks=%d", banks), func(b *testing.B) {
			b.StopTimer()
			fx := pgForwardFixtureOf(b, n)
			for range b.N {
				b.StopTimer()
				run := fx.copy(b, banks)
				b.StartTimer()
				run.forward(b)
			}
		})
	}
}

// The cluster the PostgreSQL benchmarks share, started at the first that
// needs it and stopped by TestMain.
var pgCluster struct {
	once sync.Once
	dsn  string
	stop func() error
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pgCluster.stop != nil {
		if err := pgCluster.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// sharedCluster is the DSN of the shared cluster's own database; tb is
// skipped when PostgreSQL is not installed.
func sharedCluster(tb testing.TB) string {
	tb.Helper()
	pgCluster.once.Do(func() { pgCluster.dsn, pgCluster.stop, pgCluster.err = pgtest.StartMain() })
	switch {
	case errors.Is(pgCluster.err, pgtest.ErrNotInstalled):
		tb.Skipf("no PostgreSQL, so no figures for the bank on it: %v", pgCluster.err)
	case pgCluster.err != nil:
		tb.Fatal(pgCluster.err)
	}
	return pgCluster.dsn
}

// pgForwardFixture is a forwardFixture whose bank's database is a
// template database in the shared cluster: every run clears a copy.
type pgForwardFixture struct {
	*forwardFixture
	cluster, template string
}

var pgForwardFixtures struct {
	sync.Mutex
	byN map[int]*pgForwardFixture
}

// pgForwardFixtureOf builds the fixture for n purchases once per process.
func pgForwardFixtureOf(b *testing.B, n int) *pgForwardFixture {
	b.Helper()
	cluster := sharedCluster(b)
	pgForwardFixtures.Lock()
	defer pgForwardFixtures.Unlock()
	if fx := pgForwardFixtures.byN[n]; fx != nil {
		return fx
	}
	removeStaleFixtures()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("lingqian-forward-bench-%d", os.Getpid()), "pg-"+strconv.Itoa(n))
	if err := os.RemoveAll(dir); err != nil {
		b.Fatal(err)
	}
	template := fmt.Sprintf("forward_fixture_%d", n)
	if err := pgExec(cluster, "CREATE DATABASE "+template); err != nil {
		b.Fatal(err)
	}
	fx := &pgForwardFixture{forwardFixture: buildForwardFixture(b, dir, n, withDB(b, cluster, template)), cluster: cluster, template: template}
	if pgForwardFixtures.byN == nil {
		pgForwardFixtures.byN = map[int]*pgForwardFixture{}
	}
	pgForwardFixtures.byN[n] = fx
	return fx
}

// runs numbers the databases copied from fixtures.
var runs atomic.Int64

// copy makes a run on a copy of the fixture: its folders, and its
// database copied from the template, served by banks processes, the
// desk pointed at the one or at a balancer in front of both.
func (fx *pgForwardFixture) copy(b *testing.B, banks int) *forwardRun {
	b.Helper()
	work := b.TempDir()
	for _, d := range []string{"bank", "desk"} {
		if err := os.CopyFS(filepath.Join(work, d), os.DirFS(filepath.Join(fx.dir, d))); err != nil {
			b.Fatal(err)
		}
	}
	name := fmt.Sprintf("forward_run_%d", runs.Add(1))
	if err := pgExec(fx.cluster, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, fx.template)); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := pgExec(fx.cluster, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			b.Error(err)
		}
	})
	// Registered before the banks start, so it runs once they stopped.
	b.Cleanup(func() { b.Logf("write attempts run again (the banks' logs): %s", writeRetries(b, work)) })
	db := withDB(b, fx.cluster, name)
	r := &forwardRun{fx: fx.forwardFixture, desk: filepath.Join(work, "desk")}
	if banks == 2 {
		// The banks speak HTTP/1.1 here, so the desk's two batches on the
		// wire take two connections, one to each process; over HTTP/2
		// both would ride one connection to one process.
		b.Setenv("GODEBUG", "http2server=0")
	}
	r.bank = startRealBankOn(b, filepath.Join(work, "bank"), db)
	r.report = r.bank.report
	addr := r.bank.addr
	if banks == 2 {
		// The second process reaches the folder through a link, so that
		// it logs beside a folder of its own (realBank).
		link := filepath.Join(work, "second", "bank")
		if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
			b.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(work, "bank"), link); err != nil {
			b.Fatal(err)
		}
		second := startRealBankOn(b, link, db)
		addr, r.bank = roundRobin(b, r.bank.addr, second.addr), nil
	}
	pointDeskAt(b, r.desk, "https://"+addr)
	return r
}

// withDB is the DSN of database name in the cluster of clusterDSN.
func withDB(tb testing.TB, clusterDSN, name string) string {
	tb.Helper()
	cfg, err := pgx.ParseConfig(clusterDSN)
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", cfg.User, net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), name)
}

// pgExec runs one statement on the cluster's own database.
func pgExec(clusterDSN, stmt string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, clusterDSN)
	if err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// roundRobin is a TCP balancer on loopback in front of targets: each
// connection goes to the next target in turn, bytes passed as they are
// (TLS ends at the bank). It stops taking connections when tb ends; its
// address.
func roundRobin(tb testing.TB, targets ...string) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	// Connections still open end with the banks, stopped after this.
	tb.Cleanup(func() { ln.Close() })
	go func() {
		for next := 0; ; next++ {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer client.Close()
				server, err := net.Dial("tcp", targets[next%len(targets)])
				if err != nil {
					return
				}
				defer server.Close()
				done := make(chan struct{})
				go func() { _, _ = io.Copy(server, client); server.(*net.TCPConn).CloseWrite(); close(done) }()
				_, _ = io.Copy(client, server)
				client.(*net.TCPConn).CloseWrite()
				<-done
			}()
		}
	}()
	return ln.Addr().String()
}

// writeRetries is what the logs of the banks that ran in work say of their
// writes run again after meeting another's (lingqian-bank's last line).
func writeRetries(tb testing.TB, work string) string {
	logs, _ := filepath.Glob(filepath.Join(work, "*", "bank-*.log"))
	more, _ := filepath.Glob(filepath.Join(work, "bank-*.log"))
	var said []string
	for _, path := range append(more, logs...) {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Error(err)
			continue
		}
		_, rest, ok := strings.Cut(string(data), "write_retries=")
		if !ok {
			rest = "?"
		}
		said = append(said, strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0]))
	}
	return strings.Join(said, ", ")
}
