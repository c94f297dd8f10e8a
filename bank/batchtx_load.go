package bank

import "fmt"

// Loading a batchTx: every row clearing a batch can ask about, with one
// set-based query per kind of question.

// newBatchTx loads, inside tx, everything clearing preps can ask about.
func newBatchTx(tx Tx, terminal string, preps []*prepared) (*batchTx, error) {
	n := len(preps)
	t := &batchTx{tx: tx, byID: make(map[int64]*Message, n), byKey: make(map[messageKey]*Message, n),
		bySeq: make(map[messageSeq]*Message, n), voids: make(map[messageSeq]*Message, n),
		slots: make(map[ATCSlot]*Message, n), spent: make(map[ATCSlot][]*Message, n), wallets: map[WalletKey]*Wallet{}, phones: make(map[ATCSlot]*PhoneRecord, n),
		accounts: map[string]bool{}, unwritten: make(map[int64]*Message, n), isChanged: map[WalletKey]bool{}}
	var (
		keys     []string
		seqs     []int64
		wallets  []WalletKey
		slots    []ATCSlot
		accounts []string
	)
	addSeq := func(seq int64) {
		if k := (messageSeq{terminal, seq}); !hasKey(t.bySeq, k) {
			t.bySeq[k], t.voids[k] = nil, nil
			seqs = append(seqs, seq)
		}
	}
	named := map[string]bool{}
	addAccount := func(name string) {
		if !named[name] {
			named[name] = true
			accounts = append(accounts, name)
		}
	}
	for _, p := range preps {
		if !p.keyed {
			continue
		}
		if k := (messageKey{terminal, p.wire.Key}); !hasKey(t.byKey, k) {
			t.byKey[k] = nil
			keys = append(keys, p.wire.Key)
		}
		addSeq(p.wire.Seq)
		if p.invalid != nil {
			continue
		}
		m := &p.msg
		switch m.Kind {
		case KindVoid:
			addSeq(m.Ref)
		case KindPurchase:
			w, s := WalletKey{m.PAN, m.PSN}, ATCSlot{m.PAN, m.PSN, m.ATC}
			if !hasKey(t.wallets, w) {
				t.wallets[w] = nil
				wallets = append(wallets, w)
				addAccount(ecashAccount(m.PAN, m.PSN))
			}
			if !hasKey(t.slots, s) {
				t.slots[s], t.phones[s], t.spent[s] = nil, nil, nil
				slots = append(slots, s)
			}
			addAccount(settlementAccount(m.MerchantID))
		}
	}
	if err := t.load(terminal, keys, seqs, wallets, slots, accounts); err != nil {
		return nil, fmt.Errorf("loading the batch of %s: %w", terminal, err)
	}
	return t, nil
}

func hasKey[K comparable, V any](m map[K]V, k K) bool {
	_, ok := m[k]
	return ok
}

// load fills the maps newBatchTx marked as known with the rows there are.
func (t *batchTx) load(terminal string, keys []string, seqs []int64, wallets []WalletKey, slots []ATCSlot, accounts []string) error {
	byKey, err := t.tx.MessagesByKeys(terminal, keys)
	if err != nil {
		return err
	}
	for _, m := range byKey {
		t.byKey[messageKey{terminal, m.Key}] = t.adopt(m)
	}
	bySeq, err := t.tx.MessagesBySeqs(terminal, seqs)
	if err != nil {
		return err
	}
	for _, m := range bySeq {
		t.bySeq[messageSeq{terminal, m.Seq}] = t.adopt(m)
	}
	voids, err := t.tx.VoidsOf(terminal, seqs)
	if err != nil {
		return err
	}
	for _, v := range voids {
		t.indexVoid(t.adopt(v))
	}
	holders, err := t.tx.SlotHolders(slots)
	if err != nil {
		return err
	}
	for _, m := range holders {
		t.slots[ATCSlot{m.PAN, m.PSN, m.ATC}] = t.adopt(m)
	}
	if err := t.loadSpent(slots); err != nil {
		return err
	}
	ws, err := t.tx.Wallets(wallets)
	if err != nil {
		return err
	}
	for i := range ws {
		t.wallets[WalletKey{ws[i].PAN, ws[i].PSN}] = &ws[i]
	}
	recs, err := t.tx.PhoneRecordsFor(slots)
	if err != nil {
		return err
	}
	for i := range recs {
		t.phones[ATCSlot{recs[i].PAN, recs[i].PSN, recs[i].ATC}] = &recs[i]
	}
	as, err := t.tx.Accounts(accounts)
	if err != nil {
		return err
	}
	for _, a := range as {
		t.accounts[a.Name] = true
	}
	return nil
}

// adopt gives the one *Message held for m's row.
func (t *batchTx) adopt(m Message) *Message {
	if held, ok := t.byID[m.ID]; ok {
		return held
	}
	t.byID[m.ID] = &m
	return &m
}

// indexVoid keeps v as the first void of its seq when that seq is known
// and v comes before the void held so far.
func (t *batchTx) indexVoid(v *Message) {
	k := messageSeq{v.TerminalID, v.Ref}
	first, ok := t.voids[k]
	if ok && (first == nil || v.Seq < first.Seq) {
		t.voids[k] = v
	}
}
