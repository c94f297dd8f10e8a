package bank

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

type publicKeyJSON struct {
	Modulus  string `json:"modulus"`
	Exponent string `json:"exponent"`
}

type voucherRequest struct {
	ICCPublicKey *publicKeyJSON `json:"icc_public_key"`
	Load         *int64         `json:"load"`
}

// VoucherResponse is the answer to POST /v1/vouchers.
type VoucherResponse struct {
	Personalisation *issuance.Personalisation `json:"personalisation"`
	CAPK            json.RawMessage           `json:"capk"`
}

// errPANTaken: the PAN drawn for a new card is already a wallet's; the
// card is issued again under another.
var errPANTaken = errors.New("the PAN drawn is taken")

// handleVoucher issues a wallet for the phone's ICC key: the bank
// certifies the key, derives the card's keys, and moves the initial load
// from the customer's deposit to the wallet's e-cash.
func (b *Bank) handleVoucher(w http.ResponseWriter, r *http.Request, c caller) error {
	if b.issuer == nil {
		return internal(errors.New("the bank was opened without its issuer"))
	}
	var req voucherRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	icc, load, err := req.validate()
	if err != nil {
		return err
	}
	id := newIdem(c.client(), key, body)
	// The stored answer leaves out the card's master keys: they are put
	// back, derived again, when the answer is replayed, so the database
	// holds no card keys.
	id.restore = b.restoreVoucher
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	if bal, err := b.Deposit(r.Context(), c.customer.User); err != nil {
		return internal(err)
	} else if bal < load {
		return insufficient(bal, load)
	}
	for range 5 {
		p, err := b.issuer.Issue(issuance.Request{ICCKey: icc, Balance: load})
		if err != nil {
			return badRequest("the wallet cannot be issued for this key: %v", err)
		}
		err = b.commit(w, r, id, func(tx Tx) (answer, error) { return b.applyVoucher(tx, c.customer, icc, p, load) })
		if !errors.Is(err, errPANTaken) {
			return err
		}
	}
	return internal(errors.New("no free PAN after five draws"))
}

func (req voucherRequest) validate() (oda.PublicKey, int64, error) {
	if req.ICCPublicKey == nil {
		return oda.PublicKey{}, 0, badRequest("icc_public_key is missing")
	}
	if req.Load == nil {
		return oda.PublicKey{}, 0, badRequest("load is missing")
	}
	mod, err1 := hex.DecodeString(req.ICCPublicKey.Modulus)
	exp, err2 := hex.DecodeString(req.ICCPublicKey.Exponent)
	if err1 != nil || err2 != nil {
		return oda.PublicKey{}, 0, badRequest("icc_public_key: modulus and exponent must be hex")
	}
	k := oda.PublicKey{Modulus: mod, Exponent: exp}
	if err := k.Validate(); err != nil {
		return oda.PublicKey{}, 0, badRequest("icc_public_key: %v", err)
	}
	if *req.Load < 0 || *req.Load > maxAmount {
		return oda.PublicKey{}, 0, badRequest("load must be 0 to %d fen", maxAmount)
	}
	return k, *req.Load, nil
}

func insufficient(have, want int64) *APIError {
	return apiErr(http.StatusPaymentRequired, CodeInsufficientFunds,
		"the deposit holds %s, %s is asked for", formatFen(have), formatFen(want))
}

func (b *Bank) applyVoucher(tx Tx, cust *Customer, icc oda.PublicKey, p *issuance.Personalisation, load int64) (answer, error) {
	if others, err := tx.WalletsByPAN(p.PAN); err != nil {
		return answer{}, err
	} else if len(others) > 0 {
		return answer{}, errPANTaken
	}
	now := b.now()
	dep, err := tx.Account(depositAccount(cust.User))
	if err != nil {
		return answer{}, err
	}
	if dep.Balance < load {
		return answer{}, insufficient(dep.Balance, load)
	}
	wal := Wallet{PAN: p.PAN, PSN: p.PSN, CustomerID: cust.ID, ICCKey: icc, AIP: p.AIP, CDOL1: p.CDOL1, Currency: p.Currency, Status: WalletActive,
		KnownBalance: load, Created: now}
	if err := tx.CreateWallet(wal); err != nil {
		return answer{}, err
	}
	acct := ecashAccount(p.PAN, p.PSN)
	if err := tx.EnsureAccount(acct, Liability); err != nil {
		return answer{}, err
	}
	l := Load{PAN: p.PAN, PSN: p.PSN, Kind: LoadVoucher, Amount: load, BalanceAfter: load, At: now}
	if load > 0 {
		if l.PostingID, err = transfer(tx, now, "voucher", "voucher "+MaskPAN(p.PAN), depositAccount(cust.User), acct, load); err != nil {
			return answer{}, err
		}
	}
	if err := tx.AddLoad(&l); err != nil {
		return answer{}, err
	}
	b.log.Info("voucher issued", "pan", MaskPAN(p.PAN), "customer", cust.ID, "load", load)
	stored := *p
	stored.MKAC, stored.MKSMI = nil, nil
	return answer{status: http.StatusOK,
		body:   VoucherResponse{Personalisation: p, CAPK: b.capk},
		stored: VoucherResponse{Personalisation: &stored, CAPK: b.capk}}, nil
}

func (b *Bank) restoreVoucher(stored []byte) ([]byte, error) {
	var v VoucherResponse
	if err := json.Unmarshal(stored, &v); err != nil {
		return nil, err
	}
	if v.Personalisation == nil {
		return nil, errors.New("stored voucher without its personalisation")
	}
	p := v.Personalisation
	var err error
	if p.MKAC, p.MKSMI, err = b.issuer.MasterKeys(p.PAN, p.PSN); err != nil {
		return nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// formatFen writes an amount in yuan for people: 1250 is "12.50".
func formatFen(v int64) string {
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
