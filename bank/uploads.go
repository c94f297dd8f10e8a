package bank

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"lingqian/wallet"
)

// maxRecords bounds one upload; the body limit bounds it further.
const maxRecords = 10000

// Reasons an uploaded record is rejected, besides the clearing reasons.
const (
	// ReasonBalanceChain: the record's balance after is not the balance
	// before it less its amount (loads in, purchases out, in ATC order).
	ReasonBalanceChain = "balance_chain"
	// ExceptionBalanceMismatch: a phone claims more e-cash than its loads
	// and records leave it.
	ExceptionBalanceMismatch = "balance_mismatch"
)

type uploadRequest struct {
	PAN     string            `json:"pan"`
	PSN     string            `json:"psn"`
	Balance *int64            `json:"balance"`
	ATC     *int64            `json:"atc"`
	Records []wallet.LogEntry `json:"records"`
}

// RecordRejection names an uploaded record the bank refused.
type RecordRejection struct {
	ATC    uint16 `json:"atc"`
	Reason string `json:"reason"`
}

// UploadResponse is the answer to POST /v1/wallet/uploads.
type UploadResponse struct {
	Accepted  int               `json:"accepted"`
	Duplicate int               `json:"duplicate"`
	Rejected  []RecordRejection `json:"rejected"`
}

// upRecord is an uploaded record after verification.
type upRecord struct {
	entry  *wallet.LogEntry
	msg    Message // the record as a message, for verify
	reason string
	raw    []byte
}

// handleUpload takes a phone's deducted voucher (balance, ATC) and its
// purchase records. Each record's TC and CDA signature are verified as a
// desk message's are; genuine ones are kept, confirm the desk message with
// the same (PAN, ATC, AC), reveal a clone when a desk message holds
// another cryptogram for the ATC, and are checked as a balance chain.
func (b *Bank) handleUpload(w http.ResponseWriter, r *http.Request, c caller) error {
	var req uploadRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	switch {
	case req.PAN == "" || !digitsOnly(req.PAN) || len(req.PAN) > 19:
		return badRequest("pan must be the wallet's PAN")
	case !digits(req.PSN, 2):
		return badRequest("psn must be two digits")
	case req.Balance == nil || *req.Balance < 0 || *req.Balance > maxAmount:
		return badRequest("balance must be 0 to %d fen", maxAmount)
	case req.ATC == nil || *req.ATC < 0 || *req.ATC > 0xFFFF:
		return badRequest("atc must be 0 to 65535")
	case len(req.Records) > maxRecords:
		return badRequest("at most %d records per upload", maxRecords)
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	var wal Wallet
	err = b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		wal, err = tx.Wallet(req.PAN, req.PSN)
		return err
	})
	switch {
	case isNotFound(err):
		return apiErr(http.StatusNotFound, CodeNotFound, "the bank issued no wallet with this PAN and PSN")
	case err != nil:
		return internal(err)
	case wal.CustomerID != c.customer.ID:
		return apiErr(http.StatusForbidden, CodeForbidden, "this wallet is not this customer's")
	}
	recs := make([]*upRecord, len(req.Records))
	for i := range req.Records {
		recs[i] = &upRecord{entry: &req.Records[i]}
	}
	parallel(recs, func(u *upRecord) { b.verifyRecord(&wal, u) })
	return b.commit(w, r, id, func(tx Tx) (answer, error) {
		resp, err := b.applyUpload(tx, req, recs)
		return answer{status: http.StatusOK, body: resp}, err
	})
}

func digitsOnly(s string) bool { return digits(s, len(s)) }

// verifyRecord checks a record's cryptograms as clearing checks a desk's.
func (b *Bank) verifyRecord(w *Wallet, u *upRecord) {
	e := u.entry
	if len(e.CID) != 1 || e.Amount <= 0 || e.Amount > maxAmount || e.BalanceAfter < 0 || e.BalanceAfter > maxAmount ||
		len(e.AC) != 8 || len(e.UN) != 4 {
		u.reason = ReasonInvalid
		return
	}
	u.msg = Message{PAN: w.PAN, PSN: w.PSN, ATC: e.ATC, Amount: e.Amount, Currency: e.Currency, Date: e.Date,
		CID: e.CID[0], AC: e.AC, UN: e.UN, PDOLData: e.PDOLData, CDOL1Data: e.CDOL1Data, GenACResponse: e.Response}
	u.reason, _ = verify(b.issuer, w, &u.msg)
	if u.reason == "" {
		var err error
		if u.raw, err = json.Marshal(e); err != nil {
			u.reason = ReasonInvalid
		}
	}
}

func (b *Bank) applyUpload(tx Tx, req uploadRequest, recs []*upRecord) (UploadResponse, error) {
	resp := UploadResponse{Rejected: []RecordRejection{}}
	now := b.now()
	wal, err := tx.Wallet(req.PAN, req.PSN)
	if err != nil {
		return resp, err
	}
	reject := func(atc uint16, reason string) {
		resp.Rejected = append(resp.Rejected, RecordRejection{ATC: atc, Reason: reason})
	}
	fresh := map[uint16]bool{}
	for _, u := range recs {
		e := u.entry
		if u.reason != "" {
			reject(e.ATC, u.reason)
			continue
		}
		wal.LastATC = max(wal.LastATC, e.ATC)
		if prev, err := tx.PhoneRecord(wal.PAN, wal.PSN, e.ATC); err == nil {
			if bytes.Equal(prev.AC, e.AC) {
				resp.Duplicate++
				continue
			}
			reject(e.ATC, ReasonClonedWallet)
			if err := b.markClonedByPhone(tx, &wal, e.ATC, "the phone uploaded two cryptograms for one ATC"); err != nil {
				return resp, err
			}
			continue
		} else if !isNotFound(err) {
			return resp, err
		}
		if err := tx.InsertPhoneRecord(PhoneRecord{PAN: wal.PAN, PSN: wal.PSN, ATC: e.ATC, Amount: e.Amount,
			Currency: u.msg.Currency, Date: u.msg.Date, Merchant: e.Merchant, AC: e.AC, BalanceAfter: e.BalanceAfter,
			Entry: u.raw, Uploaded: now}); err != nil {
			return resp, err
		}
		holder, err := tx.SlotHolder(wal.PAN, wal.PSN, e.ATC)
		switch {
		case err == nil && bytes.Equal(holder.AC, e.AC):
			holder.Confirmed = true
			if err := tx.UpdateMessage(holder); err != nil {
				return resp, err
			}
		case err == nil:
			reject(e.ATC, ReasonClonedWallet)
			if err := b.markClonedByPhone(tx, &wal, e.ATC, fmt.Sprintf("message %s of %s holds another cryptogram for this ATC",
				holder.Key, holder.TerminalID)); err != nil {
				return resp, err
			}
			continue
		case !isNotFound(err):
			return resp, err
		}
		fresh[e.ATC] = true
		resp.Accepted++
	}
	if err := b.checkChain(tx, &wal, req, fresh, &resp); err != nil {
		return resp, err
	}
	if !wal.PhoneAt.IsZero() && uint16(*req.ATC) < wal.PhoneATC {
		return resp, tx.UpdateWallet(wal) // an older upload arriving late: keep the newer state
	}
	wal.PhoneBalance, wal.PhoneATC, wal.PhoneAt = *req.Balance, uint16(*req.ATC), now
	wal.LastATC = max(wal.LastATC, wal.PhoneATC)
	return resp, tx.UpdateWallet(wal)
}

// checkChain rebuilds the wallet's balance in ATC order from its loads
// and every record the phone uploaded: each purchase must leave the
// balance before it less its amount. A record that does not is rejected
// (it stays on file) and queued as an exception; so is a phone whose
// balance is not where its records say. A teller's re-entry (a phone
// whose log was lost) is where the chain starts again; a load returned
// to the deposit (its script never reached the phone) is not in it.
func (b *Bank) checkChain(tx Tx, wal *Wallet, req uploadRequest, fresh map[uint16]bool, resp *UploadResponse) error {
	loads, err := tx.Loads(wal.PAN, wal.PSN)
	if err != nil {
		return err
	}
	recs, err := tx.PhoneRecords(wal.PAN, wal.PSN)
	if err != nil {
		return err
	}
	type event struct {
		atc           uint16
		load          bool
		amount, after int64
	}
	// The last re-entry is the phone's balance after its ATC as a teller
	// read it: what the phone did up to that ATC is in that balance, and
	// the records of it that were lost cannot be chained, so the chain
	// starts there. Records of that part that turn up later are kept but
	// not chained. Re-entries never go below an ATC the bank has seen, so
	// the last one made has the highest ATC.
	anchor := -1
	for i, l := range loads {
		if l.Kind == LoadReentry {
			anchor = i
		}
	}
	before := func(atc uint16) bool { return anchor >= 0 && atc <= loads[anchor].ATC }
	// A load returned to the deposit never reached the phone: the phone's
	// balance after it is still the one before it.
	returned := returnedLoads(loads)
	var evs []event
	for i, l := range loads {
		if l.Kind == LoadOnline && returned[l.ATC] {
			continue
		}
		if l.Kind != LoadUnload && (i == anchor || !before(l.ATC)) {
			evs = append(evs, event{atc: l.ATC, load: true, after: l.BalanceAfter})
		}
	}
	for _, r := range recs {
		if !before(r.ATC) {
			evs = append(evs, event{atc: r.ATC, amount: r.Amount, after: r.BalanceAfter})
		}
	}
	slices.SortStableFunc(evs, func(a, b event) int {
		if a.atc != b.atc {
			return int(a.atc) - int(b.atc)
		}
		if a.load != b.load && a.load {
			return -1
		}
		return 0
	})
	var bal int64
	known := false
	var last uint16
	for _, e := range evs {
		if !e.load && known && e.after != bal-e.amount {
			if fresh[e.atc] {
				resp.Accepted--
				resp.Rejected = append(resp.Rejected, RecordRejection{ATC: e.atc, Reason: ReasonBalanceChain})
				if err := tx.AddException(&Exception{At: b.now(), Kind: ReasonBalanceChain, PAN: wal.PAN, PSN: wal.PSN, ATC: e.atc,
					Detail: fmt.Sprintf("balance after %s, the balance before was %s and the purchase %s",
						formatFen(e.after), formatFen(bal), formatFen(e.amount))}); err != nil {
					return err
				}
			}
		}
		bal, known, last = e.after, true, e.atc
	}
	// A phone holding more than its loads less its purchases leave has
	// money no cryptogram accounts for. Less is no alarm: its later
	// records may still be on the way (phones upload in chunks), or a
	// load's script did not reach it, which its customer will raise.
	claim := wal.PhoneAt.IsZero() || wal.PhoneBalance != *req.Balance || wal.PhoneATC != uint16(*req.ATC)
	if known && claim && last <= uint16(*req.ATC) && *req.Balance > bal {
		return tx.AddException(&Exception{At: b.now(), Kind: ExceptionBalanceMismatch, PAN: wal.PAN, PSN: wal.PSN, ATC: uint16(*req.ATC),
			Detail: fmt.Sprintf("the phone says %s, its records and loads leave %s", formatFen(*req.Balance), formatFen(bal))})
	}
	return nil
}

// markClonedByPhone flags a wallet whose phone showed a second cryptogram
// for an ATC.
func (b *Bank) markClonedByPhone(tx Tx, wal *Wallet, atc uint16, detail string) error {
	return b.markCloned(tx, wal, &Message{ATC: atc}, detail)
}
