package app

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// messageConstants finds every constant of type Message declared in the
// package's source, so a key added without its texts fails here rather
// than showing its key to a cashier.
func messageConstants(t *testing.T) map[string]Message {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Message{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Message" {
				return true
			}
			for i, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out[vs.Names[i].Name] = Message(s)
				}
			}
			return true
		})
	}
	return out
}

func TestMessages_EveryConstantHasBothLanguages(t *testing.T) {
	// Given the translation files read cleanly
	if err := TranslationsError(); err != nil {
		t.Fatal(err)
	}
	consts := messageConstants(t)
	if len(consts) < 100 {
		t.Fatalf("found only %d message constants: the source scan is broken", len(consts))
	}
	// When each constant is looked up, then it has its own text in both
	for name, m := range consts {
		for _, lang := range []string{English, SimplifiedChinese} {
			if !HasText(m, lang) {
				t.Errorf("%s (%q) has no %s text in assets/lang", name, m, lang)
			}
		}
	}
	// And both languages fill the same verbs, in the same order
	for _, m := range AllMessages() {
		if en, zh := verbs(m.Text(English)), verbs(m.Text(SimplifiedChinese)); en != zh {
			t.Errorf("%s: English fills %q, Chinese %q", m, en, zh)
		}
	}
	// And a key nobody translated shows as itself, never as nothing
	if got := Message("no.such.key").Text(SimplifiedChinese); got != "no.such.key" {
		t.Errorf("missing key shows %q", got)
	}
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

func verbs(s string) string { return strings.Join(verb.FindAllString(s, -1), " ") }
