package main

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/internal/pgtest"
	"lingqian/issuance"
)

// withPassword is dsn with a password in its user part: the test cluster
// trusts loopback connections and takes it, and nothing may print it.
func withPassword(t *testing.T, dsn, password string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}

func TestCLI_EveryCommandTakesAPostgreSQLDatabase(t *testing.T) {
	// Given a PostgreSQL database named with a password, and a data
	// folder that is never made: commands without keys need none
	db := withPassword(t, pgtest.Start(t), "pg-s3cret")
	data := filepath.Join(t.TempDir(), "B")
	steps := []struct {
		name string
		args []string
		want string
	}{
		{"customer add", []string{"customer", "add", "--user", "alice", "--password", "s3cret-alice", "--deposit", "100000", "--by", "ops"}, "customer alice added"},
		{"terminal-code", []string{"terminal-code", "--merchant", "M001", "--by", "ops"}, ""},
		{"terminal revoke of no such desk", []string{"terminal", "revoke", "--id", "T9999999", "--by", "ops"}, "not found"},
		{"customer logout", []string{"customer", "logout", "--user", "alice", "--by", "ops"}, "0 sessions of alice ended"},
		{"hotlist add of no such wallet", []string{"hotlist", "add", "--pan", "6231990000000018", "--reason", "lost", "--by", "ops"}, "not found"},
		{"report", []string{"report", "--format", "json"}, `"posted": {`},
		{"admin-log", []string{"admin-log", "--format", "json"}, `"customer add"`},
	}
	for _, s := range steps {
		// When each command runs with --db
		code, out, errs := cli(t, append(s.args, "--data", data, "--db", db)...)

		// Then it works on the database, or says what it did not find
		if !strings.Contains(out+errs, s.want) || (code != 0) != strings.Contains(s.want, "not found") {
			t.Errorf("%s: %d %q %q, want %q", s.name, code, out, errs, s.want)
		}
		if strings.Contains(out+errs, "pg-s3cret") {
			t.Errorf("%s printed the database's password: %q %q", s.name, out, errs)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("the data folder was touched by commands that need no keys: %v", err)
	}
	// And the admin log holds every change, by whom
	_, out, _ := cli(t, "admin-log", "--db", db, "--format", "json")
	var log []bank.AdminEntry
	if err := json.Unmarshal([]byte(out), &log); err != nil || len(log) != 3 {
		t.Errorf("admin log: %v %s", err, out)
	}
}

func TestCLI_ABadDatabaseIsRefusedWithoutItsPassword(t *testing.T) {
	cases := []struct{ name, db, want string }{
		{"not a URL", "bank.db", "want a postgres:// URL"},
		{"a key=value string", "host=db password=pg-s3cret", "want a postgres:// URL"},
		{"nobody listening", "postgres://bank:pg-s3cret@127.0.0.1:1/bank?connect_timeout=5", "postgres://bank:xxxxx@127.0.0.1:1/bank"},
		{"a URL Go cannot read", "postgres://bank:pg-s3cret@db:port/bank", "cannot be read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Given a --db that cannot be used; when a command runs with it
			code, out, errs := cli(t, "report", "--db", c.db)
			// Then it fails saying why, and never shows the password
			if code != 2 || !strings.Contains(errs, c.want) || strings.Contains(out+errs, "pg-s3cret") {
				t.Errorf("%d %q %q, want %q", code, out, errs, c.want)
			}
		})
	}
}

func TestServe_ProcessesStartingAtOnceOnAnEmptyFolderMakeOneCAAndOneIssuer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four servers")
	}
	// Given an empty data folder and a PostgreSQL database
	db := withPassword(t, pgtest.Start(t), "pg-s3cret")
	data := filepath.Join(t.TempDir(), "B")

	// When four lingqian-bank serve start on them at once
	const n = 4
	addrs := make([]string, n)
	servers := make([]*server, n)
	var wg sync.WaitGroup
	for i := range n {
		addrs[i] = freeAddr(t)
		wg.Go(func() { servers[i] = startServer(t, data, addrs[i], "--db", db) })
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Then each serves under the one CA on disk (startServer checked its
	// TLS certificate against it), takes a desk enrolled at another, and
	// hands out the one issuer's CA public key file on disk
	ca, err := os.ReadFile(filepath.Join(data, bank.CAFile))
	if err != nil {
		t.Fatal(err)
	}
	capk, err := os.ReadFile(filepath.Join(data, bank.IssuerDir, issuance.CAPKFile))
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := cli(t, "terminal-code", "--db", db, "--merchant", "M001")
	if code != 0 {
		t.Fatalf("terminal-code: %s", errs)
	}
	d := banktest.Enroll(t, "https://"+addrs[0], ca, strings.TrimSpace(out))
	for i, addr := range addrs {
		r, err := banktest.NewClient("https://"+addr, ca, &d.Cert).Raw(context.Background(), "GET", "/v1/desk/capk", "", nil)
		if err != nil || r.Status != 200 || string(r.Body) != string(capk) {
			t.Errorf("process %d: %v %d, CA public keys as on disk: %t", i+1, err, r.Status, string(r.Body) == string(capk))
		}
	}
	// And no log shows the database's password
	for i, s := range servers {
		if err := s.stop(t, os.Interrupt); err != nil {
			t.Errorf("process %d: %v", i+1, err)
		}
		if log := s.log.String(); strings.Contains(log, "pg-s3cret") || !strings.Contains(log, "xxxxx") {
			t.Errorf("process %d's log:\n%s", i+1, log)
		}
	}
}
