package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestJournalVerify_FindsTheAuditLogSettingsAndOperatorsChangedOutsideTheDesk(t *testing.T) {
	cases := []struct {
		name string
		sql  string
		want []string
	}{
		{"untouched", "", []string{"journal intact: entries 1 to 3", "audit log intact: rows 1 to "}},
		{"an audit row edited", "DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing' WHERE id = 1;",
			[]string{"journal intact", "audit log BROKEN", "audit row 1", "the row was changed"}},
		{"an audit row deleted", "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE id = 2;",
			[]string{"audit log BROKEN", "audit row 2 is missing"}},
		{"a setting edited", "UPDATE setting SET value = value || 'x' WHERE key = (SELECT min(key) FROM setting);",
			[]string{"audit log BROKEN", "is not as its last audited change", "outside the desk"}},
		{"an operator made admin", "UPDATE operator SET role = 'admin' WHERE id = 'li.na';",
			[]string{"audit log BROKEN", "operator li.na is not as its last audited change"}},
		{"an operator slipped in", "INSERT INTO operator (id, name, role, pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, created) " +
			"SELECT 'ghost', name, 'admin', pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, created FROM operator WHERE id = 'boss';",
			[]string{"audit log BROKEN", "operator ghost has no audited change"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk with purchases, an admin and a cashier, changed
			// behind its back with the sqlite3 tool
			dir := t.TempDir()
			seedJournal(t, dir, 3)
			if code, _, errs := runCLI(t, "9876\n", "operator", "add", "--data", dir, "--id", "boss", "--name", "Zhang", "--role", "admin"); code != 0 {
				t.Fatal(errs)
			}
			if code, _, errs := runCLI(t, "9876\n2468\n", "operator", "add", "--data", dir, "--id", "li.na", "--name", "Li Na", "--role", "cashier", "--by", "boss"); code != 0 {
				t.Fatal(errs)
			}
			if tc.sql != "" {
				sqlite(t, filepath.Join(dir, "desk.db"), tc.sql)
			}

			// When the owner runs `lingqian journal verify`
			code, out, errs := runCLI(t, "", "journal", "verify", "--data", dir, "--lang", "en")

			// Then it says what holds and what was changed, exit 1 when anything was
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("exit %d, out %q, err %q; want %q", code, out, errs, w)
				}
			}
			if broken := strings.Contains(out, "BROKEN"); broken != (code == 1) {
				t.Errorf("exit %d for %q", code, out)
			}
		})
	}
}
