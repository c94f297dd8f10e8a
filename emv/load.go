package emv

import (
	"errors"
	"fmt"
	"time"
)

// An online load (PBOC 3.0 electronic cash, 圈存) is run by a teller's
// desk in two halves around the bank: StartLoad reads the wallet and asks
// it for an ARQC; the bank answers with an ARPC and the issuer script that
// sets the new balance; FinishLoad gives the phone that answer, closes the
// transaction with the second GENERATE AC and reads the balance after.
// The kernel keeps nothing between the halves: what the second needs is
// in the LoadStart the first returned, and the phone keeps its side of the
// transaction as long as it stays in the field.

// TxnLoad is the transaction type (9C) of a load from the customer's own
// account (指定账户圈存).
const TxnLoad byte = 0x60

// Load is one online load to run.
type Load struct {
	Amount int64 // minor units
	Type   byte  // 9C; 0 means TxnLoad
	At     time.Time
	// Progress, if set, hears each step as it begins, here and in the
	// FinishLoad of the LoadStart this load gives (a screen's progress).
	Progress func(LoadStep)
}

// WalletReading is what a tap tells of a wallet without moving money.
type WalletReading struct {
	AID      []byte
	PAN      string // digits
	PSN      string // two digits, "" when the card has none
	Balance  int64  // 9F79, minor units
	ATC      uint16 // 9F36, read after this tap's GET PROCESSING OPTIONS
	Currency string // 9F51 as three digits, "" when the card does not say
	// LastOnlineATC is 9F13: the ATC of the last transaction whose ARPC
	// the phone accepted. HasLastOnline is false when the card has none.
	LastOnlineATC uint16
	HasLastOnline bool
	Commands      int // C-APDUs sent
}

// LoadStart is the first half's result: the request for the bank, and
// what FinishLoad needs to close the transaction.
type LoadStart struct {
	Wallet   WalletReading // as read before the ARQC
	Amount   int64
	Currency string // the desk's currency, three digits
	Date     time.Time
	Type     byte
	UN       []byte // 9F37
	TVR      TVR    // as sent in the DOLs

	PDOLData  []byte
	CDOL1Data []byte // exactly as sent with the first GENERATE AC
	CDOL2     []byte // the card's CDOL2 (8D), for the second GENERATE AC

	// The phone's answer to the first GENERATE AC.
	ATC           uint16
	CID           byte
	ARQC          []byte // 9F26
	IAD           []byte // 9F10
	GenACResponse []byte
	Commands      int
	Progress      func(LoadStep) // Load.Progress, carried to FinishLoad
}

// IssuerAnswer is the bank's answer to an ARQC.
type IssuerAnswer struct {
	ARPC   []byte  // 8 bytes
	ARC    [2]byte // authorisation response code, "00" approved
	Script []byte  // a whole issuer script command (04 DA 9F 79 …), nil for none
}

// LoadFinish says how far the phone took the bank's answer.
type LoadFinish struct {
	IssuerAuthenticated bool // the phone accepted the ARPC
	ScriptApplied       bool // the phone took the script: the money is on it
	// The second GENERATE AC: a TC closes the load; an AAC or none
	// (CID 0) changes nothing the phone keeps once the script is applied.
	CID byte
	AC  []byte
	// Balance is 9F79 read after the script; BalanceRead false when it
	// could not be read (the phone left after the script, say).
	Balance     int64
	BalanceRead bool
	Commands    int
}

// LoadStep names a step of an online load or a wallet reading, for errors
// and for the desk's progress.
type LoadStep string

const (
	StepSelect      LoadStep = "select"        // SELECT and GET PROCESSING OPTIONS
	StepRead        LoadStep = "read"          // READ RECORD
	StepBalance     LoadStep = "balance"       // GET DATA 9F79, 9F36, 9F13
	StepARQC        LoadStep = "arqc"          // first GENERATE AC
	StepIssuerAuth  LoadStep = "issuer_auth"   // EXTERNAL AUTHENTICATE
	StepScript      LoadStep = "script"        // the issuer script
	StepClose       LoadStep = "close"         // second GENERATE AC
	StepBalanceNext LoadStep = "balance_after" // GET DATA 9F79 after the script
)

// Why a load or a reading stopped. A LoadError wraps one of them.
var (
	// ErrCardLeft: the exchange with the phone failed (it left the field,
	// the reader failed): nothing more reached it.
	ErrCardLeft = errors.New("the phone left the reader")
	// ErrCardRefused: the phone answered a status word other than 9000,
	// or a cryptogram other than the one asked for.
	ErrCardRefused = errors.New("the phone refused")
	// ErrCardAnswer: the phone answered something no e-cash wallet should.
	ErrCardAnswer = errors.New("the phone answered something this desk cannot use")
	// ErrNoWallet: the card has no application this desk accepts.
	ErrNoWallet = errors.New("no e-cash wallet this desk accepts")
)

// LoadError is a load or reading that stopped at Step.
type LoadError struct {
	Step LoadStep
	SW   SW    // the status word, when the phone answered one
	Err  error // one of ErrCardLeft, ErrCardRefused, ErrCardAnswer, ErrNoWallet, or the context's
	// Detail is for the log.
	Detail string
}

func (e *LoadError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Step, e.Err)
	if e.SW != 0 {
		msg += fmt.Sprintf(" (status %04X)", uint16(e.SW))
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *LoadError) Unwrap() error { return e.Err }
