package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lingqian/issuance"
	"lingqian/sync/synctest"
	"lingqian/wallet"
)

var (
	issOnce sync.Once
	iss     *issuance.Issuer
	issErr  error
)

// bankWithAlice is a scripted bank with alice (1000.00 on deposit), its CA
// written to a file.
func bankWithAlice(t *testing.T) (bank *synctest.Bank, caPath string) {
	t.Helper()
	issOnce.Do(func() { iss, issErr = issuance.New(issuance.Options{}) })
	if issErr != nil {
		t.Fatal(issErr)
	}
	bank = synctest.Start(t, synctest.Options{Issuer: iss})
	bank.AddCustomer("alice", "s3cret", 100000)
	return bank, bank.WriteCA(t, t.TempDir())
}

func phone(args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = run(context.Background(), args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestApplyThenUpload_NeedsOnlyTheWalletTheSecondTime(t *testing.T) {
	// Given alice at the bank
	bank, ca := bankWithAlice(t)
	w := filepath.Join(t.TempDir(), "W.json")

	// When the phone applies for 500.00
	code, out, errs := phone("apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "50000")

	// Then the wallet holds it, and the bank and CA are kept beside it
	if code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "balance 500.00 CNY") {
		t.Errorf("apply said %q", out)
	}
	link, err := wallet.ReadLink(w)
	if err != nil || link.Bank != bank.URL || link.CA != ca || link.Token == "" {
		t.Fatalf("link %+v, %v", link, err)
	}
	if st, err := os.Stat(wallet.LinkPath(w)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("link file mode: %v %v", st.Mode(), err)
	}

	// And when it uploads with the wallet alone
	code, out, errs = phone("upload", "--wallet", w, "--json")

	// Then the bank got the voucher's balance and ATC
	if code != 0 {
		t.Fatalf("upload: exit %d: %s", code, errs)
	}
	var res wallet.UploadResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Balance != 50000 {
		t.Errorf("upload printed %q (%v)", out, err)
	}
	c, err := wallet.Open(w)
	if err != nil {
		t.Fatal(err)
	}
	if ups := bank.Uploads(c.PAN()); len(ups) != 1 || ups[0].Balance != 50000 {
		t.Errorf("the bank got %+v", ups)
	}
}

func TestApplyAndUpload_ClearErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, bank *synctest.Bank, ca, w string) []string
		want  string
	}{
		{"wrong password", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			return []string{"apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "guess", "--load", "50000"}
		}, "the bank did not accept the password for alice"},
		{"insufficient funds", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			return []string{"apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "150000"}
		}, "alice's deposit account does not hold 1500.00 CNY for this load"},
		{"bank unreachable", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			bank.Close()
			return []string{"apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "50000"}
		}, "cannot be reached; check it is running and try again"},
		{"not the bank the CA vouches for", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			other := synctest.Start(t, synctest.Options{})
			return []string{"apply", "--wallet", w, "--bank", other.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "50000"}
		}, "is not the bank: its certificate is not signed by the CA in"},
		{"a wallet already there", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			if err := os.WriteFile(w, []byte("{}"), 0o600); err != nil {
				t.Fatal(err)
			}
			return []string{"apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "50000"}
		}, "already holds a wallet; add --force"},
		{"upload after the session ended", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			if code, _, errs := phone("apply", "--wallet", w, "--bank", bank.URL, "--ca", ca, "--user", "alice", "--password", "s3cret", "--load", "100"); code != 0 {
				t.Fatal(errs)
			}
			link, _ := wallet.ReadLink(w)
			link.Expires = time.Now().Add(-time.Minute)
			if err := link.Save(w); err != nil {
				t.Fatal(err)
			}
			return []string{"upload", "--wallet", w}
		}, "the bank session has ended; run upload again with --user and --password"},
		{"upload of a wallet that never saw a bank", func(t *testing.T, bank *synctest.Bank, ca, w string) []string {
			if code, _, errs := phone("personalize", "--issuer", t.TempDir(), "--wallet", w, "--balance", "100"); code != 0 {
				t.Fatal(errs)
			}
			return []string{"upload", "--wallet", w}
		}, "did not come from a bank"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given alice's bank, set up as the case says
			bank, ca := bankWithAlice(t)
			w := filepath.Join(t.TempDir(), "W.json")
			args := tc.setup(t, bank, ca, w)

			// When the phone runs the command
			code, _, errs := phone(args...)

			t.Logf("%s", errs)
			// Then it fails with exit 2 and a sentence saying why
			if code != 2 || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want it to say %q", code, errs, tc.want)
			}
			if bank.Deposit("alice") != 100000 && tc.name != "upload after the session ended" {
				t.Errorf("deposit is %d: money moved on a refusal", bank.Deposit("alice"))
			}
		})
	}
}
