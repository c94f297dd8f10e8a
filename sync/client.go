package sync

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// Config says how to reach the bank. A test or a fault-injecting proxy
// gives its own BaseURL and TLS; the desk builds TLS with DeskTLS.
type Config struct {
	BaseURL string      // e.g. https://127.0.0.1:8443
	TLS     *tls.Config // the pinned bank CA and, past enrolment, the desk's certificate
	// AttemptTimeout bounds one attempt (connect, send, answer). The
	// caller's context bounds the whole call, retries included.
	AttemptTimeout time.Duration
	// Retries is how many times a failed attempt is repeated: 0 means
	// DefaultRetries, a negative number none.
	Retries int
	Backoff Backoff
	// Jitter, if set, replaces the random part of the backoff (tests).
	Jitter func(n int64) int64
}

// Defaults of Config.
const (
	DefaultAttemptTimeout = 30 * time.Second
	DefaultRetries        = 6
	// maxAnswer bounds what the desk reads from the bank: a reconciliation
	// feed of 100,000 messages is about 10 MiB.
	maxAnswer = 64 << 20
)

// Client talks to the bank's API over HTTPS with the pinned CA.
type Client struct {
	base *url.URL
	r    *resty.Client
	// anchors are the bank's anchors when forwarding without a folder.
	anchors memAnchors
}

// NewClient checks the configuration and makes the client. It does not
// reach the bank.
func NewClient(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("sync: bank URL %q: want https://host:port", cfg.BaseURL)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("sync: bank URL %q: the bank is only spoken to over https", cfg.BaseURL)
	}
	if cfg.TLS == nil || cfg.TLS.RootCAs == nil {
		return nil, errors.New("sync: no pinned bank CA: the desk trusts only the bank's own CA")
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = DefaultAttemptTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	b := cfg.Backoff.withDefaults()
	tr := &http.Transport{
		Proxy:               nil, // a shop's proxy setting must not put a third party between desk and bank
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     cfg.TLS.Clone(),
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	r := resty.NewWithClient(&http.Client{Transport: tr}).
		SetBaseURL(u.String()).
		SetTimeout(cfg.AttemptTimeout).
		SetLogger(quietLogger{}).
		SetResponseBodyLimit(maxAnswer).
		SetHeader("Accept", "application/json").
		SetHeader("User-Agent", "lingqian-desk").
		SetRetryCount(cfg.Retries).
		SetRetryWaitTime(max(b.Min/2, time.Millisecond)).
		SetRetryMaxWaitTime(max(b.Max, b.RetryAfterMax)).
		SetRetryAfter(b.retryAfterFunc(cfg.Jitter)).
		AddRetryCondition(RetryCondition)
	return &Client{base: u, r: r}, nil
}

// BaseURL is the bank's address.
func (c *Client) BaseURL() string { return c.base.String() }

// DeskTLS is the desk's TLS to the bank: only caPEM's certificates are
// trusted, and the desk shows certPEM (with the key keyPEM) when asked.
// Without certPEM it is the enrolment's TLS: the bank's CA only.
func DeskTLS(caPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("sync: the bank CA file holds no PEM certificate")
	}
	cfg := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if len(certPEM) > 0 {
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("sync: the desk's certificate and key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// APIError is the bank's refusal: HTTP status and the stable code and
// sentence of docs/bank-api.md.
type APIError struct {
	Status  int
	Code    string
	Message string
	Call    string // e.g. "POST /v1/desk/batches"
	// Anchors are the links whose hashes the bank wants, with
	// anchor_needed.
	Anchors []Anchor
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Code == "" {
		return fmt.Sprintf("%s: the bank answered %d: %s", e.Call, e.Status, msg)
	}
	return fmt.Sprintf("%s: the bank answered %d %s: %s", e.Call, e.Status, e.Code, msg)
}

// ErrUnavailable marks a call that did not reach the bank or that the
// bank could not serve even after the retries: try again later.
var ErrUnavailable = errors.New("the bank is unavailable")

// Unavailable says whether err means "try again later" rather than a
// refusal or a fault of the desk.
func Unavailable(err error) bool {
	var api *APIError
	if errors.As(err, &api) {
		return RetryableStatus(api.Status)
	}
	return errors.Is(err, ErrUnavailable)
}

// Refused says whether err is the bank refusing the desk's credential
// (401 or 403): every call with the same certificate is refused alike.
func Refused(err error) bool {
	var api *APIError
	return errors.As(err, &api) && (api.Status == http.StatusUnauthorized || api.Status == http.StatusForbidden)
}

// call sends one request: body is sent whole on every attempt, key is its
// Idempotency-Key (every POST has one), out receives a 2xx answer.
func (c *Client) call(ctx context.Context, method, path, key string, body []byte, out any) error {
	name := method + " " + path
	req := c.r.R().SetContext(ctx)
	if body != nil {
		req.SetHeader("Content-Type", "application/json").SetBody(body)
	}
	if key != "" {
		req.SetHeader("Idempotency-Key", key)
	}
	resp, err := req.Execute(method, path)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, below
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", name, ctx.Err())
		}
		if retryableError(err) {
			return fmt.Errorf("%s at %s: %w: %w", name, c.base, ErrUnavailable, err)
		}
		return fmt.Errorf("%s at %s: %w", name, c.base, err)
	}
	if code := resp.StatusCode(); code < 200 || code > 299 {
		return apiError(name, code, resp.Body())
	}
	if out == nil {
		return nil
	}
	if err := decodeStrict(resp.Body(), out); err != nil {
		return fmt.Errorf("%s: the bank's answer: %w", name, err)
	}
	return nil
}

func apiError(call string, status int, body []byte) error {
	e := &APIError{Status: status, Call: call}
	var eb struct {
		errorBody
		Anchors []Anchor `json:"anchors"`
	}
	if json.Unmarshal(body, &eb) == nil {
		e.Code, e.Message, e.Anchors = eb.Error.Code, eb.Error.Message, eb.Anchors
	}
	return e
}

// decodeStrict reads one JSON value; fields this desk does not know are
// allowed (a newer bank may add some), trailing data is not.
func decodeStrict(b []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(out); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// quietLogger keeps resty from writing to stderr: the desk reports
// failures itself, as sentences, once.
type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
