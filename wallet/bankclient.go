package wallet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

// BankClient is the phone's online client of the bank (docs/bank-api.md):
// log in, apply for a voucher, upload the deducted voucher and its log.
// It speaks HTTPS and trusts only the bank's own CA.
type BankClient struct {
	base  *url.URL
	hc    *http.Client
	token string
	// Attempts is how many times a request is tried when the bank cannot
	// be reached or answers 429 or 5xx; every attempt has the same
	// Idempotency-Key and body.
	Attempts int
	// Wait is the pause before retry n (1, 2, …); nil: a capped
	// exponential backoff with jitter.
	Wait func(n int) time.Duration
}

// NewBankClient makes a client of the bank at baseURL that trusts only
// the CA certificates in caPEM.
func NewBankClient(baseURL string, caPEM []byte) (*BankClient, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Host == "" || u.Scheme != "https" {
		return nil, fmt.Errorf("wallet: bank URL %q: want https://host:port", baseURL)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("wallet: the bank CA file holds no PEM certificate")
	}
	tr := &http.Transport{
		Proxy:               nil, // nobody between the phone and its bank
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	return &BankClient{base: u, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, Attempts: 4}, nil
}

// URL is the bank's address.
func (b *BankClient) URL() string { return b.base.String() }

// SetToken uses a session from an earlier Login.
func (b *BankClient) SetToken(token string) { b.token = token }

// BankError is the bank's refusal, with its stable code (wrong_password,
// insufficient_funds, …) and its sentence.
type BankError struct {
	Call    string
	Status  int
	Code    string
	Message string
}

func (e *BankError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s: the bank refused (%d %s): %s", e.Call, e.Status, e.Code, msg)
}

// ErrBankUnreachable: no answer from the bank, even after the retries.
var ErrBankUnreachable = errors.New("the bank cannot be reached")

// ErrBankCertificate: the server is not the bank the pinned CA vouches for.
var ErrBankCertificate = errors.New("the server's certificate is not signed by the bank's CA")

// Session is a login: a bearer token and when it ends.
type Session struct {
	Token   string    `json:"token"`
	Expires time.Time `json:"expires"`
}

// Login opens a session for the customer; the client uses it from then on.
func (b *BankClient) Login(ctx context.Context, user, password string) (Session, error) {
	body, err := json.Marshal(map[string]string{"user": user, "password": password})
	if err != nil {
		return Session{}, fmt.Errorf("wallet: login: %w", err)
	}
	var s Session
	if err := b.do(ctx, "POST", "/v1/login", newKey("login"), body, &s); err != nil {
		return Session{}, err
	}
	if s.Token == "" {
		return Session{}, errors.New("wallet: POST /v1/login: the bank gave no token")
	}
	b.token = s.Token
	return s, nil
}

// Voucher is the bank's answer to a voucher request.
type Voucher struct {
	Personalisation issuance.Personalisation `json:"personalisation"`
	// CAPK is the CA public key file for the card's certificates, as the
	// bank sent it: a desk without a bank can take it as --capk.
	CAPK json.RawMessage `json:"capk"`
}

// Certify asks the bank for a voucher of load (minor units) for the
// phone's ICC key, for Create. The answer is also stored in got.
func (b *BankClient) Certify(ctx context.Context, load int64, got *Voucher) Certify {
	// One key for this voucher, made before the first attempt: a retry
	// after a lost answer cannot load the wallet twice.
	key := newKey("voucher")
	return func(icc oda.PublicKey) (*issuance.Personalisation, error) {
		type pub struct {
			Modulus  issuance.Hex `json:"modulus"`
			Exponent issuance.Hex `json:"exponent"`
		}
		body, err := json.Marshal(struct {
			ICC  pub   `json:"icc_public_key"`
			Load int64 `json:"load"`
		}{pub{icc.Modulus, icc.Exponent}, load})
		if err != nil {
			return nil, fmt.Errorf("wallet: voucher request: %w", err)
		}
		var v Voucher
		if err := b.do(ctx, "POST", "/v1/vouchers", key, body, &v); err != nil {
			return nil, err
		}
		if got != nil {
			*got = v
		}
		return &v.Personalisation, nil
	}
}

// Apply makes the wallet file path: the phone makes its ICC key pair, the
// bank certifies it and loads load from the customer's deposit account.
// Log in first.
func (b *BankClient) Apply(ctx context.Context, path string, load int64, opts CreateOptions) (*Card, *Voucher, error) {
	if load <= 0 || load > issuance.MaxAmount {
		return nil, nil, fmt.Errorf("wallet: a load of %d: must be 1 to %d", load, issuance.MaxAmount)
	}
	var v Voucher
	c, err := Create(path, opts, b.Certify(ctx, load, &v))
	if err != nil {
		return nil, nil, err
	}
	return c, &v, nil
}

// do sends one request, trying again while the bank cannot be reached
// or answers 429 or 5xx; body is sent whole on every attempt.
func (b *BankClient) do(ctx context.Context, method, path, key string, body []byte, out any) error {
	call := method + " " + path
	attempts := max(b.Attempts, 1)
	var last error
	for n := 1; n <= attempts; n++ {
		wait, err := b.attempt(ctx, call, method, path, key, body, out)
		if err == nil {
			return nil
		}
		last = err
		if wait < 0 || n == attempts {
			break
		}
		if b.Wait != nil {
			wait = max(wait, b.Wait(n))
		} else {
			wait = max(wait, backoff(n))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("wallet: %s: %w", call, ctx.Err())
		case <-t.C:
		}
	}
	return last
}

// attempt makes one try. A negative wait means trying again is useless;
// otherwise wait is the bank's Retry-After (0 when it gave none).
func (b *BankClient) attempt(ctx context.Context, call, method, path, key string, body []byte, out any) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base.String()+path, rd)
	if err != nil {
		return -1, fmt.Errorf("wallet: %s: %w", call, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if b.token != "" {
		req.Header.Set("Authorization", "Bearer "+b.token)
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var unknownCA x509.UnknownAuthorityError
		var verify *tls.CertificateVerificationError
		switch {
		case ctx.Err() != nil:
			return -1, fmt.Errorf("wallet: %s: %w", call, ctx.Err())
		case errors.As(err, &unknownCA), errors.As(err, &verify):
			return -1, fmt.Errorf("wallet: %s at %s: %w: %w", call, b.base, ErrBankCertificate, err)
		}
		return 0, fmt.Errorf("wallet: %s at %s: %w: %w", call, b.base, ErrBankUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return 0, fmt.Errorf("wallet: %s at %s: %w: %w", call, b.base, ErrBankUnreachable, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &BankError{Call: call, Status: resp.StatusCode}
		var eb struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(data, &eb) == nil {
			e.Code, e.Message = eb.Error.Code, eb.Error.Message
		}
		if resp.StatusCode == http.StatusTooManyRequests || (resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented) {
			return retryAfter(resp.Header.Get("Retry-After")), e
		}
		return -1, e
	}
	if err := json.Unmarshal(data, out); err != nil {
		return -1, fmt.Errorf("wallet: %s: the bank's answer: %w", call, err)
	}
	return 0, nil
}

// backoff is 300 ms doubled per retry up to 5 s, the upper half random.
func backoff(n int) time.Duration {
	step := 5 * time.Second
	if n < 6 {
		step = min(step, 300*time.Millisecond<<(n-1))
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(step/2)+1))
	if err != nil {
		return step
	}
	return step/2 + time.Duration(j.Int64())
}

// retryAfter reads a Retry-After of delay-seconds or an HTTP date, capped
// at 30 s so a bad header cannot park the phone.
func retryAfter(h string) time.Duration {
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n > 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), 30*time.Second)
}

// newKey makes a fresh Idempotency-Key for one request.
func newKey(what string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go 1.24 and later)
	return what + "-" + hex.EncodeToString(b)
}
