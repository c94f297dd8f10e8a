package sync

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// RetryCondition says whether a request is worth sending again. Every
// POST to the bank carries a fixed Idempotency-Key and a fixed body, so a
// retry can never post twice; what matters is only whether another
// attempt can succeed.
//
// resty replaces its own default condition (retry on any error) with the
// conditions added to a client, so this one covers everything: transport
// failures (refused, reset, cut, timed out attempts), 429 and 5xx are
// retried; a cancelled request, a TLS or certificate refusal (the same
// certificates will be refused again), 501 and other 4xx are not.
func RetryCondition(resp *resty.Response, err error) bool {
	if err != nil {
		return retryableError(err)
	}
	if resp == nil {
		return false
	}
	return RetryableStatus(resp.StatusCode())
}

// RetryableStatus: 429 (slow down) and server errors except 501 (the bank
// does not have the call at all; asking again will not add it).
func RetryableStatus(code int) bool {
	switch {
	case code == http.StatusTooManyRequests:
		return true
	case code == http.StatusNotImplemented:
		return false
	default:
		return code >= 500 && code <= 599
	}
}

// retryableError says whether a failed attempt may succeed when repeated.
func retryableError(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		recHeader tls.RecordHeaderError
		op        *net.OpError
	)
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid),
		errors.As(err, &verify), errors.As(err, &recHeader):
		return false // not the bank, or not speaking TLS: the same again will fail the same way
	case errors.As(err, &op) && op.Op == "remote error":
		return false // the bank's TLS alert: it refused our certificate
	}
	// A per-attempt timeout wraps context.DeadlineExceeded too; the
	// overall context is checked by resty before this condition runs.
	return true
}

// Backoff spaces the attempts of one request: capped exponential with
// jitter, so that desks coming back after an outage do not all knock at
// once, and the bank's Retry-After when it gives one.
type Backoff struct {
	Min time.Duration // the first wait, before jitter
	Max time.Duration // no wait of the exponential series is longer
	// RetryAfterMax caps a Retry-After from the bank: a bad header must
	// not park the desk for a day.
	RetryAfterMax time.Duration
}

// DefaultBackoff suits a desk on a shop's network.
var DefaultBackoff = Backoff{Min: 250 * time.Millisecond, Max: 8 * time.Second, RetryAfterMax: 60 * time.Second}

func (b Backoff) withDefaults() Backoff {
	if b.Min <= 0 {
		b.Min = DefaultBackoff.Min
	}
	if b.Max < b.Min {
		b.Max = max(DefaultBackoff.Max, b.Min)
	}
	if b.RetryAfterMax <= 0 {
		b.RetryAfterMax = DefaultBackoff.RetryAfterMax
	}
	return b
}

// Delay is the wait before retry number retry (1 for the first retry).
// retryAfter is the bank's Retry-After (0 when it gave none): it is
// honoured as given, capped at RetryAfterMax. Otherwise the wait is
// Min·2^(retry-1), capped at Max, of which the upper half is random
// ("equal jitter"): never less than half the step, never more than Max.
// jitter returns a number in [0, n); nil uses math/rand.
func (b Backoff) Delay(retry int, retryAfter time.Duration, jitter func(n int64) int64) time.Duration {
	b = b.withDefaults()
	if retryAfter > 0 {
		return min(retryAfter, b.RetryAfterMax)
	}
	if retry < 1 {
		retry = 1
	}
	step := b.Max
	if retry <= 40 { // past that the shift overflows; Max is long since reached
		if d := b.Min << (retry - 1); d > 0 && d < b.Max {
			step = d
		}
	}
	half := step / 2
	if half <= 0 {
		return step
	}
	if jitter == nil {
		jitter = rand.Int64N
	}
	return half + time.Duration(jitter(int64(step-half)+1))
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. It gives 0 when the header is absent, malformed or in the past.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 || n > 1<<31 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// retryAfterFunc plugs Delay into resty. resty calls it after a failed
// attempt with that attempt's response (a response without RawResponse
// when the transport failed); it clamps the answer to its own
// [wait, max wait], which newClient sets to [Min, RetryAfterMax].
func (b Backoff) retryAfterFunc(jitter func(int64) int64) resty.RetryAfterFunc {
	return func(_ *resty.Client, resp *resty.Response) (time.Duration, error) {
		retry := 1
		var after time.Duration
		if resp != nil {
			if resp.Request != nil && resp.Request.Attempt > 0 {
				retry = resp.Request.Attempt
			}
			if resp.RawResponse != nil {
				after = ParseRetryAfter(resp.Header().Get("Retry-After"), time.Now())
			}
		}
		return b.Delay(retry, after, jitter), nil
	}
}
