package bank

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"lingqian/issuance"
)

// An unload moves a wallet's e-cash back to its customer's deposit. The
// phone is not told: it may have spent offline before it was blocked, and
// those purchases reach the bank only when their desks forward them. So an
// unload blocks the wallet and is held for the settlement window; then
// SettleUnloads (unload_settle.go) pays what the window's purchases left.
// A return (returns_load_atc, teller_return.go) is paid at once: that
// money never reached the phone, so nothing can have spent it.

// CodeUnloadUnauthorised refuses an unload no one but the teller
// authorised: it needs the customer's own password or a second teller.
const CodeUnloadUnauthorised = "unload_unauthorised"

// ApproverCustomer is the approver of an unload the customer signed for
// with their own password. No teller may approve under that id.
const ApproverCustomer = "customer"

// Unload states on the wire.
const (
	UnloadHeld = "held"
	UnloadPaid = "paid"
)

// Settlement windows: an unload waits at least a day, by default the
// desks' default oldest-pending limit (7 days) and a day.
const (
	DefaultSettlementWindow = 8 * 24 * time.Hour
	MinSettlementWindow     = 24 * time.Hour
)

// HeldUnload is an unload waiting for its settlement window, or paid.
type HeldUnload struct {
	ID       int64
	PAN, PSN string
	Customer string // the user whose deposit it goes to
	Amount   int64  // what the teller asked for
	// Who: the desk and teller who asked, and who authorised it: a
	// second teller's operator id, or ApproverCustomer.
	TerminalID, Operator, Approver string
	At, PaysAt                     time.Time
	PaidAt                         time.Time // zero while held
	Paid                           int64     // at most Amount: what the window's purchases left
	LoadID                         int64     // the payout's loads row; 0 when nothing was paid
}

// operatorText is who did it, as the payout's loads row and statement
// show it.
func (u HeldUnload) operatorText() string {
	if u.Approver == ApproverCustomer {
		return u.Operator + ", signed by the customer"
	}
	return u.Operator + ", approved by " + u.Approver
}

type unloadRequest struct {
	PAN      string `json:"pan"`
	PSN      string `json:"psn"`
	Amount   int64  `json:"amount"`
	User     string `json:"user"`
	Operator string `json:"operator"`
	// ReturnsLoadATC names an online load whose script never reached the
	// phone: the unload gives exactly its amount back at once, and the
	// balance chain no longer counts it (teller_return.go).
	ReturnsLoadATC *int64 `json:"returns_load_atc,omitempty"`
	// Who authorises an unload besides the teller: the customer typing
	// their bank password at the counter, or a second teller signed in
	// at the desk. A return needs neither.
	CustomerPassword string `json:"customer_password,omitempty"`
	Approver         string `json:"approver,omitempty"`
}

// UnloadResponse is the answer to POST /v1/teller/unloads.
type UnloadResponse struct {
	Balance int64  `json:"balance"` // the e-cash the bank still owes on the wallet
	State   string `json:"state"`   // held, or paid (a return)
	Amount  int64  `json:"amount"`
	PaysAt  string `json:"pays_at,omitempty"` // when a held unload is paid
}

// check refuses a request that is not what the contract says, and an
// unload no one but the teller authorised.
func (req *unloadRequest) check() error {
	switch {
	case issuance.CheckPAN(req.PAN) != nil || !digits(req.PSN, 2):
		return badRequest("pan and psn must be a wallet's")
	case req.Amount < 1 || req.Amount > maxAmount:
		return badRequest("amount must be 1 to %d fen", maxAmount)
	case !validUser(req.User):
		return badRequest("user must be a customer's user name")
	case !validOperator(req.Operator):
		return badRequest(operatorRule)
	case req.ReturnsLoadATC != nil && (*req.ReturnsLoadATC < 1 || *req.ReturnsLoadATC > 0xFFFF):
		return badRequest("returns_load_atc must be 1 to 65535")
	case req.ReturnsLoadATC != nil:
		return nil
	case req.CustomerPassword != "" && req.Approver != "":
		return badRequest("customer_password or approver, not both")
	case req.CustomerPassword == "" && req.Approver == "":
		return apiErr(http.StatusForbidden, CodeUnloadUnauthorised,
			"an unload needs the customer's password or a second teller's approval")
	case req.CustomerPassword != "":
		return nil
	case !validOperator(req.Approver) || strings.EqualFold(req.Approver, ApproverCustomer):
		return badRequest("approver must be a second teller's operator id: 1 to 32 of A-Z, a-z, 0-9, '.', '_', '-'")
	case strings.EqualFold(req.Approver, req.Operator):
		return apiErr(http.StatusForbidden, CodeUnloadUnauthorised, "the approver must be another teller than the operator")
	}
	return nil
}

// idemBody is what the idempotency record hashes of a request with the
// customer's password: the request without it, so that no fast hash of
// the password is kept. A request sent again under its key with another
// password gets the first answer, as a replay does; it moves nothing.
func (req unloadRequest) idemBody() ([]byte, error) {
	signed := req.CustomerPassword != ""
	req.CustomerPassword = ""
	return json.Marshal(struct {
		unloadRequest
		Signed bool `json:"customer_signed"`
	}{req, signed})
}

// handleUnload moves e-cash back to the customer's deposit: held for the
// settlement window, or at once for a return.
func (b *Bank) handleUnload(w http.ResponseWriter, r *http.Request, c caller) error {
	var req unloadRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	if err := req.check(); err != nil {
		return err
	}
	if req.CustomerPassword != "" {
		if body, err = req.idemBody(); err != nil {
			return internal(err)
		}
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	if _, _, err := b.owned(r.Context(), req.PAN, req.PSN, req.User); err != nil {
		return err
	}
	approver := req.Approver
	if req.ReturnsLoadATC == nil && req.CustomerPassword != "" {
		// A wrong password counts towards the customer's lock-out, as at
		// a login.
		if _, err := b.signIn(r.Context(), req.User, req.CustomerPassword); err != nil {
			return err
		}
		approver = ApproverCustomer
	}
	var done *UnloadResponse
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		var resp UnloadResponse
		var err error
		if req.ReturnsLoadATC != nil {
			resp, err = b.returnLoad(tx, c, req)
		} else {
			resp, err = b.holdUnload(tx, c, req, approver)
		}
		done = &resp
		return answer{status: http.StatusOK, body: resp}, err
	})
	if done != nil && err == nil {
		attrs := []any{"pan", MaskPAN(req.PAN), "psn", req.PSN, "amount", req.Amount, "state", done.State}
		if req.ReturnsLoadATC != nil {
			attrs = append(attrs, "returns_load_atc", *req.ReturnsLoadATC)
		} else {
			attrs = append(attrs, "approver", approver, "pays_at", done.PaysAt)
		}
		b.logTeller("teller unload", c, req.Operator, attrs...)
	}
	return err
}

// holdUnload blocks the wallet and holds the unload for the window. What
// it may ask for is the e-cash not held for another unload already.
func (b *Bank) holdUnload(tx Tx, c caller, req unloadRequest, approver string) (UnloadResponse, error) {
	wal, err := tx.Wallet(req.PAN, req.PSN)
	if err != nil {
		return UnloadResponse{}, err
	}
	held, err := tx.HeldUnloads(wal.PAN, wal.PSN)
	if err != nil {
		return UnloadResponse{}, err
	}
	free := wal.KnownBalance
	for _, u := range held {
		if u.PaidAt.IsZero() {
			free -= u.Amount
		}
	}
	if free < req.Amount {
		return UnloadResponse{}, apiErr(http.StatusPaymentRequired, CodeInsufficientFunds,
			"the wallet holds %s not being unloaded already, %s is asked for", formatFen(max(free, 0)), formatFen(req.Amount))
	}
	if wal.Status == WalletActive {
		if _, err := b.hotlist(tx, wal.PAN, "unloaded by "+req.Operator+" at teller desk "+c.desk.TerminalID); err != nil {
			return UnloadResponse{}, err
		}
	}
	now := b.now()
	u := HeldUnload{PAN: wal.PAN, PSN: wal.PSN, Customer: req.User, Amount: req.Amount, TerminalID: c.desk.TerminalID,
		Operator: req.Operator, Approver: approver, At: now, PaysAt: now.Add(b.settlementWindow())}
	if err := tx.AddHeldUnload(&u); err != nil {
		return UnloadResponse{}, err
	}
	return UnloadResponse{Balance: wal.KnownBalance, State: UnloadHeld, Amount: req.Amount, PaysAt: wireTime(u.PaysAt)}, nil
}

// returnLoad gives an online load whose script never reached the phone
// back to the deposit at once.
func (b *Bank) returnLoad(tx Tx, c caller, req unloadRequest) (UnloadResponse, error) {
	wal, err := tx.Wallet(req.PAN, req.PSN)
	if err != nil {
		return UnloadResponse{}, err
	}
	returns := uint16(*req.ReturnsLoadATC)
	if err := returnable(tx, wal, returns, req.Amount); err != nil {
		return UnloadResponse{}, err
	}
	if wal.KnownBalance < req.Amount {
		return UnloadResponse{}, insufficient(wal.KnownBalance, req.Amount)
	}
	now := b.now()
	wal.KnownBalance -= req.Amount
	l := Load{PAN: wal.PAN, PSN: wal.PSN, Kind: LoadUnload, ATC: returns, Amount: req.Amount, BalanceAfter: wal.KnownBalance,
		TerminalID: c.desk.TerminalID, Operator: req.Operator, At: now}
	if l.PostingID, err = transfer(tx, now, "unload", "unload "+MaskPAN(wal.PAN)+" at "+c.desk.TerminalID,
		ecashAccount(wal.PAN, wal.PSN), depositAccount(req.User), req.Amount); err != nil {
		return UnloadResponse{}, err
	}
	if err := tx.AddLoad(&l); err != nil {
		return UnloadResponse{}, err
	}
	if err := tx.UpdateWallet(wal); err != nil {
		return UnloadResponse{}, err
	}
	return UnloadResponse{Balance: wal.KnownBalance, State: UnloadPaid, Amount: req.Amount}, nil
}
