package bank

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// handleLogout ends the session whose token the call carries. Like login
// it takes an Idempotency-Key and does not keep it: logging out twice
// ends nothing more, and the second call's token is unknown anyway.
func (b *Bank) handleLogout(w http.ResponseWriter, r *http.Request, _ caller) error {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	err := b.store.Write(r.Context(), func(tx Tx) error { return tx.EndSession(tokenHash(tok)) })
	// Not found: another call ended it since it was authenticated, which
	// is what was asked.
	if err != nil && !errors.Is(err, ErrNotFound) {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// EndSessions ends every session of the customer user (the admin's
// "customer logout"): each token they hold is refused from now on. It
// answers how many there were.
func (b *Bank) EndSessions(ctx context.Context, user string) (int, error) {
	var n int
	err := b.store.Write(ctx, func(tx Tx) error {
		c, err := tx.Customer(user)
		if err != nil {
			return err
		}
		n, err = tx.EndSessions(c.ID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bank: end the sessions of %s: %w", user, err)
	}
	return n, nil
}
