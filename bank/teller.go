package bank

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"lingqian/issuance"
)

// approvedARC is the authorisation response code of an approved online
// load: "00" in ASCII.
var approvedARC = [2]byte{'0', '0'}

// CodeAnswered is the refusal of a teller write the bank did already, when
// the request comes under a key it does not remember (a desk enrolled
// again has a new client identity, and its idempotency records stay with
// the old one): a load of an ARQC it answered, a return of a load it
// returned. Unlike conflict, it means "done": the desk must not take it
// for a load that never happened.
const CodeAnswered = "answered_already"

// WalletInfo is the answer to GET /v1/teller/wallets/{pan}.
type WalletInfo struct {
	PAN      string `json:"pan"`
	PSN      string `json:"psn"`
	Status   string `json:"status"`
	Balance  int64  `json:"balance"`
	LastATC  uint16 `json:"last_atc"`
	Customer string `json:"customer"`
	// What the phone said at its last upload; absent before one.
	PhoneBalance  *int64  `json:"phone_balance,omitempty"`
	PhoneATC      *uint16 `json:"phone_atc,omitempty"`
	PhoneUploaded string  `json:"phone_uploaded,omitempty"`
}

func (b *Bank) handleWalletLookup(w http.ResponseWriter, r *http.Request, _ caller) error {
	pan, psn := r.PathValue("pan"), r.URL.Query().Get("psn")
	if !digitsOnly(pan) || len(pan) > 19 || (psn != "" && !digits(psn, 2)) {
		return badRequest("the PAN must be digits and psn two digits")
	}
	var info WalletInfo
	err := b.store.Read(r.Context(), func(tx Tx) error {
		ws, err := tx.WalletsByPAN(pan)
		if err != nil {
			return err
		}
		for _, wal := range ws {
			if psn != "" && wal.PSN != psn {
				continue
			}
			c, err := tx.CustomerByID(wal.CustomerID)
			if err != nil {
				return err
			}
			info = walletInfo(wal, c.User)
			return nil
		}
		return ErrNotFound
	})
	switch {
	case isNotFound(err):
		return apiErr(http.StatusNotFound, CodeNotFound, "no wallet has this PAN")
	case err != nil:
		return internal(err)
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

// handleTellerStatement answers a wallet's statement: loads, re-entries
// and unloads with the operator who did them, purchases with the bank's
// state, and the phone's purchases no desk has sent yet.
func (b *Bank) handleTellerStatement(w http.ResponseWriter, r *http.Request, _ caller) error {
	pan, psn := r.PathValue("pan"), r.URL.Query().Get("psn")
	if !digitsOnly(pan) || len(pan) > 19 || (psn != "" && !digits(psn, 2)) {
		return badRequest("the PAN must be digits and psn two digits")
	}
	st, err := b.WalletStatement(r.Context(), pan, psn)
	switch {
	case isNotFound(err):
		return apiErr(http.StatusNotFound, CodeNotFound, "no wallet has this PAN")
	case err != nil:
		return internal(err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func walletInfo(wal Wallet, user string) WalletInfo {
	info := WalletInfo{PAN: wal.PAN, PSN: wal.PSN, Status: string(wal.Status), Balance: wal.KnownBalance,
		LastATC: wal.LastATC, Customer: user}
	if !wal.PhoneAt.IsZero() {
		bal, atc := wal.PhoneBalance, wal.PhoneATC
		info.PhoneBalance, info.PhoneATC, info.PhoneUploaded = &bal, &atc, wireTime(wal.PhoneAt)
	}
	return info
}

type loadRequest struct {
	PAN       string `json:"pan"`
	PSN       string `json:"psn"`
	ATC       int64  `json:"atc"`
	ARQC      string `json:"arqc"`
	CDOL1Data string `json:"cdol1_data"`
	IAD       string `json:"iad"`
	Amount    int64  `json:"amount"`
	User      string `json:"user"`
	Operator  string `json:"operator"`
	// Balance is the e-cash balance the teller's desk read from the phone
	// (GET DATA 9F79), if it did: the new balance is then built on the
	// lower of it and the bank's, so purchases not yet cleared are not
	// given back to the phone.
	Balance *int64 `json:"balance,omitempty"`
}

// LoadResponse is the answer to POST /v1/teller/loads.
type LoadResponse struct {
	ARPC    string `json:"arpc"`
	ARC     string `json:"arc"`
	Script  string `json:"script"`
	Balance int64  `json:"balance"` // the balance the script sets
}

// handleLoad is an online load: the phone's ARQC is verified, the amount
// moves from the customer's deposit to the wallet's e-cash, and the
// answer carries the ARPC and the script that sets the new balance.
func (b *Bank) handleLoad(w http.ResponseWriter, r *http.Request, c caller) error {
	var req loadRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	if err := issuance.CheckPAN(req.PAN); err != nil || !digits(req.PSN, 2) {
		return badRequest("pan and psn must be a wallet's")
	}
	arqc, err1 := hexField("arqc", req.ARQC, 8, 8)
	cdol1, err2 := hexField("cdol1_data", req.CDOL1Data, 1, 252)
	iad, err3 := hexField("iad", req.IAD, 7, 7)
	if err := errors.Join(err1, err2, err3); err != nil {
		return badRequest("%v", err)
	}
	switch {
	case req.ATC < 1 || req.ATC > 0xFFFF:
		return badRequest("atc must be 1 to 65535")
	case req.Amount < 1 || req.Amount > maxAmount:
		return badRequest("amount must be 1 to %d fen", maxAmount)
	case !validUser(req.User):
		return badRequest("user must be a customer's user name")
	case !validOperator(req.Operator):
		return badRequest(operatorRule)
	case req.Balance != nil && (*req.Balance < 0 || *req.Balance > maxAmount):
		return badRequest("balance must be 0 to %d fen", maxAmount)
	}
	cvr, err := issuance.ParseIAD(iad)
	if err != nil || cvr[1]&0xC0 != issuance.CIDARQC {
		return badRequest("iad is not the wallet's, or does not say ARQC")
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	atc := uint16(req.ATC)
	wal, _, err := b.owned(r.Context(), req.PAN, req.PSN, req.User)
	if err != nil {
		return err
	}
	dol, err := issuance.ParseDOL(wal.CDOL1)
	if err != nil || len(cdol1) != dol.Len() {
		return badRequest("cdol1_data is not the length of the wallet's CDOL1")
	}
	ok, err := b.issuer.VerifyAC(req.PAN, req.PSN, atc, issuance.ACData(cdol1, wal.AIP, atc, cvr), arqc)
	if err != nil || !ok {
		return apiErr(http.StatusForbidden, CodeForbidden, "the ARQC does not verify")
	}
	// The phone's ARQC covers the amount the customer was shown; a load
	// of any other amount is not what the customer agreed to.
	covered, ok := issuance.ParseBCD(dol.Value(cdol1, 0x9F02))
	switch {
	case !ok:
		return badRequest("the ARQC's amount authorised (9F02) is not an amount")
	case covered != req.Amount:
		return badRequest("the ARQC covers %s, the load asks for %s", formatFen(covered), formatFen(req.Amount))
	}
	if cur := currencyCode(dol.Value(cdol1, 0x5F2A)); cur != wal.Currency {
		return badRequest("the ARQC is in currency %s, the wallet holds %s", cur, wal.Currency)
	}
	var done bool
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		wal, err := tx.Wallet(req.PAN, req.PSN)
		if err != nil {
			return answer{}, err
		}
		// Done already comes first: a wallet hotlisted or a deposit spent
		// since does not undo a load, and the desk asking again must learn
		// that it was done.
		if l, err := onlineLoadAt(tx, wal, atc); err != nil {
			return answer{}, err
		} else if l != nil {
			return answer{}, apiErr(http.StatusConflict, CodeAnswered, "this ARQC was answered already: the load at ATC %d is done", atc)
		}
		if wal.Status != WalletActive {
			return answer{}, apiErr(http.StatusForbidden, CodeHotlisted, "the wallet is hotlisted")
		}
		if atc <= wal.LastATC {
			// Every GPO moves the ATC on: an ARQC at or below one the
			// bank has seen is an old one, played again.
			return answer{}, apiErr(http.StatusConflict, CodeConflict, "this ARQC is older than the wallet's last transaction")
		}
		dep, err := tx.Account(depositAccount(req.User))
		if err != nil {
			return answer{}, err
		}
		if dep.Balance < req.Amount {
			return answer{}, insufficient(dep.Balance, req.Amount)
		}
		base := wal.KnownBalance
		if req.Balance != nil {
			base = min(base, *req.Balance)
		}
		newBal := base + req.Amount
		if newBal > maxAmount {
			return answer{}, badRequest("the new balance would be over %d fen", maxAmount)
		}
		now := b.now()
		l := Load{PAN: wal.PAN, PSN: wal.PSN, Kind: LoadOnline, ATC: atc, Amount: req.Amount, BalanceAfter: newBal,
			TerminalID: c.desk.TerminalID, Operator: req.Operator, At: now}
		if l.PostingID, err = transfer(tx, now, "load", fmt.Sprintf("load %s ATC %d at %s", MaskPAN(wal.PAN), atc, c.desk.TerminalID),
			depositAccount(req.User), ecashAccount(wal.PAN, wal.PSN), req.Amount); err != nil {
			return answer{}, err
		}
		if err := tx.AddLoad(&l); errors.Is(err, ErrExists) {
			return answer{}, apiErr(http.StatusConflict, CodeAnswered, "this ARQC was answered already")
		} else if err != nil {
			return answer{}, err
		}
		if wal.KnownBalance, err = addChecked(wal.KnownBalance, req.Amount); err != nil {
			return answer{}, err
		}
		wal.LastATC = max(wal.LastATC, atc)
		if err := tx.UpdateWallet(wal); err != nil {
			return answer{}, err
		}
		arpc, err := b.issuer.ARPC(wal.PAN, wal.PSN, atc, arqc, approvedARC)
		if err != nil {
			return answer{}, err
		}
		script, err := b.issuer.BalanceScript(wal.PAN, wal.PSN, atc, arqc, newBal)
		if err != nil {
			return answer{}, err
		}
		done = true
		return answer{status: http.StatusOK, body: LoadResponse{ARPC: issuance.Hex(arpc).String(),
			ARC: issuance.Hex(approvedARC[:]).String(), Script: issuance.Hex(script).String(), Balance: newBal}}, nil
	})
	if done && err == nil {
		b.logTeller("teller load", c, req.Operator, "pan", MaskPAN(req.PAN), "psn", req.PSN, "atc", atc, "amount", req.Amount)
	}
	return err
}

// owned finds a wallet and checks it belongs to the customer user.
func (b *Bank) owned(ctx context.Context, pan, psn, user string) (Wallet, Customer, error) {
	var wal Wallet
	var cust Customer
	err := b.store.Read(ctx, func(tx Tx) error {
		var err error
		if wal, err = tx.Wallet(pan, psn); err != nil {
			return err
		}
		cust, err = tx.Customer(user)
		return err
	})
	switch {
	case isNotFound(err):
		return wal, cust, apiErr(http.StatusNotFound, CodeNotFound, "no such wallet or customer")
	case err != nil:
		return wal, cust, internal(err)
	case wal.CustomerID != cust.ID:
		return wal, cust, apiErr(http.StatusForbidden, CodeForbidden, "the wallet is not this customer's")
	}
	return wal, cust, nil
}

type hotlistRequest struct {
	PAN      string `json:"pan"`
	Reason   string `json:"reason"`
	Operator string `json:"operator"`
}

// HotlistAddResponse is the answer to POST /v1/teller/hotlist.
type HotlistAddResponse struct {
	Version int64 `json:"version"`
}

func (b *Bank) handleTellerHotlist(w http.ResponseWriter, r *http.Request, c caller) error {
	var req hotlistRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	if err := checkHotlist(req.PAN, req.Reason); err != nil {
		return badRequest("%v", err)
	}
	if !validOperator(req.Operator) {
		return badRequest(operatorRule)
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	var done bool
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		v, err := b.hotlist(tx, req.PAN, req.Reason+" by "+req.Operator+" at teller desk "+c.desk.TerminalID)
		if isNotFound(err) {
			return answer{}, apiErr(http.StatusNotFound, CodeNotFound, "no wallet has this PAN")
		}
		done = err == nil
		return answer{status: http.StatusOK, body: HotlistAddResponse{Version: v}}, err
	})
	if done && err == nil {
		b.logTeller("teller hotlist", c, req.Operator, "pan", MaskPAN(req.PAN))
	}
	return err
}

func checkHotlist(pan, reason string) error {
	if err := issuance.CheckPAN(pan); err != nil {
		return errors.New("pan must be 12 to 19 digits with a good check digit")
	}
	if !validNote(reason) {
		return errors.New("reason must be 1 to 200 printable characters")
	}
	return nil
}

// hotlist blocks every wallet with the PAN and publishes it to desks. A
// PAN on the hotlist already keeps its entry and version (block).
func (b *Bank) hotlist(tx Tx, pan, reason string) (int64, error) {
	ws, err := tx.WalletsByPAN(pan)
	if err != nil {
		return 0, err
	}
	if len(ws) == 0 {
		return 0, fmt.Errorf("wallet %s: %w", MaskPAN(pan), ErrNotFound)
	}
	for _, wal := range ws {
		if wal.Status == WalletActive {
			wal.Status = WalletHotlisted
			if err := tx.UpdateWallet(wal); err != nil {
				return 0, err
			}
		}
	}
	b.log.Info("hotlisted", "pan", MaskPAN(pan))
	return b.block(tx, pan, reason)
}

// Hotlist blocks a PAN from the command line; it returns the hotlist's
// new version.
func (b *Bank) Hotlist(ctx context.Context, pan, reason string) (int64, error) {
	if err := checkHotlist(pan, reason); err != nil {
		return 0, fmt.Errorf("bank: hotlist: %w", err)
	}
	var v int64
	err := b.store.Write(ctx, func(tx Tx) error {
		var err error
		v, err = b.hotlist(tx, pan, reason)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bank: hotlist: %w", err)
	}
	return v, nil
}
