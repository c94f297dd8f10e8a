package issuance

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
)

// AID is the PBOC debit/credit application the wallet presents.
var AID = []byte{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01}

// AIP is 82: DDA, terminal risk management, issuer authentication, CDA.
var AIP = []byte{0x2D, 0x00}

// AppLabel is 50, the name a desk may show.
const AppLabel = "LINGQIAN"

// Defaults for a Request.
const (
	DefaultCurrency    = "156" // yuan
	DefaultSingleLimit = 100000
	DefaultPSN         = "00"
	DefaultPANLength   = 16
	DefaultValidYears  = 5
)

// Request is what a card is issued with. The ICC key pair is made on the
// phone: only its public half comes here.
type Request struct {
	ICCKey oda.PublicKey
	PAN    string // digits; empty: a fresh Luhn-valid PAN under the BIN
	PSN    string // two digits; empty: "00"
	// Balance is the initial e-cash balance (9F79), in minor units.
	Balance int64
	// SingleLimit is the EC single transaction limit (9F78); 0: 1000.00.
	SingleLimit int64
	// ResetThreshold is the EC reset threshold (9F6D).
	ResetThreshold int64
	Currency       string    // ISO 4217 numeric; empty: 156
	Country        string    // issuer country (5F28); empty: 156
	Effective      time.Time // 5F25; zero: yesterday
	Expiry         time.Time // 5F24; zero: the end of the month five years on
	Profile        Profile   // the zero Profile is the default layout

	// Test knobs, for desks that must decline such cards.

	// CertExpiry is the ICC certificate's expiry month; zero: the
	// application's expiry month.
	CertExpiry time.Time
	// CertPAN is the PAN the ICC certificate names; empty: the card's.
	CertPAN string
	// ForeignPAN lets PAN lie outside the issuer's BIN.
	ForeignPAN bool
}

// Issue makes a card for the phone's ICC public key.
func (i *Issuer) Issue(req Request) (*Personalisation, error) {
	r, err := i.resolve(req)
	if err != nil {
		return nil, err
	}
	prof := r.Profile.resolved()
	values, err := i.dataObjects(r, prof)
	if err != nil {
		return nil, err
	}
	recs := sortedRecords(prof.Records)
	afl := buildAFL(recs)

	// The certificate signs the records it covers, so they are built
	// first; 9F46 is never among them (Profile.Validate sees to that).
	encoded := make([][]byte, len(recs))
	var static []byte
	for k, spec := range recs {
		if !spec.Signed {
			continue
		}
		if encoded[k], err = prof.encodeRecord(spec, values); err != nil {
			return nil, err
		}
		static = append(static, signedPart(spec.SFI, encoded[k])...)
	}
	static = append(static, AIP...) // 9F4A lists 82
	certPAN := r.PAN
	if r.CertPAN != "" {
		certPAN = r.CertPAN
	}
	certExp, err := mmyy(r.CertExpiry)
	if err != nil {
		return nil, err
	}
	serial := make([]byte, 3)
	if _, err := rand.Read(serial); err != nil {
		return nil, fmt.Errorf("issuance: certificate serial: %w", err)
	}
	cert, rem, err := oda.SignICCCert(i.key, r.ICCKey, PackPAN(certPAN), certExp, serial, static)
	if err != nil {
		return nil, fmt.Errorf("issuance: %w", err)
	}
	if !bytes.Equal(rem, values[0x9F48]) {
		return nil, errors.New("issuance: the ICC key remainder differs from the one in the records")
	}
	values[0x9F46] = cert

	p := &Personalisation{
		AID: bytes.Clone(AID), PAN: r.PAN, PSN: r.PSN, Currency: r.Currency, Balance: r.Balance,
		SingleLimit: r.SingleLimit, ResetThreshold: r.ResetThreshold,
		Effective: r.Effective.Format(time.DateOnly), Expiry: r.Expiry.Format(time.DateOnly),
		// Copies: the package's default slices must not be shared with
		// a personalisation someone may change.
		AIP: bytes.Clone(AIP), AFL: afl, PDOL: bytes.Clone(prof.PDOL), CDOL1: bytes.Clone(prof.CDOL1),
		CDOL2: bytes.Clone(prof.CDOL2), LogFormat: bytes.Clone(LogFormat), PPSE: ppse(), FCI: fci(prof.PDOL),
		StaticData: static, ICCModulus: bytes.Clone(r.ICCKey.Modulus),
	}
	for k, spec := range recs {
		if encoded[k] == nil {
			if encoded[k], err = prof.encodeRecord(spec, values); err != nil {
				return nil, err
			}
		}
		p.Records = append(p.Records, Record{SFI: spec.SFI, Number: spec.Record, Signed: spec.Signed, Data: encoded[k]})
	}
	if p.MKAC, p.MKSMI, err = i.MasterKeys(r.PAN, r.PSN); err != nil {
		return nil, err
	}
	return p, nil
}

// signedPart is what a signed record contributes to the static data to be
// authenticated (EMV Book 3 10.3): for SFI 1–10 the value of template 70,
// for SFI 11–30 the whole record.
func signedPart(sfi int, rec []byte) []byte {
	if sfi > 10 {
		return rec
	}
	objs, err := tlv.Parse(rec)
	if err != nil || len(objs) != 1 {
		return nil // encodeRecord only makes one template 70
	}
	return objs[0].Value
}

// resolve fills in the defaults and refuses what no card should carry.
func (i *Issuer) resolve(r Request) (Request, error) {
	if err := r.ICCKey.Validate(); err != nil {
		return r, fmt.Errorf("issuance: ICC key: %w", err)
	}
	if n, max := len(r.ICCKey.Modulus), i.key.Size(); n > max {
		return r, fmt.Errorf("issuance: an ICC key of %d bytes does not fit a certificate signed by the %d-byte issuer key", n, max)
	}
	var err error
	switch {
	case r.PAN == "":
		if r.PAN, err = GeneratePAN(i.bin, DefaultPANLength); err != nil {
			return r, err
		}
	case CheckPAN(r.PAN) != nil:
		return r, CheckPAN(r.PAN)
	case !r.ForeignPAN && !strings.HasPrefix(r.PAN, i.bin):
		return r, fmt.Errorf("issuance: PAN %s is not under this issuer's BIN %s: %w", r.PAN, i.bin, ErrPAN)
	}
	if r.CertPAN != "" && (len(r.CertPAN) > 19 || !allDigits(r.CertPAN)) {
		return r, fmt.Errorf("issuance: certificate PAN %q: want 1 to 19 digits: %w", r.CertPAN, ErrPAN)
	}
	if r.PSN == "" {
		r.PSN = DefaultPSN
	}
	if len(r.PSN) != 2 || !allDigits(r.PSN) {
		return r, fmt.Errorf("issuance: PSN %q: want two digits", r.PSN)
	}
	if r.Currency == "" {
		r.Currency = DefaultCurrency
	}
	if r.Country == "" {
		r.Country = DefaultCurrency
	}
	if r.SingleLimit == 0 {
		r.SingleLimit = DefaultSingleLimit
	}
	for _, a := range []struct {
		name string
		v    int64
	}{{"balance", r.Balance}, {"single transaction limit", r.SingleLimit}, {"reset threshold", r.ResetThreshold}} {
		if a.v < 0 || a.v > MaxAmount {
			return r, fmt.Errorf("issuance: %s %d: want 0 to %d", a.name, a.v, MaxAmount)
		}
	}
	now := time.Now()
	if r.Effective.IsZero() {
		// Yesterday's date: a card must work the day it is issued, at a
		// desk whose calendar may already or still be a day off ours.
		r.Effective = time.Date(now.Year(), now.Month(), now.Day()-1, 0, 0, 0, 0, time.UTC)
	}
	if r.Expiry.IsZero() {
		r.Expiry = endOfMonth(now.AddDate(DefaultValidYears, 0, 0))
	}
	if r.Expiry.Before(r.Effective) {
		return r, fmt.Errorf("issuance: the card would expire (%s) before it is effective (%s)",
			r.Expiry.Format(time.DateOnly), r.Effective.Format(time.DateOnly))
	}
	if r.CertExpiry.IsZero() {
		r.CertExpiry = r.Expiry
	}
	if err := r.Profile.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

// dataObjects are the values of every object a profile may place, except
// the ICC certificate, which is signed last.
func (i *Issuer) dataObjects(r Request, prof Profile) (map[tlv.Tag][]byte, error) {
	cur, err := CurrencyCode(r.Currency)
	if err != nil {
		return nil, err
	}
	country, err := CurrencyCode(r.Country)
	if err != nil {
		return nil, err
	}
	limit, _ := Amount(r.SingleLimit) // resolve checked the ranges
	reset, _ := Amount(r.ResetThreshold)
	psn, _ := BCD(int64(r.PSN[0]-'0')*10+int64(r.PSN[1]-'0'), 1)
	eff, err := yymmdd(r.Effective)
	if err != nil {
		return nil, err
	}
	exp, err := yymmdd(r.Expiry)
	if err != nil {
		return nil, err
	}
	v := map[tlv.Tag][]byte{
		0x9F08: {0x00, 0x30},       // application version: PBOC 3.0
		0x5F28: country,            // issuer country
		0x9F07: {0xFF, 0x00},       // usage control: every kind of purchase, at home and abroad
		0x8C:   prof.CDOL1,         //
		0x8D:   prof.CDOL2,         //
		0x9F0D: {0x84, 0, 0, 0, 0}, // IAC default: no ODA, or CDA failed, declines
		0x9F0E: {0x00, 0x10, 0, 0, 0},
		0x9F0F: {0x00, 0, 0, 0, 0},
		0x9F51: cur,
		0x5A:   PackPAN(r.PAN),
		0x5F34: psn,
		0x5F24: exp,
		0x5F25: eff,
		0x9F78: limit,
		0x9F6D: reset,
		0x9F4A: {0x82},
		0x8F:   {i.caIndex},
		0x9F32: i.key.Public().Exponent,
		0x92:   i.remainder,
		0x90:   i.cert,
		0x9F47: r.ICCKey.Exponent,
	}
	// The ICC key's remainder is what does not fit its certificate: a
	// certificate block is as long as the issuer key, 42 bytes of it
	// fixed fields.
	if field := i.key.Size() - 42; len(r.ICCKey.Modulus) > field {
		v[0x9F48] = bytes.Clone(r.ICCKey.Modulus[field:])
	} else {
		v[0x9F48] = nil
	}
	return v, nil
}

// ppse is the answer to SELECT 2PAY.SYS.DDF01: one directory entry.
func ppse() []byte {
	entry := tlv.Encode(0x61, cat(tlv.Encode(0x4F, AID), tlv.Encode(0x50, []byte(AppLabel)), tlv.Encode(0x87, []byte{0x01})))
	a5 := tlv.Encode(0xA5, tlv.Encode(0xBF0C, entry))
	return tlv.Encode(0x6F, cat(tlv.Encode(0x84, []byte("2PAY.SYS.DDF01")), a5))
}

// fci is the answer to SELECT AID; a profile without a PDOL has no 9F38.
func fci(pdol []byte) []byte {
	prop := cat(tlv.Encode(0x50, []byte(AppLabel)), tlv.Encode(0x87, []byte{0x01}))
	if len(pdol) > 0 {
		prop = append(prop, tlv.Encode(0x9F38, pdol)...)
	}
	prop = append(prop, tlv.Encode(0x5F2D, []byte("zhen"))...)
	prop = append(prop, tlv.Encode(0xBF0C, tlv.Encode(0x9F4D, []byte{LogSFI, LogRecords}))...)
	return tlv.Encode(0x6F, cat(tlv.Encode(0x84, AID), tlv.Encode(0xA5, prop)))
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
