// Package banktest drives a running bank the way its clients do, for
// tests: a desk that enrols with a CSR and runs real purchases with the
// terminal kernel against real wallets, and a phone that logs in and has
// its wallet issued over HTTPS. It speaks docs/bank-api.md on the wire.
package banktest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
	"lingqian/wallet"
)

// Client calls the bank over HTTPS, trusting only its CA.
type Client struct {
	Base  string
	HTTP  *http.Client
	Token string // a phone's bearer token, once logged in
}

// NewClient makes a client of the bank at base; cert, if not nil, is the
// desk's client certificate.
func NewClient(base string, caPEM []byte, cert *tls.Certificate) *Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return &Client{Base: strings.TrimRight(base, "/"), HTTP: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{TLSClientConfig: cfg, MaxIdleConnsPerHost: 4},
	}}
}

// Response is a raw answer.
type Response struct {
	Status int
	Body   []byte
}

// Code is the error code of an error answer, "" for others.
func (r Response) Code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Raw sends body as it is (nil: none) with the Idempotency-Key key ("":
// none).
func (c *Client) Raw(ctx context.Context, method, path, key string, body []byte) (Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, rd)
	if err != nil {
		return Response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Body: data}, err
}

// Call sends v as JSON and decodes a 200 answer into out.
func (c *Client) Call(ctx context.Context, method, path, key string, v, out any) (Response, error) {
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			return Response{}, err
		}
	}
	r, err := c.Raw(ctx, method, path, key, body)
	if err != nil {
		return r, err
	}
	if r.Status != http.StatusOK {
		return r, fmt.Errorf("%s %s: %d %s", method, path, r.Status, r.Body)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			return r, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return r, nil
}

var keys atomic.Int64

// NewKey is a fresh Idempotency-Key.
func NewKey(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%x", prefix, keys.Add(1), b)
}

// Desk is an enrolled desk with its own terminal kernel.
type Desk struct {
	TerminalID, MerchantID string
	Teller                 bool
	Cert                   tls.Certificate
	Client                 *Client
	CAPEM                  []byte
	kernel                 *emv.Kernel
	seq                    atomic.Int64
}

// Enroll makes a desk key pair and CSR and enrols it with the code.
func Enroll(t testing.TB, base string, caPEM []byte, code string) *Desk {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "desk"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}))
	var resp bank.EnrollResponse
	if _, err := NewClient(base, caPEM, nil).Call(context.Background(), "POST", "/v1/enroll", NewKey("enroll"),
		map[string]string{"code": code, "csr": csr}, &resp); err != nil {
		t.Fatalf("enrol: %v", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair([]byte(resp.Certificate), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	if err != nil {
		t.Fatal(err)
	}
	d := &Desk{TerminalID: resp.TerminalID, MerchantID: resp.MerchantID, Teller: resp.Teller, Cert: cert, CAPEM: caPEM}
	d.Client = NewClient(base, caPEM, &cert)
	d.kernel = d.newKernel(t)
	return d
}

// newKernel is the desk's kernel with the CA public keys the bank serves.
func (d *Desk) newKernel(t testing.TB) *emv.Kernel {
	t.Helper()
	r, err := d.Client.Raw(context.Background(), "GET", "/v1/desk/capk", "", nil)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("CA keys: %v %d %s", err, r.Status, r.Body)
	}
	capks, err := oda.ParseFile(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	store := oda.NewStore()
	if err := store.AddAll(capks); err != nil {
		t.Fatal(err)
	}
	term := emv.DefaultTerminal()
	term.Keys = store
	term.TerminalID, term.MerchantID, term.MerchantName = d.TerminalID, d.MerchantID, "Lingqian test shop"
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Tap runs one purchase of amount with the phone tapped on an in-process
// reader, whatever its outcome.
func (d *Desk) Tap(t testing.TB, w *wallet.Card, amount int64) emv.Outcome {
	t.Helper()
	r := device.NewLoopback("Loopback 00 00")
	r.Tap(w, device.Leave{})
	card, err := r.Connect(context.Background(), "Loopback 00 00")
	if err != nil {
		t.Fatal(err)
	}
	defer card.Close()
	return d.kernel.Run(context.Background(), card, emv.Purchase{Amount: amount, At: time.Now()})
}

// Purchase runs one purchase of amount, which must be approved, and
// returns the detail message the desk forwards.
func (d *Desk) Purchase(t testing.TB, w *wallet.Card, amount int64) bank.WireMessage {
	t.Helper()
	now := time.Now()
	out := d.Tap(t, w, amount)
	if out.Result != emv.Approved {
		t.Fatalf("purchase of %d: %v %s %s", amount, out.Result, out.Reason.Code, out.Reason.Detail)
	}
	seq := d.seq.Add(1)
	return bank.WireMessage{
		Key: fmt.Sprintf("%s-%d-%s", d.TerminalID, seq, NewKey("m")), Seq: seq, Kind: bank.KindPurchase,
		At: now.UTC().Format(time.RFC3339), MerchantID: d.MerchantID, Amount: out.Amount, Currency: out.Currency,
		TxnDate: out.Date.Format(time.DateOnly), TxnType: bank.HexByte{V: out.Type}, AID: hexs(out.AID),
		PAN: out.PAN, PSN: out.PSN, ATC: int64(out.ATC), CID: bank.HexByte{V: out.CID}, AC: hexs(out.AC),
		IAD: hexs(out.IAD), TVR: hexs(out.TVR[:]), UN: hexs(out.UN), PDOLData: hexs(out.PDOLData),
		CDOL1Data: hexs(out.CDOL1Data), GenACResponse: hexs(out.GenACResponse),
	}
}

// Void is the void of a purchase message, as the desk forwards it.
func (d *Desk) Void(p bank.WireMessage) bank.WireMessage {
	seq := d.seq.Add(1)
	v := p
	v.Key, v.Seq, v.Kind, v.Ref = fmt.Sprintf("%s-%d-%s", d.TerminalID, seq, NewKey("v")), seq, bank.KindVoid, p.Seq
	return v
}

// Send forwards messages as one batch under a fresh Idempotency-Key.
func (d *Desk) Send(t testing.TB, msgs ...bank.WireMessage) []bank.Result {
	t.Helper()
	return d.SendKey(t, NewKey("batch"), msgs...)
}

// SendKey forwards messages as one batch under key.
func (d *Desk) SendKey(t testing.TB, key string, msgs ...bank.WireMessage) []bank.Result {
	t.Helper()
	var resp bank.BatchResponse
	if _, err := d.Client.Call(context.Background(), "POST", "/v1/desk/batches", key,
		bank.BatchRequest{Messages: msgs}, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(resp.Results), len(msgs))
	}
	return resp.Results
}

// Reconciliation is the desk's feed from since_seq 0.
func (d *Desk) Reconciliation(t testing.TB) bank.ReconResponse {
	t.Helper()
	var resp bank.ReconResponse
	if _, err := d.Client.Call(context.Background(), "GET", "/v1/desk/reconciliation?since_seq=0", "", nil, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

// Login logs a phone in and returns its client.
func Login(t testing.TB, base string, caPEM []byte, user, password string) *Client {
	t.Helper()
	c := NewClient(base, caPEM, nil)
	var resp bank.LoginResponse
	if _, err := c.Call(context.Background(), "POST", "/v1/login", NewKey("login"),
		map[string]string{"user": user, "password": password}, &resp); err != nil {
		t.Fatalf("login: %v", err)
	}
	c.Token = resp.Token
	return c
}

// Certify is the wallet's Certify over the bank's API: the phone's new ICC
// key goes to POST /v1/vouchers with the initial load.
func (c *Client) Certify(load int64) wallet.Certify {
	return func(icc oda.PublicKey) (*issuance.Personalisation, error) {
		var resp bank.VoucherResponse
		_, err := c.Call(context.Background(), "POST", "/v1/vouchers", NewKey("voucher"), map[string]any{
			"icc_public_key": map[string]string{"modulus": hexs(icc.Modulus), "exponent": hexs(icc.Exponent)},
			"load":           load,
		}, &resp)
		if err != nil {
			return nil, err
		}
		return resp.Personalisation, nil
	}
}

// NewWallet has the bank issue a wallet with load fen on it, in dir.
func (c *Client) NewWallet(t testing.TB, dir string, load int64) *wallet.Card {
	t.Helper()
	w, err := wallet.Create(filepath.Join(dir, "wallet.json"), wallet.CreateOptions{}, c.Certify(load))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// Upload sends the wallet's deducted voucher and its whole log.
func (c *Client) Upload(t testing.TB, w *wallet.Card) bank.UploadResponse {
	t.Helper()
	var resp bank.UploadResponse
	if _, err := c.Call(context.Background(), "POST", "/v1/wallet/uploads", NewKey("upload"), map[string]any{
		"pan": w.PAN(), "psn": w.PSN(), "balance": w.Balance(), "atc": w.ATC(), "records": w.Log(),
	}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func hexs(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
