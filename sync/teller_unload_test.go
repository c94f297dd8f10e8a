package sync_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"lingqian/app"
	desksync "lingqian/sync"
)

// answer is one canned answer of a scripted bank.
type answer struct {
	status     int
	retryAfter string
	body       string
}

// scripted is a bank on loopback that gives its answers in turn (the
// last one again when they run out) and keeps the bodies it was sent.
type scripted struct {
	mu      gosync.Mutex
	answers []answer
	bodies  []map[string]any
	teller  *desksync.Teller
}

func newScripted(t *testing.T, answers ...answer) *scripted {
	t.Helper()
	s := &scripted{answers: answers}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		s.mu.Lock()
		a := s.answers[min(len(s.bodies), len(s.answers)-1)]
		s.bodies = append(s.bodies, body)
		s.mu.Unlock()
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	s.teller = newClient(t, desksync.Config{BaseURL: srv.URL, Retries: 3, AttemptTimeout: 5 * time.Second,
		TLS:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
		Backoff: desksync.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond, RetryAfterMax: 50 * time.Millisecond}}).Teller()
	return s
}

func (s *scripted) sent() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies
}

var signedUnload = app.BankUnload{PAN: "6231990000000019", PSN: "00", Amount: 3000, Customer: "alice", Operator: "li.na",
	CustomerPassword: "s3cret-alice"}

func TestTeller_TheBanksAnswerToAnUnload(t *testing.T) {
	paysAt := time.Date(2026, 12, 11, 9, 30, 0, 0, time.UTC)
	cases := []struct {
		name, body string
		want       app.BankUnloadAnswer
		bad        string // a part of the error, when the answer is refused
	}{
		{"held", `{"balance":50000,"state":"held","amount":3000,"pays_at":"2026-12-11T09:30:00Z"}`,
			app.BankUnloadAnswer{State: app.UnloadHeld, Amount: 3000, PaysAt: paysAt, Balance: 50000}, ""},
		{"held, its day unreadable", `{"balance":50000,"state":"held","amount":3000,"pays_at":"soon"}`,
			app.BankUnloadAnswer{State: app.UnloadHeld, Amount: 3000, Balance: 50000}, ""},
		{"paid", `{"balance":47000,"state":"paid","amount":3000}`,
			app.BankUnloadAnswer{State: app.UnloadPaid, Amount: 3000, Balance: 47000}, ""},
		{"a bank of before holds", `{"balance":47000}`,
			app.BankUnloadAnswer{State: app.UnloadPaid, Amount: 3000, Balance: 47000}, ""},
		{"a state the desk does not know", `{"balance":1,"state":"maybe","amount":3000}`, app.BankUnloadAnswer{}, `state "maybe"`},
		{"more than was asked", `{"balance":1,"state":"held","amount":3001}`, app.BankUnloadAnswer{}, "amount 3001"},
		{"no balance", `{"state":"held","amount":3000}`, app.BankUnloadAnswer{}, "no balance"},
		{"a negative balance", `{"balance":-1,"state":"paid"}`, app.BankUnloadAnswer{}, "no balance"},
		{"not JSON", `<html>`, app.BankUnloadAnswer{}, "the bank's answer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a bank that answers the unload so
			s := newScripted(t, answer{status: 200, body: tc.body})
			// When the desk sends a signed unload
			got, err := s.teller.Unload(context.Background(), "K1", signedUnload)
			// Then the answer is read as the contract says, or refused saying why
			if tc.bad != "" {
				if err == nil || !strings.Contains(err.Error(), tc.bad) {
					t.Fatalf("%+v, %v; want an error with %q", got, err, tc.bad)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("%+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestTeller_AnUnloadCarriesWhoSigned(t *testing.T) {
	ok := answer{status: 200, body: `{"balance":50000,"state":"held","amount":3000,"pays_at":"2026-12-11T09:30:00Z"}`}
	approved := signedUnload
	approved.CustomerPassword, approved.Approver = "", "wang.fang"
	back := app.BankUnload{PAN: "6231990000000019", PSN: "00", Amount: 3000, Customer: "alice", Operator: "li.na", ReturnsLoadATC: 7}
	for _, tc := range []struct {
		name string
		r    app.BankUnload
		want map[string]any // the fields of who signed, absent when nil
	}{
		{"the customer", signedUnload, map[string]any{"customer_password": "s3cret-alice", "approver": nil, "returns_load_atc": nil}},
		{"a second teller", approved, map[string]any{"customer_password": nil, "approver": "wang.fang", "returns_load_atc": nil}},
		{"nobody: a return", back, map[string]any{"customer_password": nil, "approver": nil, "returns_load_atc": float64(7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a bank, when the desk sends the unload
			s := newScripted(t, ok)
			if _, err := s.teller.Unload(context.Background(), "K1", tc.r); err != nil {
				t.Fatal(err)
			}
			// Then the body names who signed as the contract says, with the teller
			body := s.sent()[0]
			for k, v := range tc.want {
				if got, has := body[k]; (v == nil && has) || (v != nil && got != v) {
					t.Errorf("%s: %v (sent: %v), want %v", k, got, has, v)
				}
			}
			if body["operator"] != "li.na" || body["user"] != "alice" || body["amount"] != float64(3000) {
				t.Errorf("body %v", body)
			}
		})
	}
}

func TestTeller_ASignedUnloadRefusedIsSaidAtOnce(t *testing.T) {
	cases := []struct {
		name    string
		answers []answer
		status  int
		code    string
		tries   int
		until   time.Duration // the Retry-After said, 0 for none
	}{
		{"a wrong password", []answer{{status: 401, body: `{"error":{"code":"wrong_password","message":"wrong password"}}`}},
			401, app.BankCodeWrongPassword, 1, 0},
		{"the customer locked, with Retry-After", []answer{{status: 429, retryAfter: "900",
			body: `{"error":{"code":"rate_limited","message":"too many wrong passwords"}}`}}, 429, app.BankCodeRateLimited, 1, 15 * time.Minute},
		{"nobody signed", []answer{{status: 403, body: `{"error":{"code":"unload_unauthorised","message":"x"}}`}},
			403, app.BankCodeUnloadUnauthorised, 1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a bank that refuses the unload so
			s := newScripted(t, tc.answers...)
			// When the desk sends it
			start := time.Now()
			_, err := s.teller.Unload(context.Background(), "K1", signedUnload)
			// Then it is the bank's refusal with its code, asked once, never "unreachable"
			var be *app.BankError
			if !errors.As(err, &be) || be.Status != tc.status || be.Code != tc.code || errors.Is(err, app.ErrBankUnavailable) {
				t.Fatalf("%v, want %d %s", err, tc.status, tc.code)
			}
			if n := len(s.sent()); n != tc.tries {
				t.Errorf("asked %d times", n)
			}
			switch {
			case tc.until == 0 && !be.RetryAfter.IsZero():
				t.Errorf("retry after %v", be.RetryAfter)
			case tc.until != 0 && (be.RetryAfter.Before(start.Add(tc.until)) || be.RetryAfter.After(time.Now().Add(tc.until))):
				t.Errorf("retry after %v, want %v from now", be.RetryAfter, tc.until)
			}
			// And the password is in no error
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %v", err)
			}
		})
	}
}

func TestTeller_ASignedUnloadIsSentAgainWhenTheBankFails(t *testing.T) {
	// Given a bank that fails twice (503, 500) and then holds the unload
	s := newScripted(t, answer{status: 503, body: `{}`}, answer{status: 500, body: `{}`},
		answer{status: 200, body: `{"balance":50000,"state":"held","amount":3000,"pays_at":"2026-12-11T09:30:00Z"}`})
	// When the desk sends a signed unload
	got, err := s.teller.Unload(context.Background(), "K1", signedUnload)
	// Then it went again, the same body each time, and is held
	if err != nil || got.State != app.UnloadHeld || len(s.sent()) != 3 {
		t.Fatalf("%+v, %v after %d tries", got, err, len(s.sent()))
	}
	// And a bank that keeps failing is "unreachable", as for every teller call
	s = newScripted(t, answer{status: 503, body: `{}`})
	if _, err := s.teller.Unload(context.Background(), "K1", signedUnload); !errors.Is(err, app.ErrBankUnavailable) {
		t.Errorf("always 503: %v", err)
	}
	// And a return goes as before: a 429 is waited out, then it is done
	s = newScripted(t, answer{status: 429, retryAfter: "0", body: `{}`}, answer{status: 200, body: `{"balance":47000,"state":"paid","amount":3000}`})
	back := app.BankUnload{PAN: "6231990000000019", PSN: "00", Amount: 3000, Customer: "alice", Operator: "li.na", ReturnsLoadATC: 7}
	if got, err := s.teller.Unload(context.Background(), "K2", back); err != nil || got.State != app.UnloadPaid {
		t.Errorf("a return after a 429: %+v, %v", got, err)
	}
}
