package desk

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ErrNoPrinter says the computer has no print service the desk can use.
var ErrNoPrinter = errors.New("no printer is set up on this computer (the CUPS command lp is missing)")

// Print sends text lines to the OS's default printer through CUPS's lp.
func Print(title string, lines []string) error {
	lp, err := exec.LookPath("lp")
	if err != nil {
		return ErrNoPrinter
	}
	f, err := os.CreateTemp("", "lingqian-print-*.txt")
	if err != nil {
		return fmt.Errorf("print %s: %w", title, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("print %s: %w", title, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("print %s: %w", title, err)
	}
	if out, err := exec.Command(lp, "-t", title, f.Name()).CombinedOutput(); err != nil {
		return fmt.Errorf("print %s: lp: %v: %s", title, err, strings.TrimSpace(string(out)))
	}
	return nil
}
