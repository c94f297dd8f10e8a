package bank

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// signIn checks a customer's password where the customer is present: at
// login, and at a teller's desk when the customer signs for an unload. It
// answers the customer, or the API error a wrong or locked sign-in gets.
// Wrong passwords count towards the customer's lock-out.
func (b *Bank) signIn(ctx context.Context, user, password string) (Customer, error) {
	wrong := apiErr(http.StatusUnauthorized, CodeWrongPassword, "the user name or password is wrong")
	if !validUser(user) || len(password) > 1024 {
		checkPassword(dummyHash(), password)
		return Customer{}, wrong
	}
	var c Customer
	err := b.store.Read(ctx, func(tx Tx) error {
		var err error
		c, err = tx.Customer(user)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		checkPassword(dummyHash(), password)
		return Customer{}, wrong
	case err != nil:
		return Customer{}, internal(err)
	}
	now := b.now()
	if now.Before(c.LockedUntil) {
		e := apiErr(http.StatusTooManyRequests, CodeRateLimited,
			"too many wrong passwords: this customer is locked until %s", wireTime(c.LockedUntil))
		e.RetryAfter = c.LockedUntil.Sub(now)
		return Customer{}, e
	}
	ok := checkPassword(c.PasswordHash, password)
	err = b.store.Write(ctx, func(tx Tx) error {
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
			return tx.SetLoginFailures(c.ID, 0, time.Time{})
		}
		return nil
	})
	if err != nil {
		return Customer{}, internal(err)
	}
	if !ok {
		return Customer{}, wrong
	}
	return c, nil
}
