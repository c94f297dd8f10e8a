package cli

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/emv"
	"lingqian/sync/synctest"
)

func TestSessionLanguage_AsGettextReadsIt(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing set", nil, app.English},
		{"a Chinese LANG", map[string]string{"LANG": "zh_CN.UTF-8"}, app.SimplifiedChinese},
		{"an English LANG", map[string]string{"LANG": "en_GB.UTF-8"}, app.English},
		{"a language the desk does not speak", map[string]string{"LANG": "fr_FR.UTF-8"}, app.English},
		{"LC_ALL before LANG", map[string]string{"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, app.English},
		{"LC_MESSAGES before LANG", map[string]string{"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, app.SimplifiedChinese},
		{"LANGUAGE before the locale", map[string]string{"LANGUAGE": "zh_CN:en", "LANG": "en_US.UTF-8"}, app.SimplifiedChinese},
		{"LANGUAGE's first spoken language", map[string]string{"LANGUAGE": "fr:de:zh", "LANG": "fr_FR.UTF-8"}, app.SimplifiedChinese},
		{"LANGUAGE with none spoken: the locale", map[string]string{"LANGUAGE": "fr:de", "LANG": "zh_CN.UTF-8"}, app.SimplifiedChinese},
		{"LANGUAGE English over a Chinese locale", map[string]string{"LANGUAGE": "en_US", "LC_ALL": "zh_CN.UTF-8"}, app.English},
		{"LANGUAGE ignored under C", map[string]string{"LANGUAGE": "zh_CN", "LANG": "C"}, app.English},
		{"LANGUAGE ignored under C.UTF-8", map[string]string{"LANGUAGE": "zh_CN", "LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, app.English},
		{"LANGUAGE ignored under POSIX", map[string]string{"LANGUAGE": "zh", "LC_MESSAGES": "POSIX"}, app.English},
		{"LANGUAGE ignored with no locale", map[string]string{"LANGUAGE": "zh_CN"}, app.English},
		{"a BCP 47 tag", map[string]string{"LANGUAGE": "zh-Hans", "LANG": "en_US.UTF-8"}, app.SimplifiedChinese},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given the session's environment, when the desk picks its language
			got := sessionLanguage(func(k string) string { return tc.env[k] })
			// Then it is the one gettext would show
			if got != tc.want {
				t.Errorf("%v: %s, want %s", tc.env, got, tc.want)
			}
		})
	}
}

// langWorld is a desk enrolled with a scripted bank, holding three sales
// by li.na, an admin boss (PIN 9876) and an offline limit of 10.00 for
// one purchase; beside it a fresh folder to enrol and a desk never enrolled.
type langWorld struct {
	bank                     *synctest.Bank
	ca, dir, fresh, lone, to string
}

func newLangWorld(t *testing.T) langWorld {
	t.Helper()
	bank, ca := enrolledBank(t)
	w := langWorld{bank: bank, ca: ca, dir: t.TempDir(), fresh: t.TempDir(), lone: t.TempDir(),
		to: filepath.Join(t.TempDir(), "x.csv")}
	if code, _, errs := runCLI(t, "", "enroll", "--data", w.dir, "--bank", bank.URL, "--ca", ca, "--code", "C-1"); code != 0 {
		t.Fatalf("enroll: %s", errs)
	}
	bank.AddCode("C-2", "M001", false)
	seedJournal(t, w.dir, 3)
	seedJournal(t, w.lone, 1)
	if code, _, errs := runCLI(t, "9876\n", "operator", "add", "--data", w.dir, "--id", "boss", "--name", "Zhang", "--role", "admin"); code != 0 {
		t.Fatalf("first admin: %s", errs)
	}
	d, err := desk.Open(context.Background(), w.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.DB.SetSetting(context.Background(), desk.SettingLimitPurchase, "1000", "test"); err != nil {
		t.Fatal(err)
	}
	return w
}

// langCases run in order on one world; en is what each said in English
// before the commands spoke Chinese, and still says.
var langCases = []struct {
	name  string
	cmd   []string
	flags func(w langWorld) []string
	stdin string
	exit  int
	en    string
}{
	{"an operator added", []string{"operator", "add"}, func(w langWorld) []string {
		return []string{"--data", w.dir, "--id", "wang.wei", "--name", "Wang", "--role", "supervisor", "--by", "boss"}
	}, "9876\n5555\n", 0, "operator wang.wei added as supervisor"},
	{"the operators listed", []string{"operator", "list"}, func(w langWorld) []string { return []string{"--data", w.dir} },
		"", 0, "ID        NAME   ROLE        STATE\nboss      Zhang  admin       active\n"},
	{"a wrong admin PIN", []string{"operator", "passwd"}, func(w langWorld) []string { return []string{"--data", w.dir, "--id", "wang.wei", "--by", "boss"} },
		"0000\n1111\n", 2, app.MsgWrongPIN.Text(app.English)},
	{"no admin named", []string{"operator", "add"}, func(w langWorld) []string { return []string{"--data", w.dir, "--id", "li.na"} },
		"", 2, "an admin must authorise this: add --by ADMIN"},
	{"an operator command unknown", []string{"operator", "fire"}, func(w langWorld) []string { return []string{"--data", w.dir} },
		"", 2, "lingqian operator list"},
	{"the journal verified", []string{"journal", "verify"}, func(w langWorld) []string { return []string{"--data", w.dir} },
		"", 0, "journal intact: entries 1 to 3 chain without a gap"},
	{"journal without verify", []string{"journal"}, func(w langWorld) []string { return nil },
		"", 2, "usage: lingqian journal verify [--data DIR]"},
	{"the X report as text", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--x"} },
		"", 0, "X report (the day so far)\nterminal T0000001  merchant M001  made "},
	{"the X report to a file", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--x", "--format", "csv", "--out", w.to} },
		"", 0, "X report written to "},
	{"both --x and --z", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--x", "--z"} },
		"", 2, "give exactly one of --x and --z"},
	{"a Z report no one closes", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--z"} },
		"", 2, "closing the day needs a supervisor: add --by ID"},
	{"a Z report never made", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--z", "--number", "9"} },
		"", 2, "there is no Z report no. 9"},
	{"an unknown format", []string{"report"}, func(w langWorld) []string { return []string{"--data", w.dir, "--x", "--format", "xlsx"} },
		"", 2, `format "xlsx": use text, csv, json or pdf`},
	{"a sale of nothing", []string{"charge"}, func(w langWorld) []string { return []string{"--data", w.dir, "--amount", "0"} },
		"", 2, "amount 0.00: a sale must be more than 0.00"},
	{"an amount that is not money", []string{"charge"}, func(w langWorld) []string { return []string{"--data", w.dir, "--amount", "12.5x"} },
		"", 2, "Write the amount like 12.50."},
	{"a flag misspelt", []string{"charge"}, func(w langWorld) []string { return []string{"--data", w.dir, "--amonut", "1"} },
		"", 2, "the command line is not right; add -h to see the flags (detail: flag provided but not defined: -amonut)"},
	{"a sale over the offline limit", []string{"charge"}, func(w langWorld) []string { return []string{"--data", w.dir, "--amount", "12.50", "--timeout", "2s"} },
		"", 3, "DECLINED: 12.50 CNY — Not charged: "},
	{"a void of a sale that is not there", []string{"void"}, func(w langWorld) []string {
		return []string{"--data", w.dir, "--seq", "99", "--by", "wang.wei", "--reason", "test"}
	}, "5555\n", 2, "there is no journal entry 99"},
	{"the sales forwarded", []string{"sync"}, func(w langWorld) []string { return []string{"--data", w.dir, "--once"} },
		"", 0, " 3 accepted, 0 the bank had already, 0 rejected\nbank: posted 3 (6.00), pending 0 (0.00), rejected 0 (0.00)\n"},
	{"a void of a forwarded sale", []string{"void"}, func(w langWorld) []string {
		return []string{"--data", w.dir, "--seq", "1", "--by", "wang.wei", "--reason", "test"}
	}, "5555\n", 2, app.MsgNotVoidable.Text(app.English)},
	{"a desk never enrolled", []string{"sync"}, func(w langWorld) []string { return []string{"--data", w.lone, "--once"} },
		"", 2, "this desk is not enrolled with a bank"},
	{"an argument too many", []string{"sync"}, func(w langWorld) []string { return []string{"--data", w.dir, "now"} },
		"", 2, `unexpected arguments ["now"]`},
	{"an enrolment without a code", []string{"enroll"}, func(w langWorld) []string { return []string{"--data", w.fresh} },
		"", 2, "--bank, --ca and --code are all required"},
	{"an enrolment code the bank does not know", []string{"enroll"}, func(w langWorld) []string {
		return []string{"--data", w.fresh, "--bank", w.bank.URL, "--ca", w.ca, "--code", "NOPE"}
	}, "", 2, "the bank does not know this enrolment code"},
	{"a desk enrolled", []string{"enroll"}, func(w langWorld) []string {
		return []string{"--data", w.fresh, "--bank", w.bank.URL, "--ca", w.ca, "--code", "C-2"}
	}, "", 0, " of merchant M001\n46 CA public keys in "},
	{"a journal enrolled again", []string{"enroll"}, func(w langWorld) []string {
		return []string{"--data", w.lone, "--bank", w.bank.URL, "--ca", w.ca, "--code", "C-2"}
	}, "", 2, "the journal already holds 1 entry under this desk's present terminal id"},
	{"an operator's role changed", []string{"operator", "role"}, func(w langWorld) []string {
		return []string{"--data", w.dir, "--id", "wang.wei", "--role", "cashier", "--by", "boss"}
	}, "9876\n", 0, "operator wang.wei is now cashier (was supervisor)"},
	{"an operator locked", []string{"operator", "lock"}, func(w langWorld) []string { return []string{"--data", w.dir, "--id", "wang.wei", "--by", "boss"} },
		"9876\n", 0, "operator wang.wei locked: they cannot sign in until an admin unlocks them or sets a new PIN"},
	{"the operators listed, one locked", []string{"operator", "list"}, func(w langWorld) []string { return []string{"--data", w.dir} },
		"", 0, "boss      Zhang  admin    active\nwang.wei  Wang   cashier  locked\n"},
	{"an admin locking themselves", []string{"operator", "lock"}, func(w langWorld) []string { return []string{"--data", w.dir, "--id", "boss", "--by", "boss"} },
		"9876\n", 2, "an admin cannot lock themselves or give up their own admin role: another admin must do it"},
	{"a role the desk does not have", []string{"operator", "role"}, func(w langWorld) []string {
		return []string{"--data", w.dir, "--id", "wang.wei", "--role", "chief", "--by", "boss"}
	}, "", 2, `role "chief": use cashier, supervisor, teller or admin`},
	{"an operator unlocked", []string{"operator", "unlock"}, func(w langWorld) []string { return []string{"--data", w.dir, "--id", "wang.wei", "--by", "boss"} },
		"9876\n", 0, "operator wang.wei unlocked: they sign in with the PIN they have"},
}

func TestCommands_SpeakThePersonsLanguage(t *testing.T) {
	for _, mode := range []struct {
		name, flag, locale, lang string
	}{
		{"zh-Hans by --lang", app.SimplifiedChinese, "C.UTF-8", app.SimplifiedChinese},
		{"zh-Hans by the locale", "", "zh_CN.UTF-8", app.SimplifiedChinese},
		{"en by --lang under a Chinese locale", app.English, "zh_CN.UTF-8", app.English},
		{"en by the locale", "", "C.UTF-8", app.English},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// Given a desk and its bank, and a session in a locale
			w := newLangWorld(t)
			for k, v := range map[string]string{"LANG": mode.locale, "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""} {
				t.Setenv(k, v)
			}
			for _, c := range langCases {
				// When a person runs each command, with --lang or without
				args := append([]string{}, c.cmd...)
				if mode.flag != "" {
					args = append(args, "--lang", mode.flag)
				}
				args = append(args, c.flags(w)...)
				code, out, errs := runCLI(t, c.stdin, args...)

				// Then it exits as it always did, and says it in the language
				said := out + errs
				t.Logf("%s:\n%s", c.name, said)
				if code != c.exit {
					t.Errorf("%s: exit %d, want %d\n%s", c.name, code, c.exit, said)
				}
				if mode.lang == app.English {
					if !strings.Contains(said, c.en) || hasHan(said) {
						t.Errorf("%s: said %q, want %q", c.name, said, c.en)
					}
					continue
				}
				if left := english(said); !hasHan(said) || left != "" {
					t.Errorf("%s: English left (%q) in\n%s", c.name, left, said)
				}
			}
		})
	}
}

func TestCommands_RefuseALanguageInBoth(t *testing.T) {
	// Given a desk
	dir := t.TempDir()
	for _, args := range [][]string{
		{"report", "--data", dir, "--x", "--lang", "fr"},
		{"journal", "verify", "--data", dir, "--lang=de"},
		{"charge", "--data", dir, "--amount", "1.00", "--lang", "fr", "--json"},
	} {
		// When a command is asked for a language the desk does not speak
		code, out, errs := runCLI(t, "", args...)

		// Then it refuses in both it speaks, and a script still gets its JSON
		if code != exitError || !strings.Contains(errs, "use en or zh-Hans") || !strings.Contains(errs, "请使用 en 或 zh-Hans") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errs)
		}
		if args[0] == "charge" && !strings.Contains(out, `"reason_code":"bad_input"`) {
			t.Errorf("charge printed %q", out)
		}
	}
}

func TestRun_UnknownCommandInTheLocalesLanguage(t *testing.T) {
	// Given a Chinese session
	t.Setenv("LANG", "zh_CN.UTF-8")
	t.Setenv("LC_ALL", "")
	// When a command is mistyped, then the refusal is in Chinese (the usage follows)
	if code, _, errs := runCLI(t, "", "fly"); code != exitError || !strings.HasPrefix(errs, `lingqian: 未知命令 "fly"`) {
		t.Fatalf("exit %d, stderr %q", code, errs)
	}
}

func TestChargeOutcome_EachVerdictInChinese(t *testing.T) {
	for _, res := range []app.Result{
		tapped(1250, emv.Approved, emv.ReasonApproved, 1250, &app.Entry{Seq: 4}, false),
		tapped(3000, emv.Approved, emv.ReasonRecovered, 1250, &app.Entry{Seq: 5, Ref: 4}, true),
		tapped(1250, emv.Declined, emv.ReasonInsufficient, 1250, nil, false),
		tapped(1250, emv.Torn, emv.ReasonTorn, 1250, &app.Entry{Seq: 3, Kind: app.KindTorn}, false),
		tapped(1250, emv.CardLeft, emv.ReasonCardLeft, 1250, nil, false),
	} {
		// Given what the checkout answered, when it is told in Chinese
		zh, en := chargeDone(res, app.SimplifiedChinese), chargeDone(res, app.English)
		var out, errs strings.Builder
		printCharge(zh, false, &out, &errs)

		// Then the person reads Chinese, and the JSON is the English one
		if said := out.String() + errs.String(); !hasHan(said) || english(said) != "" {
			t.Errorf("%s: %q", res.Outcome.Reason.Code, said)
		}
		if zh.JSON != en.JSON || zh.Exit != en.Exit {
			t.Errorf("%s: JSON %+v, in English %+v", res.Outcome.Reason.Code, zh.JSON, en.JSON)
		}
	}
}

func TestWriteColumns_ChineseTakesTwoColumns(t *testing.T) {
	// Given a table with Chinese cells, when it is written
	var b strings.Builder
	writeColumns(&b, [][]string{{"编号", "角色", "状态"}, {"boss", "管理员", "正常"}})
	// Then the columns line up on a terminal
	want := "编号  角色    状态\nboss  管理员  正常\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

var (
	// notWords are what stays as it is in every language: commands,
	// flags, paths and addresses, and each error's detail for the log.
	notWords = regexp.MustCompile("`[^`]*`|https?://\\S+|\\S*/\\S*|--?[a-z][a-z-]*|lingqian( [a-z]+)*| \\(detail: .*")
	// englishWords: two English words in a row, as in a sentence (the
	// columns of a table are two spaces or more apart).
	englishWords = regexp.MustCompile(`[A-Za-z]{2,}[,;:'’]? [A-Za-z]{2,}`)
)

// english is the first run of English words left in what a command said
// once what is not a sentence is taken out; "" when none is.
func english(said string) string {
	for _, line := range strings.Split(said, "\n") {
		if m := englishWords.FindString(notWords.ReplaceAllString(line, "")); m != "" {
			return m
		}
	}
	return ""
}
