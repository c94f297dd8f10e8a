package bank

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// maxPassword is the longest password the bank takes, in bytes.
const maxPassword = 1024

// errSignIn is the one answer to a sign-in that does not succeed: an
// unknown user, a wrong password and a locked customer are told apart
// only in the bank's log, so the answer does not say which user names
// exist. The customer is told of the lock-out in the sentence, whichever
// case it is.
func errSignIn() *APIError {
	return apiErr(http.StatusUnauthorized, CodeWrongPassword,
		"the user name or password is wrong (after %d wrong tries in a row the customer is locked for %d minutes)",
		MaxFailures, int(LockFor/time.Minute))
}

// signIn checks a customer's password where the customer is present: at
// login, and at a teller's desk when the customer signs for an unload. It
// answers the customer, or the API error a refused sign-in gets (see
// signInThen).
func (b *Bank) signIn(ctx context.Context, user, password string) (Customer, error) {
	return b.signInThen(ctx, user, password, nil)
}

// signInThen is signIn; then, when not nil, runs in the write transaction
// that records the success (login makes its session there).
//
// Every sign-in takes one of the bank's hashing slots first, so a busy
// bank answers 503 busy before anything is counted: a flood cannot lock
// an honest customer out by answers it never got to check. The attempt
// is then counted in a write transaction before the password is checked,
// so parallel guesses are counted one after another and at most
// MaxFailures of them get a check before the lock; a locked customer's
// attempt gets none. A success resets the count.
func (b *Bank) signInThen(ctx context.Context, user, password string, then func(Tx, Customer) error) (Customer, error) {
	release, err := b.hashes.acquire(ctx)
	if err != nil {
		return Customer{}, err
	}
	defer release()
	if !validUser(user) || len(password) > maxPassword {
		b.hashes.check(dummyHash(), password)
		return Customer{}, errSignIn()
	}
	now := b.now()
	var a attempt
	err = b.store.Write(ctx, func(tx Tx) error {
		var err error
		a, err = countAttempt(tx, user, now)
		return err
	})
	switch {
	case err != nil:
		return Customer{}, internal(err)
	case !a.known:
		// An unknown user costs a check too, so it takes as long.
		b.hashes.check(dummyHash(), password)
		return Customer{}, errSignIn()
	case a.locked():
		release()
		b.log.Warn("sign-in refused: the customer is locked out", "user", user, "until", wireTime(a.lockedUntil))
		b.hashes.pause(ctx)
		return Customer{}, errSignIn()
	}
	ok := b.hashes.check(a.c.PasswordHash, password)
	release()
	if !ok {
		if a.locks {
			b.log.Warn("customer locked out after wrong passwords; sessions ended", "user", user,
				"failures", MaxFailures, "until", wireTime(a.lockedUntil))
		}
		return Customer{}, errSignIn()
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		if err := tx.SetLoginFailures(a.c.ID, 0, time.Time{}); err != nil {
			return err
		}
		if then != nil {
			return then(tx, a.c)
		}
		return nil
	})
	if err != nil {
		return Customer{}, internal(err)
	}
	a.c.Failures, a.c.LockedUntil = 0, time.Time{}
	return a.c, nil
}

// attempt is a sign-in attempt as countAttempt found and counted it.
type attempt struct {
	c           Customer
	known       bool
	lockedUntil time.Time // zero when the attempt may be checked
	locks       bool      // this attempt's count locked the customer; it is still checked
}

func (a attempt) locked() bool { return !a.lockedUntil.IsZero() && !a.locks }

// countAttempt counts a sign-in attempt for user at now, inside the write
// transaction and before its password is checked. A customer whose lock
// has not run out is not counted again. The attempt that brings the
// count to MaxFailures locks the customer for LockFor and ends every
// session they have; it is still checked, and lifts the lock if right.
func countAttempt(tx Tx, user string, now time.Time) (attempt, error) {
	c, err := tx.Customer(user)
	switch {
	case errors.Is(err, ErrNotFound):
		return attempt{}, nil
	case err != nil:
		return attempt{}, err
	}
	a := attempt{c: c, known: true}
	failures, until := c.Failures, c.LockedUntil
	if now.Before(until) {
		a.lockedUntil = until
		return a, nil
	}
	if !until.IsZero() {
		failures, until = 0, time.Time{} // the lock-out has run out
	}
	failures++
	if failures >= MaxFailures {
		failures, until = MaxFailures, now.Add(LockFor)
		a.lockedUntil, a.locks = until, true
		if _, err := tx.EndSessions(c.ID); err != nil {
			return attempt{}, err
		}
	}
	if err := tx.SetLoginFailures(c.ID, failures, until); err != nil {
		return attempt{}, err
	}
	return a, nil
}
