package emv_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
	"lingqian/wallet"
)

// today is the date every purchase in these tests is made on.
var today = time.Date(2026, 11, 25, 14, 30, 0, 0, time.Local)

// One issuer for the whole test binary: its keys take a while to make.
var testIssuer = sync.OnceValues(func() (*issuance.Issuer, error) {
	return issuance.New(issuance.Options{})
})

func issuerFor(t testing.TB) *issuance.Issuer {
	t.Helper()
	iss, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// newWallet issues a phone wallet with the test issuer.
func newWallet(t testing.TB, iss *issuance.Issuer, req issuance.Request) *wallet.Card {
	t.Helper()
	if req.Balance == 0 {
		req.Balance = 50000
	}
	if req.Effective.IsZero() {
		req.Effective = today.AddDate(-1, 0, 0)
	}
	w, err := wallet.Create(filepath.Join(t.TempDir(), "wallet.json"), wallet.CreateOptions{},
		wallet.LocalIssuer(iss, req))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newKernel is a desk that trusts the issuer's CA key.
func newKernel(t testing.TB, iss *issuance.Issuer, change ...func(*emv.Terminal)) *emv.Kernel {
	t.Helper()
	store := oda.NewStore()
	if iss != nil {
		if err := store.Add(iss.CAPK()); err != nil {
			t.Fatal(err)
		}
	}
	term := emv.DefaultTerminal()
	term.Keys = store
	term.TerminalID, term.MerchantID, term.MerchantName = "DESK0001", "M001           ", "Lingqian test shop"
	for _, c := range change {
		c(&term)
	}
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// tap presents app on a loopback reader and runs one purchase.
func tap(t testing.TB, k *emv.Kernel, app device.Application, leave device.Leave, p emv.Purchase) emv.Outcome {
	t.Helper()
	r := device.NewLoopback("Loopback 00 00")
	r.Tap(app, leave)
	card, err := r.Connect(context.Background(), "Loopback 00 00")
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	if p.At.IsZero() {
		p.At = today
	}
	return k.Run(context.Background(), card, p)
}

// tamper changes what passes between desk and card, as an attacker in the
// middle (or a broken card) would.
type tamper struct {
	device.Application
	command  func(cmd []byte) []byte
	response func(cmd, resp []byte) []byte
}

func (c tamper) Process(cmd []byte) []byte {
	if c.command != nil {
		cmd = c.command(append([]byte(nil), cmd...))
	}
	resp := c.Application.Process(cmd)
	if c.response != nil {
		resp = c.response(cmd, append([]byte(nil), resp...))
	}
	return resp
}

// flipInside flips the last byte of the value of tag inside a response
// that holds it, leaving everything else as it was.
func flipInside(tag tlv.Tag) func(cmd, resp []byte) []byte {
	return func(_ []byte, resp []byte) []byte {
		objs, err := tlv.Parse(resp[:len(resp)-2])
		if err != nil {
			return resp
		}
		if o := tlv.Find(objs, tag); o != nil && len(o.Value) > 0 {
			i := bytes.Index(resp, o.Raw) + len(o.Raw) - 1
			resp[i] ^= 0x01
		}
		return resp
	}
}

// replaceValue sets the value of tag (same length) wherever it appears.
func replaceValue(tag tlv.Tag, value []byte) func(cmd, resp []byte) []byte {
	return func(_ []byte, resp []byte) []byte {
		objs, err := tlv.Parse(resp[:len(resp)-2])
		if err != nil {
			return resp
		}
		if o := tlv.Find(objs, tag); o != nil && len(o.Value) == len(value) {
			i := bytes.Index(resp, o.Raw) + len(o.Raw) - len(value)
			copy(resp[i:], value)
		}
		return resp
	}
}

func isINS(cmd []byte, ins byte) bool { return len(cmd) > 1 && cmd[1] == ins }

func onlyINS(ins byte, f func(cmd, resp []byte) []byte) func(cmd, resp []byte) []byte {
	return func(cmd, resp []byte) []byte {
		if isINS(cmd, ins) {
			return f(cmd, resp)
		}
		return resp
	}
}

// h reads hex with spaces.
func h(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func h2tags(tags ...tlv.Tag) []tlv.Tag { return tags }
