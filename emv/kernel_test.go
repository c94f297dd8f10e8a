package emv_test

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/tlv"
	"lingqian/internal/pcsctest"
	"lingqian/issuance"
	"lingqian/wallet"
)

func TestKernel_ApprovesAPurchaseOffline(t *testing.T) {
	// Given a wallet with 500.00 and a desk that trusts its issuer
	iss := issuerFor(t)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})
	k := newKernel(t, iss)

	// When the customer pays 12.50
	out := tap(t, k, w, device.Leave{}, emv.Purchase{Amount: 1250})

	// Then it is approved offline with a clean TVR, and the wallet paid
	if out.Result != emv.Approved {
		t.Fatalf("outcome %v: %+v", out.Result, out.Reason)
	}
	if out.TVR != (emv.TVR{}) {
		t.Errorf("TVR %s, want 0000000000", out.TVR)
	}
	if out.CID != 0x40 || len(out.AC) != 8 {
		t.Errorf("CID %02X AC %X", out.CID, out.AC)
	}
	if got := w.Balance(); got != 50000-1250 {
		t.Errorf("wallet balance %d, want %d", got, 50000-1250)
	}
	if out.PAN != w.PAN() || out.ATC != w.ATC() || out.Amount != 1250 || out.Currency != "156" {
		t.Errorf("detail message %+v does not match the wallet (PAN %s ATC %d)", out, w.PAN(), w.ATC())
	}

	// And the journal's data is enough for the issuer to recompute the TC
	mkAC, _, err := iss.MasterKeys(out.PAN, out.PSN)
	if err != nil {
		t.Fatal(err)
	}
	objs, _ := tlv.Parse(out.GenACResponse)
	cvr, err := issuance.ParseIAD(tlv.Value(objs, 0x9F10))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := issuance.ComputeAC(mkAC, out.ATC, issuance.ACData(out.CDOL1Data, []byte{0x2D, 0x00}, out.ATC, cvr))
	if err != nil || !bytes.Equal(ac, out.AC) {
		t.Errorf("issuer's AC %X (%v), desk's %X", ac, err, out.AC)
	}
}

func TestKernel_Declines(t *testing.T) {
	iss := issuerFor(t)
	lastMonth := today.AddDate(0, -1, 0)
	otherPAN := "6231990000000027"
	expiredIssuer, err := iss.WithIssuerCertExpiry(lastMonth)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		issuer  *issuance.Issuer
		req     issuance.Request
		wrap    func(device.Application) device.Application
		desk    func(*emv.Terminal)
		trusted *issuance.Issuer // whose CA key the desk has; nil: the issuer's
		amount  int64
		code    string
		detail  string   // what the log is told, in part
		bit     *emv.TVR // the TVR bits that must be set
		// charged: the card got as far as a TC (the desk refuses it, and
		// keeps the tap as torn).
		charged bool
	}{
		{name: "altered SDAD", code: "answer_unverified", detail: "signed dynamic application data", bit: tvr(emv.TVRCDAFailed), charged: true,
			wrap: func(a device.Application) device.Application {
				return tamper{Application: a, response: onlyINS(0xAE, flipInside(0x9F4B))}
			}},
		{name: "altered issuer certificate", code: "cda_failed", detail: "issuer public key certificate: trailer", bit: tvr(emv.TVRCDAFailed),
			wrap: func(a device.Application) device.Application {
				return tamper{Application: a, response: onlyINS(0xB2, flipInside(0x90))}
			}},
		{name: "altered ICC certificate", code: "cda_failed", detail: "ICC public key certificate: trailer", bit: tvr(emv.TVRCDAFailed),
			wrap: func(a device.Application) device.Application {
				return tamper{Application: a, response: onlyINS(0xB2, flipInside(0x9F46))}
			}},
		{name: "PAN other than the certificate's", req: issuance.Request{CertPAN: otherPAN},
			code: "cda_failed", detail: "PAN mismatch", bit: tvr(emv.TVRCDAFailed)},
		{name: "expired ICC certificate", req: issuance.Request{CertExpiry: lastMonth},
			code: "cda_failed", detail: "ICC certificate: oda: certificate: expiry date", bit: tvr(emv.TVRCDAFailed)},
		{name: "expired issuer certificate", issuer: expiredIssuer,
			code: "cda_failed", detail: "issuer certificate: oda: certificate: expiry date", bit: tvr(emv.TVRCDAFailed)},
		{name: "static data changed after signing", code: "cda_failed", detail: "certificate hash mismatch", bit: tvr(emv.TVRCDAFailed),
			wrap: func(a device.Application) device.Application {
				return tamper{Application: a, response: onlyINS(0xB2, replaceValue(0x9F78, []byte{0, 0, 0, 0x99, 0x99, 0x99}))}
			}},
		{name: "CID in the signature other than 9F27", code: "answer_unverified", detail: "signed CID 40, 9F27 says 41", bit: tvr(emv.TVRCDAFailed), charged: true,
			wrap: func(a device.Application) device.Application {
				return tamper{Application: a, response: onlyINS(0xAE, replaceValue(0x9F27, []byte{0x41}))}
			}},
		{name: "hash code over other transaction data", code: "answer_unverified", detail: "transaction data hash code", bit: tvr(emv.TVRCDAFailed), charged: true,
			wrap: func(a device.Application) device.Application {
				// The card receives a GPO whose data differs from what the desk sent.
				return tamper{Application: a, command: func(cmd []byte) []byte {
					if isINS(cmd, 0xA8) && len(cmd) > 8 {
						cmd[7] ^= 0x01
					}
					return cmd
				}}
			}},
		{name: "CA key index not in the store", trusted: otherIssuer(t), code: "capk_missing", detail: "unknown CA public key", bit: tvr(emv.TVRCDAFailed)},
		{name: "amount over the balance", req: issuance.Request{Balance: 1000}, amount: 1250, code: "insufficient_balance"},
		{name: "amount over the wallet's single limit", req: issuance.Request{SingleLimit: 1000}, amount: 1250,
			code: "over_card_limit", bit: tvr(emv.TVRExceedsFloorLimit)},
		{name: "amount over the desk's offline limit", amount: 100000,
			code: "over_terminal_limit", bit: tvr(emv.TVRExceedsFloorLimit)},
		{name: "hotlisted wallet", desk: func(t *emv.Terminal) { t.Hotlist = func(string) bool { return true } },
			code: "hotlisted", bit: tvr(emv.TVRExceptionFile)},
	}
	d := pcsctest.Start(t)
	for _, via := range []string{"loopback", "pcscd"} {
		for _, tc := range cases {
			t.Run(via+"/"+tc.name, func(t *testing.T) {
				// Given a wallet, a desk, and what is wrong between them
				is := iss
				if tc.issuer != nil {
					is = tc.issuer
				}
				w := newWallet(t, is, tc.req)
				before := w.Balance()
				trusted := iss
				if tc.trusted != nil {
					trusted = tc.trusted
				}
				var desk []func(*emv.Terminal)
				if tc.desk != nil {
					desk = append(desk, tc.desk)
				}
				k := newKernel(t, trusted, desk...)
				var app device.Application = w
				if tc.wrap != nil {
					app = tc.wrap(w)
				}
				amount := tc.amount
				if amount == 0 {
					amount = 1250
				}

				// When the customer pays, on the loopback reader or through the real pcscd
				var out emv.Outcome
				if via == "pcscd" {
					out = tapThroughPcscd(t, d, k, app, wallet.Faults{}, emv.Purchase{Amount: amount})
				} else {
					out = tap(t, k, app, device.Leave{}, emv.Purchase{Amount: amount})
				}

				// Then the desk declines, says why, and the TVR shows it; a
				// TC it refuses is a torn tap, to be asked about again
				want := emv.Declined
				if tc.charged {
					want = emv.Torn
				}
				if out.Result != want || out.Reason.Code != tc.code {
					t.Fatalf("outcome %v %q (%s), want %v %q", out.Result, out.Reason.Code, out.Reason.Detail, want, tc.code)
				}
				if !strings.Contains(out.Reason.Detail, tc.detail) {
					t.Errorf("detail %q lacks %q", out.Reason.Detail, tc.detail)
				}
				if tc.bit != nil {
					for i := range tc.bit {
						if out.TVR[i]&tc.bit[i] != tc.bit[i] {
							t.Errorf("TVR %s lacks %X", out.TVR, tc.bit[:])
						}
					}
				}
				if !tc.charged && w.Balance() != before {
					t.Errorf("balance %d, want %d: a purchase declined before GENERATE AC charged the wallet", w.Balance(), before)
				}
			})
		}
	}
}

func tvr(bits ...emv.TVRBit) *emv.TVR {
	var v emv.TVR
	for _, b := range bits {
		v.Set(b)
	}
	return &v
}

// otherIssuer is a second issuer, whose CA key index the desk may lack.
var otherIssuerOnce = sync.OnceValues(func() (*issuance.Issuer, error) {
	return issuance.New(issuance.Options{CAIndex: 0xC2})
})

func otherIssuer(t testing.TB) *issuance.Issuer {
	t.Helper()
	iss, err := otherIssuerOnce()
	if err != nil {
		t.Fatal(err)
	}
	return iss
}
