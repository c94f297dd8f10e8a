package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lingqian/app"
	desksync "lingqian/sync"
)

// enroll makes the desk a terminal of the bank: a key pair made here, a
// certificate from the bank for it, the terminal and merchant ids the
// bank assigns, then the CA public keys and the hotlist.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian enroll", args, stdout, stderr)
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	bankURL := fs.String("bank", "", "the bank, e.g. https://127.0.0.1:8443 (required)")
	caPath := fs.String("ca", "", "the bank's CA certificate, the only one the desk will trust (required)")
	code := fs.String("code", "", "the one-time enrolment code from the bank (required)")
	force := fs.Bool("force", false, "enrol although the journal holds entries made under the present terminal id")
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	if *bankURL == "" || *caPath == "" || strings.TrimSpace(*code) == "" {
		return s.refuse(app.MsgCLIEnrolRequired)
	}
	caPEM, err := os.ReadFile(*caPath)
	if err != nil {
		return s.fail(s.t(app.MsgCLIEnrolCAUnread, *caPath), err)
	}
	if _, err := desksync.DeskTLS(caPEM, nil, nil); err != nil {
		return s.fail(s.t(app.MsgCLIEnrolCABad, *caPath), err)
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	// Enrol refuses a journal with entries unless forced, before asking
	// the bank; this says so in the person's language.
	held, _ := d.DB.LastSeq(ctx)
	enr, base, err := d.Enrol(ctx, *bankURL, caPEM, *code, *force)
	switch {
	case err != nil && !*force && held == 1 && base == "":
		return s.fail(s.t(app.MsgCLIEnrolHeldOne), err)
	case err != nil && !*force && held > 1 && base == "":
		return s.fail(s.t(app.MsgCLIEnrolJournalHeld, held), err)
	case err != nil:
		return s.fail(bankSentence(err, *bankURL, s.lang), err)
	}
	kind := ""
	if enr.Teller {
		kind = s.t(app.MsgCLIEnrolTeller)
	}
	s.say(app.MsgCLIEnrolDone, base, enr.TerminalID, enr.MerchantID, kind)

	// The first pull proves the new certificate works.
	client, err := d.BankClient(3)
	if err != nil {
		return s.failErr(err)
	}
	n, kerr := client.RefreshCAKeys(ctx, d.Dir)
	h, herr := client.RefreshHotlist(ctx, d.Dir)
	if err := errors.Join(kerr, herr); err != nil {
		s.warn(s.t(app.MsgCLIEnrolPullFailed, bankSentence(err, base, s.lang)), err)
		return 1
	}
	s.say(app.MsgCLIEnrolKeys, n, filepath.Join(d.Dir, desksync.CAPKFile), h.Version, wallets(len(h.PANs), s.lang))
	return 0
}
