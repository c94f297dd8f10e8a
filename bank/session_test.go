package bank_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// sessionProbe says whether token is still a live session: an upload
// with an empty body is 400 for a session and 401 without one.
func (e *env) sessionProbe(token string) int {
	e.t.Helper()
	c := banktest.NewClient(e.base, e.ca, nil)
	c.Token = token
	r, err := c.Raw(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), []byte(`{}`))
	if err != nil {
		e.t.Fatal(err)
	}
	return r.Status
}

func (e *env) logout(token string) banktest.Response {
	e.t.Helper()
	c := banktest.NewClient(e.base, e.ca, nil)
	c.Token = token
	r, err := c.Raw(e.ctx, "POST", "/v1/logout", banktest.NewKey("out"), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func TestLogout_EndsThatSessionOnly(t *testing.T) {
	// Given a customer logged in on two phones
	e := newEnv(t)
	e.customer("alice", 0)
	one, two := e.phone("alice").Token, e.phone("alice").Token

	// When the first logs out
	r := e.logout(one)
	if r.Status != http.StatusOK || string(r.Body) != "{}\n" {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	// Then its token is refused and the other's is not
	if got := e.sessionProbe(one); got != http.StatusUnauthorized {
		t.Errorf("the ended token: %d", got)
	}
	if got := e.sessionProbe(two); got != http.StatusBadRequest {
		t.Errorf("the other token: %d", got)
	}
	// And logging out again with the ended token is refused
	if r := e.logout(one); r.Status != http.StatusUnauthorized || r.Code() != bank.CodeUnauthenticated {
		t.Errorf("second logout: %d %s", r.Status, r.Body)
	}
}

func TestLockOut_EndsEveryOneOfTheCustomersSessions(t *testing.T) {
	// Given a customer logged in on two phones
	e := newEnv(t)
	e.customer("alice", 0)
	tokens := []string{e.phone("alice").Token, e.phone("alice").Token}
	// When someone guesses the password until the customer is locked
	anon := banktest.NewClient(e.base, e.ca, nil)
	for range bank.MaxFailures {
		body, _ := json.Marshal(map[string]string{"user": "alice", "password": "guess"})
		if _, err := anon.Raw(e.ctx, "POST", "/v1/login", "", body); err != nil {
			t.Fatal(err)
		}
	}
	// Then neither phone's session works any more
	for i, tok := range tokens {
		if got := e.sessionProbe(tok); got != http.StatusUnauthorized {
			t.Errorf("phone %d after the lock-out: %d", i, got)
		}
	}
}

func TestCustomerLogout_TheBankEndsEverySession(t *testing.T) {
	// Given a customer on two phones, and another customer
	e := newEnv(t)
	e.customer("alice", 0)
	e.customer("bob", 0)
	tokens := []string{e.phone("alice").Token, e.phone("alice").Token}
	bob := e.phone("bob").Token

	// When the bank ends the customer's sessions
	n, err := e.b.EndSessions(e.ctx, "alice")
	if err != nil || n != 2 {
		t.Fatalf("ended %d: %v", n, err)
	}
	// Then both phones are logged out, and the other customer is not
	for i, tok := range tokens {
		if got := e.sessionProbe(tok); got != http.StatusUnauthorized {
			t.Errorf("phone %d: %d", i, got)
		}
	}
	if got := e.sessionProbe(bob); got != http.StatusBadRequest {
		t.Errorf("bob: %d", got)
	}
	// And an unknown customer is an error
	if _, err := e.b.EndSessions(e.ctx, "nobody"); !errors.Is(err, bank.ErrNotFound) {
		t.Errorf("unknown customer: %v", err)
	}
}

func TestLogin_DeletesTheSessionsThatHaveExpired(t *testing.T) {
	// Given a session that has expired
	e := newEnv(t)
	e.customer("alice", 0)
	old := e.phone("alice").Token
	e.clock.advance(bank.TokenValidity)
	// When the customer logs in again
	fresh := e.phone("alice").Token
	// Then the old session is gone from the database, not just refused
	var err error
	_ = e.b.Store().Read(e.ctx, func(tx bank.Tx) error {
		h := sha256.Sum256([]byte(old))
		_, _, err = tx.Session(h[:])
		return nil
	})
	if !errors.Is(err, bank.ErrNotFound) {
		t.Errorf("the expired session: %v", err)
	}
	if got := e.sessionProbe(fresh); got != http.StatusBadRequest {
		t.Errorf("the new session: %d", got)
	}
}
