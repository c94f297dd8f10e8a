// Package issuance is the card issuer: it keeps the certification
// authority key, the issuer key and its certificate, and the issuer master
// keys, and it issues e-cash cards — the records, certificates and keys a
// phone's wallet needs (docs/protocol.md). The phone's local test issuer
// uses it today; the bank issues vouchers with it.
package issuance

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lingqian/emv/issuer"
	"lingqian/emv/oda"
)

// RID is the registered application provider identifier of China UnionPay,
// under which PBOC e-cash CA keys are named.
var RID = [5]byte{0xA0, 0x00, 0x00, 0x03, 0x33}

// File names inside an issuer directory.
const (
	IssuerFile = "issuer.json" // secret: private keys and master keys
	CAPKFile   = "capk.json"   // public: the CA key for the desk's --capk
)

// Defaults for New.
const (
	DefaultBIN        = "623199"
	DefaultCAIndex    = 0xC1
	DefaultCABits     = 1408
	DefaultIssuerBits = 1152
)

// Options shape a new issuer. The zero value gives the defaults.
type Options struct {
	BIN        string // issuer identifier: the first 6 to 8 digits of its PANs
	CAIndex    byte   // CA public key index (8F); 0: C1
	CABits     int    // CA key size, a multiple of 8 up to 1984
	IssuerBits int    // issuer key size, no larger than the CA key
	// Exponent of both keys: 3 (the default, cheap to verify) or 65537.
	Exponent int
	// CAExpires is the CA key's last valid day; zero: 31 December ten
	// years on (at most 2049, the last year a certificate can name).
	CAExpires time.Time
	// IssuerCertExpiry is the month the issuer certificate expires; zero:
	// the CA key's. A test knob: a past month makes cards a desk must
	// decline.
	IssuerCertExpiry time.Time
	// CAPKSet is the key set the CA key is published in (oda.SetTest,
	// oda.SetLive, or none: every desk takes it).
	CAPKSet string
}

// Issuer issues e-cash cards. It is safe for concurrent use once made: it
// is never changed after New or Load.
type Issuer struct {
	bin       string
	caIndex   byte
	caKey     *oda.PrivateKey
	caExpires time.Time
	caSet     string
	key       *oda.PrivateKey
	cert      []byte // 90
	remainder []byte // 92, nil when the key fits the certificate
	certExp   time.Time
	serial    []byte
	imkAC     []byte
	imkSMI    []byte
}

// New makes an issuer in memory with fresh keys.
func New(opts Options) (*Issuer, error) {
	o, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	ca, err := oda.GenerateKey(o.CABits, o.Exponent)
	if err != nil {
		return nil, fmt.Errorf("issuance: CA key: %w", err)
	}
	key, err := oda.GenerateKey(o.IssuerBits, o.Exponent)
	if err != nil {
		return nil, fmt.Errorf("issuance: issuer key: %w", err)
	}
	serial := make([]byte, 3)
	imkAC := make([]byte, issuer.KeyLen)
	imkSMI := make([]byte, issuer.KeyLen)
	for _, b := range [][]byte{serial, imkAC, imkSMI} {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("issuance: drawing keys: %w", err)
		}
	}
	i := &Issuer{
		bin: o.BIN, caIndex: o.CAIndex, caKey: ca, caExpires: o.CAExpires, caSet: o.CAPKSet,
		key: key, serial: serial, imkAC: imkAC, imkSMI: imkSMI,
	}
	if err := i.certify(o.IssuerCertExpiry); err != nil {
		return nil, err
	}
	return i, nil
}

func (o Options) resolved() (Options, error) {
	if o.BIN == "" {
		o.BIN = DefaultBIN
	}
	if len(o.BIN) < 6 || len(o.BIN) > 8 || !allDigits(o.BIN) {
		return o, fmt.Errorf("issuance: BIN %q: want 6 to 8 digits", o.BIN)
	}
	if o.CAIndex == 0 {
		o.CAIndex = DefaultCAIndex
	}
	if o.CABits == 0 {
		o.CABits = DefaultCABits
	}
	if o.IssuerBits == 0 {
		o.IssuerBits = DefaultIssuerBits
	}
	if o.IssuerBits > o.CABits {
		return o, fmt.Errorf("issuance: an issuer key of %d bits does not fit a certificate signed by a %d-bit CA key", o.IssuerBits, o.CABits)
	}
	if o.Exponent == 0 {
		o.Exponent = 3
	}
	if o.CAExpires.IsZero() {
		o.CAExpires = time.Date(min(time.Now().Year()+10, 2049), 12, 31, 0, 0, 0, 0, time.UTC)
	}
	if o.IssuerCertExpiry.IsZero() {
		o.IssuerCertExpiry = o.CAExpires
	}
	if o.CAPKSet != oda.SetAny && o.CAPKSet != oda.SetTest && o.CAPKSet != oda.SetLive {
		return o, fmt.Errorf("issuance: CA key set %q: want %q, %q or none", o.CAPKSet, oda.SetTest, oda.SetLive)
	}
	return o, nil
}

// certify signs the issuer key with the CA key, expiring in the month of
// expiry.
func (i *Issuer) certify(expiry time.Time) error {
	exp, err := mmyy(expiry)
	if err != nil {
		return err
	}
	id := PackPAN(i.bin)
	for len(id) < 4 {
		id = append(id, 0xFF)
	}
	cert, rem, err := oda.SignIssuerCert(i.caKey, i.key.Public(), id, exp, i.serial)
	if err != nil {
		return fmt.Errorf("issuance: %w", err)
	}
	i.cert, i.remainder, i.certExp = cert, rem, endOfMonth(expiry)
	return nil
}

// WithIssuerCertExpiry returns a copy of the issuer whose certificate,
// signed again by the same CA, expires in the month of expiry: a test
// knob for desks that must decline cards under an expired issuer
// certificate. Cards it issues share every key with the original.
func (i *Issuer) WithIssuerCertExpiry(expiry time.Time) (*Issuer, error) {
	c := *i
	if err := c.certify(expiry); err != nil {
		return nil, err
	}
	return &c, nil
}

// BIN is the issuer identifier: the first digits of every PAN it issues.
func (i *Issuer) BIN() string { return i.bin }

// CAPK is the CA public key a desk needs to verify this issuer's cards.
func (i *Issuer) CAPK() oda.CAPK {
	pub := i.caKey.Public()
	return oda.CAPK{RID: RID, Index: i.caIndex, Modulus: pub.Modulus, Exponent: pub.Exponent,
		Expires: i.caExpires, Set: i.caSet}
}

// PublicKey is the issuer public key its certificate carries.
func (i *Issuer) PublicKey() oda.PublicKey { return i.key.Public() }

// Certificate is the issuer public key certificate (tag 90) and its
// remainder (92, nil when the key fits).
func (i *Issuer) Certificate() (cert, remainder []byte) {
	return bytes.Clone(i.cert), bytes.Clone(i.remainder)
}

// MasterKeys derives a card's ICC master keys MK-AC and MK-SMI from the
// issuer master keys, by EMV option A with the PAN and PSN.
func (i *Issuer) MasterKeys(pan, psn string) (mkAC, mkSMI []byte, err error) {
	if mkAC, err = issuer.DeriveICCMasterKey(i.imkAC, pan, psn); err != nil {
		return nil, nil, fmt.Errorf("issuance: MK-AC: %w", err)
	}
	if mkSMI, err = issuer.DeriveICCMasterKey(i.imkSMI, pan, psn); err != nil {
		return nil, nil, fmt.Errorf("issuance: MK-SMI: %w", err)
	}
	return mkAC, mkSMI, nil
}

// acMasterKey derives MK-AC alone: checking a cryptogram, which the bank
// does for every message it clears, needs no MK-SMI.
func (i *Issuer) acMasterKey(pan, psn string) ([]byte, error) {
	mkAC, err := issuer.DeriveICCMasterKey(i.imkAC, pan, psn)
	if err != nil {
		return nil, fmt.Errorf("issuance: MK-AC: %w", err)
	}
	return mkAC, nil
}

// WriteCAPKFile writes the CA public key as the desk's key file (DESIGN
// section 7). The file is public, so it is readable by all: the desk may
// run as another user.
func (i *Issuer) WriteCAPKFile(path string) error {
	data, err := oda.MarshalFile([]oda.CAPK{i.CAPK()})
	if err != nil {
		return fmt.Errorf("issuance: %w", err)
	}
	return WriteFileAtomic(path, data, 0o644)
}

// issuerJSON is the issuer file. It holds private keys: mode 0600.
type issuerJSON struct {
	Format           int             `json:"format"`
	BIN              string          `json:"bin"`
	CAIndex          Hex             `json:"ca_index"`
	CAKey            *oda.PrivateKey `json:"ca_key"`
	CAExpires        string          `json:"ca_expires"`
	CAPKSet          string          `json:"capk_set,omitempty"`
	IssuerKey        *oda.PrivateKey `json:"issuer_key"`
	IssuerCert       Hex             `json:"issuer_cert"`
	IssuerRemainder  Hex             `json:"issuer_remainder,omitempty"`
	IssuerCertExpiry string          `json:"issuer_cert_expiry"`
	IssuerCertSerial Hex             `json:"issuer_cert_serial"`
	IMKAC            Hex             `json:"imk_ac"`
	IMKSMI           Hex             `json:"imk_smi"`
}

const fileFormat = 1

// ErrNoIssuer: the directory holds no issuer.
var ErrNoIssuer = errors.New("no issuer in this directory")

// Create makes a new issuer and saves it in dir, which must not hold one.
func Create(dir string, opts Options) (*Issuer, error) {
	if _, err := os.Stat(filepath.Join(dir, IssuerFile)); err == nil {
		return nil, fmt.Errorf("issuance: %s already holds an issuer", dir)
	}
	i, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := i.Save(dir); err != nil {
		return nil, err
	}
	return i, nil
}

// OpenOrCreate loads the issuer in dir, or creates it there with opts when
// there is none; created says which.
func OpenOrCreate(dir string, opts Options) (i *Issuer, created bool, err error) {
	i, err = Load(dir)
	if err == nil || !errors.Is(err, ErrNoIssuer) {
		return i, false, err
	}
	i, err = Create(dir, opts)
	return i, err == nil, err
}

// Save writes the issuer (mode 0600) and its CA public key file into dir,
// creating dir (mode 0700) if needed. Each file is replaced atomically.
func (i *Issuer) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("issuance: %w", err)
	}
	f := issuerJSON{
		Format: fileFormat, BIN: i.bin, CAIndex: Hex{i.caIndex}, CAKey: i.caKey,
		CAExpires: i.caExpires.Format(time.DateOnly), CAPKSet: i.caSet,
		IssuerKey: i.key, IssuerCert: i.cert, IssuerRemainder: i.remainder,
		IssuerCertExpiry: i.certExp.Format("2006-01"), IssuerCertSerial: i.serial,
		IMKAC: i.imkAC, IMKSMI: i.imkSMI,
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("issuance: %w", err)
	}
	if err := WriteFileAtomic(filepath.Join(dir, IssuerFile), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("issuance: %w", err)
	}
	return i.WriteCAPKFile(filepath.Join(dir, CAPKFile))
}

// Load reads the issuer saved in dir and checks that its parts agree: the
// issuer certificate must verify under the CA key and carry the issuer key.
func Load(dir string) (*Issuer, error) {
	path := filepath.Join(dir, IssuerFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("issuance: %s: %w", dir, ErrNoIssuer)
	}
	if err != nil {
		return nil, fmt.Errorf("issuance: %w", err)
	}
	var f issuerJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("issuance: %s: %w", path, err)
	}
	bad := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("issuance: %s: %s: %w", path, what, err)
		}
		return fmt.Errorf("issuance: %s: %s", path, what)
	}
	switch {
	case f.Format != fileFormat:
		return nil, bad(fmt.Sprintf("format %d, this program reads %d", f.Format, fileFormat), nil)
	case f.CAKey == nil || f.IssuerKey == nil:
		return nil, bad("a private key is missing", nil)
	case len(f.CAIndex) != 1:
		return nil, bad("the CA key index is not one byte", nil)
	case len(f.IMKAC) != issuer.KeyLen || len(f.IMKSMI) != issuer.KeyLen:
		return nil, bad("an issuer master key is not 16 bytes", nil)
	case len(f.IssuerCertSerial) != 3:
		return nil, bad("the issuer certificate serial is not 3 bytes", nil)
	}
	caExp, err := time.Parse(time.DateOnly, f.CAExpires)
	if err != nil {
		return nil, bad("CA key expiry", err)
	}
	certExp, err := time.Parse("2006-01", f.IssuerCertExpiry)
	if err != nil {
		return nil, bad("issuer certificate expiry", err)
	}
	i := &Issuer{
		bin: f.BIN, caIndex: f.CAIndex[0], caKey: f.CAKey, caExpires: caExp, caSet: f.CAPKSet,
		key: f.IssuerKey, cert: f.IssuerCert, remainder: f.IssuerRemainder, certExp: endOfMonth(certExp),
		serial: f.IssuerCertSerial, imkAC: f.IMKAC, imkSMI: f.IMKSMI,
	}
	if len(i.remainder) == 0 {
		i.remainder = nil
	}
	if _, err := (Options{BIN: i.bin, CAPKSet: i.caSet}).resolved(); err != nil {
		return nil, bad("settings", err)
	}
	pub := i.key.Public()
	got, err := oda.RecoverIssuerCert(i.caKey.Public(), i.cert, i.remainder, pub.Exponent)
	if err != nil {
		return nil, bad("issuer certificate", err)
	}
	if !got.Key.Equal(pub) {
		return nil, bad("the issuer certificate carries another key", nil)
	}
	return i, nil
}
