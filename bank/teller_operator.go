package bank

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Who did a teller's action, and the notes tellers write.

// operatorRule is what validOperator checks, in words.
const operatorRule = "operator must be the teller's operator id: 1 to 32 of A-Z, a-z, 0-9, '.', '_', '-'"

// validOperator says whether s can be a teller operator's id, as the
// desk's sign-in knows it. Every teller write names one, so the bank can
// tell who did what at a desk several tellers share.
func validOperator(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// maxNote is the longest note or reason a teller writes, in characters.
const maxNote = 200

// validNote says whether s is a teller's note: 1 to maxNote characters
// that print, in any script (tellers write Chinese), not only spaces.
// Control and format characters are refused: a note is shown on screens
// and in reports, where they could hide or reorder text.
func validNote(s string) bool {
	if !utf8.ValidString(s) || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > maxNote {
		return false
	}
	for _, c := range s {
		if !unicode.IsGraphic(c) {
			return false
		}
	}
	return true
}

// logTeller logs a teller's committed action with who did it and where.
func (b *Bank) logTeller(what string, c caller, operator string, attrs ...any) {
	b.log.Info(what, append([]any{"operator", operator, "terminal", c.desk.TerminalID}, attrs...)...)
}

// noteRule is what validNote checks, in words.
const noteRule = "note must be 1 to 200 printable characters"
