package bank

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lingqian/issuance"
)

// Files of the bank's own CA and TLS certificate, in the data folder. All
// are mode 0600: the folder belongs to the bank's user.
const (
	CAFile      = "ca.pem"
	CAKeyFile   = "ca-key.pem"
	TLSFile     = "tls.pem"
	TLSKeyFile  = "tls-key.pem"
	caValidity  = 10 * 365 * 24 * time.Hour
	tlsValidity = 397 * 24 * time.Hour // what browsers accept, for a bank that is later put behind one
	// DeskValidity is how long a desk's client certificate lasts.
	DeskValidity = 2 * 365 * 24 * time.Hour
	// A TLS certificate closer than this to its end is made again at start.
	tlsRenewBefore = 30 * 24 * time.Hour
	// Clocks disagree: certificates start a little in the past.
	backdate = 5 * time.Minute
)

// PKI is the bank's certification authority (ECDSA P-256), which signs
// its TLS server certificate and every desk's client certificate, and
// that server certificate.
type PKI struct {
	CA     *x509.Certificate
	CAPEM  []byte
	caKey  crypto.Signer
	TLS    tls.Certificate
	Serial *big.Int // of the TLS certificate
}

// Pool is the CA alone: what clients pin and what verifies desks.
func (p *PKI) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.CA)
	return pool
}

// LoadOrCreatePKI loads the CA and TLS certificate from dir, making the CA
// at first start, and the TLS certificate whenever it is missing, near
// its end, or does not name one of the hosts it must.
func LoadOrCreatePKI(dir string, hosts []string, now time.Time) (*PKI, error) {
	p, err := loadCA(dir)
	if errors.Is(err, os.ErrNotExist) {
		p, err = createCA(dir, now)
	}
	if err != nil {
		return nil, fmt.Errorf("bank: CA: %w", err)
	}
	names, ips := tlsNames(hosts)
	if err := p.loadTLS(dir, names, ips, now); err != nil {
		if err := p.createTLS(dir, names, ips, now); err != nil {
			return nil, fmt.Errorf("bank: TLS certificate: %w", err)
		}
	}
	return p, nil
}

func newSerial() (*big.Int, error) {
	// 128 random bits, positive: unguessable and never repeated.
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
}

func createCA(dir string, now time.Time) (*PKI, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Lingqian bank CA", Organization: []string{"Lingqian"}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	// The key first: a crash between the two leaves no CA certificate,
	// so the next start makes a new pair rather than a certificate
	// without its key.
	if err := issuance.WriteFileAtomic(filepath.Join(dir, CAKeyFile), pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		return nil, err
	}
	if err := issuance.WriteFileAtomic(filepath.Join(dir, CAFile), pemBlock("CERTIFICATE", der), 0o600); err != nil {
		return nil, err
	}
	return loadCA(dir)
}

func loadCA(dir string) (*PKI, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CAFile))
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAFile, err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAKeyFile, err)
	}
	if !cert.IsCA || !publicKeyEqual(cert.PublicKey, key.Public()) {
		return nil, fmt.Errorf("%s and %s are not a CA and its key", CAFile, CAKeyFile)
	}
	return &PKI{CA: cert, CAPEM: certPEM, caKey: key}, nil
}

// tlsNames are the names the server certificate must carry.
func tlsNames(hosts []string) ([]string, []net.IP) {
	names := []string{"localhost"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		names = append(names, h)
	}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			ips = append(ips, ip)
		} else if h != "" && !slices.Contains(names, h) {
			names = append(names, h)
		}
	}
	return names, ips
}

func (p *PKI) loadTLS(dir string, names []string, ips []net.IP, now time.Time) error {
	pair, err := tls.LoadX509KeyPair(filepath.Join(dir, TLSFile), filepath.Join(dir, TLSKeyFile))
	if err != nil {
		return err
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return err
	}
	if err := leaf.CheckSignatureFrom(p.CA); err != nil {
		return err
	}
	if now.Add(tlsRenewBefore).After(leaf.NotAfter) {
		return errors.New("near its end")
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return fmt.Errorf("does not name %s", n)
		}
	}
	for _, ip := range ips {
		if leaf.VerifyHostname(ip.String()) != nil {
			return fmt.Errorf("does not name %s", ip)
		}
	}
	pair.Leaf = leaf
	p.TLS, p.Serial = pair, leaf.SerialNumber
	return nil
}

func (p *PKI) createTLS(dir string, names []string, ips []net.IP, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: names[0], Organization: []string{"Lingqian"}},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(tlsValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  ips,
	}
	if tmpl.NotAfter.After(p.CA.NotAfter) {
		tmpl.NotAfter = p.CA.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, &key.PublicKey, p.caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := issuance.WriteFileAtomic(filepath.Join(dir, TLSKeyFile), pemBlock("PRIVATE KEY", keyDER), 0o600); err != nil {
		return err
	}
	if err := issuance.WriteFileAtomic(filepath.Join(dir, TLSFile), pemBlock("CERTIFICATE", der), 0o600); err != nil {
		return err
	}
	return p.loadTLS(dir, names, ips, now)
}

// SignDesk makes a desk's client certificate for the key in csr: Subject
// CN the terminal id, OU the merchant, and "teller" in O for a teller
// desk, as docs/bank-api.md says.
func (p *PKI) SignDesk(csr *x509.CertificateRequest, terminalID, merchantID string, teller bool, now time.Time) (*x509.Certificate, []byte, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	org := []string{"Lingqian desk"}
	if teller {
		org = append(org, "teller")
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: terminalID, OrganizationalUnit: []string{merchantID}, Organization: org},
		NotBefore:    now.Add(-backdate),
		NotAfter:     now.Add(DeskValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if tmpl.NotAfter.After(p.CA.NotAfter) {
		tmpl.NotAfter = p.CA.NotAfter
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.CA, csr.PublicKey, p.caKey)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, pemBlock("CERTIFICATE", der), nil
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func parseCertPEM(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

func parseKeyPEM(data []byte) (crypto.Signer, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("the key cannot sign")
	}
	return s, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	ka, err1 := x509.MarshalPKIXPublicKey(a)
	kb, err2 := x509.MarshalPKIXPublicKey(b)
	return err1 == nil && err2 == nil && bytes.Equal(ka, kb)
}
