package wallet

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
)

// inProcess hands the kernel's commands to the card application, as the
// reader and vpcd do, and can tear the tap at one command.
type inProcess struct {
	app    CardApplication
	sent   int
	tearAt int // this command runs on the card but its answer is lost
}

var errTorn = errors.New("the phone left the field")

func (p *inProcess) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	p.sent++
	r := p.app.Process(cmd)
	if p.sent == p.tearAt {
		return nil, errTorn
	}
	return r, nil
}

func deskKernel(t *testing.T, iss *issuance.Issuer) *emv.Kernel {
	t.Helper()
	keys := oda.NewStore()
	if err := keys.Add(iss.CAPK()); err != nil {
		t.Fatal(err)
	}
	term := emv.DefaultTerminal()
	term.Keys = keys
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The desk's own kernel is the judge the wallet has to satisfy.
func TestKernel_ApprovesAndDeclinesAsTheCardsDeserve(t *testing.T) {
	iss := testIssuer(t)
	expiredIssuer, err := iss.WithIssuerCertExpiry(time.Now().AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		iss    *issuance.Issuer
		req    issuance.Request
		amount int64
		want   emv.Result
		code   string
	}{
		{"default layout", iss, issuance.Request{Balance: 50000}, 1250, emv.Approved, "approved"},
		{"other layout", iss, issuance.Request{Balance: 50000, Profile: otherLayout()}, 1250, emv.Approved, "approved"},
		{"over the balance", iss, issuance.Request{Balance: 1000}, 1250, emv.Declined, "insufficient_balance"},
		{"ICC certificate expired", iss, issuance.Request{Balance: 50000, CertExpiry: time.Now().AddDate(0, -2, 0)}, 1250, emv.Declined, "cda_failed"},
		{"ICC certificate of another PAN", iss, issuance.Request{Balance: 50000, CertPAN: "6231990000000018"}, 1250, emv.Declined, "cda_failed"},
		{"issuer certificate expired", expiredIssuer, issuance.Request{Balance: 50000}, 1250, emv.Declined, "cda_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet issued as the case says
			c, err := Create(t.TempDir()+"/w.json", CreateOptions{}, LocalIssuer(tc.iss, tc.req))
			if err != nil {
				t.Fatal(err)
			}
			// When the desk's kernel runs a purchase against it
			out := deskKernel(t, iss).Run(context.Background(), &inProcess{app: c}, emv.Purchase{Amount: tc.amount, At: time.Now()})
			// Then it ends as it should, and the wallet agrees about the money
			if out.Result != tc.want || out.Reason.Code != tc.code {
				t.Fatalf("%v %s: %s", out.Result, out.Reason.Code, out.Reason.Detail)
			}
			spent := int64(0)
			if tc.want == emv.Approved {
				spent = tc.amount
				if out.ATC != c.ATC() || !bytes.Equal(out.AC, c.Log()[0].AC) || out.PAN != c.PAN() {
					t.Errorf("desk saw ATC %d AC % X PAN %s; wallet has %d % X %s", out.ATC, out.AC, out.PAN, c.ATC(), c.Log()[0].AC, c.PAN())
				}
			}
			if c.Balance() != tc.req.Balance-spent {
				t.Errorf("balance %d", c.Balance())
			}
		})
	}
}

func TestKernel_TornTapIsRecoveredNotChargedTwice(t *testing.T) {
	// Given a purchase whose GENERATE AC answer was lost as the phone left
	iss := testIssuer(t)
	c := newWallet(t, issuance.Request{Balance: 50000})
	k := deskKernel(t, iss)
	probe := k.Run(context.Background(), &inProcess{app: newWallet(t, issuance.Request{Balance: 50000})}, emv.Purchase{Amount: 1250, At: time.Now()})
	// The last command of a purchase is GENERATE AC: tear there.
	torn := k.Run(context.Background(), &inProcess{app: c, tearAt: probe.Commands}, emv.Purchase{Amount: 1250, At: time.Now()})
	if torn.Result != emv.Torn || torn.Tear == nil {
		t.Fatalf("%v %s: %s", torn.Result, torn.Reason.Code, torn.Reason.Detail)
	}
	if c.Balance() != 48750 {
		t.Fatalf("the wallet did not take the money before the tear: %d", c.Balance())
	}

	// When the same phone, reopened, is tapped again for the same sale
	again, err := Open(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	out := k.Run(context.Background(), &inProcess{app: again}, emv.Purchase{Amount: 1250, At: time.Now(), Recover: []emv.TornTap{*torn.Tear}})

	// Then the desk learns the purchase went through, and it is charged once
	if out.Result != emv.Approved || out.Recovered == nil {
		t.Fatalf("%v %s: %s", out.Result, out.Reason.Code, out.Reason.Detail)
	}
	if again.Balance() != 48750 || len(again.Log()) != 1 {
		t.Errorf("balance %d, %d log entries", again.Balance(), len(again.Log()))
	}
}
