package bank

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"
)

// What the merchant guarantee (guarantee.go) does not take on a desk's
// word (docs/decisions.md, "Who carries which loss").
//
//   - A cryptogram is paid once. Any purchase kept with the same (PAN,
//     PSN, ATC, AC) as one the bank has already judged on its merits
//     (posted, or refused hotlisted, voided or replayed) is a replay,
//     whichever desk sends it and whether or not the earlier one holds the
//     ATC: a copy's cryptogram, paid from the loss account, never holds
//     the slot, so comparing with the slot holder alone would pay it again
//     at every resend.
//   - The hotlist a desk held is at least the highest the bank sent it
//     (GET /v1/desk/hotlist, recorded before the answer leaves).
//   - The journal's anchors place a purchase in time: the desk's signed
//     date is its own clock, which the card signs as given. A purchase the
//     desk's journal took once the desk held the entry (takenKnowing) was
//     taken knowing, whatever its date or claimed version say.

// hotlistPullGrace is how long after a block a desk that forwards is
// taken to hold the entry even when the bank has no record of sending it:
// the desk's forwarder pulls the hotlist every 15 minutes while it reaches
// the bank, and in its first full pass when it does again. An hour leaves
// room for a pull that failed or came late; a desk that never pulls gains
// nothing by not pulling.
const hotlistPullGrace = time.Hour

// spentCryptogram says whether a kept message spent its cryptogram: it
// is a purchase the bank judged on its merits, not one refused before
// (forged, altered, another merchant's, malformed), which leaves the
// cryptogram to the message it was copied from.
func spentCryptogram(m *Message) bool {
	if m.Kind != KindPurchase {
		return false
	}
	if m.Slot || m.State == StatePosted {
		return true
	}
	switch m.Reason {
	case ReasonHotlisted, ReasonVoided, ReasonReplayed:
		return true
	}
	return false
}

// replayOf is the kept message that spent m's cryptogram already, if any.
func replayOf(tx Tx, m *Message) (*Message, error) {
	kept, err := tx.PurchasesAt([]ATCSlot{{m.PAN, m.PSN, m.ATC}})
	if err != nil {
		return nil, err
	}
	for i := range kept {
		if spentCryptogram(&kept[i]) && bytes.Equal(kept[i].AC, m.AC) {
			return &kept[i], nil
		}
	}
	return nil, nil
}

// servedHotlist is the highest hotlist version the bank sent the desk;
// the zero value when it sent none.
func servedHotlist(tx Tx, terminalID string) (ServedHotlist, error) {
	s, err := tx.HotlistServed(terminalID)
	if isNotFound(err) {
		return ServedHotlist{TerminalID: terminalID}, nil
	}
	return s, err
}

// takenKnowing says why the desk's journal took the purchase (its seq)
// while the desk held e, or "". Anchors are the desk's journal heads the
// bank accepted, with when; only those of the desk's current epoch count,
// which the batch carrying the purchase was just accepted in.
//
//   - Sent: the bank sent the desk a hotlist holding e at served.At. The
//     desk's forwarder forwards before it pulls, so the last head anchored
//     by then is where its journal stood when it got the entry: an entry
//     above it was taken after.
//   - Online: a head anchored hotlistPullGrace or more after the block
//     shows a desk forwarding well after it, which has pulled the hotlist
//     unless it chose not to: an entry above that head was taken after.
//
// A desk that sends no chains is placed by its date alone.
func takenKnowing(tx Tx, terminalID string, seq int64, e HotlistEntry, served ServedHotlist) (string, error) {
	newest, err := tx.NewestAnchor(terminalID, ChainJournal)
	if isNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if served.Version >= e.Version {
		a, err := tx.LastAnchorUntil(terminalID, ChainJournal, newest.Epoch, served.At)
		switch {
		case err != nil && !isNotFound(err):
			return "", err
		case err == nil && seq > a.Seq:
			return fmt.Sprintf("journal entry %d was taken after the bank sent the desk the hotlist holding the entry on %s, when its journal's head was %d",
				seq, wireTime(served.At), a.Seq), nil
		}
	}
	a, err := tx.FirstAnchorSince(terminalID, ChainJournal, newest.Epoch, e.At.Add(hotlistPullGrace))
	switch {
	case isNotFound(err):
		return "", nil
	case err != nil:
		return "", err
	case seq > a.Seq:
		return fmt.Sprintf("journal entry %d was taken after the desk's head %d, anchored on %s, more than %s after the block on %s",
			seq, a.Seq, wireTime(a.At), hotlistPullGrace, wireTime(e.At)), nil
	}
	return "", nil
}

// noteHotlistServed records that the bank is sending the desk the
// hotlist's version, before the answer leaves: from then on the desk
// cannot claim an older one.
func (b *Bank) noteHotlistServed(ctx context.Context, terminalID string, version int64) error {
	err := b.store.Write(ctx, func(tx Tx) error {
		s, err := tx.HotlistServed(terminalID)
		switch {
		case err == nil && s.Version >= version:
			return nil
		case err != nil && !errors.Is(err, ErrNotFound):
			return err
		}
		return tx.SetHotlistServed(ServedHotlist{TerminalID: terminalID, Version: version, At: b.now()})
	})
	if err != nil {
		return fmt.Errorf("recording the hotlist sent to %s: %w", terminalID, err)
	}
	return nil
}
