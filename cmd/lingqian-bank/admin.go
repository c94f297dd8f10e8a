package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/term"

	"lingqian/bank"
)

// byFlag is --by, which every command that changes the bank takes.
func byFlag(fs *flag.FlagSet) *string {
	return fs.String("by", "", "who runs this, for the admin log (default: the system user)")
}

// given says whether the flag name was on the command line.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// openAdmin opens the bank, making its data folder if need be, for a
// command that changes the bank: its first change is recorded in the
// admin log, in the same transaction, as command on target by who(by).
func openAdmin(at place, by, command, target, detail string) (*bank.Bank, error) {
	e, err := adminEntry(by, command, target, detail)
	if err != nil {
		return nil, err
	}
	return at.open(bank.Options{Admin: e})
}

// openExistingAdmin is openAdmin on a bank that must be there.
func openExistingAdmin(at place, by, command, target, detail string) (*bank.Bank, error) {
	e, err := adminEntry(by, command, target, detail)
	if err != nil {
		return nil, err
	}
	return at.openExisting(bank.Options{Admin: e})
}

func adminEntry(by, command, target, detail string) (*bank.AdminEntry, error) {
	who, err := who(by)
	if err != nil {
		return nil, err
	}
	return &bank.AdminEntry{By: who, Command: command, Target: target, Detail: detail}, nil
}

// who is the person the admin log names: --by when given, otherwise the
// system user running the command; run through sudo (as the packaged
// bank's commands are, as its own user), the user who ran sudo, too.
// Neither is proof of identity: the log records what the person at the
// bank's console said and was, for the bank's own review.
func who(by string) (string, error) {
	if by != "" {
		if len(by) > 64 || strings.ContainsFunc(by, func(r rune) bool { return !unicode.IsPrint(r) }) {
			return "", fmt.Errorf("--by %q: want 1 to 64 printable characters", by)
		}
		return by, nil
	}
	name := "uid " + strconv.Itoa(os.Getuid())
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if s := os.Getenv("SUDO_USER"); s != "" && s != name {
		return fmt.Sprintf("%s (as %s)", s, name), nil
	}
	return name, nil
}

// readPassword reads user's new password from in: at a terminal, typed
// twice without echo; from a pipe or a file, its first line. It is never
// read from the command line here, where other users of the machine see
// it in the process list.
func readPassword(in io.Reader, stderr io.Writer, user string) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		fmt.Fprintf(stderr, "password for %s: ", user)
		first, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("password from the terminal: %w", err)
		}
		fmt.Fprintf(stderr, "the same again: ")
		again, err := term.ReadPassword(fd)
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("password from the terminal: %w", err)
		}
		if !bytes.Equal(first, again) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return string(first), nil
	}
	// One line, and no more of it than a password may be (1024 bytes)
	// and its line end.
	line, err := bufio.NewReader(io.LimitReader(in, 1026)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("password from standard input: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password: give --password, or the password on standard input")
	}
	return line, nil
}

func customerLogout(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("customer logout", stderr)
	user := fs.String("user", "", "the customer whose sessions end")
	by := byFlag(fs)
	if err := parse(fs, args, "user"); err != nil {
		return err
	}
	b, err := openExistingAdmin(at, *by, "customer logout", *user, "")
	if err != nil {
		return err
	}
	defer b.Close()
	n, err := b.EndSessions(context.Background(), *user)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d sessions of %s ended\n", n, *user)
	return nil
}

func adminLog(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("admin-log", stderr)
	format := fs.String("format", "text", "text or json")
	limit := fs.Int("limit", 0, "only the newest N lines (0: all)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format %q: want text or json", *format)
	}
	if *limit < 0 {
		return fmt.Errorf("--limit %d: want 0 or more", *limit)
	}
	b, err := at.openExisting(bank.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	log, err := b.AdminLog(context.Background(), *limit)
	if err != nil {
		return err
	}
	return bank.WriteAdminLog(stdout, log, *format)
}
