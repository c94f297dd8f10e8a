package synctest

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	desksync "lingqian/sync"

	"lingqian/issuance"
)

// Options shape a scripted bank.
type Options struct {
	// RequireClientCert refuses TLS handshakes without a client
	// certificate; otherwise desk calls without one get 401.
	RequireClientCert bool
	// Issuer issues the phones' vouchers; nil: one is made when first needed.
	Issuer *issuance.Issuer
}

// Fault is what the bank does instead of, or besides, answering a request.
type Fault struct {
	Delay      time.Duration // wait this long before anything else
	Status     int           // answer this error status without handling the request
	RetryAfter string        // the Retry-After header sent with Status
	Cut        bool          // handle the request, then close the connection unanswered
	// Contains, when set, keeps the fault for a request whose body holds
	// these bytes (a message's key, say): with batches on the wire at
	// once, the order requests arrive in is not the order they were cut.
	Contains string
}

// Request is one request the bank received, fault or not.
type Request struct {
	Method, Path, Query, Key string
	Body                     []byte
	Client                   string // the desk's terminal id, or the customer, or ""
}

// Bank is the scripted bank. Its fields are read and changed under its lock
// through its methods; tests may set Decide before the first batch.
type Bank struct {
	URL string
	// Decide gives a new message's bank state (posted, pending,
	// rejected) and reason; nil posts everything.
	Decide func(m desksync.Message) (state, reason string)

	srv  *httptest.Server
	pki  *pki
	opts Options

	mu       sync.Mutex
	faults   map[string][]Fault
	requests []Request
	idem     map[string]idemRecord
	desk     deskState
	phone    phoneState
}

type idemRecord struct {
	body   [32]byte
	status int
	answer []byte
}

// Start runs a scripted bank until the test ends.
func Start(t testing.TB, opts Options) *Bank {
	t.Helper()
	p, err := newPKI()
	if err != nil {
		t.Fatalf("synctest: bank CA: %v", err)
	}
	b := &Bank{pki: p, opts: opts, faults: map[string][]Fault{}, idem: map[string]idemRecord{}}
	b.desk.init()
	b.phone.init()
	b.srv = httptest.NewUnstartedServer(b)
	pool := x509.NewCertPool()
	pool.AddCert(p.caCert)
	auth := tls.VerifyClientCertIfGiven
	if opts.RequireClientCert {
		auth = tls.RequireAndVerifyClientCert
	}
	// HTTP/1.1 only, so that a cut connection can be simulated by hijacking.
	b.srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: pool, ClientAuth: auth,
		NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	b.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are what some tests are about
	b.srv.StartTLS()
	b.URL = b.srv.URL
	t.Cleanup(b.srv.Close)
	return b
}

// Close stops the bank: the desk then finds it unreachable.
func (b *Bank) Close() { b.srv.Close() }

// CAPEM is the bank's CA certificate, the one clients pin.
func (b *Bank) CAPEM() []byte { return b.pki.caPEM }

// WriteCA writes the CA certificate to dir/ca.pem and returns the path.
func (b *Bank) WriteCA(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(path, b.pki.caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// DeskTLS is a TLS configuration for an enrolled desk: a fresh key and a
// certificate for terminal and merchant, and the bank's CA pinned.
func (b *Bank) DeskTLS(t testing.TB, terminal, merchant string) *tls.Config {
	t.Helper()
	cert, key, err := b.pki.clientPair(terminal, merchant)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := desksync.DeskTLS(b.pki.caPEM, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Fail queues faults for the next requests to path (e.g. "/v1/desk/batches"), in order;
// a request takes the first fault queued for it.
func (b *Bank) Fail(path string, faults ...Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults[path] = append(b.faults[path], faults...)
}

// Requests is every request received so far.
func (b *Bank) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Request(nil), b.requests...)
}

func (b *Bank) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		return // the client went away
	}
	client := b.client(r)
	b.mu.Lock()
	b.requests = append(b.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Key: r.Header.Get("Idempotency-Key"), Body: body, Client: client})
	var f Fault
	q := b.faults[r.URL.Path]
	for i := range q {
		if q[i].Contains == "" || bytes.Contains(body, []byte(q[i].Contains)) {
			f = q[i]
			b.faults[r.URL.Path] = slices.Delete(q, i, i+1)
			break
		}
	}
	b.mu.Unlock()

	if f.Delay > 0 {
		// The bank is slow, not gone: it handles the request even when
		// the client has stopped waiting, as a real one would.
		time.Sleep(f.Delay)
	}
	if f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		writeError(w, f.Status, "scripted", "a scripted failure")
		return
	}
	status, answer := b.handle(r, client, body)
	if f.Cut {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(answer)
}

// handle routes a request and, for a POST, applies the idempotency rule:
// the same key and body get the first answer again, another body a 409.
func (b *Bank) handle(r *http.Request, client string, body []byte) (int, []byte) {
	if len(body) > 1<<20 {
		return errorAnswer(http.StatusRequestEntityTooLarge, "too_large", "the body is over 1 MiB")
	}
	route := r.Method + " " + r.URL.Path
	if r.Method != http.MethodPost {
		return b.route(r, route, client, body)
	}
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 128 || strings.IndexFunc(key, func(c rune) bool { return c < 0x21 || c > 0x7e }) >= 0 {
		return errorAnswer(http.StatusBadRequest, "bad_request", "the Idempotency-Key header is missing or malformed")
	}
	sum := sha256.Sum256(body)
	id := client + "\x00" + key
	b.mu.Lock()
	defer b.mu.Unlock()
	if rec, ok := b.idem[id]; ok {
		if rec.body != sum {
			return errorAnswer(http.StatusConflict, "conflict", "this Idempotency-Key was used with another body")
		}
		return rec.status, rec.answer
	}
	status, answer := b.routeLocked(r, route, client, body)
	if status < 500 {
		b.idem[id] = idemRecord{body: sum, status: status, answer: answer}
	}
	return status, answer
}

func (b *Bank) route(r *http.Request, route, client string, body []byte) (int, []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.routeLocked(r, route, client, body)
}

func (b *Bank) routeLocked(r *http.Request, route, client string, body []byte) (int, []byte) {
	switch route {
	case "POST /v1/enroll":
		return b.enroll(body)
	case "POST /v1/login":
		return b.login(body)
	case "POST /v1/vouchers":
		return b.voucher(client, body)
	case "POST /v1/wallet/uploads":
		return b.upload(client, body)
	}
	if strings.HasPrefix(r.URL.Path, "/v1/desk/") {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return errorAnswer(http.StatusUnauthorized, "unauthenticated", "a desk call needs the desk's client certificate")
		}
		cert := r.TLS.PeerCertificates[0]
		merchant := ""
		if len(cert.Subject.OrganizationalUnit) > 0 {
			merchant = cert.Subject.OrganizationalUnit[0]
		}
		switch route {
		case "POST /v1/desk/batches":
			return b.batch(cert.Subject.CommonName, merchant, body)
		case "GET /v1/desk/reconciliation":
			return b.feed(cert.Subject.CommonName, r.URL.Query().Get("since_seq"))
		case "GET /v1/desk/capk":
			return b.capk()
		case "GET /v1/desk/hotlist":
			return answerJSON(http.StatusOK, b.desk.hotlist)
		}
	}
	return errorAnswer(http.StatusNotFound, "not_found", "no such call: "+route)
}

// client names who is calling: a desk by its certificate, a phone by its token.
func (b *Bank) client(r *http.Request) string {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return "desk:" + r.TLS.PeerCertificates[0].Subject.CommonName
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		b.mu.Lock()
		defer b.mu.Unlock()
		if user, ok := b.phone.tokens[tok]; ok {
			return "customer:" + user
		}
	}
	return ""
}

// decode reads a request body strictly, as the real bank does.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

func answerJSON(status int, v any) (int, []byte) {
	b, err := json.Marshal(v)
	if err != nil {
		return errorAnswer(http.StatusInternalServerError, "internal", err.Error())
	}
	return status, b
}

func errorAnswer(status int, code, msg string) (int, []byte) {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e.Error.Code, e.Error.Message = code, msg
	b, _ := json.Marshal(e)
	return status, b
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	_, body := errorAnswer(status, code, msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
