package bank

import (
	"bytes"
	"errors"
	"fmt"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// Clearing a desk's detail message, in two halves. verify does the
// cryptography — pure, outside any transaction, so the single writer never
// waits on RSA — and clear applies the bank's state to its verdict inside
// the batch's transaction: duplicates, replays, forks, voids, the wallet's
// status and balance, and the posting. A message either changes nothing
// or is posted exactly once with its state, in the same commit as the
// batch's answer.

// prepared is a message parsed and verified, ready to be cleared.
type prepared struct {
	wire    *WireMessage
	keyed   bool // it has a usable key and seq
	msg     Message
	invalid error  // a field is not what the contract says
	reason  string // the cryptographic checks' verdict; "" when they passed
	// panicked: verifying it failed inside the bank (workers.go), so
	// there is no verdict to keep.
	panicked bool
	detail   string // for the log and the exception queue
}

// verify checks a purchase against the wallet the bank issued: the amount
// and currency are the ones inside the CDOL1 data, the answer's CID, ATC
// and IAD are the message's, the TC recomputes with the issuer's keys, and
// the CDA signature verifies with the wallet's ICC key over the data
// exchanged, as received. It returns a rejection reason, or "".
func verify(iss *issuance.Issuer, w *Wallet, m *Message) (reason, detail string) {
	cdol1, err := issuance.ParseDOL(w.CDOL1)
	if err != nil {
		return ReasonInvalid, "the wallet's CDOL1 does not parse"
	}
	if len(m.CDOL1Data) != cdol1.Len() {
		return ReasonInvalid, fmt.Sprintf("CDOL1 data of %d bytes, the wallet's CDOL1 asks for %d", len(m.CDOL1Data), cdol1.Len())
	}
	amount, ok := issuance.ParseBCD(cdol1.Value(m.CDOL1Data, 0x9F02))
	if !ok || amount != m.Amount {
		return ReasonAmountMismatch, fmt.Sprintf("the message says %d, the cryptogram covers %d", m.Amount, amount)
	}
	if cur := cdol1.Value(m.CDOL1Data, 0x5F2A); currencyCode(cur) != m.Currency {
		return ReasonAmountMismatch, fmt.Sprintf("the message says currency %s, the cryptogram covers %X", m.Currency, cur)
	}
	if d := cdol1.Value(m.CDOL1Data, 0x9A); len(d) == 3 {
		// The date the cryptogram covers is the one reports use: the
		// desk's own may be written in another time zone.
		if s, ok := bcdDate(d); ok {
			m.Date = s
		}
	}
	objs, err := tlv.Parse(m.GenACResponse)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x77 {
		return ReasonInvalid, "genac_response is not one template 77"
	}
	fields := objs[0].Children
	cid, atc, iad := tlv.Value(fields, 0x9F27), tlv.Value(fields, 0x9F36), tlv.Value(fields, 0x9F10)
	switch {
	case len(cid) != 1 || cid[0] != m.CID:
		return ReasonInvalid, "cid differs from the answer's 9F27"
	case len(atc) != 2 || uint16(atc[0])<<8|uint16(atc[1]) != m.ATC:
		return ReasonInvalid, "atc differs from the answer's 9F36"
	case len(m.IAD) > 0 && !bytes.Equal(iad, m.IAD):
		return ReasonInvalid, "iad differs from the answer's 9F10"
	}
	if m.CID&0xC0 != issuance.CIDTC {
		return ReasonBadCryptogram, fmt.Sprintf("CID %02X is not a TC", m.CID)
	}
	cvr, err := issuance.ParseIAD(iad)
	if err != nil {
		return ReasonBadCryptogram, "the issuer application data is not the wallet's"
	}
	if cvr[1]&0xC0 != issuance.CIDTC {
		return ReasonBadCryptogram, "the card's CVR does not say TC"
	}
	ok, err = iss.VerifyAC(m.PAN, m.PSN, m.ATC, issuance.ACData(m.CDOL1Data, w.AIP, m.ATC, cvr), m.AC)
	if err != nil || !ok {
		return ReasonBadCryptogram, "the TC does not verify with the issuer's keys"
	}
	hashed, sdad, err := oda.SplitGenerateACResponse(objs[0].Value)
	if err != nil {
		return ReasonBadSignature, "the answer carries no single CDA signature"
	}
	tdhc := oda.TransactionDataHash(m.PDOLData, m.CDOL1Data, hashed)
	d, err := oda.VerifyCDA(w.ICCKey, sdad, m.UN, m.CID, tdhc)
	if err != nil {
		return ReasonBadSignature, "the CDA signature does not verify: " + err.Error()
	}
	if !bytes.Equal(d.AC, m.AC) {
		return ReasonBadSignature, "the CDA signature covers another AC"
	}
	return signedAtDesk(cdol1, m)
}

// signedAtDesk checks the merchant and terminal ids (9F16, 9F1C) the
// cryptogram signed, when the wallet's CDOL1 asks for them, against the
// message's: a genuine cryptogram sent by any other desk is refused, so a
// message copied from one merchant cannot be paid to another. The
// message's terminal is its desk certificate's (parse), and clear refuses
// a merchant other than the certificate's before it reads this verdict.
// Wallets issued before CDOL1 asked for the ids are judged without them.
//
// A phone's upload names no desk (uploads.go): there is nothing to
// compare, and its records are only checked for being genuine.
func signedAtDesk(cdol1 issuance.DOL, m *Message) (reason, detail string) {
	if m.TerminalID == "" && m.MerchantID == "" {
		return "", ""
	}
	for _, id := range []struct {
		tag        tlv.Tag
		name, want string
	}{{0x9F16, "merchant", m.MerchantID}, {0x9F1C, "terminal", m.TerminalID}} {
		signed := cdol1.Value(m.CDOL1Data, id.tag)
		if signed != nil && !sameID(signed, id.want) {
			return ReasonWrongMerchant, fmt.Sprintf("the cryptogram was made at %s %q, the message comes from %s %q",
				id.name, bytes.TrimRight(signed, "\x00 "), id.name, id.want)
		}
	}
	return "", ""
}

// sameID says whether a signed id (ans) is want as a kernel encodes it in
// a DOL entry of len(signed) bytes: left-aligned, cut to the length, and
// padded on the right — with spaces by the desk, which pads its ids to
// their full length itself, or with zeros by the kernel's DOL filler.
func sameID(signed []byte, want string) bool {
	if len(want) > len(signed) {
		want = want[:len(signed)]
	}
	return want != "" && string(bytes.TrimRight(signed, "\x00 ")) == want
}

func currencyCode(b []byte) string {
	if v, ok := issuance.ParseBCD(b); ok && len(b) == 2 && v < 1000 {
		return fmt.Sprintf("%03d", v)
	}
	return fmt.Sprintf("%X", b)
}

func bcdDate(b []byte) (string, bool) {
	v, ok := issuance.ParseBCD(b)
	if !ok {
		return "", false
	}
	y, mo, d := v/10000, v/100%100, v%100
	if mo < 1 || mo > 12 || d < 1 || d > 31 {
		return "", false
	}
	return fmt.Sprintf("20%02d-%02d-%02d", y, mo, d), true
}

// batchState is what clearing one batch shares between its messages.
type batchState struct {
	desk *Desk
	// hotlistVersion is the hotlist version the desk said it held.
	hotlistVersion int64
	// voids in this batch, by the seq they void: a purchase voided in
	// the same batch is cancelled, not posted and then found too late.
	voids map[int64]*prepared
}

// newBatchState gathers what preps share: the first void of each seq.
func newBatchState(desk *Desk, preps []*prepared) *batchState {
	bs := &batchState{desk: desk, voids: map[int64]*prepared{}}
	for _, p := range preps {
		if p.keyed && p.invalid == nil && p.msg.Kind == KindVoid {
			if _, ok := bs.voids[p.msg.Ref]; !ok {
				bs.voids[p.msg.Ref] = p
			}
		}
	}
	return bs
}

// clear settles one prepared message inside the batch's transaction.
func (b *Bank) clear(tx Tx, bs *batchState, p *prepared) (Result, error) {
	res := Result{Key: p.wire.Key, Seq: p.wire.Seq}
	if !p.keyed {
		res.Status, res.Reason, res.State = StatusRejected, ReasonInvalid, string(StateRejected)
		return res, nil
	}
	terminal := bs.desk.TerminalID
	if prev, err := tx.MessageByKey(terminal, p.wire.Key); err == nil {
		res.Status, res.Reason, res.State = StatusDuplicate, prev.Reason, string(prev.State)
		return res, nil
	} else if !errors.Is(err, ErrNotFound) {
		return res, err
	}
	if p.panicked {
		// No verdict: kept nowhere, so it takes no seq and no ATC, and
		// the desk's next pass sends it again.
		res.Status, res.Reason, res.State = StatusRejected, ReasonInternal, string(StatePending)
		return res, nil
	}
	m := p.msg
	// A desk's messages are kept under its certificate's merchant, valid
	// or not: what a certificate sent is on its merchant's record, and a
	// message naming another merchant (a copied data folder, a borrowed
	// certificate, another merchant's message replayed) is kept there,
	// rejected wrong_merchant. Kept, it takes its seq in this terminal's
	// sequence like any message: the same message again is a duplicate
	// with the same answer, the same card under another key a replay, and
	// another message under that seq is refused. Those seqs are the
	// sending journal's own, so a desk's own entries never meet them
	// unless its certificate sends two journals, which a desk's enrolment
	// refuses; the seqs of the other merchant's terminal are untouched.
	wrongMerchant := p.invalid == nil && m.MerchantID != bs.desk.MerchantID
	if wrongMerchant {
		p.detail = fmt.Sprintf("the message names merchant %q, its desk's certificate %q", m.MerchantID, bs.desk.MerchantID)
	}
	m.MerchantID = bs.desk.MerchantID
	if prev, err := tx.MessageBySeq(terminal, p.wire.Seq); err == nil {
		// Another key already has this seq: the desk's journal cannot
		// hold both, so this one is refused and not kept. Sent again
		// under a new key, it is a replay.
		res.Status, res.Reason, res.State = StatusRejected, ReasonInvalid, string(StateRejected)
		switch {
		case wrongMerchant:
			res.Reason = ReasonWrongMerchant
		case p.invalid == nil && prev.Kind == m.Kind && sameCard(&prev, &m):
			res.Reason = ReasonReplayed
		}
		return res, nil
	} else if !errors.Is(err, ErrNotFound) {
		return res, err
	}
	var err error
	switch {
	case p.invalid != nil:
		m.State, m.Reason = StateRejected, ReasonInvalid
	case wrongMerchant:
		m.State, m.Reason = StateRejected, ReasonWrongMerchant
	case m.Kind == KindVoid:
		err = b.clearVoid(tx, &m)
	case p.reason != "":
		m.State, m.Reason = StateRejected, p.reason
	default:
		err = b.clearPurchase(tx, bs, p, &m)
	}
	if err == nil && m.Kind == KindPurchase && m.State == StateRejected && m.Reason != ReasonVoided {
		err = settleWaitingVoid(tx, &m)
	}
	if err != nil {
		return res, err
	}
	if err := tx.InsertMessage(&m); err != nil {
		return res, err
	}
	res.State, res.Reason = string(m.State), m.Reason
	res.Status = StatusAccepted
	if m.State == StateRejected {
		res.Status = StatusRejected
	}
	if m.Reason != "" && m.State == StateRejected {
		b.log.Info("message rejected", "terminal", terminal, "seq", m.Seq, "reason", m.Reason,
			"pan", MaskPAN(m.PAN), "detail", maskPANs(p.detail))
	}
	return res, nil
}

// clearPurchase decides a purchase whose cryptograms verified. A genuine
// cryptogram is paid to its merchant unless the desk took it knowing the
// wallet was blocked (guarantee.go): from the wallet's e-cash, and what
// that no longer covers from the bank's loss account. A replay — a
// cryptogram any kept message spent already, the slot's holder or a
// copy's (goodfaith.go) — is rejected; a copy of the wallet (a second
// cryptogram on a spent ATC, the phone's record of another, spending
// past what was loaded) is paid the same and flags the wallet cloned.
func (b *Bank) clearPurchase(tx Tx, bs *batchState, p *prepared, m *Message) error {
	w, err := tx.Wallet(m.PAN, m.PSN)
	if err != nil {
		return err // verify found it: it is there
	}
	// clone says how this purchase shows the wallet was copied, "" when
	// it does not; counterfeit: it is the second cryptogram on its ATC.
	var clone string
	counterfeit := false
	if spent, err := replayOf(tx, m); err != nil {
		return err
	} else if spent != nil {
		m.State, m.Reason = StateRejected, ReasonReplayed
		p.detail = fmt.Sprintf("message %s of %s spent this cryptogram already", spent.Key, spent.TerminalID)
		return nil
	}
	holder, err := tx.SlotHolder(m.PAN, m.PSN, m.ATC)
	switch {
	case err == nil:
		counterfeit = true
		clone = fmt.Sprintf("two cryptograms for ATC %d: message %s of %s holds it", m.ATC, holder.Key, holder.TerminalID)
	case !errors.Is(err, ErrNotFound):
		return err
	default:
		// The cryptogram is genuine and the first for its ATC: whatever
		// happens next, it spends that ATC.
		m.Slot = true
		w.LastATC = max(w.LastATC, m.ATC)
		if rec, err := tx.PhoneRecord(m.PAN, m.PSN, m.ATC); err == nil {
			if !bytes.Equal(rec.AC, m.AC) {
				clone = fmt.Sprintf("the phone uploaded another cryptogram for ATC %d", m.ATC)
			} else {
				m.Confirmed = true
			}
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if w.Status != WalletActive {
		fair, why, err := inGoodFaith(tx, bs, &w, m)
		if err != nil {
			return err
		}
		if !fair {
			p.detail = why
			m.State, m.Reason = StateRejected, ReasonHotlisted
			return b.flagClone(tx, &w, m, clone)
		}
	}
	if cancelled, err := b.voided(tx, bs, m); err != nil || cancelled {
		if err == nil {
			err = b.flagClone(tx, &w, m, clone)
		}
		return err
	}
	fromEcash := min(m.Amount, w.KnownBalance)
	if counterfeit {
		fromEcash = 0 // the first cryptogram on the ATC spent the wallet's e-cash for it
	}
	if fromEcash < m.Amount && clone == "" {
		if clone, err = beyondLoaded(tx, &w, m); err != nil {
			return err
		}
	}
	if err := b.flagClone(tx, &w, m, clone); err != nil {
		return err
	}
	return b.payMerchant(tx, &w, m, fromEcash, counterfeit)
}

// flagClone marks the wallet cloned when clone says why, and otherwise
// only keeps what clearing changed of it.
func (b *Bank) flagClone(tx Tx, w *Wallet, m *Message, clone string) error {
	if clone == "" {
		return tx.UpdateWallet(*w)
	}
	return b.markCloned(tx, w, m, clone)
}

// voided cancels a purchase its desk voided: by a void received before it
// (in an earlier batch or earlier in this one), which is then done, or by
// one later in this batch.
func (b *Bank) voided(tx Tx, bs *batchState, m *Message) (bool, error) {
	v, err := tx.VoidOf(m.TerminalID, m.Seq)
	switch {
	case err == nil && v.State == StatePending && sameCard(&v, m):
		m.State, m.Reason = StateRejected, ReasonVoided
		v.State = StatePosted
		return true, tx.UpdateMessage(v)
	case err == nil && v.State == StatePending:
		// The void waited for a purchase it does not describe: it
		// voids nothing, and the purchase stands.
		v.State, v.Reason = StateRejected, ReasonInvalid
		return false, tx.UpdateMessage(v)
	case err != nil && !errors.Is(err, ErrNotFound):
		return false, err
	}
	if v, ok := bs.voids[m.Seq]; ok && v.invalid == nil && sameCard(&v.msg, m) {
		m.State, m.Reason = StateRejected, ReasonVoided
		return true, nil
	}
	return false, nil
}

// settleWaitingVoid ends the wait of a void received before its purchase
// when the purchase is rejected on its own: there is nothing left to
// cancel (the void is done), unless the void does not describe it.
func settleWaitingVoid(tx Tx, purchase *Message) error {
	v, err := tx.VoidOf(purchase.TerminalID, purchase.Seq)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return err
	case v.State != StatePending:
		return nil
	case sameCard(&v, purchase):
		v.State = StatePosted
	default:
		v.State, v.Reason = StateRejected, ReasonInvalid
	}
	return tx.UpdateMessage(v)
}

// clearVoid decides a void: it cancels a purchase not posted, is too late
// for a posted one, and waits (pending) for a purchase not yet received.
func (b *Bank) clearVoid(tx Tx, m *Message) error {
	target, err := tx.MessageBySeq(m.TerminalID, m.Ref)
	switch {
	case errors.Is(err, ErrNotFound):
		if _, err := tx.VoidOf(m.TerminalID, m.Ref); err == nil {
			m.State, m.Reason = StateRejected, ReasonInvalid // a second void of the same purchase
			return nil
		}
		m.State, m.Reason = StatePending, ""
		return nil
	case err != nil:
		return err
	}
	first, err := tx.VoidOf(m.TerminalID, m.Ref)
	already := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	switch {
	case target.Kind != KindPurchase, !sameCard(m, &target), already && first.Seq != m.Seq:
		m.State, m.Reason = StateRejected, ReasonInvalid
	case target.State == StatePosted:
		m.State, m.Reason = StateRejected, ReasonVoidTooLate
	default:
		// Cancelled as it arrived (this batch), or rejected anyway: the
		// void has done all it can.
		m.State, m.Reason = StatePosted, ""
	}
	return nil
}

// markCloned flags a wallet that spent the same value twice: it is
// hotlisted so desks decline it (a PAN listed already keeps its entry:
// guarantee.go), and a person is asked to look.
func (b *Bank) markCloned(tx Tx, w *Wallet, m *Message, detail string) error {
	first := w.Status != WalletCloned
	w.Status = WalletCloned
	if err := tx.UpdateWallet(*w); err != nil {
		return err
	}
	if first {
		if _, err := b.block(tx, w.PAN, "cloned wallet"); err != nil {
			return err
		}
		b.log.Warn("wallet cloned: hotlisted", "pan", MaskPAN(w.PAN), "atc", m.ATC, "terminal", m.TerminalID)
	}
	return tx.AddException(&Exception{At: b.now(), Kind: ReasonClonedWallet, PAN: w.PAN, PSN: w.PSN, ATC: m.ATC,
		TerminalID: m.TerminalID, MerchantID: m.MerchantID, MessageKey: m.Key, Detail: detail})
}
