package bank

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CodeValidity is how long a desk enrolment code may be used.
const CodeValidity = 24 * time.Hour

// validMerchant says whether s can be a merchant id: 1 to 15 letters,
// digits, '.', '_' or '-' (EMV's 9F16 holds 15 characters).
func validMerchant(s string) bool {
	if s == "" || len(s) > 15 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// normaliseCode lets people type a code in either case, with or without
// its dashes and spaces.
func normaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

func codeHash(code string) []byte {
	h := sha256.Sum256([]byte(normaliseCode(code)))
	return h[:]
}

// NewTerminalCode makes a one-time enrolment code for a desk of merchant,
// valid CodeValidity: 100 random bits in five groups of four. Only its
// hash is stored.
func (b *Bank) NewTerminalCode(ctx context.Context, merchant string, teller bool) (string, error) {
	if !validMerchant(merchant) {
		return "", fmt.Errorf("bank: merchant id %q: want 1 to 15 letters, digits, '.', '_' or '-'", merchant)
	}
	raw := make([]byte, 13) // 104 bits, of which the 20 characters keep 100
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("bank: enrolment code: %w", err)
	}
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw)
	var groups []string
	for i := 0; i < 20; i += 4 {
		groups = append(groups, s[i:i+4])
	}
	code := strings.Join(groups, "-")
	err := b.store.Write(ctx, func(tx Tx) error {
		return tx.CreateCode(EnrolCode{Hash: codeHash(code), MerchantID: merchant, Teller: teller, Expires: b.now().Add(CodeValidity)})
	})
	if err != nil {
		return "", fmt.Errorf("bank: enrolment code: %w", err)
	}
	return code, nil
}

// RevokeDesk stops a desk's certificate from reaching the API.
func (b *Bank) RevokeDesk(ctx context.Context, terminalID string) error {
	return b.store.Write(ctx, func(tx Tx) error { return tx.RevokeDesk(terminalID, b.now()) })
}

type enrollRequest struct {
	Code string `json:"code"`
	CSR  string `json:"csr"`
}

// EnrollResponse is the answer to POST /v1/enroll.
type EnrollResponse struct {
	TerminalID  string `json:"terminal_id"`
	MerchantID  string `json:"merchant_id"`
	Teller      bool   `json:"teller"`
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
}

func (b *Bank) handleEnroll(w http.ResponseWriter, r *http.Request, _ caller) error {
	if b.pki == nil {
		return internal(errors.New("the bank was opened without its CA"))
	}
	var req enrollRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	if req.Code == "" || len(req.Code) > 64 {
		return apiErr(http.StatusForbidden, CodeInvalidCode, "the enrolment code is unknown or was used")
	}
	csr, err := parseCSR(req.CSR)
	if err != nil {
		return err
	}
	hash := codeHash(req.Code)
	// The code is the only thing that names an enrolling desk: a retry
	// with the same key and body after a lost answer gets its certificate
	// again, though the code is spent.
	id := newIdem("enroll:"+hex.EncodeToString(hash), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	return b.commit(w, r, id, func(tx Tx) (answer, error) {
		now := b.now()
		code, err := tx.Code(hash)
		switch {
		case errors.Is(err, ErrNotFound):
			return answer{}, apiErr(http.StatusForbidden, CodeInvalidCode, "the enrolment code is unknown or was used")
		case err != nil:
			return answer{}, err
		case !code.Used.IsZero(), !now.Before(code.Expires):
			return answer{}, apiErr(http.StatusForbidden, CodeInvalidCode, "the enrolment code is unknown, used or expired")
		}
		n, err := tx.NextTerminalNumber()
		if err != nil {
			return answer{}, err
		}
		terminal := fmt.Sprintf("T%07d", n)
		cert, certPEM, err := b.pki.SignDesk(csr, terminal, code.MerchantID, code.Teller, now)
		if err != nil {
			return answer{}, fmt.Errorf("signing the desk's certificate: %w", err)
		}
		if err := tx.CreateDesk(Desk{TerminalID: terminal, MerchantID: code.MerchantID, Teller: code.Teller,
			CertSerial: cert.SerialNumber.Text(16), NotAfter: cert.NotAfter, Enrolled: now}); err != nil {
			return answer{}, err
		}
		if err := tx.UseCode(hash, terminal, now); err != nil {
			return answer{}, err
		}
		b.log.Info("desk enrolled", "terminal", terminal, "merchant", code.MerchantID, "teller", code.Teller)
		return answer{status: http.StatusOK, body: EnrollResponse{TerminalID: terminal, MerchantID: code.MerchantID,
			Teller: code.Teller, Certificate: string(certPEM), CA: string(b.pki.CAPEM)}}, nil
	})
}

// parseCSR reads the desk's certificate request: PEM, self-signed
// correctly, for an ECDSA P-256 key as docs/bank-api.md asks.
func parseCSR(s string) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, badRequest("csr is not a PEM CERTIFICATE REQUEST")
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, badRequest("csr does not parse: %v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, badRequest("csr is not signed by its key: %v", err)
	}
	k, ok := csr.PublicKey.(*ecdsa.PublicKey)
	if !ok || k.Curve != elliptic.P256() {
		return nil, badRequest("csr must be for an ECDSA P-256 key")
	}
	return csr, nil
}
