package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lingqian/emv"
)

// Teller is teller mode at a bank branch: online loads onto a tapped
// phone, unloads, wallet lookup and statement, hotlist, the exception
// queue and the lost-log re-entry. The window (F5) and `lingqian teller`
// both use it. Every action needs an operator with the teller role on a
// desk the bank enrolled as a teller desk, and leaves an audit line.
type Teller struct {
	Bank   TellerBank
	Reader Reader     // the phone is tapped here
	Kernel LoadKernel // runs the online load with the phone
	Desk   TellerDesk
	Audit  Audit
	// Notes keeps, across restarts, every load from before the bank is
	// asked until the phone shows it (or it is given back, or filed with
	// the bank): the desk's own table of teller notes.
	Notes TellerNotes
	// Operators are the desk's operators as they stand now: a teller
	// demoted or locked while signed in is refused at once. Nil only
	// where the desk keeps no operators (tests of the load alone).
	Operators OperatorReader
	// Approvers checks the PIN of a second teller who signs an unload:
	// the desk's operator store, where a wrong PIN counts toward that
	// operator's lock-out as at sign-in. Nil: no second teller can sign.
	Approvers Operators
	Terminal  string           // terminal id, for idempotency keys
	Now       func() time.Time // nil: time.Now
}

// TellerDesk says whether this desk may run teller mode.
type TellerDesk interface {
	IsTellerDesk(ctx context.Context) (bool, error)
}

// TellerNotes keeps the teller's note of each wallet's load in flight,
// one per wallet ("<PAN>-<PSN>"), durably: a note kept is there after a
// crash. Notes hold the phone's whole PAN and ARQC, so they are never
// settings, whose changes are audited with their values.
type TellerNotes interface {
	TellerNote(ctx context.Context, wallet string) (string, error) // ErrNotFound when none
	KeepTellerNote(ctx context.Context, wallet, body string) error
	DropTellerNote(ctx context.Context, wallet string) error
}

// LoadKernel is the terminal's side of an online load (emv.Kernel has it).
type LoadKernel interface {
	ReadWallet(ctx context.Context, card emv.Card) (emv.WalletReading, error)
	StartLoad(ctx context.Context, card emv.Card, l emv.Load) (emv.LoadStart, error)
	FinishLoad(ctx context.Context, card emv.Card, start emv.LoadStart, ans emv.IssuerAnswer) (emv.LoadFinish, error)
}

// TellerBank is what teller mode needs of the bank. Every write carries
// an Idempotency-Key the Teller makes, and the teller operator's id.
// Refusals are *BankError; a bank that cannot be reached is
// ErrBankUnavailable.
type TellerBank interface {
	Wallet(ctx context.Context, pan, psn string) (BankWallet, error)
	Statement(ctx context.Context, pan, psn string) (WalletStatement, error)
	Load(ctx context.Context, key string, r BankLoad) (BankLoadAnswer, error)
	Unload(ctx context.Context, key string, r BankUnload) (BankUnloadAnswer, error)
	Hotlist(ctx context.Context, key, operator, pan, reason string) (int64, error)
	Exceptions(ctx context.Context, state ExceptionState) ([]BankException, error)
	Resolve(ctx context.Context, key, operator string, id int64, note string) (BankException, error)
	ReEnter(ctx context.Context, key string, r ReEntry) (int, error) // exceptions resolved
	// FileException queues a load the desk could not settle in the
	// bank's exception queue (kind unfinished_load).
	FileException(ctx context.Context, key string, r UnfinishedReport) (BankException, error)
}

// BankWallet is a wallet as the bank knows it.
type BankWallet struct {
	PAN, PSN string
	Status   string // active, hotlisted
	Customer string // the customer's user name at the bank
	Balance  Money  // what the bank owes on the wallet
	LastATC  uint16
	// What the phone said at its last upload; nil before one.
	PhoneBalance  *Money
	PhoneATC      *uint16
	PhoneUploaded time.Time
}

// Hotlisted says whether the bank has blocked the wallet.
func (w BankWallet) Hotlisted() bool { return w.Status == "hotlisted" }

// WalletStatement is one wallet's history at the bank.
type WalletStatement struct {
	PAN, PSN     string
	Status       string
	Customer     string
	Balance      Money
	LastATC      uint16
	PhoneBalance *Money
	Entries      []StatementLine
	// AwaitingDesk are purchases the phone uploaded that no desk has sent.
	AwaitingDesk []StatementLine
	// Unloads are the wallet's unloads held for the bank's settlement
	// window, or paid since (a paid one's payout is an unload in Entries).
	Unloads []StatementUnload
}

// StatementLine is one line of a statement.
type StatementLine struct {
	At         time.Time
	Kind       string // voucher, load, unload, purchase, void, reentry
	ATC        uint16
	Amount     Money
	State      string // posted, pending, rejected, awaiting_desk
	Reason     string
	TerminalID string
	MerchantID string
	Operator   string // the teller who did a load or unload, when the bank says
	Seq        int64
	Balance    *Money // the balance after, when known
}

// BankLoad is an online load sent to the bank: the phone's ARQC and what
// it covers.
type BankLoad struct {
	PAN, PSN  string
	ATC       uint16
	ARQC      []byte
	CDOL1Data []byte
	IAD       []byte
	Amount    Money
	Customer  string
	Balance   Money // the phone's balance before, as read
	Operator  string
}

// BankLoadAnswer is the bank's approval: the ARPC and the script.
type BankLoadAnswer struct {
	ARPC    []byte
	ARC     [2]byte
	Script  []byte
	Balance Money // the balance the script sets
}

// UnfinishedReport is a load the desk could not settle, filed in the
// bank's exception queue for a person to finish against the phone and
// the statement.
type UnfinishedReport struct {
	Operator string `json:"operator"` // the teller whose tap found it
	PAN      string `json:"pan"`
	PSN      string `json:"psn"`
	ATC      uint16 `json:"atc"` // the load's ARQC
	Amount   Money  `json:"amount"`
	Detail   string `json:"detail"` // what the desk read and why it cannot settle it
}

// ExceptionState filters the exception queue.
type ExceptionState string

const (
	ExceptionsOpen     ExceptionState = "open"
	ExceptionsResolved ExceptionState = "resolved"
	ExceptionsAll      ExceptionState = "all"
)

// BankException is one item of the bank's exception queue.
type BankException struct {
	ID         int64
	At         time.Time
	Kind       string
	PAN, PSN   string
	ATC        uint16
	TerminalID string
	MerchantID string
	Detail     string
	ResolvedAt time.Time // zero while open
	ResolvedBy string
	Resolution string
}

// Open says whether nobody has resolved the item yet.
func (e BankException) Open() bool { return e.ResolvedAt.IsZero() }

// ReEntry restarts the bank's balance chain of a wallet whose log was
// lost at the balance and ATC the phone shows.
type ReEntry struct {
	PAN, PSN string
	ATC      uint16
	Balance  Money
	Operator string
	Note     string
}

// BankError is the bank's refusal, with its stable code (bank_error.*
// sentences say them in the desk's language).
type BankError struct {
	Status  int
	Code    string // insufficient_funds, hotlisted, not_found, conflict, forbidden, bad_request…
	Message string // the bank's own sentence, English, for the log
	Err     error  // the transport's error, if any
	// RetryAfter is when the bank will hear the request again (a
	// customer's sign-in locked, a rate limit); zero when it did not say.
	RetryAfter time.Time
}

func (e *BankError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the bank refused (%d %s)", e.Status, e.Code)
	}
	return fmt.Sprintf("the bank refused (%d %s): %s", e.Status, e.Code, e.Message)
}

func (e *BankError) Unwrap() error { return e.Err }

// Stable codes of the bank's refusals teller mode acts on.
const (
	BankCodeInsufficientFunds = "insufficient_funds"
	BankCodeHotlisted         = "hotlisted"
	BankCodeNotFound          = "not_found"
	BankCodeConflict          = "conflict"
	BankCodeForbidden         = "forbidden"
	BankCodeBadRequest        = "bad_request"
	// BankCodeAnswered: the bank did this already (a load of an ARQC it
	// answered, a return it made), asked under a key it does not
	// remember for this desk. It means done, never "not done".
	BankCodeAnswered = "answered_already"
	// An unload's signature: the customer's password is not accepted
	// (wrong, or the customer locked after wrong ones: the bank answers
	// both alike, so that neither tells the other apart), too many tries
	// for now (429, with Retry-After), or nobody but the teller signed.
	BankCodeWrongPassword = "wrong_password"
	BankCodeRateLimited   = "rate_limited"
	// BankCodeBusy: every password check the bank allows at once is
	// running; the request was not counted as a try.
	BankCodeBusy               = "busy"
	BankCodeUnloadUnauthorised = "unload_unauthorised"
)

// Teller-mode failures.
var (
	// ErrBankUnavailable: the bank could not be reached; nothing changed
	// that the desk knows of.
	ErrBankUnavailable = errors.New("the bank cannot be reached")
	// ErrNotTellerDesk: the bank did not enrol this desk as a teller desk.
	ErrNotTellerDesk = errors.New("this desk is not a teller desk")
	// ErrPhoneRefused: the phone refused the load (its cryptogram, the
	// bank's ARPC or the script); with LoadUnfinished the money is at the bank.
	ErrPhoneRefused = errors.New("the phone refused")
	// ErrNeedsBank: the desk could not tell whether the phone took an
	// earlier load, and filed it in the bank's exception queue, where the
	// phone and the statement are compared.
	ErrNeedsBank = errors.New("the phone and the bank must be reconciled at the bank")
	// ErrTapFirst: an earlier load of the wallet is not settled; only a
	// tap of the phone, which reads what it holds, may settle it.
	ErrTapFirst = errors.New("tap the phone first to finish the earlier load")
	// ErrOperatorID: the bank records operators by ids of 1 to 32 letters,
	// digits, '.', '_' and '-'; this operator's id is not one.
	ErrOperatorID = errors.New("the bank does not accept this operator id")
	// ErrNoteNeeded: a hotlist, a resolution or a re-entry needs a few
	// words of why (1 to 200 characters).
	ErrNoteNeeded = errors.New("a note of 1 to 200 characters is needed")
	// ErrUnloadSigner: an unload needs exactly one of the customer's
	// password and a second teller's id and PIN.
	ErrUnloadSigner = errors.New("an unload needs the customer's password or a second teller's id and PIN")
	// ErrApproverSelf: the second teller is the teller doing the unload.
	ErrApproverSelf = errors.New("the second teller must be another operator than the teller")
	// ErrCustomerLocked: the bank locked the customer's sign-in after too
	// many wrong passwords; the *BankError says until when.
	ErrCustomerLocked = errors.New("the customer's sign-in at the bank is locked for now")
	// ErrUnfinishedLoad: the bank approved a load the phone did not take,
	// and whether it did could not be settled now; the next tap tries again.
	ErrUnfinishedLoad = errors.New("an earlier load of this phone is not finished")
)

// TellerStep is how far a tap has got, for the screen.
type TellerStep string

const (
	StepTap     TellerStep = "tap"     // waiting for the phone
	StepRead    TellerStep = "read"    // reading the wallet
	StepARQC    TellerStep = "arqc"    // the phone makes its cryptogram
	StepBank    TellerStep = "bank"    // asking the bank
	StepScript  TellerStep = "script"  // giving the phone the bank's ARPC and script
	StepBalance TellerStep = "balance" // reading the balance after
	StepDone    TellerStep = "done"
)

// LoadOutcome is what a load came to.
type LoadOutcome string

const (
	// LoadDone: the money moved from the deposit onto the phone.
	LoadDone LoadOutcome = "loaded"
	// LoadRefused: the bank or the phone refused before any money moved.
	LoadRefused LoadOutcome = "refused"
	// LoadUnfinished: the bank approved (the money left the deposit) but
	// the phone did not take the new balance. Tap the same phone again:
	// the next load finishes it; it is never loaded twice.
	LoadUnfinished LoadOutcome = "unfinished"
	// LoadFinished: this tap completed an earlier unfinished load of the
	// same phone instead of loading the amount asked now.
	LoadFinished LoadOutcome = "finished"
)

// LoadResult is what the teller sees after a load.
type LoadResult struct {
	Outcome       LoadOutcome
	PAN, PSN      string
	Customer      string
	Amount        Money // what was loaded (or asked, when refused)
	BalanceBefore Money // on the phone, as read before
	BalanceAfter  Money // on the phone, as read after; BalanceBefore when nothing moved
	// AfterRead is false when the balance after could not be read back
	// (the phone left after taking the script): BalanceAfter is then what
	// the bank's script set.
	AfterRead bool
	ATC       uint16
	// Asked is the amount the teller asked for when this tap finished an
	// earlier load (LoadFinished) instead.
	Asked Money
	// Returned is an earlier load the bank approved but the phone never
	// took, which this tap returned to the customer's deposit before
	// loading; 0 when there was none.
	Returned Money
	// Err is why a load was refused or did not finish; nil when loaded.
	Err error
}

// WalletLookup is a wallet as the bank knows it and, when the phone was
// tapped, as the phone says.
type WalletLookup struct {
	Bank BankWallet
	// Phone is what the tapped phone said; nil when looked up by PAN.
	Phone *emv.WalletReading
	// Unfinished is an approved load the phone has not taken yet.
	Unfinished *UnfinishedLoad
	// Settled is what this tap made of an earlier load of the phone; nil
	// when there was none, or when looked up by PAN.
	Settled *NoteSettlement
}

// UnfinishedLoad is the desk's note of a load in flight: written before
// the bank is asked, it holds the request (sent again byte for byte under
// Key) and, once it comes, the bank's answer, which is kept before the
// phone is given any of it. So a note still Unanswered is a load whose
// ARPC this desk never gave the phone. It goes when the phone took the
// script, when the bank says it never did the load, when the money went
// back to the deposit, or when it is filed with the bank; only a tap that
// reads the phone settles it.
type UnfinishedLoad struct {
	PAN      string    `json:"pan"`
	PSN      string    `json:"psn"`
	ATC      uint16    `json:"atc"` // of the load's ARQC
	Amount   Money     `json:"amount"`
	Customer string    `json:"customer"`
	Target   Money     `json:"target"` // the balance the bank's script sets
	Before   Money     `json:"before"` // the phone's balance before the load
	Key      string    `json:"key"`    // the load's Idempotency-Key
	At       time.Time `json:"at"`
	Operator string    `json:"operator"`
	// Unanswered: the bank's answer never came (it may or may not have
	// done the load); Request is sent again under Key to learn which.
	Unanswered bool      `json:"unanswered,omitempty"`
	Request    *BankLoad `json:"request,omitempty"`
	// Phone is what a tap read of it: PhoneTookLoad or PhoneLacksLoad,
	// "" before a tap could tell. Kept, so that a tap after a failed
	// return carries it out whatever the phone's ATC has become.
	Phone string `json:"phone,omitempty"`
	// Filing is the report for the bank's exception queue when the desk
	// cannot settle it; kept before it is sent, so it is sent again
	// byte for byte.
	Filing *UnfinishedReport `json:"filing,omitempty"`
}

// What a tap read of a noted load.
const (
	PhoneTookLoad  = "took"  // the script is on the phone
	PhoneLacksLoad = "lacks" // it never reached the phone
)

// NoteOutcome is what a tap made of a noted load.
type NoteOutcome string

const (
	NoteFinished NoteOutcome = "finished" // the phone had taken it
	NoteReturned NoteOutcome = "returned" // it went back to the deposit
	NoteNotDone  NoteOutcome = "not_done" // the bank never did it
	NoteFiled    NoteOutcome = "filed"    // filed in the bank's exception queue
)

// NoteSettlement is a noted load settled at a tap.
type NoteSettlement struct {
	Load    UnfinishedLoad
	Outcome NoteOutcome
}

// ReEntryResult is a lost-log re-entry sent to the bank.
type ReEntryResult struct {
	Phone    emv.WalletReading
	Resolved int // exception items the bank resolved with it
	// Settled is what the tap made of an earlier load of the phone; nil
	// when there was none.
	Settled *NoteSettlement
}

// Audit actions of teller mode.
const (
	AuditTellerLoad    AuditAction = "teller_load"
	AuditTellerUnload  AuditAction = "teller_unload"
	AuditTellerHotlist AuditAction = "teller_hotlist"
	AuditTellerResolve AuditAction = "teller_resolve"
	AuditTellerReEntry AuditAction = "teller_reentry"
	AuditTellerLookup  AuditAction = "teller_lookup"
	AuditTellerRefusal AuditAction = "teller_refused"
)
