package issuer

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
)

// rowInputs holds a row's NAME=VALUE inputs. A token without '=' continues
// the previous value, so hex may be split into fields for readability.
type rowInputs struct {
	t    *testing.T
	row  vectorRow
	vals map[string]string
	used map[string]bool
}

func parseInputs(t *testing.T, row vectorRow) *rowInputs {
	t.Helper()
	in := &rowInputs{t: t, row: row, vals: map[string]string{}, used: map[string]bool{}}
	last := ""
	for _, tok := range strings.Fields(row.inputs) {
		name, val, ok := strings.Cut(tok, "=")
		switch {
		case ok && name != "":
			if _, dup := in.vals[name]; dup {
				t.Fatalf("line %d: input %s given twice", row.line, name)
			}
			in.vals[name] = val
			last = name
		case last == "":
			t.Fatalf("line %d: input %q has no NAME=", row.line, tok)
		default:
			in.vals[last] += tok
		}
	}
	return in
}

func (in *rowInputs) str(name string) string {
	in.t.Helper()
	v, ok := in.vals[name]
	if !ok {
		in.t.Fatalf("line %d: input %s missing", in.row.line, name)
	}
	in.used[name] = true
	return v
}

// hex decodes an input; "AAAA..AA(16B)" is the file's shorthand for one byte
// repeated 16 times.
func (in *rowInputs) hex(name string) []byte {
	in.t.Helper()
	v := in.str(name)
	if b, ok := expandRepeat(v); ok {
		return b
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		in.t.Fatalf("line %d: input %s=%q: %v", in.row.line, name, v, err)
	}
	return b
}

func expandRepeat(v string) ([]byte, bool) {
	shown, rest, ok := strings.Cut(v, "..")
	if !ok {
		return nil, false
	}
	tail, count, ok := strings.Cut(rest, "(")
	if !ok || !strings.HasSuffix(count, "B)") {
		return nil, false
	}
	n, err := strconv.Atoi(strings.TrimSuffix(count, "B)"))
	if err != nil || n <= 0 || len(shown) < 2 {
		return nil, false
	}
	unit := shown[:2]
	if strings.ReplaceAll(shown+tail, unit, "") != "" {
		return nil, false
	}
	b, err := hex.DecodeString(strings.Repeat(unit, n))
	return b, err == nil
}

// into decodes an input that must fill dst exactly.
func (in *rowInputs) into(name string, dst []byte) {
	in.t.Helper()
	b := in.hex(name)
	if len(b) != len(dst) {
		in.t.Fatalf("line %d: input %s is %d bytes, want %d", in.row.line, name, len(b), len(dst))
	}
	copy(dst, b)
}

func (in *rowInputs) array2(name string) (a [2]byte) {
	in.t.Helper()
	in.into(name, a[:])
	return a
}

func (in *rowInputs) array4(name string) (a [4]byte) {
	in.t.Helper()
	in.into(name, a[:])
	return a
}

func (in *rowInputs) allUsed() {
	in.t.Helper()
	for name := range in.vals {
		if !in.used[name] {
			in.t.Errorf("line %d: input %s was never used", in.row.line, name)
		}
	}
}

// rowExpected holds a row's expected values. A plain hex string has the
// empty label; "LABEL HEX ; LABEL HEX / HEX" gives labelled values.
type rowExpected struct {
	t    *testing.T
	row  vectorRow
	vals map[string][]string
	used map[string]bool
}

func parseExpected(t *testing.T, row vectorRow) *rowExpected {
	t.Helper()
	want := &rowExpected{t: t, row: row, vals: map[string][]string{}, used: map[string]bool{}}
	for _, seg := range strings.Split(row.expected, ";") {
		toks := strings.Fields(seg)
		i := 0
		for i < len(toks) && !isHex(toks[i]) {
			i++
		}
		label := strings.Join(toks[:i], " ")
		var vals []string
		for _, tok := range toks[i:] {
			if tok == "/" {
				continue
			}
			if !isHex(tok) {
				t.Fatalf("line %d: expected value %q under %q is not hex", row.line, tok, label)
			}
			vals = append(vals, strings.ToUpper(tok))
		}
		if len(vals) == 0 {
			t.Fatalf("line %d: expected segment %q has no value", row.line, seg)
		}
		if _, dup := want.vals[label]; dup {
			t.Fatalf("line %d: expected %q given twice", row.line, label)
		}
		want.vals[label] = vals
	}
	return want
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && s != ""
}

func (w *rowExpected) list(label string, n int) []string {
	w.t.Helper()
	v, ok := w.vals[label]
	if !ok {
		w.t.Fatalf("line %d: expected %q missing", w.row.line, label)
	}
	if len(v) != n {
		w.t.Fatalf("line %d: expected %q has %d values, want %d", w.row.line, label, len(v), n)
	}
	w.used[label] = true
	return v
}

func (w *rowExpected) one(label string) string { return w.list(label, 1)[0] }

// equal checks got against an expected hex value.
func (w *rowExpected) equal(want string, got []byte, err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("line %d: %v", w.row.line, err)
	}
	if g := strings.ToUpper(hex.EncodeToString(got)); g != want {
		w.t.Errorf("line %d: got %s, want %s", w.row.line, g, want)
	}
}

func (w *rowExpected) allUsed() {
	w.t.Helper()
	for label := range w.vals {
		if !w.used[label] {
			w.t.Errorf("line %d: expected %q was never checked", w.row.line, label)
		}
	}
}
