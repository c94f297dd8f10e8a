package desk

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

// caPEM is a self-signed CA certificate, as a bank's ca.pem holds.
func caPEM(t testing.TB) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test bank CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestReadCA_AFileOrPEMPastedOnOneLine(t *testing.T) {
	ca := caPEM(t)
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	for name, given := range map[string]string{
		"a file":                 file,
		"PEM as it is":           string(ca),
		"PEM pasted on one line": strings.ReplaceAll(string(ca), "\n", " "),
	} {
		got, err := readCA(given)
		if err != nil || !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(ca)) {
			t.Errorf("%s: %v\n%s", name, err, got)
		}
	}
	for name, given := range map[string]string{
		"no such file":  filepath.Join(t.TempDir(), "none.pem"),
		"not a CA":      "-----BEGIN CERTIFICATE----- AAAA -----END CERTIFICATE-----",
		"broken base64": "-----BEGIN CERTIFICATE----- !!! -----END CERTIFICATE-----",
	} {
		if _, err := readCA(given); !errors.Is(err, app.ErrBankCA) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func FuzzRebuildPEM(f *testing.F) {
	f.Add(strings.ReplaceAll(string(caPEM(f)), "\n", " "))
	f.Add("-----BEGIN CERTIFICATE-----")
	f.Add("-----BEGIN CERTIFICATE----------END CERTIFICATE-----")
	f.Fuzz(func(t *testing.T, text string) {
		// Whatever is pasted, the rebuild never panics, and text without a
		// certificate comes back as it was
		out := rebuildPEM(text)
		if !strings.Contains(text, "-----END CERTIFICATE-----") && string(out) != text {
			t.Fatalf("%q became %q", text, out)
		}
	})
}
