// Package synctest is a scripted bank for tests: an HTTPS server on
// 127.0.0.1 that answers the calls of docs/bank-api.md the desk and the
// phone make, with its own CA, and that can be told to fail — a 500, a
// 429 with Retry-After, a slow answer, a connection cut after the request
// was read and handled. It records what it handled, so a test can check
// that every message was posted once however often it was sent.
package synctest

import (
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
	"time"
)

// pki is the scripted bank's CA and what it signs. It is not bank.PKI:
// the wallet's tests use this bank, and the bank imports the wallet.
type pki struct {
	caKey  *ecdsa.PrivateKey
	caCert *x509.Certificate
	caPEM  []byte
	server tls.Certificate
}

func newPKI() (*pki, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "scripted bank CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	p := &pki{caKey: key, caCert: cert, caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	skey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sder, err := p.sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "scripted bank"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		DNSNames:    []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, &skey.PublicKey)
	if err != nil {
		return nil, err
	}
	p.server = tls.Certificate{Certificate: [][]byte{sder}, PrivateKey: skey}
	return p, nil
}

func (p *pki) sign(tmpl *x509.Certificate, pub any) ([]byte, error) {
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	return x509.CreateCertificate(rand.Reader, tmpl, p.caCert, pub, p.caKey)
}

// clientTemplate is a desk's certificate as the contract describes it:
// CN the terminal id, OU the merchant id, "teller" in O for a teller desk.
func clientTemplate(terminal, merchant string, teller bool) *x509.Certificate {
	name := pkix.Name{CommonName: terminal, OrganizationalUnit: []string{merchant}}
	if teller {
		name.Organization = []string{"teller"}
	}
	return &x509.Certificate{Subject: name, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
}

// signCSR signs a desk's certificate request.
func (p *pki) signCSR(csrPEM []byte, terminal, merchant string, teller bool) ([]byte, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("not a PEM certificate request")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, err
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("certificate request signature: %w", err)
	}
	if _, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok {
		return nil, errors.New("the key is not ECDSA")
	}
	der, err := p.sign(clientTemplate(terminal, merchant, teller), csr.PublicKey)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// clientPair makes a key and a certificate for a desk directly, as PEM.
func (p *pki) clientPair(terminal, merchant string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := p.sign(clientTemplate(terminal, merchant, false), &key.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
