package bank

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"time"
)

// Handler is the bank's HTTP API (docs/bank-api.md).
func (b *Bank) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/enroll", b.public(b.handleEnroll))
	mux.Handle("POST /v1/login", b.public(b.handleLogin))
	mux.Handle("POST /v1/logout", b.phone(b.handleLogout))

	mux.Handle("POST /v1/vouchers", b.phone(b.handleVoucher))
	mux.Handle("POST /v1/wallet/uploads", b.phone(b.handleUpload))

	mux.Handle("GET /v1/desk/capk", b.desk(false, b.handleCAPK))
	mux.Handle("GET /v1/desk/hotlist", b.desk(false, b.handleHotlist))
	mux.Handle("POST /v1/desk/batches", b.desk(false, b.handleBatch))
	mux.Handle("GET /v1/desk/reconciliation", b.desk(false, b.handleReconciliation))

	mux.Handle("GET /v1/teller/wallets/{pan}", b.desk(true, b.handleWalletLookup))
	mux.Handle("POST /v1/teller/loads", b.desk(true, b.handleLoad))
	mux.Handle("POST /v1/teller/unloads", b.desk(true, b.handleUnload))
	mux.Handle("POST /v1/teller/hotlist", b.desk(true, b.handleTellerHotlist))
	mux.Handle("GET /v1/teller/exceptions", b.desk(true, b.handleExceptions))
	mux.Handle("POST /v1/teller/exceptions", b.desk(true, b.handleFileException))
	mux.Handle("POST /v1/teller/exceptions/{id}/resolve", b.desk(true, b.handleResolveException))
	mux.Handle("POST /v1/teller/reentries", b.desk(true, b.handleReentry))
	mux.Handle("GET /v1/teller/wallets/{pan}/statement", b.desk(true, b.handleTellerStatement))

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The router answers a known path with the wrong method here too.
		writeError(w, apiErr(http.StatusNotFound, CodeNotFound, "no %s %s in this API", r.Method, maskPANs(r.URL.Path)))
	})
	return b.logged(mux)
}

// handlerFunc is an API handler: it writes its answer, or returns the
// error to answer with.
type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller) error

// public is a call that needs no credential; it is rate limited per
// address instead.
func (b *Bank) public(h handlerFunc) http.Handler {
	return b.run(func(w http.ResponseWriter, r *http.Request) (caller, error) {
		if ok, wait := b.limit.allow(r.RemoteAddr, b.now()); !ok {
			e := apiErr(http.StatusTooManyRequests, CodeRateLimited, "too many requests from this address: wait a moment")
			e.RetryAfter = max(wait, time.Second)
			return caller{}, e
		}
		return caller{}, nil
	}, h)
}

// phone is a call with a customer's bearer token.
func (b *Bank) phone(h handlerFunc) http.Handler {
	return b.run(func(w http.ResponseWriter, r *http.Request) (caller, error) {
		c, err := b.customerFrom(r)
		return caller{customer: c}, err
	}, h)
}

// desk is a call with an enrolled desk's certificate; teller: a teller
// desk's.
func (b *Bank) desk(teller bool, h handlerFunc) http.Handler {
	return b.run(func(w http.ResponseWriter, r *http.Request) (caller, error) {
		d, err := b.deskFrom(r, teller)
		return caller{desk: d}, err
	}, h)
}

func (b *Bank) run(auth func(http.ResponseWriter, *http.Request) (caller, error), h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := r.Context().Value(logKey{}).(*logInfo)
		c, err := auth(w, r)
		if info != nil {
			info.client = c.client()
		}
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			ae := writeError(w, err)
			if info != nil {
				info.code = ae.Code
				if ae.Cause != nil {
					info.cause = ae.Cause
				}
			}
		}
	})
}

type logKey struct{}

// logInfo is filled in by the handler for the request's log line.
type logInfo struct {
	client string
	code   string
	cause  error
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += n
	return n, err
}

// logged logs one line per request — method, path with PANs masked,
// status, time taken, who — and never a body, a header or a token. A
// panic in a handler becomes a 500 and a log line with its stack.
func (b *Bank) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &logInfo{client: "anonymous"}
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				b.log.Error("panic", "path", maskPANs(r.URL.Path), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, internal(fmt.Errorf("panic: %v", p)))
				}
				info.code = CodeInternal
			}
			attrs := []any{"method", r.Method, "path", maskPANs(r.URL.Path), "status", sw.status,
				"ms", time.Since(start).Milliseconds(), "bytes", sw.bytes, "client", info.client, "remote", r.RemoteAddr}
			if info.code != "" {
				attrs = append(attrs, "code", info.code)
			}
			if info.cause != nil {
				attrs = append(attrs, "error", maskPANs(info.cause.Error()))
			}
			level := slog.LevelInfo
			if sw.status >= 500 {
				level = slog.LevelError
			}
			b.log.Log(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey{}, info)))
	})
}

var panRun = regexp.MustCompile(`\d{12,19}`)

// maskPANs masks every run of 12 to 19 digits in s as MaskPAN does.
func maskPANs(s string) string {
	return panRun.ReplaceAllStringFunc(s, MaskPAN)
}

// MaskPAN shows the first six and last four digits, as receipts do.
func MaskPAN(pan string) string {
	if len(pan) < 11 {
		return pan
	}
	out := []byte(pan)
	for i := 6; i < len(out)-4; i++ {
		out[i] = '*'
	}
	return string(out)
}

// TLSConfig is the server's TLS: TLS 1.2 or newer, the bank's certificate,
// and a client certificate verified against the bank's CA when one is
// given. Which calls need one is the API's business, not the handshake's:
// phones and enrolling desks have none.
func (b *Bank) TLSConfig() (*tls.Config, error) {
	if b.pki == nil {
		return nil, errors.New("bank: opened without keys")
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{b.pki.TLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    b.pki.Pool(),
	}, nil
}

// Server is the bank's HTTPS server on addr, with timeouts that keep a
// slow or stalled client from holding a connection for long.
func (b *Bank) Server(addr string) (*http.Server, error) {
	cfg, err := b.TLSConfig()
	if err != nil {
		return nil, err
	}
	return &http.Server{
		Addr:              addr,
		Handler:           b.Handler(),
		TLSConfig:         cfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(b.log.Handler(), slog.LevelWarn),
	}, nil
}

// ShutdownGrace is how long Serve lets requests in flight finish.
const ShutdownGrace = 15 * time.Second

// Serve serves HTTPS on addr until ctx is done, then stops taking new
// connections and lets those in flight finish. ready, if not nil, is
// called with the address listened on once connections are accepted.
func (b *Bank) Serve(ctx context.Context, addr string, ready func(net.Addr)) error {
	srv, err := b.Server(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("bank: listen: %w", err)
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("bank: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("bank: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("bank: serve: %w", err)
	}
	return nil
}
