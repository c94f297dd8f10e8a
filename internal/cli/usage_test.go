package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/internal/pcsctest"
)

func TestHelp_InTheSessionsLanguage(t *testing.T) {
	for _, mode := range []struct {
		name, locale, lang string
		extra              []string
	}{
		{"a Chinese locale", "zh_CN.UTF-8", app.SimplifiedChinese, nil},
		{"an English locale", "en_US.UTF-8", app.English, nil},
		{"the C locale", "C.UTF-8", app.English, nil},
		{"--lang zh-Hans under C", "C.UTF-8", app.SimplifiedChinese, []string{"--lang", "zh-Hans"}},
		{"--lang en under a Chinese locale", "zh_CN.UTF-8", app.English, []string{"--lang=en"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			// Given a session in a locale
			for k, v := range map[string]string{"LANG": mode.locale, "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""} {
				t.Setenv(k, v)
			}
			for _, form := range []struct {
				args []string
				exit int
			}{
				{[]string{"help"}, 0}, {[]string{"-h"}, 0}, {[]string{"--help"}, 0},
				{[]string{"--data", t.TempDir(), "-help"}, 0}, {[]string{"fly"}, exitError},
			} {
				// When a person asks for the usage, or mistypes a command
				args := append(append([]string{}, form.args...), mode.extra...)
				code, out, errs := runCLI(t, "", args...)
				said := out + errs
				if form.exit == 0 && errs != "" || form.exit != 0 && out != "" {
					t.Errorf("%v: out %q, err %q: the usage asked for goes to standard output, after a mistake to standard error", args, out, errs)
				}

				// Then the usage is in their language, every command in it
				if code != form.exit || !strings.Contains(said, "  lingqian operator lock|unlock --id ID --by ADMIN\n") {
					t.Errorf("%v: exit %d\n%s", args, code, said)
				}
				if mode.lang == app.English {
					if hasHan(said) || !strings.Contains(said, "open the desk's window") {
						t.Errorf("%v: not English:\n%s", args, said)
					}
					continue
				}
				if left := english(said); !strings.Contains(said, "打开收银台窗口") || left != "" {
					t.Errorf("%v: English left (%q) in\n%s", args, left, said)
				}
			}
		})
	}
}

func TestUsage_ListsEveryCommandThereIs(t *testing.T) {
	// Given the commands the dispatch knows, read from its source
	dispatched := map[string][]string{
		"":         stringsIn(t, "cli.go", "Run"),
		"operator": stringsIn(t, "cmd_operator.go", "operator"),
		"teller":   stringsIn(t, "cmd_teller.go", "teller"),
	}
	if len(dispatched[""]) < 9 || len(dispatched["operator"]) < 6 || len(dispatched["teller"]) < 7 {
		t.Fatalf("the source scan found too little: %v", dispatched)
	}
	// And the commands the usage lists
	listed := map[string]map[string]bool{}
	for _, u := range usageLines {
		f := strings.Fields(u.cmd)
		if len(f) < 2 || strings.HasPrefix(f[1], "-") || strings.HasPrefix(f[1], "[") {
			continue // the window
		}
		if listed[f[1]] == nil {
			listed[f[1]] = map[string]bool{}
		}
		if len(f) > 2 && !strings.HasPrefix(f[2], "-") && !strings.HasPrefix(f[2], "[") {
			for _, sub := range strings.Split(f[2], "|") {
				listed[f[1]][sub] = true
			}
		}
	}

	// Then every command and subcommand is in the usage, in both languages
	for _, lang := range []string{app.English, app.SimplifiedChinese} {
		text := usage(lang)
		for _, u := range usageLines {
			if !strings.Contains(text, "  "+u.cmd+"\n") && !strings.Contains(text, "  "+u.cmd+" ") {
				t.Errorf("%s usage lacks %q", lang, u.cmd)
			}
		}
	}
	for _, cmd := range dispatched[""] {
		if listed[cmd] == nil {
			t.Errorf("lingqian %s is not in the usage", cmd)
		}
	}
	for _, parent := range []string{"operator", "teller"} {
		for _, sub := range dispatched[parent] {
			if !listed[parent][sub] {
				t.Errorf("lingqian %s %s is not in the usage", parent, sub)
			}
		}
	}
	// And the usage lists nothing the dispatch does not know
	for cmd, subs := range listed {
		if !slices.Contains(dispatched[""], cmd) {
			t.Errorf("the usage lists lingqian %s, which is no command", cmd)
		}
		for sub := range subs {
			if d, ok := dispatched[cmd]; ok && !slices.Contains(d, sub) {
				t.Errorf("the usage lists lingqian %s %s, which is no command", cmd, sub)
			}
		}
	}
}

func TestReaders_SpeaksThePersonsLanguage(t *testing.T) {
	// Given pcscd stopped
	d := pcsctest.Start(t)
	d.Stop()

	// When the readers are listed in Chinese, then the reason is Chinese
	code, _, errs := runCLI(t, "", "readers", "--lang", "zh-Hans")
	if code != exitError || !strings.Contains(errs, app.MsgCLINoService.Text(app.SimplifiedChinese)) || english(errs) != "" {
		t.Errorf("exit %d, err %q", code, errs)
	}
	// And a language the desk does not speak, or a word too many, is refused
	if code, _, errs := runCLI(t, "", "readers", "--lang", "fr"); code != exitError || !strings.Contains(errs, "请使用 en 或 zh-Hans") {
		t.Errorf("--lang fr: exit %d, err %q", code, errs)
	}
	if code, _, errs := runCLI(t, "", "readers", "--lang", "en", "all"); code != exitError || !strings.Contains(errs, `unexpected arguments ["all"]`) {
		t.Errorf("an argument: exit %d, err %q", code, errs)
	}
}

// stringsIn is what the function fn of file dispatches on: the string
// cases of its switches and the string keys of its maps, flags left out.
func stringsIn(t *testing.T, file, fn string) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	add := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && !strings.HasPrefix(s, "-") {
				seen[s] = true
			}
		}
	}
	for _, decl := range f.Decls {
		if d, ok := decl.(*ast.FuncDecl); ok && d.Name.Name == fn && d.Recv == nil {
			ast.Inspect(d.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CaseClause:
					for _, e := range n.List {
						add(e)
					}
				case *ast.CompositeLit:
					if _, isMap := n.Type.(*ast.MapType); isMap {
						for _, e := range n.Elts {
							if kv, ok := e.(*ast.KeyValueExpr); ok {
								add(kv.Key)
							}
						}
					}
				}
				return true
			})
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

func TestTellerUsage_InTheSessionsLanguage(t *testing.T) {
	for _, tc := range []struct {
		locale string
		zh     bool
	}{{"zh_CN.UTF-8", true}, {"en_US.UTF-8", false}} {
		// Given a session in a locale
		for k, v := range map[string]string{"LANG": tc.locale, "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""} {
			t.Setenv(k, v)
		}
		// When the teller asks for its commands, or forgets who they are
		_, _, usage := runCLI(t, "", "teller")
		_, _, refused := runCLI(t, "", "teller", "load", "--amount", "1.00")

		// Then both are in the session's language, the flags as typed
		for _, said := range []string{usage, refused} {
			if tc.zh && (english(said) != "" || !hasHan(said)) || !tc.zh && hasHan(said) {
				t.Errorf("%s: %q (English left: %q)", tc.locale, said, english(said))
			}
		}
		if !strings.Contains(usage, "  reentry --note TEXT") || !strings.Contains(refused, "--operator ID") {
			t.Errorf("%s: usage %q, refusal %q", tc.locale, usage, refused)
		}
	}
}
