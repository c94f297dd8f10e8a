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
	case len(password) < 6 || len(password) > maxPassword:
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
// not stored in the clear anywhere). The sessions that have expired are
// deleted as the new one is made, so the table holds only live ones.
func (b *Bank) handleLogin(w http.ResponseWriter, r *http.Request, _ caller) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	var req loginRequest
	if err := decode(body, &req); err != nil {
		return err
	}
	var tok string
	var expires time.Time
	_, err = b.signInThen(r.Context(), req.User, req.Password, func(tx Tx, c Customer) error {
		now := b.now()
		if _, err := tx.EndExpiredSessions(now); err != nil {
			return err
		}
		var hash []byte
		var err error
		if tok, hash, err = newToken(); err != nil {
			return err
		}
		expires = now.Add(TokenValidity)
		return tx.CreateSession(hash, c.ID, expires)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, LoginResponse{Token: tok, Expires: wireTime(expires)})
	return nil
}
