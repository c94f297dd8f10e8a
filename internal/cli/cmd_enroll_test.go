package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/assets"
	"lingqian/desk"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

// enrolledBank is a scripted bank with CA keys, a hotlist and the code
// "C-1" for merchant M001; it returns the bank and its CA file.
func enrolledBank(t *testing.T) (*synctest.Bank, string) {
	t.Helper()
	bank := synctest.Start(t, synctest.Options{})
	bank.SetCAPK(assets.DefaultCAPK)
	bank.SetHotlist(2, "6231990000000027")
	bank.AddCode("C-1", "M001", false)
	return bank, bank.WriteCA(t, t.TempDir())
}

// setting reads a desk setting.
func setting(t *testing.T, dir, key string) string {
	t.Helper()
	d, err := desk.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v, _ := d.DB.Setting(context.Background(), key)
	return v
}

func TestEnroll_GivesTheDeskItsIdentity(t *testing.T) {
	// Given a bank that issued the code C-1 for merchant M001, and a fresh desk
	bank, ca := enrolledBank(t)
	dir := t.TempDir()
	local := setting(t, dir, desk.SettingTerminal)

	// When the desk enrols
	code, out, errs := runCLI(t, "", "enroll", "--data", dir, "--bank", bank.URL, "--ca", ca, "--code", "C-1")

	// Then it takes the bank's terminal and merchant ids, keeps its key
	// to itself, and has the CA keys and the hotlist
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "as terminal T0000001 of merchant M001") {
		t.Errorf("output %q", out)
	}
	if got := setting(t, dir, desk.SettingTerminal); got != "T0000001" || got == local {
		t.Errorf("terminal id %q (was %q)", got, local)
	}
	for key, want := range map[string]string{desk.SettingMerchant: "M001", desk.SettingBankURL: bank.URL, desk.SettingTeller: "false"} {
		if got := setting(t, dir, key); got != want {
			t.Errorf("setting %s = %q, want %q", key, got, want)
		}
	}
	if !strings.Contains(setting(t, dir, desk.SettingBankCert), "BEGIN CERTIFICATE") || !strings.Contains(setting(t, dir, desk.SettingBankCA), "BEGIN CERTIFICATE") {
		t.Error("certificate or CA not kept")
	}
	if st, err := os.Stat(filepath.Join(dir, desk.BankKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v, %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, desk.EnrolPendingFile)); !os.IsNotExist(err) {
		t.Errorf("the pending request is still there: %v", err)
	}
	d, err := desk.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.CAKeys(""); err != nil {
		t.Errorf("the desk cannot read the CA keys it pulled: %v", err)
	}
	if h, err := desksync.ReadHotlist(dir); err != nil || !h.Contains("6231990000000027") {
		t.Errorf("hotlist %+v, %v", h, err)
	}
}

func TestEnroll_Refusals(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(t *testing.T, bank *synctest.Bank, dir string) []string
		wantCode int
		want     string
		asked    bool // whether the bank was asked at all
	}{
		{"an unknown code", func(t *testing.T, bank *synctest.Bank, dir string) []string {
			return []string{"--code", "NOPE"}
		}, 2, "does not know this enrolment code", true},
		{"a desk with sales under its own terminal id", func(t *testing.T, bank *synctest.Bank, dir string) []string {
			seedJournal(t, dir, 2)
			return []string{"--code", "C-1"}
		}, 2, "already holds 2 entries", false},
		{"the same, forced", func(t *testing.T, bank *synctest.Bank, dir string) []string {
			seedJournal(t, dir, 2)
			return []string{"--code", "C-1", "--force"}
		}, 0, "as terminal T0000001", true},
		{"the bank is down", func(t *testing.T, bank *synctest.Bank, dir string) []string {
			bank.Close()
			return []string{"--code", "C-1"}
		}, 2, "cannot be reached", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a bank and a desk as the case has them
			bank, ca := enrolledBank(t)
			dir := t.TempDir()
			args := append([]string{"enroll", "--data", dir, "--bank", bank.URL, "--ca", ca}, tc.setup(t, bank, dir)...)

			// When the desk enrols
			code, out, errs := runCLI(t, "", args...)

			t.Logf("%s%s", out, errs)
			// Then it succeeds or says why not
			if code != tc.wantCode || !strings.Contains(out+errs, tc.want) {
				t.Errorf("exit %d, output %q %q; want exit %d saying %q", code, out, errs, tc.wantCode, tc.want)
			}
			if asked := len(bank.Requests()) > 0; asked != tc.asked {
				t.Errorf("the bank was asked: %v", asked)
			}
		})
	}
}

func TestEnroll_AgainWithTheSameCodeAfterTheAnswerWasLost(t *testing.T) {
	// Given a bank that enrols the desk but whose answers never arrive
	bank, ca := enrolledBank(t)
	for range 4 {
		bank.Fail("/v1/enroll", synctest.Fault{Cut: true})
	}
	dir := t.TempDir()
	args := []string{"enroll", "--data", dir, "--bank", bank.URL, "--ca", ca, "--code", "C-1"}
	if code, _, _ := runCLI(t, "", args...); code != 2 {
		t.Fatalf("the first run went through: exit %d", code)
	}

	// When the desk runs enroll again with the same one-time code
	code, out, errs := runCLI(t, "", args...)

	// Then the bank gives its first answer again and the desk is enrolled
	if code != 0 || !strings.Contains(out, "T0000001") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	keys := map[string]bool{}
	for _, r := range bank.Requests() {
		if r.Path == "/v1/enroll" {
			keys[r.Key] = true
		}
	}
	if len(keys) != 1 {
		t.Errorf("%d enrolment keys, want 1", len(keys))
	}
}
