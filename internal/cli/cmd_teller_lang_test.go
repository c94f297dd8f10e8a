package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/desk"
)

// tellerDesks are two desk folders with the teller li.na (PIN 1234) and
// the cashier wang (5678): one the bank made a teller desk, one a shop's.
// No bank is needed: every mistake below is caught before one is asked.
func tellerDesks(t *testing.T) (teller, shop string) {
	t.Helper()
	ctx := context.Background()
	for i, dir := range []*string{&teller, &shop} {
		*dir = t.TempDir()
		d, err := desk.Open(ctx, *dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range []struct {
			op  app.Operator
			pin string
		}{{app.Operator{ID: "li.na", Name: "Li Na", Role: app.RoleTeller}, "1234"}, {app.Operator{ID: "wang", Name: "Wang", Role: app.RoleCashier}, "5678"}} {
			if err := d.DB.AddOperator(ctx, op.op, op.pin); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			if err := d.DB.SetSetting(ctx, desk.SettingTeller, "true", "enroll"); err != nil {
				t.Fatal(err)
			}
		}
		d.Close()
	}
	return teller, shop
}

// tellerMistakes are the typical mistakes at each teller command: what is
// typed, the exit code and reason code scripts read, and what is said in
// English.
var tellerMistakes = []struct {
	name     string
	args     []string
	operator string // "": no --operator
	stdin    string
	shop     bool // on the shop's desk
	exit     int
	code     string // "": no JSON
	en       string
}{
	{"an amount that is not money", []string{"load", "--amount", "1x"}, "li.na", "1234\n", false, tellerError, "bad_input",
		`Write the amount like 12.50. (detail: amount "1x": write it like 12.50)`},
	{"no amount", []string{"load"}, "li.na", "1234\n", false, tellerError, "bad_input",
		"--amount is needed: the amount in yuan, e.g. 100.00"},
	{"an unload of nothing", []string{"unload", "--pan", "6231990000000019", "--amount", "0"}, "li.na", "1234\n", false, tellerError, "bad_input",
		"The amount must be more than 0.00."},
	{"a flag misspelt", []string{"lookup", "--pna", "6231990000000019"}, "li.na", "1234\n", false, tellerError, "bad_input",
		"the command line is not right; add -h to see the flags (detail: flag provided but not defined: -pna)"},
	{"an argument too many", []string{"lookup", "6231990000000019"}, "li.na", "1234\n", false, tellerError, "bad_input",
		`unexpected arguments ["6231990000000019"`},
	{"nobody named", []string{"statement", "--pan", "6231990000000019"}, "", "1234\n", false, tellerError, "bad_input",
		"--operator ID is needed: the teller who does this"},
	{"a wrong PIN", []string{"hotlist", "--pan", "6231990000000019", "--reason", "lost"}, "li.na", "0000\n", false, tellerError, "sign_in",
		"Wrong operator or PIN."},
	{"no PIN at all", []string{"load", "--amount", "100.00"}, "li.na", "", false, tellerError, "sign_in",
		"no PIN for li.na on standard input"},
	{"a cashier", []string{"hotlist", "--pan", "6231990000000019", "--reason", "lost"}, "wang", "5678\n", false, tellerError, "role",
		app.MsgNotAllowed.Text(app.English)},
	{"a shop's desk", []string{"lookup", "--pan", "6231990000000019"}, "li.na", "1234\n", true, tellerError, "not_teller_desk",
		app.MsgTellerErrNotDesk.Text(app.English)},
	{"a note with nothing to resolve", []string{"exceptions", "--note", "checked"}, "li.na", "1234\n", false, tellerError, "bad_input",
		"--note goes with --resolve ID: the exception it closes"},
	{"no time to tap", []string{"reentry", "--note", "wiped", "--timeout", "0s"}, "li.na", "1234\n", false, tellerError, "bad_input",
		"--timeout 0s: it must be more than 0"},
	{"a command the teller does not have", []string{"topup"}, "", "", false, tellerError, "",
		`lingqian teller: "topup" is not a teller command`},
}

func TestTellerCommand_MistakesInThePersonsLanguage(t *testing.T) {
	for _, mode := range []struct {
		name, flag, locale, lang string
	}{
		{"zh-Hans by --lang", app.SimplifiedChinese, "C.UTF-8", app.SimplifiedChinese},
		{"zh-Hans by the locale", "", "zh_CN.UTF-8", app.SimplifiedChinese},
		{"en by --lang under a Chinese locale", app.English, "zh_CN.UTF-8", app.English},
		{"en by the locale", "", "C.UTF-8", app.English},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// Given a teller desk and a shop's desk, and a session in a locale
			teller, shop := tellerDesks(t)
			for k, v := range map[string]string{"LANG": mode.locale, "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""} {
				t.Setenv(k, v)
			}
			for _, c := range tellerMistakes {
				// When the teller makes the mistake, --lang last as people add it
				dir := teller
				if c.shop {
					dir = shop
				}
				args := append([]string{"teller"}, c.args...)
				if len(c.args) > 1 || c.code != "" {
					args = append(args, "--data", dir)
				}
				if c.operator != "" {
					args = append(args, "--operator", c.operator)
				}
				if mode.flag != "" {
					args = append(args, "--lang", mode.flag)
				}
				code, out, errs := runCLI(t, c.stdin, args...)

				// Then it exits as it always did, and says it in the person's language
				said := out + errs
				if code != c.exit {
					t.Errorf("%s: exit %d, want %d\n%s", c.name, code, c.exit, said)
				}
				if mode.lang == app.English {
					if !strings.Contains(said, c.en) || hasHan(said) {
						t.Errorf("%s: said %q, want %q", c.name, said, c.en)
					}
				} else if left := english(said); !hasHan(said) || left != "" {
					t.Errorf("%s: English left (%q) in\n%s", c.name, left, said)
				}
				if c.code == "" {
					continue
				}

				// And a script reads the same exit and reason code, the reason as said
				code, out, errs = runCLI(t, c.stdin, append(args, "--json")...)
				var j tellerErrorJSON
				if err := json.Unmarshal([]byte(out), &j); err != nil || strings.Count(out, "\n") != 1 {
					t.Fatalf("%s: JSON %q: %v (stderr %q)", c.name, out, err, errs)
				}
				if code != c.exit || j.Outcome != "error" || j.ReasonCode != c.code || j.Reason == "" || !strings.Contains(errs, j.Reason) {
					t.Errorf("%s: exit %d %+v, stderr %q; want %d %s", c.name, code, j, errs, c.exit, c.code)
				}
			}
		})
	}
}

func TestTellerCommand_RefusesALanguageInBoth(t *testing.T) {
	// Given a teller desk
	teller, _ := tellerDesks(t)
	// When the teller asks for a language the desk does not speak
	code, out, errs := runCLI(t, "1234\n", "teller", "lookup", "--data", teller, "--operator", "li.na", "--lang", "fr", "--json")
	// Then it is refused in both it speaks, before the PIN is read, and a script gets its JSON
	if code != tellerError || !strings.Contains(errs, "use en or zh-Hans") || !strings.Contains(errs, "请使用 en 或 zh-Hans") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
	if !strings.Contains(out, `"reason_code":"bad_input"`) {
		t.Errorf("printed %q", out)
	}
}
