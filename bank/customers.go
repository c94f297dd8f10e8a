package bank

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Login rules of docs/bank-api.md.
const (
	TokenValidity = 12 * time.Hour
	MaxFailures   = 5
	LockFor       = 15 * time.Minute
)

// maxAmount is the largest amount an n12 field holds: no amount on the
// wire or in the ledger may exceed it.
const maxAmount = 999_999_999_999

// validUser says whether s can be a user name: 1 to 64 of a–z, 0–9, '.',
// '_', '-' (names become ledger account names and appear in reports).
func validUser(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// AddCustomer makes a customer with a password and a deposit account
// holding deposit fen, backed by the bank's cash.
func (b *Bank) AddCustomer(ctx context.Context, user, password string, deposit int64) error {
	switch {
	case !validUser(user):
		return fmt.Errorf("bank: user name %q: want 1 to 64 of a-z, 0-9, '.', '_', '-'", user)
	case len(password) < 6 || len(password) > 1024:
		return errors.New("bank: the password must be 6 to 1024 bytes")
	case deposit < 0 || deposit > maxAmount:
		return fmt.Errorf("bank: deposit %d: want 0 to %d fen", deposit, maxAmount)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("bank: %w", err)
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		now := b.now()
		c := Customer{User: user, PasswordHash: hash, Created: now}
		if err := tx.CreateCustomer(&c); err != nil {
			return err
		}
		if err := tx.EnsureAccount(depositAccount(user), Liability); err != nil {
			return err
		}
		if err := tx.EnsureAccount(CashAccount, Asset); err != nil {
			return err
		}
		if deposit == 0 {
			return nil
		}
		_, err := transfer(tx, now, "deposit", "opening deposit of "+user, CashAccount, depositAccount(user), deposit)
		return err
	})
	if err != nil {
		return fmt.Errorf("bank: add customer: %w", err)
	}
	return nil
}

// Deposit is a customer's deposit balance in fen.
func (b *Bank) Deposit(ctx context.Context, user string) (int64, error) {
	return b.Ledger().Balance(ctx, depositAccount(user))
}

type loginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

// LoginResponse is the answer to POST /v1/login.
type LoginResponse struct {
	Token   string `json:"token"`
	Expires string `json:"expires"`
}

// handleLogin checks a password and hands out a bearer token. It is not
// idempotent: every login makes a new token, and logging in twice harms
// nothing, so the Idempotency-Key is accepted and not kept (tokens are
// not stored in the clear anywhere).
func (b *Bank) handleLogin(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var req loginRequest
	if err := decode(body, &req); err != nil {
		return err
	}
	wrong := apiErr(http.StatusUnauthorized, CodeWrongPassword, "the user name or password is wrong")
	if !validUser(req.User) || len(req.Password) > 1024 {
		checkPassword(dummyHash(), req.Password)
		return wrong
	}
	var c Customer
	err = b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		c, err = tx.Customer(req.User)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		checkPassword(dummyHash(), req.Password)
		return wrong
	case err != nil:
		return internal(err)
	}
	now := b.now()
	if now.Before(c.LockedUntil) {
		e := apiErr(http.StatusTooManyRequests, CodeRateLimited,
			"too many wrong passwords: this customer is locked until %s", wireTime(c.LockedUntil))
		e.RetryAfter = c.LockedUntil.Sub(now)
		return e
	}
	// The hash is checked outside any transaction: it takes tens of
	// milliseconds, which the single writer must not wait for.
	ok := checkPassword(c.PasswordHash, req.Password)

	var tok string
	expires := now.Add(TokenValidity)
	err = b.store.Write(r.Context(), func(tx Tx) error {
		cur, err := tx.CustomerByID(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			failures, until := cur.Failures+1, time.Time{}
			if failures >= MaxFailures {
				failures, until = 0, now.Add(LockFor)
			}
			return tx.SetLoginFailures(c.ID, failures, until)
		}
		if cur.Failures != 0 || !cur.LockedUntil.IsZero() {
			if err := tx.SetLoginFailures(c.ID, 0, time.Time{}); err != nil {
				return err
			}
		}
		var hash []byte
		if tok, hash, err = newToken(); err != nil {
			return err
		}
		return tx.CreateSession(hash, c.ID, expires)
	})
	if err != nil {
		return internal(err)
	}
	if !ok {
		return wrong
	}
	writeJSON(w, http.StatusOK, LoginResponse{Token: tok, Expires: wireTime(expires)})
	return nil
}
