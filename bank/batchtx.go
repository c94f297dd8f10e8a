package bank

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// batchTx is the Tx a desk's batch is cleared on. Clearing asks the single
// writer a dozen single-row questions a message; batchTx asks them for
// the whole batch at the start with a few set-based queries, answers from
// memory, and keeps the batch's new messages, postings, wallet changes
// and accounts until flush writes them with a few set-based statements:
// a few dozen statements a batch instead of a dozen a message.
//
// It must answer exactly as the Tx under it would. Every write it keeps
// shows at once in its own answers (a second message with the same key,
// a void before or after its purchase, several purchases of one wallet
// in one batch), a question about something it did not load goes to the
// Tx, and every call it does not answer itself (batchtx_pass.go) first
// writes what it keeps, so the Tx sees what it would have seen. New rows
// get the IDs SQLite would have given them one by one: the highest plus
// one, in the order they were made.
type batchTx struct {
	tx Tx

	// What the lookups answer from. A key in a map is known: its value
	// is the row, or nil when there is none. A key not in a map is asked
	// of the Tx. Each message is one *Message in every map, so a change
	// shows in all of them.
	byID     map[int64]*Message
	byKey    map[messageKey]*Message
	bySeq    map[messageSeq]*Message
	voids    map[messageSeq]*Message // the first void of each seq
	slots    map[ATCSlot]*Message
	spent    map[ATCSlot][]*Message // every purchase kept on the slot (batchtx_spent.go)
	wallets  map[WalletKey]*Wallet
	phones   map[ATCSlot]*PhoneRecord
	accounts map[string]bool // known to be there, or to be made by flush

	// What flush writes, in the order it was made.
	messages    []*Message
	unwritten   map[int64]*Message // by ID: the messages not yet flushed
	postings    []Posting
	newAccounts []Account
	changed     []WalletKey
	isChanged   map[WalletKey]bool

	// The last IDs given out; unknown again after any call passed to the
	// Tx, which may add rows of its own.
	lastMessage, lastPosting int64
	messageIDs, postingIDs   bool
}

type messageKey struct{ terminal, key string }

type messageSeq struct {
	terminal string
	seq      int64
}

var _ Tx = (*batchTx)(nil)

// absent is ErrNotFound for a row batchTx knows is not there, worded as
// the store words it. Clearing asks after absent rows several times a
// message and only tests for them: this spares it formatting each.
type absent struct{ what string }

func (e absent) Error() string { return e.what + ": " + ErrNotFound.Error() }
func (e absent) Unwrap() error { return ErrNotFound }

func (t *batchTx) MessageByKey(terminalID, key string) (Message, error) {
	m, ok := t.byKey[messageKey{terminalID, key}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return Message{}, err
		}
		return t.tx.MessageByKey(terminalID, key)
	case m == nil:
		return Message{}, absent{"message " + key}
	}
	return *m, nil
}

func (t *batchTx) MessageBySeq(terminalID string, seq int64) (Message, error) {
	m, ok := t.bySeq[messageSeq{terminalID, seq}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return Message{}, err
		}
		return t.tx.MessageBySeq(terminalID, seq)
	case m == nil:
		return Message{}, absent{"message " + strconv.FormatInt(seq, 10) + " of " + terminalID}
	}
	return *m, nil
}

func (t *batchTx) VoidOf(terminalID string, seq int64) (Message, error) {
	v, ok := t.voids[messageSeq{terminalID, seq}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return Message{}, err
		}
		return t.tx.VoidOf(terminalID, seq)
	case v == nil:
		return Message{}, absent{"void of " + strconv.FormatInt(seq, 10) + " of " + terminalID}
	}
	return *v, nil
}

func (t *batchTx) SlotHolder(pan, psn string, atc uint16) (Message, error) {
	m, ok := t.slots[ATCSlot{pan, psn, atc}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return Message{}, err
		}
		return t.tx.SlotHolder(pan, psn, atc)
	case m == nil:
		return Message{}, absent{"purchase at ATC " + strconv.Itoa(int(atc))}
	}
	return *m, nil
}

func (t *batchTx) Wallet(pan, psn string) (Wallet, error) {
	w, ok := t.wallets[WalletKey{pan, psn}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return Wallet{}, err
		}
		return t.tx.Wallet(pan, psn)
	case w == nil:
		return Wallet{}, absent{"wallet " + MaskPAN(pan)}
	}
	return *w, nil
}

func (t *batchTx) PhoneRecord(pan, psn string, atc uint16) (PhoneRecord, error) {
	r, ok := t.phones[ATCSlot{pan, psn, atc}]
	switch {
	case !ok:
		if err := t.pass(); err != nil {
			return PhoneRecord{}, err
		}
		return t.tx.PhoneRecord(pan, psn, atc)
	case r == nil:
		return PhoneRecord{}, absent{"phone record at ATC " + strconv.Itoa(int(atc))}
	}
	return *r, nil
}

// InsertMessage keeps m for flush under the ID the Tx would have given
// it, refusing at once what the Tx's unique keys would refuse.
func (t *batchTx) InsertMessage(m *Message) error {
	if t.byKey[messageKey{m.TerminalID, m.Key}] != nil || t.bySeq[messageSeq{m.TerminalID, m.Seq}] != nil ||
		m.Slot && t.slots[ATCSlot{m.PAN, m.PSN, m.ATC}] != nil {
		return fmt.Errorf("message %d of %s: %w", m.Seq, m.TerminalID, ErrExists)
	}
	if err := t.countMessages(); err != nil {
		return err
	}
	if t.lastMessage == math.MaxInt64 {
		// Past the last ID SQLite picks one at random: let it.
		if err := t.pass(); err != nil {
			return err
		}
		if err := t.tx.InsertMessage(m); err != nil {
			return err
		}
		t.hold(*m)
		return nil
	}
	t.lastMessage++
	m.ID = t.lastMessage
	held := t.hold(*m)
	t.messages = append(t.messages, held)
	t.unwritten[held.ID] = held
	return nil
}

// hold indexes a message just written, as the Tx would read it back.
func (t *batchTx) hold(m Message) *Message {
	m.At, m.Received = fromNanos(nanos(m.At)), fromNanos(nanos(m.Received))
	held := &m
	t.byID[m.ID] = held
	t.byKey[messageKey{m.TerminalID, m.Key}] = held
	t.bySeq[messageSeq{m.TerminalID, m.Seq}] = held
	if m.Slot {
		t.slots[ATCSlot{m.PAN, m.PSN, m.ATC}] = held
	}
	if m.Kind == KindVoid {
		t.indexVoid(held)
	}
	t.holdSpent(held)
	return held
}

// UpdateMessage changes a message not yet flushed in memory; one already
// written is changed in the Tx, and in memory too.
func (t *batchTx) UpdateMessage(m Message) error {
	if held, ok := t.unwritten[m.ID]; ok {
		setMessageState(held, m)
		return nil
	}
	if err := t.pass(); err != nil {
		return err
	}
	if err := t.tx.UpdateMessage(m); err != nil {
		return err
	}
	if held, ok := t.byID[m.ID]; ok {
		setMessageState(held, m)
	}
	return nil
}

// setMessageState copies what UpdateMessage may change.
func setMessageState(held *Message, m Message) {
	held.State, held.Reason, held.Confirmed, held.PostingID = m.State, m.Reason, m.Confirmed, m.PostingID
}

// UpdateWallet keeps the wallet's new state for flush; the last one wins.
func (t *batchTx) UpdateWallet(w Wallet) error {
	k := WalletKey{w.PAN, w.PSN}
	held := t.wallets[k]
	if held == nil {
		if err := t.pass(); err != nil {
			return err
		}
		return t.tx.UpdateWallet(w)
	}
	// What UpdateWallet writes, as it reads back.
	held.Status, held.KnownBalance, held.LastATC = w.Status, w.KnownBalance, w.LastATC
	held.PhoneBalance, held.PhoneATC, held.PhoneAt = w.PhoneBalance, w.PhoneATC, fromNanos(nanos(w.PhoneAt))
	if !t.isChanged[k] {
		t.isChanged[k] = true
		t.changed = append(t.changed, k)
	}
	return nil
}

// EnsureAccount remembers the account to make; flush makes it before the
// postings that need it.
func (t *batchTx) EnsureAccount(name string, typ AccountType) error {
	if t.accounts[name] {
		return nil
	}
	if typ != Asset && typ != Liability {
		if err := t.pass(); err != nil {
			return err
		}
		return t.tx.EnsureAccount(name, typ) // refused there as it always was
	}
	t.accounts[name] = true
	t.newAccounts = append(t.newAccounts, Account{Name: name, Type: typ})
	return nil
}

// Post checks p as the Tx does and keeps it for flush under the ID the Tx
// would have given it. A posting to an account not known to be there goes
// to the Tx, to fail there as it always did.
func (t *batchTx) Post(p *Posting) error {
	if err := p.Check(); err != nil {
		return err
	}
	known := true
	for _, l := range p.Lines {
		known = known && t.accounts[l.Account]
	}
	if known {
		if err := t.countPostings(); err != nil {
			return err
		}
	}
	if !known || t.lastPosting == math.MaxInt64 {
		if err := t.pass(); err != nil {
			return err
		}
		return t.tx.Post(p)
	}
	t.lastPosting++
	p.ID = t.lastPosting
	held := *p
	held.Lines = slices.Clone(p.Lines)
	t.postings = append(t.postings, held)
	return nil
}

func (t *batchTx) countMessages() error {
	if t.messageIDs {
		return nil
	}
	last, err := t.tx.LastMessageID()
	if err != nil {
		return err
	}
	t.lastMessage, t.messageIDs = last, true
	return nil
}

func (t *batchTx) countPostings() error {
	if t.postingIDs {
		return nil
	}
	last, err := t.tx.LastPostingID()
	if err != nil {
		return err
	}
	t.lastPosting, t.postingIDs = last, true
	return nil
}

// flush writes everything kept, in an order the foreign keys accept:
// accounts, then the postings on them, then the messages naming the
// postings; then the wallets.
func (t *batchTx) flush() error {
	if len(t.newAccounts) > 0 {
		if err := t.tx.EnsureAccounts(t.newAccounts); err != nil {
			return fmt.Errorf("flushing the batch: %w", err)
		}
		t.newAccounts = nil
	}
	if len(t.postings) > 0 {
		if err := t.tx.PostAll(t.postings); err != nil {
			return fmt.Errorf("flushing the batch: %w", err)
		}
		t.postings = nil
	}
	if len(t.messages) > 0 {
		ms := make([]Message, len(t.messages))
		for i, m := range t.messages {
			ms[i] = *m
		}
		if err := t.tx.InsertMessages(ms); err != nil {
			return fmt.Errorf("flushing the batch: %w", err)
		}
		t.messages = nil
		clear(t.unwritten)
	}
	if len(t.changed) > 0 {
		ws := make([]Wallet, len(t.changed))
		for i, k := range t.changed {
			ws[i] = *t.wallets[k]
		}
		if err := t.tx.UpdateWallets(ws); err != nil {
			return fmt.Errorf("flushing the batch: %w", err)
		}
		t.changed = nil
		clear(t.isChanged)
	}
	return nil
}

// pass readies a call to the Tx itself: what is kept is written first,
// and the IDs are counted again afterwards, as the call may add rows.
func (t *batchTx) pass() error {
	if err := t.flush(); err != nil {
		return err
	}
	t.messageIDs, t.postingIDs = false, false
	return nil
}
