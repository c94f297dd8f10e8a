package cli

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/device"
	"lingqian/store"
	desksync "lingqian/sync"
)

// The commands speak the desk's two languages: the one --lang asks for,
// else the session's locale. What scripts read — --json, the reports' CSV
// and JSON, exit codes — is the same in both.

// speaker is how one command talks to a person: in one language, with
// the command's name before every line on standard error, and an error
// as a sentence in that language followed by its detail for the log.
type speaker struct {
	name           string // "lingqian charge"
	lang           string
	stdout, stderr io.Writer
}

// newSpeaker speaks the language --lang names among args, if it is one
// the desk speaks, else the session's: a flag set that fails to parse
// still knows what language to say so in.
func newSpeaker(name string, args []string, stdout, stderr io.Writer) *speaker {
	return &speaker{name: name, lang: langAsked(args), stdout: stdout, stderr: stderr}
}

// langFlag adds --lang to a command's flags.
func langFlag(fs *flag.FlagSet) *string {
	return fs.String("lang", defaultLanguage(), "language of what the command says: en or zh-Hans")
}

func spoken(lang string) bool { return lang == app.English || lang == app.SimplifiedChinese }

// langAsked finds the value of --lang among arguments not yet parsed.
func langAsked(args []string) string {
	for i, a := range args {
		if a == "--" || !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "lang" {
			continue
		}
		if !hasValue && i+1 < len(args) {
			value = args[i+1]
		}
		if spoken(value) {
			return value
		}
	}
	return defaultLanguage()
}

// sessionLanguage reads the session's language as gettext does: the
// locale of messages is LC_ALL, else LC_MESSAGES, else LANG; unless that
// is the C or POSIX locale, LANGUAGE, a colon-separated list by
// preference, comes first. The first the desk speaks wins; English else.
func sessionLanguage(getenv func(string) string) string {
	locale := ""
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if locale = getenv(v); locale != "" {
			break
		}
	}
	if !cLocale(locale) {
		for _, l := range strings.Split(getenv("LANGUAGE"), ":") {
			if tag, ok := languageOf(l); ok {
				return tag
			}
		}
	}
	if tag, ok := languageOf(locale); ok {
		return tag
	}
	return app.English
}

// cLocale: no locale, or C or POSIX with or without a codeset, in which
// gettext ignores LANGUAGE.
func cLocale(l string) bool {
	name, _, _ := strings.Cut(l, ".")
	name, _, _ = strings.Cut(name, "@")
	return name == "" || name == "C" || name == "POSIX"
}

// languageOf is the desk's language of a locale or language name:
// zh_CN.UTF-8, zh, zh-Hans → zh-Hans; en_GB → en; others none.
func languageOf(l string) (string, bool) {
	code := strings.ToLower(l)
	if i := strings.IndexAny(code, "_-.@"); i >= 0 {
		code = code[:i]
	}
	switch code {
	case "zh":
		return app.SimplifiedChinese, true
	case "en":
		return app.English, true
	}
	return "", false
}

// langError: --lang names a language the desk does not speak.
type langError struct{ lang string }

func (e langError) Error() string { return app.MsgCLIBadLang.Textf(app.English, e.lang) }

// parseFlags parses a command's flags and takes up its --lang. -h prints
// the flags and answers flag.ErrHelp; any other mistake is answered for
// the caller to say (the flag package's own lines are English only).
func (s *speaker) parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(s.stderr)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(s.stderr, s.t(app.MsgCLIFlagsOf, s.name))
		fs.PrintDefaults()
		return err
	}
	if err != nil {
		return err
	}
	if f := fs.Lookup("lang"); f != nil {
		if l := f.Value.String(); !spoken(l) {
			return langError{l}
		}
		// Parsing stops at the first argument that is no flag; a --lang
		// after it was found already, and the default must not undo it.
		if langSet(fs) {
			s.lang = f.Value.String()
		}
	}
	return nil
}

// langSet says whether --lang was among the flags parsed.
func langSet(fs *flag.FlagSet) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "lang" })
	return set
}

// parse parses the flags, saying what is wrong with them; false means
// the command stops there.
func (s *speaker) parse(fs *flag.FlagSet, args []string) bool {
	err := s.parseFlags(fs, args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		s.badFlags(err)
	}
	return err == nil
}

// badFlags says what parseFlags found wrong. A language the desk does not
// speak is refused in both it speaks: the person's is not known.
func (s *speaker) badFlags(err error) {
	var bad langError
	if errors.As(err, &bad) {
		for _, l := range []string{app.English, app.SimplifiedChinese} {
			s.warn(app.MsgCLIBadLang.Textf(l, bad.lang), nil)
		}
		return
	}
	s.warn(app.MsgCLIBadFlags.Text(s.lang), err)
}

// t is a message in the command's language.
func (s *speaker) t(m app.Message, args ...any) string {
	if len(args) == 0 {
		return m.Text(s.lang)
	}
	return m.Textf(s.lang, args...)
}

// say prints a message as a line of standard output.
func (s *speaker) say(m app.Message, args ...any) { fmt.Fprintln(s.stdout, s.t(m, args...)) }

// warn prints a sentence on standard error, and the error behind it.
func (s *speaker) warn(sentence string, err error) {
	fmt.Fprintf(s.stderr, "%s: %s\n", s.name, withDetail(sentence, err))
}

// fail is warn for the command's last word: it answers exit code 2.
func (s *speaker) fail(sentence string, err error) int {
	s.warn(sentence, err)
	return exitError
}

// refuse fails with a message and no error behind it.
func (s *speaker) refuse(m app.Message, args ...any) int { return s.fail(s.t(m, args...), nil) }

// failErr fails with the sentence explain finds for err.
func (s *speaker) failErr(err error) int { return s.fail(explain(err, s.lang), err) }

// withDetail is the one form of every error a command prints: the
// sentence a person reads, then what went wrong in the program's words,
// for the log and for whoever supports the desk.
func withDetail(sentence string, err error) string {
	if err == nil {
		return sentence
	}
	// One line: a joined error's parts go side by side.
	return fmt.Sprintf("%s (detail: %s)", sentence, strings.ReplaceAll(err.Error(), "\n", "; "))
}

// openDesk opens the desk in dir, saying why not.
func (s *speaker) openDesk(ctx context.Context, dir string) (*desk.Desk, error) {
	d, err := desk.Open(ctx, dir)
	if err != nil {
		s.warn(deskSentence(dir, err, s.lang), err)
	}
	return d, err
}

// deskSentence says why the desk in dir did not open.
func deskSentence(dir string, err error, lang string) string {
	if known(err) {
		return explain(err, lang)
	}
	if dir == "" {
		dir = desk.DefaultDir()
	}
	return app.MsgCLIDeskFolder.Textf(lang, dir)
}

// pinError: no PIN line where one was expected.
type pinError struct {
	id  string
	err error
}

func (e *pinError) Error() string { return fmt.Sprintf("reading the PIN of %s: %v", e.id, e.err) }
func (e *pinError) Unwrap() error { return e.err }

// explain is the sentence for an error of the desk, in lang; an error it
// does not know is "the desk could not do this", the detail saying what.
func explain(err error, lang string) string {
	var pin *pinError
	var limit *app.LimitError
	var newer *store.NewerSchemaError
	switch {
	case errors.As(err, &pin):
		return app.MsgCLINoPIN.Textf(lang, pin.id)
	case errors.As(err, &newer) && newer.Version > 0:
		return app.MsgCLIBackupNewerFolder.Textf(lang, newer.Version)
	case errors.Is(err, device.ErrNoService):
		return app.MsgCLINoService.Text(lang)
	case errors.Is(err, device.ErrNoReader):
		return app.MsgNoReader.Text(lang)
	case errors.Is(err, store.ErrNewerSchema):
		return app.MsgCLINewerDatabase.Text(lang)
	case errors.Is(err, store.ErrNotDeskDB):
		return app.MsgCLINotDeskDB.Text(lang)
	case errors.Is(err, store.ErrTampered):
		return app.MsgCLITampered.Text(lang)
	case errors.Is(err, context.Canceled):
		return app.MsgCLIInterrupted.Text(lang)
	case errors.As(err, &limit), errors.Is(err, app.ErrLocked), errors.Is(err, app.ErrWrongPIN), errors.Is(err, app.ErrRole),
		errors.Is(err, app.ErrFirstAdmin), errors.Is(err, app.ErrBadPIN), errors.Is(err, app.ErrNotVoidable), errors.Is(err, app.ErrNoReader):
		return app.Explain(err, lang)
	}
	return app.MsgCLIFailed.Text(lang)
}

// known says whether explain has a sentence of its own for err.
func known(err error) bool { return explain(err, app.English) != app.MsgCLIFailed.Text(app.English) }

// bankSentence words the bank client's errors for a shop owner.
func bankSentence(err error, bankURL, lang string) string {
	var api *desksync.APIError
	var unknownCA x509.UnknownAuthorityError
	if fault, ok := desksync.Unverified(err); ok { // the banner's two lines
		why, todo := app.Banner{Unverified: &fault}.StoppedText(lang)
		if lang == app.SimplifiedChinese {
			return why + "。" + todo
		}
		return why + ". " + todo
	}
	switch {
	case errors.Is(err, context.Canceled):
		return app.MsgCLIInterrupted.Text(lang)
	case errors.Is(err, context.DeadlineExceeded):
		return app.MsgCLIBankTimeout.Textf(lang, bankURL)
	case errors.As(err, &api) && api.Code == "invalid_code":
		return app.MsgCLIBankCode.Text(lang)
	case desksync.Forked(err):
		return app.MsgForwardingForked.Text(lang) + ". " + app.MsgForwardingForkedHelp.Text(lang)
	case desksync.Refused(err):
		return app.MsgCLIBankRefused.Text(lang)
	case errors.Is(err, desksync.ErrWrongMerchant):
		return app.MsgCLIWrongMerchant.Text(lang)
	case desksync.Unavailable(err):
		return app.MsgCLIBankUnreachable.Textf(lang, bankURL)
	case errors.As(err, &unknownCA):
		return app.MsgCLINotTheBank.Textf(lang, bankURL)
	}
	return explain(err, lang)
}

// wallets: "1 wallet", "2 wallets".
func wallets(n int, lang string) string {
	if n == 1 {
		return app.MsgCLIWalletsOne.Text(lang)
	}
	return app.MsgCLIWallets.Textf(lang, n)
}

// stateText is a journal state as a person reads it.
func stateText(state, lang string) string {
	m, ok := map[string]app.Message{
		string(app.StateCaptured): app.MsgStateCaptured, string(app.StateSent): app.MsgStateSent,
		string(app.StatePosted): app.MsgStatePosted, string(app.StateRejected): app.MsgStateRejected,
		string(app.StateDuplicate): app.MsgStateDuplicate, "pending": app.MsgStatePending, "voided": app.MsgStateVoided,
	}[state]
	if !ok {
		return state
	}
	return m.Text(lang)
}

// width is how many columns s takes on a terminal: Chinese characters
// take two.
func width(s string) int {
	n := 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) || (r >= 0x3000 && r <= 0x303F) || (r >= 0xFF00 && r <= 0xFF60) {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// pad fills s with spaces to n columns.
func pad(s string, n int) string {
	if w := width(s); w < n {
		return s + strings.Repeat(" ", n-w)
	}
	return s
}

// padLeft right-aligns s in n columns.
func padLeft(s string, n int) string {
	if w := width(s); w < n {
		return strings.Repeat(" ", n-w) + s
	}
	return s
}
