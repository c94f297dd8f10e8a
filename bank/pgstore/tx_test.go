package pgstore

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"lingqian/bank"
)

func TestTx_HasEveryMethodOfBankTx(t *testing.T) {
	// Given the methods this package defines on pgTx itself
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok && id.Name == "pgTx" {
					defined[fn.Name.Name] = true
				}
			}
		}
	}

	// Then each method of bank.Tx is among them, not left to the nil
	// bank.Tx pgTx embeds
	tx := reflect.TypeFor[bank.Tx]()
	var missing []string
	for i := range tx.NumMethod() {
		if name := tx.Method(i).Name; !defined[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Errorf("bank.Tx methods the PostgreSQL store does not have yet: %s", strings.Join(missing, ", "))
	}
}
