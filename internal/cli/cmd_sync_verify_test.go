package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/desk"
)

func TestSyncOnce_AJournalThatDoesNotVerifyIsNotSent(t *testing.T) {
	for _, tc := range []struct{ lang, why, todo string }{
		{app.English, "Forwarding stopped: this desk's journal does not verify (entry 2)", "Call support; do not delete"},
		{app.SimplifiedChinese, "已停止上送：本机流水账校验未通过（流水号 2）", "请联系技术支持"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given an enrolled desk with three sales, whose entry 2 was
			// edited with the sqlite3 tool
			bank, dir := enrolledDesk(t)
			seedJournal(t, dir, 3)
			sqlite3(t, filepath.Join(dir, desk.DBFile), "DROP TRIGGER journal_no_update; UPDATE journal SET amount = 1 WHERE seq = 2;")

			// When it syncs once
			code, out, errs := runCLI(t, "", "sync", "--data", dir, "--once", "--json", "--lang", tc.lang)

			t.Log(errs)
			// Then it exits 2, says where the journal stopped verifying and
			// what to do, and the bank got nothing
			if code != exitError || !strings.Contains(errs, tc.why) || !strings.Contains(errs, tc.todo) {
				t.Errorf("exit %d, stderr %q; want 2 saying %q and %q", code, errs, tc.why, tc.todo)
			}
			var s struct {
				Sent      int      `json:"sent"`
				Delivered bool     `json:"delivered"`
				Errors    []string `json:"errors"`
			}
			if err := json.Unmarshal([]byte(out), &s); err != nil || s.Sent != 0 || s.Delivered || len(s.Errors) == 0 ||
				!strings.Contains(s.Errors[0], "journal entry 2") {
				t.Errorf("summary %q (%v)", out, err)
			}
			if n := len(bank.Handled()); n != 0 {
				t.Errorf("the bank handled %d messages", n)
			}
		})
	}
}
