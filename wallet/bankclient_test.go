package wallet

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lingqian/emv/oda"
	"lingqian/issuance"
	"lingqian/sync/synctest"
)

// scriptedBank is a bank with alice (deposit 1000.00) that issues with the
// tests' issuer.
func scriptedBank(t *testing.T) *synctest.Bank {
	t.Helper()
	bank := synctest.Start(t, synctest.Options{Issuer: testIssuer(t)})
	bank.AddCustomer("alice", "s3cret", 100000)
	return bank
}

// client is a logged-in client that retries at once.
func client(t *testing.T, bank *synctest.Bank) *BankClient {
	t.Helper()
	b, err := NewBankClient(bank.URL, bank.CAPEM())
	if err != nil {
		t.Fatal(err)
	}
	b.Wait = func(int) time.Duration { return time.Millisecond }
	if _, err := b.Login(context.Background(), "alice", "s3cret"); err != nil {
		t.Fatal(err)
	}
	return b
}

// issued is a wallet of 500.00 the scripted bank issued to alice, in a
// file of its own, and the client that applied for it.
func issued(t *testing.T, bank *synctest.Bank) (*BankClient, *Card, string) {
	t.Helper()
	b := client(t, bank)
	path := filepath.Join(t.TempDir(), "w.json")
	c, _, err := b.Apply(context.Background(), path, 50000, CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return b, c, path
}

// spend makes offline purchases of the amounts, as a desk would.
func spend(t *testing.T, c *Card, amounts ...int64) {
	t.Helper()
	for _, a := range amounts {
		d := newDesk(t, c, a)
		d.start()
		if _, s := d.generateAC(0x50); s != swOK {
			t.Fatalf("purchase of %d: %04X", a, s)
		}
	}
}

func TestApply_LoadsTheWalletFromTheDeposit(t *testing.T) {
	// Given alice with 1000.00 on deposit, logged in
	bank := scriptedBank(t)
	b := client(t, bank)
	path := filepath.Join(t.TempDir(), "w.json")

	// When the phone applies for a voucher of 500.00
	c, v, err := b.Apply(context.Background(), path, 50000, CreateOptions{})

	// Then the wallet holds 500.00 under a key the phone made, the deposit
	// is down by as much, and the CA key for desks came along
	if err != nil {
		t.Fatal(err)
	}
	if c.Balance() != 50000 || bank.Deposit("alice") != 50000 {
		t.Errorf("balance %d, deposit left %d", c.Balance(), bank.Deposit("alice"))
	}
	if again, err := Open(path); err != nil || again.PAN() != c.PAN() {
		t.Errorf("reopening: %v", err)
	}
	if keys, err := oda.ParseFile(v.CAPK); err != nil || len(keys) != 1 {
		t.Errorf("CA keys %v, %v", keys, err)
	}
}

func TestApply_RefusalsAreClearErrors(t *testing.T) {
	other := synctest.Start(t, synctest.Options{})
	cases := []struct {
		name     string
		password string
		load     int64
		setup    func(bank *synctest.Bank) (url string, ca []byte)
		wantCode string
		wantErr  error
	}{
		{"wrong password", "guess", 50000, nil, "wrong_password", nil},
		{"more than the deposit", "s3cret", 200000, nil, "insufficient_funds", nil},
		{"the bank is down", "s3cret", 50000, func(bank *synctest.Bank) (string, []byte) {
			bank.Close()
			return bank.URL, bank.CAPEM()
		}, "", ErrBankUnreachable},
		{"a server the pinned CA did not sign", "s3cret", 50000, func(bank *synctest.Bank) (string, []byte) {
			return other.URL, bank.CAPEM()
		}, "", ErrBankCertificate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given alice's bank, as the case has it
			bank := scriptedBank(t)
			url, ca := bank.URL, bank.CAPEM()
			if tc.setup != nil {
				url, ca = tc.setup(bank)
			}
			b, err := NewBankClient(url, ca)
			if err != nil {
				t.Fatal(err)
			}
			b.Wait = func(int) time.Duration { return time.Millisecond }
			path := filepath.Join(t.TempDir(), "w.json")

			// When the phone logs in and applies
			_, err = b.Login(context.Background(), "alice", tc.password)
			if err == nil {
				_, _, err = b.Apply(context.Background(), path, tc.load, CreateOptions{})
			}

			// Then the error says which refusal it is, and no wallet was written
			var be *BankError
			switch {
			case tc.wantCode != "" && (!errors.As(err, &be) || be.Code != tc.wantCode):
				t.Errorf("error %v, want code %s", err, tc.wantCode)
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("error %v, want %v", err, tc.wantErr)
			}
			if _, serr := os.Stat(path); serr == nil {
				t.Error("a wallet file was written")
			}
		})
	}
}

func TestUpload_SendsWhatTheBankDoesNotHaveYet(t *testing.T) {
	// Given a wallet from the bank that spent twice
	bank := scriptedBank(t)
	b, c, path := issued(t, bank)
	spend(t, c, 1250, 300)
	link := &BankLink{Bank: bank.URL}

	// When it uploads
	res, err := b.Upload(context.Background(), c, link)

	// Then both records went and the link file remembers them
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 2 || res.Accepted != 2 || res.Balance != 50000-1550 || res.ATC != c.ATC() {
		t.Errorf("result %+v", res)
	}
	saved, err := ReadLink(path)
	if err != nil || len(saved.AtBank) != 2 || !saved.Has(c.Log()[0].ATC) {
		t.Fatalf("link %+v, %v", saved, err)
	}

	// And when it spends again, with the bank refusing that record, and uploads twice
	spend(t, c, 99)
	refusedATC := c.ATC()
	bank.RejectRecords(func(_ string, atc int) string {
		if atc == int(refusedATC) {
			return "bad_cryptogram"
		}
		return ""
	})
	res, err = b.Upload(context.Background(), c, saved)
	if err != nil || res.Sent != 1 || len(res.Rejected) != 1 || res.Rejected[0].Reason != "bad_cryptogram" {
		t.Fatalf("second upload %+v, %v", res, err)
	}
	res, err = b.Upload(context.Background(), c, saved)

	// Then only the new record went, the refused one is not sent again,
	// and the deducted voucher is uploaded each time
	if err != nil || res.Sent != 0 {
		t.Errorf("third upload %+v, %v", res, err)
	}
	ups := bank.Uploads(c.PAN())
	if len(ups) != 3 || len(ups[1].ATCs) != 1 || len(ups[2].ATCs) != 0 || ups[2].Balance != 50000-1649 {
		t.Errorf("the bank got %+v", ups)
	}
}

func TestUpload_ARetryIsTheSameRequest(t *testing.T) {
	// Given a wallet that spent, and a bank that fails the first attempts
	bank := scriptedBank(t)
	b, c, _ := issued(t, bank)
	spend(t, c, 500, 700)
	bank.Fail("/v1/wallet/uploads", synctest.Fault{Status: 503}, synctest.Fault{Cut: true}, synctest.Fault{Status: 429, RetryAfter: "1"})

	// When it uploads, and later uploads again having lost its link file
	first, err := b.Upload(context.Background(), c, &BankLink{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Upload(context.Background(), c, &BankLink{})
	if err != nil {
		t.Fatal(err)
	}

	// Then every attempt had one key and one body, the bank handled the
	// records once, and the answers agree
	var key string
	var body []byte
	for _, r := range bank.Requests() {
		if r.Path != "/v1/wallet/uploads" {
			continue
		}
		if key == "" {
			key, body = r.Key, r.Body
		}
		if r.Key != key || !bytes.Equal(r.Body, body) {
			t.Errorf("attempt with key %s differs from the first (%s)", r.Key, key)
		}
	}
	if first.Accepted != 2 || again.Accepted != 2 || again.Duplicate != 0 {
		t.Errorf("first %+v, again %+v", first, again)
	}
	if n := len(bank.Uploads(c.PAN())); n != 1 {
		t.Errorf("the bank handled %d uploads", n)
	}
}

func TestUpload_TrimsWhatTheBankHasFromTheLog(t *testing.T) {
	// Given a wallet from the bank that spent thirteen times
	bank := scriptedBank(t)
	b, c, path := issued(t, bank)
	spend(t, c, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113)
	first := c.Log()
	link := &BankLink{Bank: bank.URL}

	// When it uploads
	if res, err := b.Upload(context.Background(), c, link); err != nil || res.Accepted != 13 {
		t.Fatalf("upload %+v, %v", res, err)
	}

	// Then the wallet keeps only the newest records its card log serves,
	// on disk as in memory, and the link names only those
	kept := c.Log()
	if len(kept) != issuance.LogRecords || kept[0].ATC != first[3].ATC || kept[len(kept)-1].ATC != first[12].ATC {
		t.Fatalf("kept %d records from ATC %d", len(kept), kept[0].ATC)
	}
	again, err := Open(path)
	if err != nil || len(again.Log()) != issuance.LogRecords {
		t.Fatalf("reopened: %v", err)
	}
	saved, err := ReadLink(path)
	if err != nil || len(saved.AtBank) != issuance.LogRecords || saved.Has(first[0].ATC) {
		t.Fatalf("link %+v, %v", saved, err)
	}

	// And when it spends once more and uploads, only the new record goes
	spend(t, again, 200)
	res, err := b.Upload(context.Background(), again, saved)
	if err != nil || res.Sent != 1 || res.Accepted != 1 || len(again.Log()) != issuance.LogRecords {
		t.Errorf("second upload %+v, %v, %d records", res, err, len(again.Log()))
	}
}

func TestUpload_NeverWritesAnOlderWalletOverTheOneOnTheReader(t *testing.T) {
	// Given a wallet that spent eleven times, opened by an upload while
	// the phone on the reader, with the same file, spends once more
	bank := scriptedBank(t)
	b, onReader, path := issued(t, bank)
	spend(t, onReader, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111)
	uploading, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	spend(t, onReader, 500)

	// When the upload ends and trims the log
	if _, err := b.Upload(context.Background(), uploading, &BankLink{Bank: bank.URL}); err != nil {
		t.Fatal(err)
	}

	// Then the file still holds the last purchase, its ATC and its balance
	onDisk, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	log := onDisk.Log()
	if onDisk.ATC() != onReader.ATC() || onDisk.Balance() != onReader.Balance() || log[len(log)-1].ATC != onReader.ATC() {
		t.Fatalf("the file says ATC %d balance %d; the phone on the reader has ATC %d balance %d",
			onDisk.ATC(), onDisk.Balance(), onReader.ATC(), onReader.Balance())
	}
	if len(log) != issuance.LogRecords {
		t.Errorf("%d records kept", len(log))
	}
}
