package bank

import (
	"context"
	"errors"
	"time"

	"lingqian/emv/oda"
)

// Errors the storage gives. They are wrapped: match them with errors.Is.
var (
	// ErrNotFound: no row with that key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a row with that key is there already.
	ErrExists = errors.New("already exists")
	// ErrNewerSchema: the database was written by a newer release of the
	// bank. It is left untouched.
	ErrNewerSchema = errors.New("the database was made by a newer release of lingqian-bank: use that release or a newer one")
	// ErrNotBankDB: the file is an SQLite database of something else.
	ErrNotBankDB = errors.New("not a Lingqian bank database")
	// ErrUnbalanced: a posting whose debits and credits differ, or with
	// fewer than two lines. Nothing of it is written.
	ErrUnbalanced = errors.New("posting does not balance")
)

// Store is where the bank keeps everything. All the bank's rules run in Go
// inside Write and Read, so a second backend (PostgreSQL) only has to
// implement Tx; the rules are not duplicated in SQL.
type Store interface {
	// Write runs fn in one write transaction: everything fn did is
	// committed durably when Write returns nil, and nothing when fn or the
	// commit fails. Write transactions run as if one at a time: on SQLite
	// they do; on PostgreSQL (pgstore) they run side by side, SERIALIZABLE,
	// and one that could not have run alone is rolled back and fn run
	// again, so fn must change nothing outside the transaction that a
	// second run would not set again.
	Write(ctx context.Context, fn func(Tx) error) error
	// Read runs fn on a consistent snapshot; write methods fail there.
	Read(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is what the bank does with its storage inside one transaction,
// grouped by table.
type Tx interface {
	// Customers and their sessions.
	CreateCustomer(c *Customer) error
	Customer(user string) (Customer, error)
	CustomerByID(id int64) (Customer, error)
	SetLoginFailures(id int64, failures int, lockedUntil time.Time) error
	CreateSession(tokenHash []byte, customerID int64, expires time.Time) error
	Session(tokenHash []byte) (customerID int64, expires time.Time, err error)
	// Ending sessions (logout, lock-out, the admin command, expiry) and
	// the admin log (access_signin.go, session.go, adminlog.go).
	EndSession(tokenHash []byte) error // ErrNotFound when there is none
	EndSessions(customerID int64) (int, error)
	EndExpiredSessions(now time.Time) (int, error)
	AddAdminEntry(e *AdminEntry) error // sets e.ID
	AdminLog(limit int) ([]AdminEntry, error)

	// Wallets, and the loads that put e-cash on them.
	CreateWallet(w Wallet) error
	Wallet(pan, psn string) (Wallet, error)
	WalletsByPAN(pan string) ([]Wallet, error)
	UpdateWallet(w Wallet) error
	AddLoad(l *Load) error // ErrExists: a load for this ATC is there
	Loads(pan, psn string) ([]Load, error)

	// Enrolment codes and desks.
	CreateCode(c EnrolCode) error
	Code(hash []byte) (EnrolCode, error)
	UseCode(hash []byte, terminalID string, at time.Time) error
	NextTerminalNumber() (int64, error)
	CreateDesk(d Desk) error
	DeskBySerial(serial string) (Desk, error)
	Desk(terminalID string) (Desk, error)
	RevokeDesk(terminalID string, at time.Time) error

	// Idempotency records: the first successful answer to each key.
	Idempotent(client, key string) (IdemRecord, error)
	SaveIdempotent(r IdemRecord) error

	// Desk detail messages.
	InsertMessage(m *Message) error // ErrExists: (terminal, key), (terminal, seq) or the ATC slot taken
	UpdateMessage(m Message) error
	MessageByKey(terminalID, key string) (Message, error)
	MessageBySeq(terminalID string, seq int64) (Message, error)
	SlotHolder(pan, psn string, atc uint16) (Message, error)
	VoidOf(terminalID string, seq int64) (Message, error)
	TerminalStates(terminalID string, sinceSeq int64, limit int) ([]FeedEntry, error)
	WalletMessages(pan, psn string) ([]Message, error)

	// The phone's uploaded purchase records.
	InsertPhoneRecord(r PhoneRecord) error // ErrExists on (PAN, PSN, ATC)
	PhoneRecord(pan, psn string, atc uint16) (PhoneRecord, error)
	PhoneRecords(pan, psn string) ([]PhoneRecord, error)

	// The double-entry ledger.
	EnsureAccount(name string, typ AccountType) error
	Account(name string) (Account, error)
	Post(p *Posting) error // ErrUnbalanced; sets p.ID and moves the balances
	LedgerCheck() (LedgerState, error)

	// The hotlist, versioned so desks can tell when to pull it again.
	AddHotlist(pan, reason string, at time.Time) (version int64, err error)
	Hotlist() (version int64, entries []HotlistEntry, err error)

	// The merchant guarantee (guarantee.go, unload.go): the hotlist entry
	// that blocked a PAN, and unloads held for the settlement window.
	HotlistEntry(pan string) (HotlistEntry, error)
	AddHeldUnload(u *HeldUnload) error // sets u.ID
	HeldUnloads(pan, psn string) ([]HeldUnload, error)
	// DueUnloads are the unpaid held unloads whose PaysAt is at or before
	// at, the earliest first, at most limit.
	DueUnloads(at time.Time, limit int) ([]HeldUnload, error)
	// PayHeldUnload records u's payout (PaidAt, Paid, LoadID): ErrExists
	// when it was paid already, ErrNotFound when there is no such unload.
	PayHeldUnload(u HeldUnload) error

	// The exception queue, newest first; limit <= 0 lists it all.
	AddException(e *Exception) error
	Exceptions(limit int) ([]Exception, error)
	ExceptionQueue(state ExceptionState, limit int) ([]Exception, error)
	Exception(id int64) (Exception, error)
	// ResolveException closes one exception: ErrNotFound when there is
	// none with the id, ErrExists when it was resolved already.
	ResolveException(id int64, r Resolution) error
	// ResolveWalletExceptions closes the wallet's open exceptions of the
	// kinds given and counts them.
	ResolveWalletExceptions(pan, psn string, kinds []string, r Resolution) (int, error)

	// The heads of desks' hash chains the bank accepted (anchor.go).
	// NewestAnchor is a desk's chain's anchor of the highest epoch, the
	// highest seq in it; ErrNotFound when there is none.
	NewestAnchor(terminalID, chain string) (ChainAnchor, error)
	AnchorAt(terminalID, chain string, epoch, seq int64) (ChainAnchor, error) // ErrNotFound
	AddAnchor(a ChainAnchor) error                                            // ErrExists
	// NewestException is the desk's last exception of the kind about
	// messageKey; ErrNotFound when there is none.
	NewestException(terminalID, kind, messageKey string) (Exception, error)

	// Good faith without the desk's word (goodfaith.go): every purchase
	// kept on an ATC, the highest hotlist version the bank served each
	// desk, and a desk's chain's anchors made since a moment.
	PurchasesAt(slots []ATCSlot) ([]Message, error)         // every purchase on each slot, any desk, any state
	HotlistServed(terminalID string) (ServedHotlist, error) // ErrNotFound: never served one
	SetHotlistServed(s ServedHotlist) error                 // replaces the desk's row
	// FirstAnchorSince is the anchor of the lowest seq among those of the
	// chain's epoch made at or after since, LastAnchorUntil of the highest
	// among those made at or before until; ErrNotFound when there is none.
	FirstAnchorSince(terminalID, chain string, epoch int64, since time.Time) (ChainAnchor, error)
	LastAnchorUntil(terminalID, chain string, epoch int64, until time.Time) (ChainAnchor, error)

	// Reports.
	MerchantDays(f ReportFilter) ([]DayTotals, error)
	AwaitingDesk(f ReportFilter) ([]PhoneRecord, error)

	// Set-based forms of the above, for clearing a desk's batch with a
	// few statements instead of a dozen per message. A lookup answers
	// with the rows found, in no particular order; what it lacks is not
	// there.
	MessagesByKeys(terminalID string, keys []string) ([]Message, error)
	MessagesBySeqs(terminalID string, seqs []int64) ([]Message, error)
	VoidsOf(terminalID string, seqs []int64) ([]Message, error) // every void of each seq
	SlotHolders(slots []ATCSlot) ([]Message, error)
	LastMessageID() (int64, error)
	// InsertMessages writes messages whose IDs are set, as InsertMessage
	// would one by one; ErrExists when a key, seq or ATC slot is taken.
	InsertMessages(ms []Message) error
	Wallets(keys []WalletKey) ([]Wallet, error)
	UpdateWallets(ws []Wallet) error // each wallet once; ErrNotFound when one is missing
	PhoneRecordsFor(slots []ATCSlot) ([]PhoneRecord, error)
	Accounts(names []string) ([]Account, error)
	EnsureAccounts(as []Account) error // the balances given are ignored
	LastPostingID() (int64, error)
	// PostAll writes postings whose IDs are set and moves the balances,
	// as Post would one by one.
	PostAll(ps []Posting) error
}

// WalletKey names a wallet.
type WalletKey struct{ PAN, PSN string }

// ATCSlot is one spend of a wallet: at most one purchase holds it.
type ATCSlot struct {
	PAN, PSN string
	ATC      uint16
}

// Customer is a bank customer who may hold wallets.
type Customer struct {
	ID           int64
	User         string
	PasswordHash string // argon2id, encoded with its parameters
	Failures     int    // wrong passwords in a row
	LockedUntil  time.Time
	Created      time.Time
}

// WalletStatus is whether a wallet may still spend.
type WalletStatus string

const (
	WalletActive    WalletStatus = "active"
	WalletHotlisted WalletStatus = "hotlisted"
	WalletCloned    WalletStatus = "cloned" // hotlisted because it spent the same value twice
)

// Wallet is a voucher the bank issued: a phone's e-cash card.
type Wallet struct {
	PAN, PSN   string
	CustomerID int64
	ICCKey     oda.PublicKey // the key the bank certified
	AIP        []byte
	CDOL1      []byte // the personalised CDOL1: how to read its data
	Currency   string
	Status     WalletStatus
	// KnownBalance is the e-cash the bank owes on the wallet: loads less
	// posted purchases and unloads. It equals the ledger account's balance.
	KnownBalance int64
	LastATC      uint16 // the highest ATC the bank has seen
	// What the phone said at its last upload; PhoneAt is zero before one.
	PhoneBalance int64
	PhoneATC     uint16
	PhoneAt      time.Time
	Created      time.Time
}

// LoadKind is how e-cash got onto (or off) a wallet.
type LoadKind string

const (
	LoadVoucher LoadKind = "voucher" // the initial load at issue, ATC 0
	LoadOnline  LoadKind = "load"    // a teller's online load under an ARQC
	LoadUnload  LoadKind = "unload"  // e-cash moved back to the deposit
	// LoadReentry moves no money: it is the balance and ATC a teller read
	// from a phone whose log was lost, where the balance chain starts again.
	LoadReentry LoadKind = "reentry"
)

// Load is a movement of e-cash onto or off a wallet outside purchases.
type Load struct {
	ID       int64
	PAN, PSN string
	Kind     LoadKind
	// ATC is the ARQC's for a load, the phone's for a re-entry, and for
	// an unload the ATC of the online load it returns to the deposit (a
	// load whose script never reached the phone); 0 otherwise.
	ATC          uint16
	Amount       int64
	BalanceAfter int64 // the wallet's balance after it, as the bank set it
	TerminalID   string
	Operator     string // the teller operator; empty for a voucher's initial load
	PostingID    int64  // 0 for a re-entry
	At           time.Time
}

// EnrolCode is a one-time desk enrolment code, kept as its hash.
type EnrolCode struct {
	Hash       []byte
	MerchantID string
	Teller     bool
	Expires    time.Time
	Used       time.Time // zero while unused
	TerminalID string    // the desk it enrolled
}

// Desk is an enrolled terminal and its client certificate.
type Desk struct {
	TerminalID string
	MerchantID string
	Teller     bool
	CertSerial string // hex
	NotAfter   time.Time
	Enrolled   time.Time
	Revoked    time.Time // zero while valid
}

// IdemRecord is the first successful answer given to an idempotency key.
type IdemRecord struct {
	Client, Key string
	BodyHash    []byte
	Status      int
	Response    []byte
	At          time.Time
}

// MessageState is where a desk message stands at the bank.
type MessageState string

const (
	StatePosted   MessageState = "posted"
	StatePending  MessageState = "pending"
	StateRejected MessageState = "rejected"
)

// Message kinds.
const (
	KindPurchase = "purchase"
	KindVoid     = "void"
)

// FeedEntry is where a desk's message stands: what the reconciliation
// feed lists, read without the message's cryptographic data.
type FeedEntry struct {
	Seq    int64
	Key    string
	Kind   string
	State  MessageState
	Reason string
	Amount int64
}

// Message is a desk's transaction detail message as the bank keeps it.
type Message struct {
	ID                     int64
	TerminalID, MerchantID string
	Key                    string
	Seq                    int64
	Kind                   string
	Ref                    int64
	At, Received           time.Time
	PAN, PSN               string
	ATC                    uint16
	Amount                 int64
	Currency               string
	Date                   string // YYYY-MM-DD, from the cryptogram's data when it has one
	TxnType                byte
	CID                    byte
	AID, AC, IAD, TVR, UN  []byte
	PDOLData, CDOL1Data    []byte
	GenACResponse          []byte
	State                  MessageState
	Reason                 string
	// Slot: this purchase holds (PAN, PSN, ATC); at most one message does.
	Slot      bool
	Confirmed bool // the phone's upload carries the same (PAN, ATC, AC)
	PostingID int64
}

// PhoneRecord is one purchase record a phone uploaded.
type PhoneRecord struct {
	PAN, PSN     string
	ATC          uint16
	Amount       int64
	Currency     string
	Date         string
	Merchant     string
	AC           []byte
	BalanceAfter int64
	Entry        []byte // the record as uploaded (wallet.LogEntry JSON)
	Uploaded     time.Time
}

// AccountType says on which side an account's balance grows.
type AccountType string

const (
	Asset     AccountType = "asset"     // grows with debits
	Liability AccountType = "liability" // grows with credits
)

// Account is a ledger account and its running balance.
type Account struct {
	Name    string
	Type    AccountType
	Balance int64
}

// Line is one line of a posting: a positive amount is a debit, a negative
// one a credit.
type Line struct {
	Account string
	Amount  int64
}

// Posting is one journal entry of the ledger.
type Posting struct {
	ID    int64
	At    time.Time
	Kind  string // deposit, voucher, load, unload, purchase
	Memo  string
	Lines []Line
}

// LedgerState is what LedgerCheck reads back, for Ledger.Balanced.
type LedgerState struct {
	Postings      int64
	Lines         int64
	Sum           int64   // of every line: zero when debits equal credits
	Unbalanced    []int64 // postings whose lines do not sum to zero
	Short         []int64 // postings with fewer than two lines
	DriftAccounts []string
	// DriftWallets are wallets whose known balance differs from their
	// e-cash account's.
	DriftWallets []string
}

// HotlistEntry is a blocked PAN.
type HotlistEntry struct {
	PAN     string
	Reason  string
	Version int64
	At      time.Time
}

// ServedHotlist is the highest hotlist version the bank sent a desk, and
// when it first sent that version.
type ServedHotlist struct {
	TerminalID string
	Version    int64
	At         time.Time
}

// Exception is something clearing could not settle by itself and a
// person must look at.
type Exception struct {
	ID         int64
	At         time.Time
	Kind       string // cloned_wallet, balance_chain, balance_mismatch
	PAN, PSN   string
	ATC        uint16
	TerminalID string
	MerchantID string
	MessageKey string
	Detail     string
	Resolved   Resolution // zero while the exception is open
}

// Resolution is how a person closed an exception.
type Resolution struct {
	At   time.Time
	By   string // the teller operator
	Note string
}

// ExceptionState selects exceptions from the queue by whether they are
// resolved.
type ExceptionState string

const (
	ExceptionsOpen     ExceptionState = "open"
	ExceptionsResolved ExceptionState = "resolved"
	ExceptionsAll      ExceptionState = "all"
)

// ReportFilter narrows a report; empty fields match everything.
type ReportFilter struct {
	MerchantID string
	Date       string // YYYY-MM-DD
}

// Totals is a count of purchases and their sum in fen.
type Totals struct {
	Count  int64 `json:"count"`
	Amount int64 `json:"amount"`
}

// Add counts one more purchase of amount. A sum past what an int64 holds
// is an error and leaves t as it was: a total never wraps.
func (t *Totals) Add(amount int64) error {
	return t.Plus(Totals{Count: 1, Amount: amount})
}

// Plus adds another total to t, checked as Add is.
func (t *Totals) Plus(o Totals) error {
	count, err := addChecked(t.Count, o.Count)
	if err != nil {
		return err
	}
	amount, err := addChecked(t.Amount, o.Amount)
	if err != nil {
		return err
	}
	t.Count, t.Amount = count, amount
	return nil
}

// DayTotals is one merchant's day.
type DayTotals struct {
	MerchantID string `json:"merchant_id"`
	Date       string `json:"date"`
	Posted     Totals `json:"posted"`
	Pending    Totals `json:"pending"`
	Rejected   Totals `json:"rejected"`
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
