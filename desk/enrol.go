package desk

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lingqian/app"
	"lingqian/issuance"
	desksync "lingqian/sync"
)

// Settings and files enrolment gives the desk. The certificate and the
// CA are public and kept as settings (audited when they change); the
// private key stays in a file of its own, mode 0600, out of the audit log.
const (
	SettingBankURL  = "bank_url"
	SettingBankCA   = "bank_ca"
	SettingBankCert = "bank_certificate"
	SettingTeller   = "teller"
	BankKeyFile     = "bank-client.key"
	// EnrolPendingFile keeps the key and request of an enrolment whose
	// answer has not arrived, so running enroll again with the same code
	// sends the same request and gets the bank's first answer back.
	EnrolPendingFile = "enrol-pending.json"
)

type enrolPending struct {
	Code string `json:"code_sha256"`
	Key  string `json:"key"` // PKCS #8 PEM
	CSR  string `json:"csr"`
}

// Enrol makes the desk a terminal of the bank at bankURL, trusting only
// the CA in caPEM: a key pair made here, a certificate from the bank for
// it, and the terminal and merchant ids the bank assigns. It answers what
// the bank assigned and the bank's address as the client spells it.
func (d *Desk) Enrol(ctx context.Context, bankURL string, caPEM []byte, code string, force bool) (desksync.Enrolment, string, error) {
	pinned, err := desksync.DeskTLS(caPEM, nil, nil)
	if err != nil {
		return desksync.Enrolment{}, "", fmt.Errorf("the bank's CA certificate: %w", err)
	}
	if err := d.checkReenrol(ctx, force); err != nil {
		return desksync.Enrolment{}, "", err
	}
	key, csr, err := enrolmentKey(d.Dir, code)
	if err != nil {
		return desksync.Enrolment{}, "", err
	}
	c, err := desksync.NewClient(desksync.Config{BaseURL: bankURL, TLS: pinned, Retries: 3})
	if err != nil {
		return desksync.Enrolment{}, "", err
	}
	enr, err := c.Enroll(ctx, code, csr)
	if err != nil {
		return desksync.Enrolment{}, c.BaseURL(), err
	}
	if err := checkCertificate(enr, key, pinned.RootCAs); err != nil {
		return desksync.Enrolment{}, c.BaseURL(), err
	}
	if err := d.saveEnrolment(ctx, c.BaseURL(), caPEM, enr, key); err != nil {
		return desksync.Enrolment{}, c.BaseURL(), err
	}
	return enr, c.BaseURL(), nil
}

// checkReenrol refuses to give a desk whose journal has entries a new
// terminal id, unless forced: those entries would be forwarded under the
// new identity, and the bank rejects any whose merchant is not the new
// certificate's. Enrolment spends the one-time code, so this is checked
// before asking the bank.
func (d *Desk) checkReenrol(ctx context.Context, force bool) error {
	last, err := d.DB.LastSeq(ctx)
	if err != nil || last == 0 || force {
		return err
	}
	first, err := d.DB.Entry(ctx, 1)
	if err != nil {
		return err
	}
	enrolled, _ := d.DB.Setting(ctx, SettingBankURL)
	hint := "Add --force to enrol anyway."
	if enrolled != "" {
		hint = "Forward them first with `lingqian sync`, or add --force to enrol anyway."
	}
	return &reenrolError{ReenrolError: app.ReenrolError{Entries: last, Terminal: first.TerminalID, Merchant: first.MerchantID},
		text: fmt.Sprintf("the journal in %s already holds %d entries, recorded as terminal %s of merchant %s. "+
			"Enrolment gives this desk the terminal and merchant ids the bank assigns; the entries not yet at the bank "+
			"would then be sent under the new identity, and the bank rejects any whose merchant is not the new one. %s",
			d.Dir, last, first.TerminalID, first.MerchantID, hint)}
}

// reenrolError is app's ReenrolError, for the window to ask, told in the
// words the command shows.
type reenrolError struct {
	app.ReenrolError
	text string
}

func (e *reenrolError) Error() string { return e.text }
func (e *reenrolError) Unwrap() error { return &e.ReenrolError }

// enrolmentKey is the key pair and certificate request for this code: the
// ones kept from an earlier try with the same code, or new ones, kept
// before the request leaves.
func enrolmentKey(dir, code string) (*ecdsa.PrivateKey, []byte, error) {
	sum := sha256.Sum256([]byte(strings.TrimSpace(code)))
	codeHash := hex.EncodeToString(sum[:])
	path := filepath.Join(dir, EnrolPendingFile)
	if b, err := os.ReadFile(path); err == nil {
		var p enrolPending
		if json.Unmarshal(b, &p) == nil && p.Code == codeHash {
			if key, err := parseKey([]byte(p.Key)); err == nil {
				return key, []byte(p.CSR), nil
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("making the desk's key: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "lingqian desk"}}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("making the certificate request: %w", err)
	}
	csr := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	keyPEM, err := keyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	b, err := json.Marshal(enrolPending{Code: codeHash, Key: string(keyPEM), CSR: string(csr)})
	if err != nil {
		return nil, nil, err
	}
	if err := issuance.WriteFileAtomic(path, b, 0o600); err != nil {
		return nil, nil, fmt.Errorf("keeping the enrolment request: %w", err)
	}
	return key, csr, nil
}

func keyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the desk's key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseKey(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM key")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an ECDSA key")
	}
	return ec, nil
}

// checkCertificate makes sure the bank's certificate is for our key, names
// the ids it says, and chains to the pinned CA.
func checkCertificate(enr desksync.Enrolment, key *ecdsa.PrivateKey, roots *x509.CertPool) error {
	block, _ := pem.Decode([]byte(enr.Certificate))
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("the bank's answer holds no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("the bank's certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return errors.New("the bank's certificate is not for the key this desk made")
	}
	if cert.Subject.CommonName != enr.TerminalID {
		return fmt.Errorf("the bank's certificate names terminal %q, its answer %q", cert.Subject.CommonName, enr.TerminalID)
	}
	_, err = cert.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: time.Now(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return fmt.Errorf("the bank's certificate does not chain to the pinned CA: %w", err)
	}
	return nil
}

// saveEnrolment stores the desk's new identity: the key file first, so
// that no setting ever names a certificate whose key is missing.
func (d *Desk) saveEnrolment(ctx context.Context, bankURL string, caPEM []byte, enr desksync.Enrolment, key *ecdsa.PrivateKey) error {
	kp, err := keyPEM(key)
	if err != nil {
		return err
	}
	if err := issuance.WriteFileAtomic(filepath.Join(d.Dir, BankKeyFile), kp, 0o600); err != nil {
		return fmt.Errorf("saving the desk's key: %w", err)
	}
	for _, s := range []struct{ key, value string }{
		{SettingBankURL, bankURL}, {SettingBankCA, string(bytes.TrimSpace(caPEM))}, {SettingBankCert, enr.Certificate},
		{SettingTerminal, enr.TerminalID}, {SettingMerchant, enr.MerchantID}, {SettingTeller, fmt.Sprint(enr.Teller)},
	} {
		if err := d.DB.SetSetting(ctx, s.key, s.value, "enroll"); err != nil {
			return err
		}
	}
	d.Terminal, d.Merchant = enr.TerminalID, enr.MerchantID
	if err := os.Remove(filepath.Join(d.Dir, EnrolPendingFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the finished enrolment request: %w", err)
	}
	return nil
}
