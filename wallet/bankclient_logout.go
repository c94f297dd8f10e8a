package wallet

import (
	"context"
	"errors"
	"net/http"
)

// Logout ends the client's session at the bank: its token is refused from
// then on, wherever a copy of it is kept. A token the bank no longer
// knows (ended, expired, or ended by an earlier try whose answer was
// lost) is logged out already.
func (b *BankClient) Logout(ctx context.Context) error {
	if b.token == "" {
		return errors.New("wallet: logout: no session to end")
	}
	err := b.do(ctx, "POST", "/v1/logout", newKey("logout"), nil, &struct{}{})
	var be *BankError
	if errors.As(err, &be) && be.Status == http.StatusUnauthorized {
		err = nil
	}
	if err != nil {
		return err
	}
	b.token = ""
	return nil
}
