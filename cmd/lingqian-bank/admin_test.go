package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/bank"
)

// binary runs the built command with stdin, as a shell script would, in
// an environment without sudo's SUDO_USER.
func binary(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin, err := buildBank()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SUDO_USER=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestCLI_CustomerAddReadsThePasswordFromStdinAndTheAdminLogSaysWho(t *testing.T) {
	data := filepath.Join(t.TempDir(), "B")
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}

	// Given a customer added with the password piped in, not on the command line
	if code, out, errs := binary(t, "pipe-s3cret\n", "customer", "add", "--data", data, "--user", "bob", "--deposit", "500"); code != 0 {
		t.Fatalf("customer add: %d %s %s", code, out, errs)
	}
	// And the customer's sessions ended by a named person
	if code, out, errs := binary(t, "", "customer", "logout", "--data", data, "--user", "bob", "--by", "zhang.san"); code != 0 ||
		!strings.Contains(out, "0 sessions of bob ended") {
		t.Fatalf("customer logout: %d %s %s", code, out, errs)
	}
	// And a second bob refused, which changes nothing
	if code, _, _ := binary(t, "other-s3cret\n", "customer", "add", "--data", data, "--user", "bob"); code != 2 {
		t.Fatalf("a second bob: exit %d", code)
	}

	// When the admin log is listed
	code, out, errs := binary(t, "", "admin-log", "--data", data, "--format", "json")
	var log []bank.AdminEntry
	if code != 0 || json.Unmarshal([]byte(out), &log) != nil {
		t.Fatalf("admin-log: %d %s %s", code, out, errs)
	}
	// Then it names who did what, the newest first, and nothing for the refusal
	if len(log) != 2 {
		t.Fatalf("%d lines: %s", len(log), out)
	}
	if l := log[0]; l.By != "zhang.san" || l.Command != "customer logout" || l.Target != "bob" {
		t.Errorf("newest: %+v", l)
	}
	if l := log[1]; l.By != me.Username || l.Command != "customer add" || l.Target != "bob" || l.Detail != "deposit 500 fen" || l.At.IsZero() {
		t.Errorf("oldest: %+v, want by %s", l, me.Username)
	}
	if code, out, _ := binary(t, "", "admin-log", "--data", data); code != 0 || !strings.Contains(out, "zhang.san") || !strings.Contains(out, "customer add") {
		t.Errorf("admin-log text: %d\n%s", code, out)
	}

	// And the customer logs in with the password that was piped, without its line end
	b, err := bank.Open(data, bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := httptest.NewRequest("POST", "/v1/login", strings.NewReader(`{"user":"bob","password":"pipe-s3cret"}`))
	w := httptest.NewRecorder()
	b.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("login with the piped password: %d %s", w.Code, w.Body)
	}
}
