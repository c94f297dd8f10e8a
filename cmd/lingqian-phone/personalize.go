package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"lingqian/issuance"
	"lingqian/wallet"
)

// personalize makes a wallet from a local test issuer, for tests and demos
// without a bank: the issuer is created in its directory once and reused,
// and its CA public key is written next to it for the desk's --capk.
func personalize(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("personalize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("issuer", "", "the test issuer's directory: created on first use, reused after (required)")
	path := fs.String("wallet", "", "the wallet file to write (required)")
	balance := fs.Int64("balance", 0, "initial e-cash balance in minor units (fen): 50000 is 500.00")
	pan := fs.String("pan", "", "the PAN; default: a fresh one under the issuer's BIN")
	psn := fs.String("psn", "00", "the PAN sequence number, two digits")
	single := fs.Int64("single-limit", issuance.DefaultSingleLimit, "EC single transaction limit (9F78), minor units")
	reset := fs.Int64("reset-threshold", 0, "EC reset threshold (9F6D), minor units")
	currency := fs.String("currency", issuance.DefaultCurrency, "application currency, ISO 4217 numeric")
	effective := fs.String("effective", "", "application effective date YYYY-MM-DD (default: yesterday, so any desk takes it at once)")
	expiry := fs.String("expiry", "", "application expiry date YYYY-MM-DD (default: end of the month, five years on)")
	keyBits := fs.Int("key-bits", wallet.DefaultKeyBits, "the phone's ICC RSA key size")
	force := fs.Bool("force", false, "replace an existing wallet file (its balance and log are lost)")
	bin := fs.String("bin", "", "issuer BIN, when the issuer is created (default "+issuance.DefaultBIN+")")
	certExpiry := fs.String("cert-expiry", "", "test knob: the ICC certificate expires in this month, YYYY-MM")
	certPAN := fs.String("cert-pan", "", "test knob: the ICC certificate names this PAN instead")
	issuerCertExpiry := fs.String("issuer-cert-expiry", "", "test knob: this wallet's issuer certificate expires in this month, YYYY-MM")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian-phone personalize: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *dir == "" || *path == "" {
		return fail(errors.New("--issuer DIR and --wallet FILE are both required"))
	}
	req := issuance.Request{PAN: *pan, PSN: *psn, Balance: *balance, SingleLimit: *single,
		ResetThreshold: *reset, Currency: *currency, CertPAN: *certPAN}
	if *single <= 0 {
		return fail(fmt.Errorf("--single-limit %d: must be positive", *single))
	}
	for _, d := range []struct {
		flag, value string
		dst         *time.Time
	}{
		{"effective", *effective, &req.Effective}, {"expiry", *expiry, &req.Expiry}, {"cert-expiry", *certExpiry, &req.CertExpiry},
	} {
		if d.value == "" {
			continue
		}
		t, err := parseDate(d.value)
		if err != nil {
			return fail(fmt.Errorf("--%s: %w", d.flag, err))
		}
		*d.dst = t
	}

	iss, created, err := issuance.OpenOrCreate(*dir, issuance.Options{BIN: *bin})
	if err != nil {
		return fail(err)
	}
	if !created && *bin != "" && *bin != iss.BIN() {
		return fail(fmt.Errorf("the issuer in %s has BIN %s; --bin %s only applies when it is created", *dir, iss.BIN(), *bin))
	}
	certifier := iss
	if *issuerCertExpiry != "" {
		t, err := parseDate(*issuerCertExpiry)
		if err != nil {
			return fail(fmt.Errorf("--issuer-cert-expiry: %w", err))
		}
		if certifier, err = iss.WithIssuerCertExpiry(t); err != nil {
			return fail(err)
		}
	}
	c, err := wallet.Create(*path, wallet.CreateOptions{KeyBits: *keyBits, Overwrite: *force}, wallet.LocalIssuer(certifier, req))
	if errors.Is(err, wallet.ErrExists) {
		return fail(fmt.Errorf("%s already holds a wallet; add --force to replace it (its balance and log are lost)", *path))
	}
	if err != nil {
		return fail(err)
	}
	capk := filepath.Join(*dir, issuance.CAPKFile)
	if err := iss.WriteCAPKFile(capk); err != nil {
		return fail(err)
	}
	k := iss.CAPK()
	if created {
		fmt.Fprintf(stdout, "issuer created in %s (BIN %s, CA key %X/%02X)\n", *dir, iss.BIN(), k.RID, k.Index)
	} else {
		fmt.Fprintf(stdout, "issuer in %s reused (BIN %s, CA key %X/%02X)\n", *dir, iss.BIN(), k.RID, k.Index)
	}
	p := c.Personalisation()
	fmt.Fprintf(stdout, "wallet %s: PAN %s, PSN %s, balance %s, expires %s\n", *path, c.PAN(), c.PSN(), money(c.Balance(), c.Currency()), p.Expiry)
	fmt.Fprintf(stdout, "CA public key for the desk: --capk %s\n", capk)
	return 0
}

// parseDate takes YYYY-MM-DD, or YYYY-MM for a month.
func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, "2006-01"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q: want YYYY-MM-DD or YYYY-MM", s)
}

// money shows minor units as the currency's major units: 48750 → "487.50 CNY".
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	name := map[string]string{"156": "CNY", "344": "HKD", "446": "MOP", "840": "USD", "978": "EUR"}[currency]
	if name == "" {
		name = "currency " + currency
	}
	return sign + strconv.FormatInt(minor/100, 10) + "." + fmt.Sprintf("%02d", minor%100) + " " + name
}
