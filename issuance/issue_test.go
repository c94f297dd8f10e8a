package issuance

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/emv/issuer"
	"lingqian/emv/oda"
	"lingqian/emv/tlv"
)

func TestIssue_DefaultLayoutVerifiesAsADeskChecksIt(t *testing.T) {
	// Given the issuer and a phone's ICC key
	iss, icc := testIssuer(t)
	at := time.Now()

	// When a card is issued with the defaults
	p, err := iss.Issue(Request{ICCKey: icc.Public(), Balance: 50000})
	if err != nil {
		t.Fatal(err)
	}

	// Then its PAN is a fresh Luhn-valid one under the BIN
	if !strings.HasPrefix(p.PAN, DefaultBIN) || len(p.PAN) != 16 || !Luhn(p.PAN) {
		t.Errorf("PAN %s", p.PAN)
	}
	// And the AFL and records are those of docs/protocol.md
	if want := []byte{0x08, 1, 1, 0, 0x10, 1, 2, 2, 0x18, 1, 2, 0}; !bytes.Equal(p.AFL, want) {
		t.Errorf("AFL % X, want % X", p.AFL, want)
	}
	// And the certificate chain verifies as a desk checks it
	ic, cc, d := verifyChain(t, iss, p)
	if err := ic.Check(d[0x5A], at); err != nil {
		t.Errorf("issuer certificate: %v", err)
	}
	if err := cc.Check(d[0x5A], at); err != nil {
		t.Errorf("ICC certificate: %v", err)
	}
	if !cc.Key.Equal(icc.Public()) {
		t.Error("the ICC certificate carries another key")
	}
	static, _ := deskView(t, p)
	if !bytes.Equal(static, p.StaticData) {
		t.Error("the static data a desk rebuilds differs from what was signed")
	}
	// And the data objects hold the request
	for tag, want := range map[tlv.Tag][]byte{
		0x5A: PackPAN(p.PAN), 0x5F34: {0x00}, 0x9F51: {0x01, 0x56}, 0x8F: {0xC1},
		0x9F78: {0, 0, 0, 0x10, 0, 0}, 0x9F4A: {0x82}, 0x8C: DefaultCDOL1, 0x8D: DefaultCDOL2,
	} {
		if !bytes.Equal(d[tag], want) {
			t.Errorf("%s = % X, want % X", tag, d[tag], want)
		}
	}
	// And the master keys are option A derivations of the issuer's
	mkAC, err := issuer.DeriveICCMasterKey(iss.imkAC, p.PAN, "00")
	if err != nil || !bytes.Equal(mkAC, p.MKAC) {
		t.Errorf("MK-AC % X, want % X (%v)", p.MKAC, mkAC, err)
	}
	mkSMI, err := issuer.DeriveICCMasterKey(iss.imkSMI, p.PAN, "00")
	if err != nil || !bytes.Equal(mkSMI, p.MKSMI) {
		t.Errorf("MK-SMI % X, want % X (%v)", p.MKSMI, mkSMI, err)
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
}

func TestIssue_AnswersToSelect(t *testing.T) {
	iss, icc := testIssuer(t)
	p, err := iss.Issue(Request{ICCKey: icc.Public()})
	if err != nil {
		t.Fatal(err)
	}
	// SELECT PPSE: 6F [84, A5 [BF0C [61 [4F, 50, 87]]]]
	objs, err := tlv.Parse(p.PPSE)
	if err != nil {
		t.Fatal(err)
	}
	if got := tlv.Value(objs, 0x4F); !bytes.Equal(got, AID) {
		t.Errorf("PPSE AID % X", got)
	}
	if got := tlv.Value(objs, 0x84); string(got) != "2PAY.SYS.DDF01" {
		t.Errorf("PPSE name %q", got)
	}
	// SELECT AID: 6F [84, A5 [50, 87, 9F38, 5F2D, BF0C [9F4D]]]
	objs, err = tlv.Parse(p.FCI)
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[tlv.Tag][]byte{
		0x84: AID, 0x50: []byte("LINGQIAN"), 0x87: {1}, 0x9F38: DefaultPDOL,
		0x5F2D: []byte("zhen"), 0x9F4D: {0x0B, 0x0A},
	} {
		if got := tlv.Value(objs, tag); !bytes.Equal(got, want) {
			t.Errorf("FCI %s = % X, want % X", tag, got, want)
		}
	}
}

func TestIssue_TestKnobsMakeCardsADeskMustDecline(t *testing.T) {
	iss, icc := testIssuer(t)
	now := time.Now()
	lastYear := now.AddDate(-1, 0, 0)
	expiredIssuer, err := iss.WithIssuerCertExpiry(lastYear)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		iss     *Issuer
		req     Request
		wantErr error
		issuer  bool // the issuer certificate fails, not the ICC one
	}{
		{"ICC certificate expired", iss, Request{CertExpiry: lastYear}, oda.ErrCertExpired, false},
		{"ICC certificate for another PAN", iss, Request{CertPAN: "6231990000000019"}, oda.ErrPANMismatch, false},
		{"issuer certificate expired", expiredIssuer, Request{}, oda.ErrCertExpired, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a card issued with the knob
			tc.req.ICCKey = icc.Public()
			tc.req.PAN = "6231991234567897"
			p, err := tc.iss.Issue(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			// When a desk checks its certificates today
			ic, cc, d := verifyChain(t, tc.iss, p)
			issuerErr, iccErr := ic.Check(d[0x5A], now), cc.Check(d[0x5A], now)
			// Then exactly the certificate the knob broke fails, as it should
			got, other := iccErr, issuerErr
			if tc.issuer {
				got, other = issuerErr, iccErr
			}
			if !errors.Is(got, tc.wantErr) {
				t.Errorf("got %v, want %v", got, tc.wantErr)
			}
			if other != nil {
				t.Errorf("the other certificate fails too: %v", other)
			}
		})
	}
}

func TestIssue_RefusesBadRequests(t *testing.T) {
	iss, icc := testIssuer(t)
	big, err := oda.GenerateKey(1160, 3)
	if err != nil {
		t.Fatal(err)
	}
	good := Request{ICCKey: icc.Public()}
	with := func(f func(r *Request)) Request { r := good; f(&r); return r }
	cases := []struct {
		name string
		req  Request
		want string
	}{
		{"no key", Request{}, "ICC key"},
		{"key longer than the issuer's", with(func(r *Request) { r.ICCKey = big.Public() }), "does not fit"},
		{"PAN fails Luhn", with(func(r *Request) { r.PAN = "6231991234567890" }), "Luhn"},
		{"PAN outside the BIN", with(func(r *Request) { r.PAN = "4111111111111111" }), "not under"},
		{"PAN not digits", with(func(r *Request) { r.PAN = "62319912345678x7" }), "12 to 19 digits"},
		{"PSN", with(func(r *Request) { r.PSN = "1" }), "PSN"},
		{"negative balance", with(func(r *Request) { r.Balance = -1 }), "balance"},
		{"balance too large", with(func(r *Request) { r.Balance = MaxAmount + 1 }), "balance"},
		{"currency", with(func(r *Request) { r.Currency = "CNY" }), "currency"},
		{"expiry before effective", with(func(r *Request) {
			r.Effective = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			r.Expiry = time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC)
		}), "before it is effective"},
		{"expiry past 2049", with(func(r *Request) { r.Expiry = time.Date(2051, 1, 1, 0, 0, 0, 0, time.UTC) }), "2049"},
		{"bad profile", with(func(r *Request) { r.Profile.CDOL1 = []byte{0x9F, 0x02, 0x06} }), "CDOL1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := iss.Issue(tc.req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	// A PAN outside the BIN is a test knob away
	if _, err := iss.Issue(with(func(r *Request) { r.PAN = "4111111111111111"; r.ForeignPAN = true })); err != nil {
		t.Errorf("foreign PAN with the knob: %v", err)
	}
}
