package pgtest

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestCluster_RunsUnprivilegedAndStopsByItsPID(t *testing.T) {
	// Given a cluster started as a test binary's TestMain would
	c, err := start()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			c.stop()
		}
	})

	// Then its server runs as a user other than root, on loopback
	uid := processUID(t, c.pid)
	if uid == 0 {
		t.Errorf("postgres (pid %d) runs as root", c.pid)
	}
	if os.Geteuid() != 0 && uid != os.Geteuid() {
		t.Errorf("postgres runs as uid %d, the test as %d", uid, os.Geteuid())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.dsn("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var fsync, addr string
	if err := conn.QueryRow(ctx, `SELECT current_setting('fsync'), current_setting('listen_addresses')`).Scan(&fsync, &addr); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if fsync != "off" || addr != "127.0.0.1" {
		t.Errorf("fsync %s, listening on %q", fsync, addr)
	}

	// When it is stopped
	if err := c.stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true

	// Then the process is gone and so is its folder
	if err := syscall.Kill(c.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("postgres (pid %d) after stop: %v", c.pid, err)
	}
	if _, err := os.Stat(c.dir); !os.IsNotExist(err) {
		t.Errorf("the cluster's folder after stop: %v", err)
	}
}

func TestNewDB_GivesEachTestADatabaseOfItsOwn(t *testing.T) {
	// Given a cluster and two databases in it
	cluster, stop, err := StartMain()
	if errors.Is(err, ErrNotInstalled) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	ctx := context.Background()
	var names []string
	for range 2 {
		// When a table is made in each
		dsn := NewDB(t, cluster)
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `CREATE TABLE t (x int)`); err != nil {
			t.Fatalf("a table in %s: %v", dsn, err)
		}
		var name string
		if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		names = append(names, name)
	}
	// Then they are two databases, the second as empty as the first was
	if names[0] == names[1] {
		t.Errorf("both tests got database %s", names[0])
	}
}

func TestStart_SkipsOnlyWithoutPostgreSQL(t *testing.T) {
	// Given a folder with no server in it named as the binaries' place
	t.Setenv(BinEnv, t.TempDir())

	// Then the binaries are not found, and that is ErrNotInstalled
	if _, err := BinDir(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("an empty %s: %v", BinEnv, err)
	}
}

// processUID is the real user id of process pid.
func processUID(t *testing.T, pid int) int {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" {
			uid, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return uid
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return 0
}
