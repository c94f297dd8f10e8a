package wallet

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

// FuzzBankAnswersToPhone serves the phone, over HTTPS on loopback,
// whatever a hostile or broken bank might answer to a login, a voucher
// request and an upload. Each answer is refused with an error or taken,
// never a panic: a session taken has a token, a voucher taken makes a
// wallet only when it certifies the phone's own key and validates, an
// upload taken leaves a link file and a wallet file that read back.
func FuzzBankAnswersToPhone(f *testing.F) {
	var mu sync.Mutex
	var answer []byte
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		b := answer
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	f.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	b, err := NewBankClient(srv.URL, ca)
	if err != nil {
		f.Fatal(err)
	}
	b.Attempts = 1

	// A wallet with purchases to upload, and the answers a bank gives.
	c := newWallet(f, issuance.Request{Balance: 50000})
	for _, amount := range []int64{100, 200} {
		d := newDesk(f, c, amount)
		d.start()
		if _, s := d.generateAC(0x50); s != swOK {
			f.Fatalf("purchase: %04X", s)
		}
	}
	key, err := oda.GenerateKey(DefaultKeyBits, 3)
	if err != nil {
		f.Fatal(err)
	}
	perso, err := testIssuer(f).Issue(issuance.Request{ICCKey: key.Public(), Balance: 100})
	if err != nil {
		f.Fatal(err)
	}
	voucher, _ := json.Marshal(Voucher{Personalisation: *perso, CAPK: json.RawMessage(`{"keys":[]}`)})
	f.Add(uint8(0), []byte(`{"token":"t0k","expires":"2026-03-14T15:09:26Z"}`))
	f.Add(uint8(0), []byte(`{"token":""}`))
	f.Add(uint8(1), voucher)
	f.Add(uint8(1), []byte(`{"personalisation":{"pan":"6231990000000019"},"capk":null}`))
	f.Add(uint8(2), []byte(`{"accepted":2,"duplicate":0,"rejected":[]}`))
	f.Add(uint8(2), []byte(`{"accepted":-5,"duplicate":9,"rejected":[{"atc":65535,"reason":"\u202e"},{"atc":1}]}`))
	f.Add(uint8(2), []byte(`{"accepted":1} {"accepted":2}`))

	ctx := context.Background()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		mu.Lock()
		answer = body
		mu.Unlock()
		switch which % 3 {
		case 0:
			s, err := b.Login(ctx, "alice", "s3cret")
			if err == nil && s.Token == "" {
				t.Fatal("a session without a token taken")
			}
		case 1:
			p, err := b.Certify(ctx, 100, nil)(key.Public())
			if err != nil {
				return
			}
			// Create's next step: the wallet is made only of a whole
			// personalisation for this phone's key
			card, err := newCard(filepath.Join(dir, "new.json"), state{Format: stateFormat, Perso: *p, Key: key, Balance: p.Balance})
			if err == nil && string(card.PublicKey().Modulus) != string(key.Public().Modulus) {
				t.Fatal("a wallet made for another key")
			}
		case 2:
			link := &BankLink{Bank: srv.URL, CA: "ca.pem", AtBank: []uint16{}}
			res, err := b.Upload(ctx, c, link)
			if err != nil {
				return
			}
			if res.Sent != len(c.Log()) {
				t.Fatalf("%d records sent of %d", res.Sent, len(c.Log()))
			}
			if _, err := ReadLink(c.Path()); err != nil {
				t.Fatalf("the link saved does not read: %v", err)
			}
			if _, err := Open(c.Path()); err != nil {
				t.Fatalf("the wallet after the upload does not open: %v", err)
			}
		}
	})
}
