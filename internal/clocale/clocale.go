// Package clocale keeps the GUI toolkit quiet about the C locale.
//
// Under LANG=C.UTF-8 (Debian's default for services and containers) Fyne's
// lang package, as it initialises, takes "C" for a language tag and logs
// "Error parsing user locale C" on every run, headless commands included.
// It reads LANGUAGE when the locale is not exactly "C" or "POSIX", so this
// package sets LANGUAGE=en for the C locale with a codeset, before Fyne
// initialises. It is a module of its own so that its import path sorts
// before fyne.io: Go initialises packages in import-path order, each once
// its imports are, and this one imports only os.
package clocale

import (
	"os"
	"strings"
)

func init() {
	if os.Getenv("LANGUAGE") != "" {
		return
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		l := os.Getenv(v)
		if l == "" {
			continue
		}
		if strings.HasPrefix(l, "C.") || strings.HasPrefix(l, "POSIX.") {
			// English is what the C locale means; the desk's own
			// language choice reads LC_ALL, LC_MESSAGES and LANG.
			_ = os.Setenv("LANGUAGE", "en")
		}
		return
	}
}
