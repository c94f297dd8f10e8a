package sync_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/go-resty/resty/v2"

	desksync "lingqian/sync"
)

func TestRetryCondition(t *testing.T) {
	status := func(code int) *resty.Response {
		return &resty.Response{RawResponse: &http.Response{StatusCode: code}}
	}
	urlErr := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://127.0.0.1:8443/v1/desk/batches", Err: err}
	}
	cases := []struct {
		name string
		resp *resty.Response
		err  error
		want bool
	}{
		{"200 answered", status(200), nil, false},
		{"400 bad request: the same body fails the same way", status(400), nil, false},
		{"401 unauthenticated", status(401), nil, false},
		{"409 conflict", status(409), nil, false},
		{"413 too large", status(413), nil, false},
		{"429 rate limited", status(429), nil, true},
		{"500 internal", status(500), nil, true},
		{"501 not implemented: asking again will not add the call", status(501), nil, false},
		{"502 bad gateway", status(502), nil, true},
		{"503 unavailable", status(503), nil, true},
		{"504 gateway timeout", status(504), nil, true},
		{"no response and no error", nil, nil, false},
		{"connection refused", nil, urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), true},
		{"connection reset", nil, urlErr(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), true},
		{"connection cut before the answer", nil, urlErr(io.ErrUnexpectedEOF), true},
		{"EOF", nil, urlErr(io.EOF), true},
		{"attempt timed out", nil, urlErr(fmt.Errorf("awaiting headers: %w", context.DeadlineExceeded)), true},
		{"cancelled by the desk", nil, urlErr(context.Canceled), false},
		{"server not signed by the pinned CA", nil, urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false},
		{"unknown authority", nil, urlErr(x509.UnknownAuthorityError{}), false},
		{"wrong host name", nil, urlErr(x509.HostnameError{Host: "bank.example"}), false},
		{"the bank refused our certificate (TLS alert)", nil, urlErr(&net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")}), false},
		{"not TLS at all", nil, urlErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given an attempt that ended this way
			// When the retry condition looks at it
			got := desksync.RetryCondition(tc.resp, tc.err)
			// Then it retries only what another attempt can fix
			if got != tc.want {
				t.Errorf("RetryCondition = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestBackoffDelay(t *testing.T) {
	b := desksync.Backoff{Min: 100 * time.Millisecond, Max: 2 * time.Second, RetryAfterMax: 30 * time.Second}
	low := func(int64) int64 { return 0 }
	high := func(n int64) int64 { return n - 1 }
	cases := []struct {
		name       string
		retry      int
		retryAfter time.Duration
		jitter     func(int64) int64
		want       time.Duration
	}{
		{"first retry, least jitter: half the step", 1, 0, low, 50 * time.Millisecond},
		{"first retry, most jitter: the whole step", 1, 0, high, 100 * time.Millisecond},
		{"second retry doubles", 2, 0, high, 200 * time.Millisecond},
		{"third retry doubles again", 3, 0, low, 200 * time.Millisecond},
		{"fifth retry", 5, 0, high, 1600 * time.Millisecond},
		{"capped at Max", 6, 0, high, 2 * time.Second},
		{"capped at Max, least jitter", 6, 0, low, time.Second},
		{"far past the cap does not overflow", 500, 0, high, 2 * time.Second},
		{"retry 0 is read as the first", 0, 0, high, 100 * time.Millisecond},
		{"Retry-After is honoured as given", 1, 3 * time.Second, high, 3 * time.Second},
		{"Retry-After longer than Max still honoured", 6, 10 * time.Second, low, 10 * time.Second},
		{"Retry-After capped at RetryAfterMax", 1, time.Hour, low, 30 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given the backoff and a fixed jitter
			// When the delay before a retry is asked for
			got := b.Delay(tc.retry, tc.retryAfter, tc.jitter)
			// Then it is the step of the series, or the bank's Retry-After
			if got != tc.want {
				t.Errorf("Delay(%d, %v) = %v, want %v", tc.retry, tc.retryAfter, got, tc.want)
			}
		})
	}
}

func TestBackoffDelay_RandomJitterStaysInBounds(t *testing.T) {
	// Given the default random jitter
	b := desksync.Backoff{Min: 100 * time.Millisecond, Max: 2 * time.Second}
	for retry := 1; retry <= 8; retry++ {
		step := min(b.Min<<(retry-1), b.Max)
		for range 200 {
			// When a delay is drawn
			d := b.Delay(retry, 0, nil)
			// Then it lies between half the step and the step
			if d < step/2 || d > step {
				t.Fatalf("retry %d: delay %v outside [%v, %v]", retry, d, step/2, step)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"99999999999999", 0},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%q", tc.header), func(t *testing.T) {
			// Given a Retry-After header, when it is read, then it is the wait it names
			if got := desksync.ParseRetryAfter(tc.header, now); got != tc.want {
				t.Errorf("ParseRetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}
