package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/store"
)

func TestBackup_RestoredDeskVerifiesAndReportsTheSame(t *testing.T) {
	// Given a desk with three purchases (1.00, 2.00 and 3.00)
	dir := t.TempDir()
	seedJournal(t, dir, 3)
	out := filepath.Join(t.TempDir(), "desk.lqbackup")

	// When it is backed up
	code, stdout, errs := runCLI(t, "", "backup", "--data", dir, "--out", out, "--lang", "en")

	// Then the command says where, how big, what the journal holds and
	// what else, and to keep it safe
	if code != 0 || errs != "" {
		t.Fatalf("backup: exit %d\n%s%s", code, stdout, errs)
	}
	for _, want := range []string{"backup written to " + out + " (", "journal: 3 entries, the last is entry 3; its hash chain holds",
		"no other files: this desk has not been enrolled with a bank", "keep it where only the shop can read it"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}

	// And restored into a new folder, the desk verifies and reports the same
	restored := filepath.Join(t.TempDir(), "restored")
	code, stdout, errs = runCLI(t, "", "restore", "--from", out, "--data", restored, "--lang", "en")
	if code != 0 || errs != "" {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, errs)
	}
	for _, want := range []string{"restored into " + restored + ": terminal T", "journal: 3 entries", "do not start the desk on the old folder or PC again"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in\n%s", want, stdout)
		}
	}
	if code, stdout, _ := runCLI(t, "", "journal", "verify", "--data", restored, "--lang", "en"); code != 0 || !strings.Contains(stdout, "3") {
		t.Errorf("journal verify on the restored desk: exit %d %s", code, stdout)
	}
	_, was, _ := runCLI(t, "", "report", "--data", dir, "--x", "--format", "json")
	_, is, _ := runCLI(t, "", "report", "--data", restored, "--x", "--format", "json")
	if pendingOf(t, was) != (app.Totals{Count: 3, Amount: 600}) || pendingOf(t, is) != pendingOf(t, was) {
		t.Errorf("X report pending: restored %s, original %s", is, was)
	}
}

func pendingOf(t *testing.T, reportJSON string) app.Totals {
	t.Helper()
	var r struct {
		Pending app.Totals `json:"pending"`
	}
	if err := json.Unmarshal([]byte(reportJSON), &r); err != nil {
		t.Fatalf("%v: %s", err, reportJSON)
	}
	return r.Pending
}

func TestBackup_JSONForScripts(t *testing.T) {
	// Given a desk with two purchases
	dir := t.TempDir()
	seedJournal(t, dir, 2)
	out := filepath.Join(t.TempDir(), "b.tar")

	// When it is backed up and restored with --json
	code, stdout, errs := runCLI(t, "", "backup", "--data", dir, "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var b backupJSON
	if err := json.Unmarshal([]byte(stdout), &b); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}
	st, _ := os.Stat(out)
	code, stdout, errs = runCLI(t, "", "restore", "--from", out, "--data", t.TempDir(), "--json")
	if code != 0 {
		t.Fatalf("restore: exit %d: %s", code, errs)
	}
	var r backupJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("%v: %q", err, stdout)
	}

	// Then both say what the backup holds
	if b.File != out || b.Bytes != st.Size() || b.Entries != 2 || b.LastSeq != 2 || b.Chain != "intact" || b.Schema != store.SchemaVersion() || b.Files == nil {
		t.Errorf("backup JSON %+v", b)
	}
	if r.Entries != 2 || r.LastSeq != 2 || r.Terminal != b.Terminal || r.Data == "" || !r.Taken.Equal(b.Taken) {
		t.Errorf("restore JSON %+v", r)
	}
}

func TestBackup_Refusals(t *testing.T) {
	desk3 := t.TempDir()
	seedJournal(t, desk3, 3)
	backup := filepath.Join(t.TempDir(), "b.tar")
	if code, _, errs := runCLI(t, "", "backup", "--data", desk3, "--out", backup); code != 0 {
		t.Fatal(errs)
	}
	garbage := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(garbage, []byte("not a backup"), 0o600); err != nil {
		t.Fatal(err)
	}
	noDesk := filepath.Join(t.TempDir(), "none")
	for _, tc := range []struct {
		name string
		args []string
		en   string
	}{
		{"no --out", []string{"backup", "--data", desk3}, "--out FILE is needed"},
		{"the file exists", []string{"backup", "--data", desk3, "--out", backup}, backup + " exists already: choose another name, or add --force to replace it"},
		{"no desk in the folder", []string{"backup", "--data", noDesk, "--out", backup + "2"}, "there is no desk in " + noDesk + ": nothing to back up"},
		{"no --from", []string{"restore", "--data", t.TempDir()}, "--from FILE is needed"},
		{"over a desk with a journal", []string{"restore", "--from", backup, "--data", desk3},
			"the data folder " + desk3 + " already holds a desk with 3 journal entries: restoring would replace them; add --force"},
		{"not a backup", []string{"restore", "--from", garbage, "--data", t.TempDir()}, garbage + " is not a Lingqian desk backup, or it is damaged"},
		{"no such file", []string{"restore", "--from", garbage + ".none", "--data", t.TempDir()}, "the backup " + garbage + ".none cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, lang := range []string{app.English, app.SimplifiedChinese} {
				// When the command is refused
				code, stdout, errs := runCLI(t, "", append(tc.args, "--lang", lang)...)

				// Then it exits 2 with the reason in the person's language, on standard error
				if code != exitError || stdout != "" {
					t.Errorf("%s: exit %d, stdout %q", lang, code, stdout)
				}
				if lang == app.English && !strings.Contains(errs, tc.en) {
					t.Errorf("said %q, want %q", errs, tc.en)
				}
				if lang == app.SimplifiedChinese && (!hasHan(errs) || english(errs) != "") {
					t.Errorf("English left (%q) in %q", english(errs), errs)
				}
			}
		})
	}
	// And the refusals changed nothing: no desk was made where there was none
	if _, err := os.Stat(noDesk); !os.IsNotExist(err) {
		t.Errorf("a backup of no desk made the folder: %v", err)
	}
}

func TestBackup_InChinese(t *testing.T) {
	// Given a desk with a purchase, in a Chinese session
	dir := t.TempDir()
	seedJournal(t, dir, 1)
	t.Setenv("LANG", "zh_CN.UTF-8")
	t.Setenv("LC_ALL", "")
	out := filepath.Join(t.TempDir(), "b.tar")

	// When it is backed up and restored
	_, backedUp, _ := runCLI(t, "", "backup", "--data", dir, "--out", out)
	_, restored, _ := runCLI(t, "", "restore", "--from", out, "--data", t.TempDir())

	// Then both speak Chinese only
	for _, said := range []string{backedUp, restored} {
		if !strings.Contains(said, "流水：共 1 笔") || english(said) != "" {
			t.Errorf("English left (%q) in\n%s", english(said), said)
		}
	}
}

func TestRestore_ForcedOverADeskWithAJournal(t *testing.T) {
	// Given a backup of a desk with one purchase, and another desk with three
	one, three := t.TempDir(), t.TempDir()
	seedJournal(t, one, 1)
	seedJournal(t, three, 3)
	out := filepath.Join(t.TempDir(), "b.tar")
	runCLI(t, "", "backup", "--data", one, "--out", out)

	// When it is restored over the other with --force
	code, stdout, errs := runCLI(t, "", "restore", "--from", out, "--data", three, "--force", "--lang", "en")

	// Then it is done, and says what it replaced
	if code != 0 || !strings.Contains(stdout, "the desk it replaced had 3 journal entries") {
		t.Fatalf("exit %d\n%s%s", code, stdout, errs)
	}
	if _, last, _ := runCLI(t, "", "journal", "verify", "--data", three, "--lang", "en"); !strings.Contains(last, "1") {
		t.Errorf("journal verify: %s", last)
	}
}

func TestBackup_ABrokenChainIsWrittenAndExitsOne(t *testing.T) {
	// Given a desk whose journal was changed behind its back
	dir := t.TempDir()
	seedJournal(t, dir, 3)
	sqlite3(t, filepath.Join(dir, desk.DBFile), "DROP TRIGGER journal_no_update; UPDATE journal SET amount = 1 WHERE seq = 2;")
	out := filepath.Join(t.TempDir(), "evidence.tar")

	// When it is backed up
	code, stdout, errs := runCLI(t, "", "backup", "--data", dir, "--out", out, "--lang", "en")

	// Then the copy is written, and the break said, as `journal verify` would
	if code != exitBrokenCopy || !strings.Contains(stdout, "backup written to") ||
		!strings.Contains(errs, "the journal's hash chain breaks at entry 2") {
		t.Errorf("exit %d\n%s%s", code, stdout, errs)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestNewerDataFolder_RefusedNamingItsSchema(t *testing.T) {
	// Given a data folder a release two schemas ahead wrote
	dir := t.TempDir()
	seedJournal(t, dir, 1)
	path := filepath.Join(dir, desk.DBFile)
	ahead := store.SchemaVersion() + 2
	sqlite3(t, path, fmt.Sprintf("PRAGMA user_version = %d;", ahead))
	before, _ := os.ReadFile(path)

	for _, tc := range []struct{ lang, want string }{
		{app.English, fmt.Sprintf("this data folder was written by a newer Lingqian (schema %d); install that version or newer", ahead)},
		{app.SimplifiedChinese, fmt.Sprintf("此数据目录由更新版本的零钱写入（数据结构版本 %d）", ahead)},
	} {
		// When a command of this release opens it
		code, _, errs := runCLI(t, "", "journal", "verify", "--data", dir, "--lang", tc.lang)

		// Then it is refused, saying which schema and what to install
		if code != exitError || !strings.Contains(errs, tc.want) {
			t.Errorf("exit %d, said %q", code, errs)
		}
	}
	// And the file is byte for byte as it was
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the refused folder's database was changed")
	}
}

// sqlite3 runs SQL through the real sqlite3 tool, as someone with the file would.
func sqlite3(t *testing.T, path, sql string) {
	t.Helper()
	if out, err := exec.CommandContext(context.Background(), "/usr/bin/sqlite3", path, sql).CombinedOutput(); err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
}
