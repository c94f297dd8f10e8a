package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lingqian/desk"
	desksync "lingqian/sync"
)

// enroll makes the desk a terminal of the bank: a key pair made here, a
// certificate from the bank for it, the terminal and merchant ids the
// bank assigns, then the CA public keys and the hotlist.
func enroll(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("enroll", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	bankURL := fs.String("bank", "", "the bank, e.g. https://127.0.0.1:8443 (required)")
	caPath := fs.String("ca", "", "the bank's CA certificate, the only one the desk will trust (required)")
	code := fs.String("code", "", "the one-time enrolment code from the bank (required)")
	force := fs.Bool("force", false, "enrol although the journal holds entries made under the present terminal id")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian enroll: %v\n", err)
		return exitError
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *bankURL == "" || *caPath == "" || strings.TrimSpace(*code) == "" {
		return fail(errors.New("--bank, --ca and --code are all required"))
	}
	caPEM, err := os.ReadFile(*caPath)
	if err != nil {
		return fail(fmt.Errorf("the bank's CA certificate: %w", err))
	}
	if _, err := desksync.DeskTLS(caPEM, nil, nil); err != nil {
		return fail(fmt.Errorf("%s: %w", *caPath, err))
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		return fail(err)
	}
	defer d.Close()
	enr, base, err := d.Enrol(ctx, *bankURL, caPEM, *code, *force)
	if err != nil {
		return fail(explainBank(err, *bankURL))
	}
	kind := ""
	if enr.Teller {
		kind = " (a teller desk)"
	}
	fmt.Fprintf(stdout, "enrolled at %s as terminal %s of merchant %s%s\n", base, enr.TerminalID, enr.MerchantID, kind)

	// The first pull proves the new certificate works.
	client, err := d.BankClient(3)
	if err != nil {
		return fail(err)
	}
	n, kerr := client.RefreshCAKeys(ctx, d.Dir)
	h, herr := client.RefreshHotlist(ctx, d.Dir)
	if err := errors.Join(kerr, herr); err != nil {
		fmt.Fprintf(stderr, "lingqian enroll: enrolled, but %v; `lingqian sync` pulls them again\n", explainBank(err, base))
		return 1
	}
	fmt.Fprintf(stdout, "%d CA public keys in %s; hotlist version %d (%s blocked)\n",
		n, filepath.Join(d.Dir, desksync.CAPKFile), h.Version, plural(len(h.PANs), "wallet"))
	return 0
}
