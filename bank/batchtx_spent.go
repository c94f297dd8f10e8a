package bank

// Every purchase kept on a slot, for the replay rule (goodfaith.go):
// loaded for the batch's slots with one query, and grown by the batch's
// own purchases as they are kept, so a copy of a message later in the
// same batch finds the first.

// loadSpent fills spent for the slots newBatchTx marked as known.
func (t *batchTx) loadSpent(slots []ATCSlot) error {
	kept, err := t.tx.PurchasesAt(slots)
	if err != nil {
		return err
	}
	for _, m := range kept {
		s := ATCSlot{m.PAN, m.PSN, m.ATC}
		t.spent[s] = append(t.spent[s], t.adopt(m))
	}
	return nil
}

// holdSpent adds a purchase just kept to its slot's list, when that slot
// is known; an unknown slot is asked of the Tx, which then has it.
func (t *batchTx) holdSpent(m *Message) {
	if m.Kind != KindPurchase {
		return
	}
	s := ATCSlot{m.PAN, m.PSN, m.ATC}
	if kept, ok := t.spent[s]; ok {
		t.spent[s] = append(kept, m)
	}
}

// PurchasesAt answers from memory when every slot asked is known, and
// otherwise asks the Tx, after writing what is kept.
func (t *batchTx) PurchasesAt(slots []ATCSlot) ([]Message, error) {
	var out []Message
	for _, s := range slots {
		kept, ok := t.spent[s]
		if !ok {
			if err := t.pass(); err != nil {
				return nil, err
			}
			return t.tx.PurchasesAt(slots)
		}
		for _, m := range kept {
			out = append(out, *m)
		}
	}
	return out, nil
}
