package emv

import (
	"time"
)

// Result is how a tap ended.
type Result int

const (
	// Approved: the card produced a TC whose CDA signature verified.
	Approved Result = iota
	// Declined: by the desk's checks or by the card; nothing was charged.
	Declined
	// Torn: the card left after GENERATE AC was sent and before its answer
	// came back. It may have charged itself: the same card must be tapped
	// again so the desk can ask it (see Purchase.Recover).
	Torn
	// CardLeft: the card left before GENERATE AC; nothing was charged.
	CardLeft
	// Failed: the card answered something no EMV card should, or the
	// desk could not run the transaction; nothing was charged.
	Failed
)

func (r Result) String() string {
	switch r {
	case Approved:
		return "approved"
	case Declined:
		return "declined"
	case Torn:
		return "torn"
	case CardLeft:
		return "card left"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Reason is why a tap ended as it did: a stable code for software, and a
// sentence a cashier understands.
type Reason struct {
	Code string
	Text string
	// Detail is for the log: which check failed and with what values.
	Detail string
}

// The reasons the kernel gives.
var (
	ReasonApproved          = Reason{Code: "approved", Text: "Approved."}
	ReasonRecovered         = Reason{Code: "approved_recovered", Text: "Approved: the interrupted tap had gone through."}
	ReasonDeclinedByCard    = Reason{Code: "declined_by_card", Text: "Declined by the customer's wallet."}
	ReasonCardWantsOnline   = Reason{Code: "card_wants_online", Text: "Declined: the wallet asks for an online payment, which this desk cannot make."}
	ReasonInsufficient      = Reason{Code: "insufficient_balance", Text: "Declined: not enough e-cash in the wallet."}
	ReasonOverCardLimit     = Reason{Code: "over_card_limit", Text: "Declined: the amount is over the wallet's limit for one purchase."}
	ReasonOverTerminalLimit = Reason{Code: "over_terminal_limit", Text: "Declined: the amount is over this desk's offline limit."}
	ReasonNotSupported      = Reason{Code: "card_not_supported", Text: "Declined: this card or wallet is not accepted here."}
	ReasonHotlisted         = Reason{Code: "hotlisted", Text: "Declined: this wallet has been blocked."}
	ReasonExpired           = Reason{Code: "application_expired", Text: "Declined: the wallet has expired."}
	ReasonNotEffective      = Reason{Code: "application_not_effective", Text: "Declined: the wallet is not valid yet."}
	ReasonServiceNotAllowed = Reason{Code: "service_not_allowed", Text: "Declined: the wallet may not be used for this purchase."}
	ReasonCDAFailed         = Reason{Code: "cda_failed", Text: "Declined: the wallet could not be authenticated."}
	ReasonNoCDA             = Reason{Code: "oda_not_performed", Text: "Declined: the wallet does not support offline authentication."}
	ReasonCAPKMissing       = Reason{Code: "capk_missing", Text: "Declined: this desk lacks the key to check the wallet. Update the desk's keys."}
	ReasonICCDataMissing    = Reason{Code: "icc_data_missing", Text: "Declined: the wallet did not give the data needed to check it."}
	ReasonTorn              = Reason{Code: "torn", Text: "The phone was moved away during payment. Ask the customer to tap the same phone again."}
	ReasonCardLeft          = Reason{Code: "card_left", Text: "The phone was moved away too soon. Nothing was charged; tap again."}
	ReasonCardError         = Reason{Code: "card_error", Text: "The wallet answered in a way this desk cannot use. Nothing was charged."}
	ReasonUnverified        = Reason{Code: "answer_unverified", Text: "The wallet's answer could not be checked; it may have paid. Ask the customer to tap the same phone again."}
	ReasonNotRecorded       = Reason{Code: "not_recorded", Text: "The desk could not record the payment, so the wallet was not asked to pay. Nothing was charged."}
	ReasonCancelled         = Reason{Code: "cancelled", Text: "Cancelled. Nothing was charged."}
)

func (r Reason) with(detail string) Reason { r.Detail = detail; return r }

// Outcome is everything a tap produced: what the cashier is told, and
// what the journal keeps for clearing.
type Outcome struct {
	Result Result
	Reason Reason
	TVR    TVR
	TSI    TSI

	AID    []byte
	PAN    string // digits, unmasked: the journal stores it, screens mask it
	PSN    string // two digits, "" when the card has none
	ATC    uint16
	CID    byte
	AC     []byte
	IAD    []byte
	UN     []byte // the desk's unpredictable number, 9F37
	Amount int64  // minor units
	// Currency is the ISO 4217 numeric code as three digits ("156").
	Currency string
	Date     time.Time
	Type     byte // 9C

	// Exactly the bytes exchanged, for clearing to recompute the hash code.
	PDOLData      []byte
	CDOL1Data     []byte
	GenACResponse []byte

	// Recovered is set when the approval came from a torn tap's RECOVER AC:
	// the amount, date and data are those of the torn tap.
	Recovered *TornTap
	// Uncharged lists a torn tap that the card says never completed.
	Uncharged *TornTap
	// Tear is set when this tap tore: the app keeps it and passes it back
	// in Purchase.Recover when a card is tapped within the window.
	Tear *TornTap
	// CardRefused says the card answered GENERATE AC (or RECOVER AC) that
	// it did not pay: an AAC or ARQC that is its own (signed and verifying,
	// or unsigned). Any other answer that is not approved may hide a
	// payment: the tap ends Torn, to be asked about at the card's next tap.
	CardRefused bool

	Commands int // C-APDUs sent
}

// TornTap is what the desk must remember of a torn tap to ask the card
// about it later, and to verify the answer exactly as it would have.
type TornTap struct {
	AID       []byte
	PAN, PSN  string
	UN        []byte
	Amount    int64
	Currency  string
	Date      time.Time
	Type      byte
	PDOLData  []byte
	CDOL1Data []byte
	At        time.Time
}
