package cli

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/desk"
)

// operatorDesk is a desk with an admin boss (PIN 9876), a supervisor
// wang.wei (5555) and a cashier li.na (1234).
func operatorDesk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, add := range []struct{ stdin, id, role string }{
		{"9876\n", "boss", "admin"}, {"9876\n5555\n", "wang.wei", "supervisor"}, {"9876\n1234\n", "li.na", "cashier"},
	} {
		args := []string{"operator", "add", "--data", dir, "--id", add.id, "--role", add.role}
		if add.id != "boss" {
			args = append(args, "--by", "boss")
		}
		if code, _, errs := runCLI(t, add.stdin, args...); code != 0 {
			t.Fatalf("adding %s: %s", add.id, errs)
		}
	}
	return dir
}

// operatorRow is an operator's line of `lingqian operator list`, its
// columns one space apart.
func operatorRow(t *testing.T, dir, id string) string {
	t.Helper()
	code, out, errs := runCLI(t, "", "operator", "list", "--data", dir, "--lang", "en")
	if code != 0 {
		t.Fatalf("list: %s", errs)
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 && f[0] == id {
			return strings.Join(f, " ")
		}
	}
	t.Fatalf("%s not listed:\n%s", id, out)
	return ""
}

// operatorAudit is what the audit log says was done to operators, by whom.
func operatorAudit(t *testing.T, dir string) []string {
	t.Helper()
	d, err := desk.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	events, err := d.DB.AuditLog(context.Background(), time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		if e.Action == app.AuditOperator {
			out = append(out, e.Operator+": "+e.Detail)
		}
	}
	return out
}

func TestOperatorLock_KeepsThemOutUntilUnlocked(t *testing.T) {
	// Given a desk with an admin and a supervisor
	dir := operatorDesk(t)

	// When the admin locks the supervisor
	code, out, errs := runCLI(t, "9876\n", "operator", "lock", "--data", dir, "--id", "wang.wei", "--by", "boss", "--lang", "en")

	// Then it is said, the list shows it, and the supervisor's right PIN no longer closes the day
	if code != 0 || !strings.Contains(out, "operator wang.wei locked: they cannot sign in until an admin unlocks them") {
		t.Fatalf("lock: exit %d, out %q, err %q", code, out, errs)
	}
	if row := operatorRow(t, dir, "wang.wei"); row != "wang.wei supervisor locked" {
		t.Errorf("listed as %q", row)
	}
	if code, _, errs := runCLI(t, "5555\n", "report", "--data", dir, "--z", "--by", "wang.wei", "--lang", "en"); code == 0 || !strings.Contains(errs, "locked") {
		t.Fatalf("a locked supervisor closed the day: exit %d, %s", code, errs)
	}

	// When locked again, then nothing changes and it says so
	if code, out, _ := runCLI(t, "9876\n", "operator", "lock", "--data", dir, "--id", "wang.wei", "--by", "boss", "--lang", "en"); code != 0 || !strings.Contains(out, "locked already; nothing changed") {
		t.Errorf("lock again: exit %d, %q", code, out)
	}

	// When the admin unlocks them, then they sign in with the PIN they had
	if code, out, errs := runCLI(t, "9876\n", "operator", "unlock", "--data", dir, "--id", "wang.wei", "--by", "boss", "--lang", "en"); code != 0 || !strings.Contains(out, "operator wang.wei unlocked") {
		t.Fatalf("unlock: exit %d, out %q, err %q", code, out, errs)
	}
	if row := operatorRow(t, dir, "wang.wei"); row != "wang.wei supervisor active" {
		t.Errorf("listed as %q", row)
	}
	if code, _, errs := runCLI(t, "5555\n", "report", "--data", dir, "--z", "--by", "wang.wei", "--format", "json"); code != 0 {
		t.Fatalf("after the unlock: %s", errs)
	}
	if code, out, _ := runCLI(t, "9876\n", "operator", "unlock", "--data", dir, "--id", "wang.wei", "--by", "boss", "--lang", "en"); code != 0 || !strings.Contains(out, "is not locked; nothing changed") {
		t.Errorf("unlock again: exit %d, %q", code, out)
	}

	// And the audit log holds each change once, with the admin who made it
	want := []string{"boss: locked operator wang.wei", "boss: unlocked operator wang.wei"}
	if got := operatorAudit(t, dir); strings.Join(got[len(got)-2:], "|") != strings.Join(want, "|") {
		t.Errorf("audit %q, want it to end with %q", got, want)
	}
}

func TestOperatorRole_ChangesWhatTheyMayDo(t *testing.T) {
	// Given a desk with an admin, a supervisor and a cashier
	dir := operatorDesk(t)

	// When the admin makes the supervisor a cashier
	code, out, errs := runCLI(t, "9876\n", "operator", "role", "--data", dir, "--id", "wang.wei", "--role", "cashier", "--by", "boss", "--lang", "en")

	// Then it is said and listed, and they may no longer close the day
	if code != 0 || !strings.Contains(out, "operator wang.wei is now cashier (was supervisor)") {
		t.Fatalf("role: exit %d, out %q, err %q", code, out, errs)
	}
	if row := operatorRow(t, dir, "wang.wei"); row != "wang.wei cashier active" {
		t.Errorf("listed as %q", row)
	}
	if code, _, errs := runCLI(t, "5555\n", "report", "--data", dir, "--z", "--by", "wang.wei", "--lang", "en"); code == 0 || !strings.Contains(errs, app.MsgNotAllowed.Text(app.English)) {
		t.Fatalf("a cashier closed the day: exit %d, %s", code, errs)
	}

	// When the cashier li.na is made an admin, then she may do to boss what boss may not do to himself
	if code, _, errs := runCLI(t, "9876\n", "operator", "role", "--data", dir, "--id", "li.na", "--role", "admin", "--by", "boss"); code != 0 {
		t.Fatalf("li.na an admin: %s", errs)
	}
	if code, out, errs := runCLI(t, "1234\n", "operator", "role", "--data", dir, "--id", "boss", "--role", "supervisor", "--by", "li.na", "--lang", "en"); code != 0 || !strings.Contains(out, "operator boss is now supervisor (was admin)") {
		t.Fatalf("boss made a supervisor by li.na: exit %d, out %q, err %q", code, out, errs)
	}
	// And boss, an admin no more, may not change roles
	if code, _, errs := runCLI(t, "9876\n", "operator", "role", "--data", dir, "--id", "wang.wei", "--role", "supervisor", "--by", "boss", "--lang", "en"); code != exitError || !strings.Contains(errs, app.MsgNotAllowed.Text(app.English)) {
		t.Errorf("a supervisor changed a role: exit %d, %s", code, errs)
	}
	// And a role given again changes nothing
	if code, out, _ := runCLI(t, "1234\n", "operator", "role", "--data", dir, "--id", "wang.wei", "--role", "cashier", "--by", "li.na", "--lang", "en"); code != 0 || !strings.Contains(out, "operator wang.wei is cashier already; nothing changed") {
		t.Errorf("the same role again: exit %d, %q", code, out)
	}

	// And the audit log holds the three changes, each with its admin
	want := []string{"boss: changed the role of wang.wei from supervisor to cashier",
		"boss: changed the role of li.na from cashier to admin", "li.na: changed the role of boss from admin to supervisor"}
	if got := operatorAudit(t, dir); strings.Join(got[len(got)-3:], "|") != strings.Join(want, "|") {
		t.Errorf("audit %q, want it to end with %q", got, want)
	}
}

func TestOperatorChange_Refusals(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		say   string
	}{
		{"an admin locking themselves", "9876\n", []string{"lock", "--id", "boss", "--by", "boss"},
			"an admin cannot lock themselves or give up their own admin role: another admin must do it"},
		{"an admin giving up their own admin role", "9876\n", []string{"role", "--id", "boss", "--role", "cashier", "--by", "boss"},
			"an admin cannot lock themselves or give up their own admin role"},
		{"nobody of that id", "9876\n", []string{"unlock", "--id", "zhao", "--by", "boss"}, "there is no operator zhao"},
		{"a role the desk does not have", "9876\n", []string{"role", "--id", "li.na", "--role", "chief", "--by", "boss"},
			`role "chief": use cashier, supervisor, teller or admin`},
		{"no role given", "9876\n", []string{"role", "--id", "li.na", "--by", "boss"}, "give the new role: add --role cashier|supervisor|teller|admin"},
		{"no admin named", "", []string{"lock", "--id", "li.na"}, "an admin must authorise this: add --by ADMIN"},
		{"no operator named", "9876\n", []string{"lock", "--by", "boss"}, "an operator needs an id: add --id ID"},
		{"a wrong admin PIN", "0000\n", []string{"lock", "--id", "li.na", "--by", "boss"}, app.MsgWrongPIN.Text(app.English)},
		{"no admin PIN", "", []string{"lock", "--id", "li.na", "--by", "boss"}, "no PIN for boss on standard input"},
		{"a supervisor for an admin", "5555\n", []string{"lock", "--id", "li.na", "--by", "wang.wei"}, app.MsgNotAllowed.Text(app.English)},
		{"an argument too many", "9876\n", []string{"lock", "--id", "li.na", "--by", "boss", "now"}, `unexpected arguments ["now"]`},
	}
	// Given a desk with an admin, a supervisor and a cashier
	dir := operatorDesk(t)
	before := operatorAudit(t, dir)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When the change is asked for
			args := append([]string{"operator", tc.args[0], "--data", dir, "--lang", "en"}, tc.args[1:]...)
			code, out, errs := runCLI(t, tc.stdin, args...)

			// Then it is refused with the reason, as the other operator commands refuse
			if code != exitError || !strings.Contains(errs, "lingqian operator "+tc.args[0]+": "+tc.say) || out != "" {
				t.Errorf("exit %d, out %q, err %q; want %q", code, out, errs, tc.say)
			}
		})
	}
	// And nobody was changed, and nothing audited
	for id, want := range map[string]string{"boss": "boss admin active", "wang.wei": "wang.wei supervisor active", "li.na": "li.na cashier active"} {
		if row := operatorRow(t, dir, id); row != want {
			t.Errorf("listed as %q, want %q", row, want)
		}
	}
	if after := operatorAudit(t, dir); len(after) != len(before) {
		t.Errorf("audited %q", after[len(before):])
	}
}

func TestOperator_UnknownSubcommandTouchesNoFolder(t *testing.T) {
	// Given a data folder that does not exist
	dir := filepath.Join(t.TempDir(), "none")

	// When an operator subcommand is mistyped, or help asked for
	code, _, errs := runCLI(t, "", "operator", "fire", "--data", dir, "--lang", "en")
	hcode, hout, _ := runCLI(t, "", "operator", "--help", "--lang", "zh-Hans")

	// Then the usage is shown, with every subcommand, and no desk is made
	if code != exitError || !strings.Contains(errs, "lingqian operator lock|unlock --id ID --by ADMIN") {
		t.Errorf("exit %d, err %q", code, errs)
	}
	if hcode != 0 || !strings.Contains(hout, "lingqian operator role --id 编号") || english(hout) != "" {
		t.Errorf("help: exit %d, %q", hcode, hout)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the data folder was made: %v", err)
	}
}
