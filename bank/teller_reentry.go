package bank

import (
	"fmt"
	"net/http"

	"lingqian/issuance"
)

// chainKinds are the exceptions a lost phone log raises: its uploads no
// longer chain to what the bank has of the wallet.
var chainKinds = []string{ReasonBalanceChain, ExceptionBalanceMismatch}

type reentryRequest struct {
	PAN      string `json:"pan"`
	PSN      string `json:"psn"`
	ATC      *int64 `json:"atc"`
	Balance  *int64 `json:"balance"`
	Operator string `json:"operator"`
	Note     string `json:"note"`
}

// ReentryResponse is the answer to POST /v1/teller/reentries.
type ReentryResponse struct {
	Resolved int `json:"resolved"` // the wallet's exceptions the re-entry closed
}

// handleReentry records what a teller read from a phone whose log was
// lost (reinstalled, storage wiped): its balance (9F79) and ATC (9F36).
// The purchases in the lost part cannot be chained any more; the bank
// keeps the reading as a load of kind reentry, moving no money, from
// which the balance chain starts again (checkChain), and closes the
// wallet's open chain exceptions with the teller's note.
func (b *Bank) handleReentry(w http.ResponseWriter, r *http.Request, c caller) error {
	var req reentryRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	switch {
	case issuance.CheckPAN(req.PAN) != nil || !digits(req.PSN, 2):
		return badRequest("pan and psn must be a wallet's")
	case req.ATC == nil || *req.ATC < 0 || *req.ATC > 0xFFFF:
		return badRequest("atc must be 0 to 65535")
	case req.Balance == nil || *req.Balance < 0 || *req.Balance > maxAmount:
		return badRequest("balance must be 0 to %d fen", maxAmount)
	case !validOperator(req.Operator):
		return badRequest(operatorRule)
	case !validNote(req.Note):
		return badRequest(noteRule)
	}
	atc, balance := uint16(*req.ATC), *req.Balance
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	var resolved int
	var done bool
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		wal, err := tx.Wallet(req.PAN, req.PSN)
		switch {
		case isNotFound(err):
			return answer{}, apiErr(http.StatusNotFound, CodeNotFound, "no wallet has this PAN and PSN")
		case err != nil:
			return answer{}, err
		case wal.Status != WalletActive:
			return answer{}, apiErr(http.StatusForbidden, CodeHotlisted, "the wallet is hotlisted")
		case atc < wal.LastATC:
			// A phone's ATC only goes up: one below what the bank has
			// seen is a misreading, or another phone's.
			return answer{}, apiErr(http.StatusConflict, CodeConflict,
				"the ATC %d is below %d, the wallet's last the bank has seen", atc, wal.LastATC)
		}
		now := b.now()
		l := Load{PAN: wal.PAN, PSN: wal.PSN, Kind: LoadReentry, ATC: atc, BalanceAfter: balance,
			TerminalID: c.desk.TerminalID, Operator: req.Operator, At: now}
		if err := tx.AddLoad(&l); err != nil {
			return answer{}, err
		}
		wal.LastATC = max(wal.LastATC, atc)
		if err := tx.UpdateWallet(wal); err != nil {
			return answer{}, err
		}
		if resolved, err = tx.ResolveWalletExceptions(wal.PAN, wal.PSN, chainKinds,
			Resolution{At: now, By: req.Operator, Note: req.Note}); err != nil {
			return answer{}, err
		}
		// The phone may hold less than the bank owes (purchases not yet
		// cleared) but not more: the chain now starts from the reading,
		// so e-cash above what the bank owes is queued at once rather
		// than taken as the new start without a word.
		if balance > wal.KnownBalance {
			if err := tx.AddException(&Exception{At: now, Kind: ExceptionBalanceMismatch, PAN: wal.PAN, PSN: wal.PSN, ATC: atc,
				TerminalID: c.desk.TerminalID, Detail: fmt.Sprintf("teller %s re-entered %s, the bank owes %s on the wallet",
					req.Operator, formatFen(balance), formatFen(wal.KnownBalance))}); err != nil {
				return answer{}, err
			}
		}
		done = true
		return answer{status: http.StatusOK, body: ReentryResponse{Resolved: resolved}}, nil
	})
	if done && err == nil {
		b.logTeller("teller re-entry", c, req.Operator, "pan", MaskPAN(req.PAN), "psn", req.PSN, "atc", atc,
			"balance", balance, "resolved", resolved)
	}
	return err
}
