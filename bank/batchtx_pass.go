package bank

import "time"

// The calls batchTx does not answer itself go to the Tx under it, each
// after writing what batchTx keeps: the Tx then sees every earlier write
// of the batch, in order. A call that writes rows batchTx holds in memory
// also makes it forget them, so it asks the Tx again.

func (t *batchTx) CreateCustomer(c *Customer) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.CreateCustomer(c)
}

func (t *batchTx) Customer(user string) (Customer, error) {
	if err := t.pass(); err != nil {
		return Customer{}, err
	}
	return t.tx.Customer(user)
}

func (t *batchTx) CustomerByID(id int64) (Customer, error) {
	if err := t.pass(); err != nil {
		return Customer{}, err
	}
	return t.tx.CustomerByID(id)
}

func (t *batchTx) SetLoginFailures(id int64, failures int, lockedUntil time.Time) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.SetLoginFailures(id, failures, lockedUntil)
}

func (t *batchTx) CreateSession(tokenHash []byte, customerID int64, expires time.Time) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.CreateSession(tokenHash, customerID, expires)
}

func (t *batchTx) Session(tokenHash []byte) (int64, time.Time, error) {
	if err := t.pass(); err != nil {
		return 0, time.Time{}, err
	}
	return t.tx.Session(tokenHash)
}

func (t *batchTx) EndSession(tokenHash []byte) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.EndSession(tokenHash)
}

func (t *batchTx) EndSessions(customerID int64) (int, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.EndSessions(customerID)
}

func (t *batchTx) EndExpiredSessions(now time.Time) (int, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.EndExpiredSessions(now)
}

func (t *batchTx) AddAdminEntry(e *AdminEntry) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.AddAdminEntry(e)
}

func (t *batchTx) AdminLog(limit int) ([]AdminEntry, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.AdminLog(limit)
}

func (t *batchTx) CreateWallet(w Wallet) error {
	if err := t.pass(); err != nil {
		return err
	}
	delete(t.wallets, WalletKey{w.PAN, w.PSN})
	return t.tx.CreateWallet(w)
}

func (t *batchTx) WalletsByPAN(pan string) ([]Wallet, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.WalletsByPAN(pan)
}

func (t *batchTx) AddLoad(l *Load) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.AddLoad(l)
}

func (t *batchTx) Loads(pan, psn string) ([]Load, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.Loads(pan, psn)
}

func (t *batchTx) CreateCode(c EnrolCode) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.CreateCode(c)
}

func (t *batchTx) Code(hash []byte) (EnrolCode, error) {
	if err := t.pass(); err != nil {
		return EnrolCode{}, err
	}
	return t.tx.Code(hash)
}

func (t *batchTx) UseCode(hash []byte, terminalID string, at time.Time) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.UseCode(hash, terminalID, at)
}

func (t *batchTx) NextTerminalNumber() (int64, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.NextTerminalNumber()
}

func (t *batchTx) CreateDesk(d Desk) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.CreateDesk(d)
}

func (t *batchTx) DeskBySerial(serial string) (Desk, error) {
	if err := t.pass(); err != nil {
		return Desk{}, err
	}
	return t.tx.DeskBySerial(serial)
}

func (t *batchTx) Desk(terminalID string) (Desk, error) {
	if err := t.pass(); err != nil {
		return Desk{}, err
	}
	return t.tx.Desk(terminalID)
}

func (t *batchTx) RevokeDesk(terminalID string, at time.Time) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.RevokeDesk(terminalID, at)
}

func (t *batchTx) Idempotent(client, key string) (IdemRecord, error) {
	if err := t.pass(); err != nil {
		return IdemRecord{}, err
	}
	return t.tx.Idempotent(client, key)
}

func (t *batchTx) SaveIdempotent(r IdemRecord) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.SaveIdempotent(r)
}

func (t *batchTx) TerminalStates(terminalID string, sinceSeq int64, limit int) ([]FeedEntry, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.TerminalStates(terminalID, sinceSeq, limit)
}

func (t *batchTx) WalletMessages(pan, psn string) ([]Message, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.WalletMessages(pan, psn)
}

func (t *batchTx) InsertPhoneRecord(r PhoneRecord) error {
	if err := t.pass(); err != nil {
		return err
	}
	delete(t.phones, ATCSlot{r.PAN, r.PSN, r.ATC})
	return t.tx.InsertPhoneRecord(r)
}

func (t *batchTx) PhoneRecords(pan, psn string) ([]PhoneRecord, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.PhoneRecords(pan, psn)
}

func (t *batchTx) Account(name string) (Account, error) {
	if err := t.pass(); err != nil {
		return Account{}, err
	}
	return t.tx.Account(name)
}

func (t *batchTx) LedgerCheck() (LedgerState, error) {
	if err := t.pass(); err != nil {
		return LedgerState{}, err
	}
	return t.tx.LedgerCheck()
}

func (t *batchTx) AddHotlist(pan, reason string, at time.Time) (int64, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.AddHotlist(pan, reason, at)
}

func (t *batchTx) Hotlist() (int64, []HotlistEntry, error) {
	if err := t.pass(); err != nil {
		return 0, nil, err
	}
	return t.tx.Hotlist()
}

func (t *batchTx) AddException(e *Exception) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.AddException(e)
}

func (t *batchTx) Exceptions(limit int) ([]Exception, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.Exceptions(limit)
}

func (t *batchTx) MerchantDays(f ReportFilter) ([]DayTotals, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.MerchantDays(f)
}

func (t *batchTx) AwaitingDesk(f ReportFilter) ([]PhoneRecord, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.AwaitingDesk(f)
}

func (t *batchTx) MessagesByKeys(terminalID string, keys []string) ([]Message, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.MessagesByKeys(terminalID, keys)
}

func (t *batchTx) MessagesBySeqs(terminalID string, seqs []int64) ([]Message, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.MessagesBySeqs(terminalID, seqs)
}

func (t *batchTx) VoidsOf(terminalID string, seqs []int64) ([]Message, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.VoidsOf(terminalID, seqs)
}

func (t *batchTx) SlotHolders(slots []ATCSlot) ([]Message, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.SlotHolders(slots)
}

func (t *batchTx) LastMessageID() (int64, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.LastMessageID()
}

func (t *batchTx) InsertMessages(ms []Message) error {
	if err := t.pass(); err != nil {
		return err
	}
	for _, m := range ms {
		delete(t.byKey, messageKey{m.TerminalID, m.Key})
		delete(t.bySeq, messageSeq{m.TerminalID, m.Seq})
		if m.Slot {
			delete(t.slots, ATCSlot{m.PAN, m.PSN, m.ATC})
		}
		if m.Kind == KindPurchase {
			delete(t.spent, ATCSlot{m.PAN, m.PSN, m.ATC})
		}
		if m.Kind == KindVoid {
			delete(t.voids, messageSeq{m.TerminalID, m.Ref})
		}
	}
	return t.tx.InsertMessages(ms)
}

func (t *batchTx) Wallets(keys []WalletKey) ([]Wallet, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.Wallets(keys)
}

func (t *batchTx) UpdateWallets(ws []Wallet) error {
	if err := t.pass(); err != nil {
		return err
	}
	for _, w := range ws {
		delete(t.wallets, WalletKey{w.PAN, w.PSN})
	}
	return t.tx.UpdateWallets(ws)
}

func (t *batchTx) PhoneRecordsFor(slots []ATCSlot) ([]PhoneRecord, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.PhoneRecordsFor(slots)
}

func (t *batchTx) Accounts(names []string) ([]Account, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.Accounts(names)
}

func (t *batchTx) EnsureAccounts(as []Account) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.EnsureAccounts(as)
}

func (t *batchTx) LastPostingID() (int64, error) {
	if err := t.pass(); err != nil {
		return 0, err
	}
	return t.tx.LastPostingID()
}

func (t *batchTx) PostAll(ps []Posting) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.PostAll(ps)
}

// The merchant guarantee's calls (guarantee.go, unload.go). Clearing asks
// HotlistEntry only of a blocked wallet's purchase, so passing it costs a
// batch of ordinary purchases nothing.

func (t *batchTx) HotlistEntry(pan string) (HotlistEntry, error) {
	if err := t.pass(); err != nil {
		return HotlistEntry{}, err
	}
	return t.tx.HotlistEntry(pan)
}

func (t *batchTx) AddHeldUnload(u *HeldUnload) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.AddHeldUnload(u)
}

func (t *batchTx) HeldUnloads(pan, psn string) ([]HeldUnload, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.HeldUnloads(pan, psn)
}

func (t *batchTx) DueUnloads(at time.Time, limit int) ([]HeldUnload, error) {
	if err := t.pass(); err != nil {
		return nil, err
	}
	return t.tx.DueUnloads(at, limit)
}

func (t *batchTx) PayHeldUnload(u HeldUnload) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.PayHeldUnload(u)
}

// Chain anchors (anchor.go).

func (t *batchTx) NewestAnchor(terminalID, chain string) (ChainAnchor, error) {
	if err := t.pass(); err != nil {
		return ChainAnchor{}, err
	}
	return t.tx.NewestAnchor(terminalID, chain)
}

func (t *batchTx) AnchorAt(terminalID, chain string, epoch, seq int64) (ChainAnchor, error) {
	if err := t.pass(); err != nil {
		return ChainAnchor{}, err
	}
	return t.tx.AnchorAt(terminalID, chain, epoch, seq)
}

func (t *batchTx) AddAnchor(a ChainAnchor) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.AddAnchor(a)
}

func (t *batchTx) NewestException(terminalID, kind, messageKey string) (Exception, error) {
	if err := t.pass(); err != nil {
		return Exception{}, err
	}
	return t.tx.NewestException(terminalID, kind, messageKey)
}

// Good faith without the desk's word (goodfaith.go): asked only of a
// blocked wallet's purchase, or by a hotlist pull outside any batch.

func (t *batchTx) HotlistServed(terminalID string) (ServedHotlist, error) {
	if err := t.pass(); err != nil {
		return ServedHotlist{}, err
	}
	return t.tx.HotlistServed(terminalID)
}

func (t *batchTx) SetHotlistServed(s ServedHotlist) error {
	if err := t.pass(); err != nil {
		return err
	}
	return t.tx.SetHotlistServed(s)
}

func (t *batchTx) FirstAnchorSince(terminalID, chain string, epoch int64, since time.Time) (ChainAnchor, error) {
	if err := t.pass(); err != nil {
		return ChainAnchor{}, err
	}
	return t.tx.FirstAnchorSince(terminalID, chain, epoch, since)
}

func (t *batchTx) LastAnchorUntil(terminalID, chain string, epoch int64, until time.Time) (ChainAnchor, error) {
	if err := t.pass(); err != nil {
		return ChainAnchor{}, err
	}
	return t.tx.LastAnchorUntil(terminalID, chain, epoch, until)
}
