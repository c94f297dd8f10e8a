package bank

import (
	"errors"
	"fmt"
	"time"

	"lingqian/issuance"
)

// The merchant guarantee (docs/decisions.md, "Who carries which loss"). A
// desk approves offline: it cannot know that the wallet was hotlisted or
// unloaded after its last hotlist pull. A purchase with a genuine TC and
// CDA signature is paid to its merchant unless the desk could have known:
//
//   - in good faith: its signed transaction date (9A) is on or before the
//     day the wallet was blocked, or the desk's hotlist (the version it
//     sent with the batch, and at least the highest the bank sent it) is
//     older than the entry that blocks the PAN;
//   - unless its journal took it after the desk was online holding the
//     entry (goodfaith.go): the date is the desk's clock, signed as given;
//   - otherwise the desk held the entry and took the purchase anyway:
//     rejected hotlisted, the merchant's loss.
//
// It is paid from the wallet's e-cash while that lasts. What the e-cash no
// longer covers (unloaded since, or a copy of the wallet spending past
// what was loaded) is paid from the bank's loss account, and an exception
// asks a person to recover it. A second cryptogram on an ATC already spent
// is a copy's: paid wholly from the loss account (under CDA the issuer
// carries counterfeit), the wallet flagged cloned.

// ExceptionShortfall is a purchase the bank paid its merchant partly or
// wholly from the loss account: someone recovers it from the customer, or
// writes it off as counterfeit.
const ExceptionShortfall = "shortfall"

// latestZone is the time zone where a day begins first. The day a wallet
// was blocked is taken there: no desk anywhere signs a date later than
// that for a purchase made before the block.
var latestZone = time.FixedZone("UTC+14", 14*60*60)

// blockDay is the last transaction date a purchase made before at can
// carry, at a desk in any time zone.
func blockDay(at time.Time) string { return at.In(latestZone).Format(time.DateOnly) }

// inGoodFaith says whether the desk took a purchase of a blocked wallet
// without being able to know, and when not, why: its journal took it after
// the desk was online holding the entry (takenKnowing) — never in good
// faith — or else its hotlist predates the PAN's entry, or the
// cryptogram's signed date is on or before the day of the block. The
// hotlist is the newer of the one the batch names and the one the bank
// sent the desk. The date counts only when the wallet signs one (9A in
// its CDOL1): a desk's own txn_date is its word, not the card's — and
// the 9A date is the desk's clock, which is why the anchors bound it.
func inGoodFaith(tx Tx, bs *batchState, w *Wallet, m *Message) (bool, string, error) {
	e, err := tx.HotlistEntry(m.PAN)
	switch {
	case errors.Is(err, ErrNotFound):
		return true, "", nil // blocked without an entry desks could pull
	case err != nil:
		return false, "", err
	}
	served, err := servedHotlist(tx, bs.desk.TerminalID)
	if err != nil {
		return false, "", err
	}
	if why, err := takenKnowing(tx, bs.desk.TerminalID, m.Seq, e, served); err != nil || why != "" {
		return false, why, err
	}
	held := max(bs.hotlistVersion, served.Version)
	if held < e.Version {
		return true, "", nil
	}
	date, ok := signedDate(w, m)
	if ok && date <= blockDay(e.At) {
		return true, "", nil
	}
	signed := "the cryptogram signs no date"
	if ok {
		signed = "the cryptogram is signed " + date + ", after " + blockDay(e.At)
	}
	return false, fmt.Sprintf("the desk held hotlist version %d (it named %d), the PAN's entry is version %d, and %s",
		held, bs.hotlistVersion, e.Version, signed), nil
}

// signedDate is the transaction date inside the cryptogram's CDOL1 data.
func signedDate(w *Wallet, m *Message) (string, bool) {
	cdol1, err := issuance.ParseDOL(w.CDOL1)
	if err != nil || !cdol1.Has(0x9A, 3) || len(m.CDOL1Data) != cdol1.Len() {
		return "", false
	}
	return bcdDate(cdol1.Value(m.CDOL1Data, 0x9A))
}

// beyondLoaded says whether a purchase the e-cash does not cover spends
// past what was ever loaded — only a copy of the wallet can — rather than
// what was unloaded to the deposit since (the customer was paid twice,
// and is asked for it back). It answers why, or "".
//
// What is left of what was loaded is the loads less what merchants were
// paid for the wallet's purchases, from its e-cash or from the loss
// account alike: the wallet's e-cash and its unloads, less what the loss
// account already paid for it. Judging each purchase against the e-cash
// and unloads alone would blame the customer for every copy's purchase
// that fits under the unload, one at a time.
func beyondLoaded(tx Tx, w *Wallet, m *Message) (string, error) {
	loads, err := tx.Loads(w.PAN, w.PSN)
	if err != nil {
		return "", err
	}
	var loaded, paid int64
	for _, l := range loads {
		switch {
		case l.Kind == LoadVoucher, l.Kind == LoadOnline:
			loaded, err = addChecked(loaded, l.Amount)
		case l.Kind == LoadUnload && l.ATC != 0:
			// A return gave back a load the phone never had.
			loaded, err = addChecked(loaded, -l.Amount)
		}
		if err != nil {
			return "", err
		}
	}
	kept, err := tx.WalletMessages(w.PAN, w.PSN)
	if err != nil {
		return "", err
	}
	for _, k := range kept {
		if k.Kind == KindPurchase && k.State == StatePosted {
			if paid, err = addChecked(paid, k.Amount); err != nil {
				return "", err
			}
		}
	}
	left, err := addChecked(loaded, -paid)
	if err != nil {
		return "", err
	}
	if left >= m.Amount {
		return "", nil
	}
	return fmt.Sprintf("spends %s with %s left of the %s ever loaded: merchants were paid %s for it already",
		formatFen(m.Amount), formatFen(max(left, 0)), formatFen(loaded), formatFen(paid)), nil
}

// payMerchant posts a purchase to its merchant: fromEcash from the
// wallet's e-cash, the rest from the loss account with an exception for a
// person to follow up.
func (b *Bank) payMerchant(tx Tx, w *Wallet, m *Message, fromEcash int64, counterfeit bool) error {
	if err := tx.EnsureAccount(settlementAccount(m.MerchantID), Liability); err != nil {
		return err
	}
	short := m.Amount - fromEcash
	var lines []Line
	if fromEcash > 0 {
		lines = append(lines, Line{Account: ecashAccount(m.PAN, m.PSN), Amount: fromEcash})
	}
	if short > 0 {
		if err := tx.EnsureAccount(LossAccount, Asset); err != nil {
			return err
		}
		lines = append(lines, Line{Account: LossAccount, Amount: short})
	}
	lines = append(lines, Line{Account: settlementAccount(m.MerchantID), Amount: -m.Amount})
	now := b.now()
	p := Posting{At: now, Kind: "purchase", Memo: fmt.Sprintf("%s seq %d ATC %d", m.TerminalID, m.Seq, m.ATC), Lines: lines}
	if err := tx.Post(&p); err != nil {
		return err
	}
	w.KnownBalance -= fromEcash
	m.State, m.Reason, m.PostingID = StatePosted, "", p.ID
	if err := tx.UpdateWallet(*w); err != nil {
		return err
	}
	if short == 0 {
		return nil
	}
	detail := fmt.Sprintf("paid %s to merchant %s: %s from the wallet's e-cash, %s from the loss account to recover from the customer",
		formatFen(m.Amount), m.MerchantID, formatFen(fromEcash), formatFen(short))
	if counterfeit {
		detail = fmt.Sprintf("paid %s to merchant %s from the loss account for a copy's cryptogram on ATC %d: counterfeit, the bank's loss unless recovered",
			formatFen(m.Amount), m.MerchantID, m.ATC)
	}
	b.log.Warn("purchase paid from the loss account", "pan", MaskPAN(m.PAN), "atc", m.ATC, "terminal", m.TerminalID,
		"amount", m.Amount, "loss", short)
	return tx.AddException(&Exception{At: now, Kind: ExceptionShortfall, PAN: m.PAN, PSN: m.PSN, ATC: m.ATC,
		TerminalID: m.TerminalID, MerchantID: m.MerchantID, MessageKey: m.Key, Detail: detail})
}

// block puts pan on the hotlist unless it is there already, and answers
// the version of its entry. The first entry is when the wallet was
// blocked, which judges a desk's good faith: a later hotlisting (lost,
// then unloaded, then found cloned) does not move it later.
func (b *Bank) block(tx Tx, pan, reason string) (int64, error) {
	e, err := tx.HotlistEntry(pan)
	switch {
	case err == nil:
		return e.Version, nil
	case !errors.Is(err, ErrNotFound):
		return 0, err
	}
	return tx.AddHotlist(pan, reason, b.now())
}
