// Package cli is the lingqian command: the headless subcommands, and the
// window opened on the desk's data folder.
package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"lingqian/app"
	"lingqian/device"
)

// usageLines are the commands and subcommands as the usage lists them.
// What a person types — commands, flags, DIR, FILE, ID — is the same in
// every language; what it does is a message in theirs.
var usageLines = []usageLine{
	{"lingqian [--data DIR] [--capk FILE] [--lang en|zh-Hans] [--theme light|dark|system]", app.MsgCLIUsageWindow},
	{"lingqian charge --amount 12.50 [--reader NAME] [--capk FILE] [--json]", app.MsgCLIUsageCharge},
	{"lingqian void --seq N --by SUPERVISOR --reason TEXT", app.MsgCLIUsageVoid},
	{"lingqian report --x|--z [--number N] [--by SUPERVISOR] [--format text|csv|json|pdf] [--out FILE]", app.MsgCLIUsageReport},
	{"lingqian operator add --id ID --name NAME --role cashier|supervisor|teller|admin [--by ADMIN]", app.MsgCLIUsageOperatorAdd},
	{"lingqian operator list", app.MsgCLIUsageOperatorList},
	{"lingqian operator passwd --id ID [--by ADMIN]", app.MsgCLIUsageOperatorPasswd},
	{"lingqian operator role --id ID --role cashier|supervisor|teller|admin --by ADMIN", app.MsgCLIUsageOperatorRole},
	{"lingqian operator lock|unlock --id ID --by ADMIN", app.MsgCLIUsageOperatorLock},
	{"lingqian journal verify", app.MsgCLIUsageJournal},
	{"lingqian backup --out FILE [--force] [--json]", app.MsgCLIBackupUsageBackup},
	{"lingqian restore --from FILE [--force] [--json]", app.MsgCLIBackupUsageRestore},
	{"lingqian enroll --bank URL --ca CA.pem --code CODE [--force]", app.MsgCLIUsageEnroll},
	{"lingqian sync [--once] [--json]", app.MsgCLIUsageSync},
	{"lingqian readers", app.MsgCLIUsageReaders},
	{"lingqian teller load --amount 100.00 [--reader NAME] --operator ID [--json]", app.MsgCLIUsageTellerLoad},
	{"lingqian teller unload|lookup|statement|hotlist|exceptions|reentry …", app.MsgCLIUsageTellerOther},
	{"lingqian version", app.MsgVersionUsage},
	{"lingqian help", app.MsgCLIUsageHelp},
}

// usageLine is a command as a usage lists it: what is typed is the same
// in every language, what it does is said in the person's.
type usageLine struct {
	cmd   string
	about app.Message
}

// writeUsage lists the lines with what each does from column on, counted
// as a terminal shows them (a Chinese character takes two); a longer
// command has it on the lines below.
func writeUsage(b *strings.Builder, lines []usageLine, column int, lang string) {
	for _, u := range lines {
		line := "  " + u.cmd
		if width(line)+2 > column {
			b.WriteString(line + "\n")
			line = ""
		}
		for _, about := range strings.Split(u.about.Text(lang), "\n") {
			b.WriteString(pad(line, column) + about + "\n")
			line = ""
		}
	}
}

// usageColumn is where what a command does begins; a longer command has
// it on the lines below.
const usageColumn = 45

// usage is the usage text in lang, its columns counted as a terminal
// shows them (a Chinese character takes two).
func usage(lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lingqian — %s\n\n%s\n", app.MsgCLIUsageTitle.Text(lang), app.MsgCLIUsageHeading.Text(lang))
	writeUsage(&b, usageLines, usageColumn, lang)
	b.WriteString("\n" + app.MsgCLIUsageFooter.Text(lang) + "\n")
	return b.String()
}

// helpAsked says whether the window's flags ask for help, as the flag
// package reads -h and -help, before it would parse them.
func helpAsked(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "--h", "-help", "--help":
			return true
		}
	}
	return false
}

// Run runs the command line args and answers the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin != nil {
		// One buffer for the whole command: PINs are read line by line.
		in := &lineInput{Reader: bufio.NewReader(stdin)}
		if f, ok := stdin.(*os.File); ok && isTerminal(f) {
			in.terminal = f
		}
		stdin = in
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "readers":
			return listReaders(ctx, args[1:], stdout, stderr)
		case "charge":
			return charge(ctx, args[1:], stdin, stdout, stderr)
		case "void":
			return void(ctx, args[1:], stdin, stdout, stderr)
		case "report":
			return report(ctx, args[1:], stdin, stdout, stderr)
		case "operator":
			return operator(ctx, args[1:], stdin, stdout, stderr)
		case "journal":
			return journal(ctx, args[1:], stdout, stderr)
		case "backup":
			return backupCmd(ctx, args[1:], stdout, stderr)
		case "restore":
			return restoreCmd(ctx, args[1:], stdout, stderr)
		case "enroll":
			return enroll(ctx, args[1:], stdout, stderr)
		case "sync":
			return syncCmd(ctx, args[1:], stdout, stderr)
		case "teller":
			return teller(ctx, args[1:], stdin, stdout, stderr)
		case "version":
			return versionCmd(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage(langAsked(args[1:])))
			return 0
		}
		lang := langAsked(args[1:])
		fmt.Fprintf(stderr, "lingqian: %s\n\n%s", app.MsgCLIUnknown.Textf(lang, args[0]), usage(lang))
		return exitError
	}
	if versionAsked(args) {
		return versionCmd(args[1:], stdout, stderr)
	}
	if helpAsked(args) {
		fmt.Fprint(stdout, usage(langAsked(args)))
		return 0
	}
	return openWindow(ctx, args, stderr)
}

// listReaders lists the card readers pcscd has: the names scripts read on
// standard output, what went wrong in the person's language.
func listReaders(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian readers", args, stdout, stderr)
	fs := flag.NewFlagSet("readers", flag.ContinueOnError)
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	r := device.NewPCSC()
	defer r.Close()
	names, err := r.Readers(ctx)
	if err != nil {
		return s.failErr(err)
	}
	if len(names) == 0 {
		s.say(app.MsgNoReader)
		return 0
	}
	for _, n := range names {
		fmt.Fprintln(stdout, n)
	}
	return 0
}

// defaultLanguage follows the session's locale as gettext reads it
// (sessionLanguage): Chinese gets Simplified Chinese, anything else English.
func defaultLanguage() string { return sessionLanguage(os.Getenv) }
