package desk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"lingqian/app"
	desksync "lingqian/sync"
)

// Enroller is the desk's enrolment as the window's settings use it: what
// `lingqian enroll` does, with errors the window can say in words.
func (d *Desk) Enroller() app.Enroller { return enroller{d} }

type enroller struct{ d *Desk }

// Enrol enrols the desk, then pulls the CA public keys and the hotlist
// with the new certificate, as the command does. A failed pull leaves the
// desk enrolled; the forwarder pulls them at its next pass.
func (e enroller) Enrol(ctx context.Context, req app.EnrolRequest) (app.Enrolment, error) {
	caPEM, err := readCA(req.CA)
	if err != nil {
		return app.Enrolment{}, err
	}
	if _, _, err := e.d.Enrol(ctx, req.BankURL, caPEM, req.Code, req.Force); err != nil {
		return app.Enrolment{}, enrolError(err, req.BankURL)
	}
	enr, err := e.Enrolment(ctx)
	if err != nil {
		return enr, err
	}
	client, err := e.d.BankClient(3)
	if err == nil {
		_, kerr := client.RefreshCAKeys(ctx, e.d.Dir)
		_, herr := client.RefreshHotlist(ctx, e.d.Dir)
		err = errors.Join(kerr, herr)
	}
	enr.Pulled = err == nil
	return enr, nil
}

// readCA is the CA certificate given as PEM text, or read from the file
// named; either way it must hold a certificate the desk can pin.
func readCA(ca string) ([]byte, error) {
	ca = strings.TrimSpace(ca)
	b := rebuildPEM(ca)
	if !strings.HasPrefix(ca, "-----BEGIN") {
		var err error
		if b, err = os.ReadFile(ca); err != nil {
			return nil, fmt.Errorf("the bank's CA certificate %s: %w (%w)", ca, app.ErrBankCA, err)
		}
	}
	if _, err := desksync.DeskTLS(b, nil, nil); err != nil {
		return nil, fmt.Errorf("the bank's CA certificate: %w (%w)", app.ErrBankCA, err)
	}
	return b, nil
}

// rebuildPEM gives PEM text its line breaks back: a one-line entry turns
// the pasted certificate's into spaces. Text that is not PEM is kept.
func rebuildPEM(text string) []byte {
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	var out []byte
	for rest := text; ; {
		i := strings.Index(rest, begin)
		if i < 0 {
			break
		}
		body, after, ok := strings.Cut(rest[i+len(begin):], end)
		if !ok {
			break
		}
		der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
		if err != nil {
			return []byte(text)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
		rest = after
	}
	if out == nil {
		return []byte(text)
	}
	return out
}

// enrolError marks an enrolment's error with what the window says of it,
// keeping the error itself for the log.
func enrolError(err error, bankURL string) error {
	var api *desksync.APIError
	var unknownCA x509.UnknownAuthorityError
	var verify *tls.CertificateVerificationError
	var mark error
	switch {
	case errors.Is(err, app.ErrReenrol):
		return err
	case errors.As(err, &api) && api.Code == "invalid_code":
		mark = app.ErrEnrolCode
	case errors.As(err, &unknownCA), errors.As(err, &verify):
		mark = app.ErrNotTheBank
	case desksync.Unavailable(err), errors.Is(err, context.DeadlineExceeded):
		mark = app.ErrBankUnreachable
	default:
		return fmt.Errorf("enrolling at %s: %w", bankURL, err)
	}
	return fmt.Errorf("enrolling at %s: %w (%w)", bankURL, mark, err)
}

// Enrolment is what the desk is enrolled as, with its certificate's
// subject, last day and fingerprint.
func (e enroller) Enrolment(ctx context.Context) (app.Enrolment, error) {
	get := func(key string) (string, error) {
		v, err := e.d.DB.Setting(ctx, key)
		if errors.Is(err, app.ErrNotFound) {
			return "", nil
		}
		return v, err
	}
	var enr app.Enrolment
	var cert, teller string
	for _, s := range []struct {
		key string
		to  *string
	}{
		{SettingBankURL, &enr.BankURL}, {SettingBankCert, &cert}, {SettingTerminal, &enr.Terminal},
		{SettingMerchant, &enr.Merchant}, {SettingTeller, &teller},
	} {
		v, err := get(s.key)
		if err != nil {
			return app.Enrolment{}, err
		}
		*s.to = v
	}
	if cert == "" {
		return app.Enrolment{Terminal: enr.Terminal, Merchant: enr.Merchant}, nil
	}
	enr.Enrolled, enr.Teller, enr.Pulled = true, teller == "true", true
	block, _ := pem.Decode([]byte(cert))
	if block == nil {
		return enr, errors.New("the desk's certificate setting holds no PEM certificate: enrol again")
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return enr, fmt.Errorf("the desk's certificate: %w", err)
	}
	sum := sha256.Sum256(c.Raw)
	enr.Subject, enr.NotAfter, enr.Fingerprint = c.Subject.String(), c.NotAfter, fingerprint(sum[:])
	return enr, nil
}

// fingerprint is a digest as certificate tools show it: hex pairs and colons.
func fingerprint(b []byte) string {
	var s bytes.Buffer
	for i, c := range b {
		if i > 0 {
			s.WriteByte(':')
		}
		fmt.Fprintf(&s, "%02X", c)
	}
	return s.String()
}

// Reidentify gives the window's checkout, reports and teller mode the
// terminal and merchant ids the desk has now, after an enrolment from the
// settings: without it the window would record sales under the former
// ids until it is opened again. The caller makes sure nothing runs on
// them meanwhile; eod and t may be nil.
func (d *Desk) Reidentify(capk string, co *app.Checkout, eod *app.EndOfDay, t *app.Teller) error {
	keys, err := d.CAKeys(capk)
	if err != nil {
		return err
	}
	k, err := d.Kernel(keys)
	if err != nil {
		return err
	}
	co.Kernel, co.Terminal, co.Merchant = k, d.Terminal, d.Merchant
	if eod != nil {
		eod.Terminal, eod.Merchant = d.Terminal, d.Merchant
	}
	if t != nil {
		t.Kernel, t.Terminal = k, d.Terminal
	}
	return nil
}
