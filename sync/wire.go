package sync

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"lingqian/app"
)

// Message is a detail message as docs/bank-api.md carries it in a batch:
// the journal entry as the desk holds it. Binary values are uppercase hex.
type Message struct {
	Key           string `json:"key"`
	Seq           int64  `json:"seq"`
	Kind          string `json:"kind"`
	Ref           int64  `json:"ref"`
	At            string `json:"at"`
	MerchantID    string `json:"merchant_id"`
	Amount        int64  `json:"amount"`
	Currency      string `json:"currency"`
	TxnDate       string `json:"txn_date"`
	TxnType       string `json:"txn_type"`
	AID           string `json:"aid"`
	PAN           string `json:"pan"`
	PSN           string `json:"psn"`
	ATC           int    `json:"atc"`
	CID           string `json:"cid"`
	AC            string `json:"ac"`
	IAD           string `json:"iad"`
	TVR           string `json:"tvr"`
	UN            string `json:"un"`
	PDOLData      string `json:"pdol_data"`
	CDOL1Data     string `json:"cdol1_data"`
	GenACResponse string `json:"genac_response"`
}

// MessageOf turns a journal entry into its detail message. Entries of
// kinds that are not forwarded have no message.
func MessageOf(e app.Entry) (Message, error) {
	if !e.Kind.Forwarded() {
		return Message{}, fmt.Errorf("entry %d is a %s entry, which does not go to the bank", e.Seq, e.Kind)
	}
	if e.IdempotencyKey == "" {
		return Message{}, fmt.Errorf("entry %d has no idempotency key", e.Seq)
	}
	m := Message{
		Key: e.IdempotencyKey, Seq: e.Seq, Kind: string(e.Kind),
		At: e.At.UTC().Format(time.RFC3339Nano), MerchantID: e.MerchantID,
		Amount: int64(e.Amount), Currency: e.Currency, TxnType: hexOf([]byte{e.TxnType}),
		AID: hexOf(e.AID), PAN: e.PAN, PSN: e.PSN, ATC: int(e.ATC), CID: hexOf([]byte{e.CID}),
		AC: hexOf(e.AC), IAD: hexOf(e.IAD), TVR: hexOf(e.TVR), UN: hexOf(e.UN),
		PDOLData: hexOf(e.PDOLData), CDOL1Data: hexOf(e.CDOL1Data), GenACResponse: hexOf(e.GenACResponse),
	}
	if e.Kind == app.KindVoid {
		// Only a void's Ref is the bank's business; a purchase's names the
		// torn tap it resolved, which never left the desk.
		m.Ref = e.Ref
	}
	if !e.TxnDate.IsZero() {
		m.TxnDate = e.TxnDate.Format(time.DateOnly)
	}
	return m, nil
}

func hexOf(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

// Result statuses of a batch answer.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

// ReasonVoided is the bank's reason for a purchase its desk voided.
const ReasonVoided = "voided"

// Bank-side states of a message.
const (
	BankPosted    = "posted"
	BankPending   = "pending"
	BankRejected  = "rejected"
	BankDuplicate = "duplicate"
)

// Result is the bank's answer for one message of a batch.
type Result struct {
	Key    string `json:"key"`
	Seq    int64  `json:"seq"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	State  string `json:"state,omitempty"`
}

// batchRequest and batchAnswer are the bodies of POST /v1/desk/batches.
type batchRequest struct {
	Messages []Message `json:"messages"`
}

type batchAnswer struct {
	Results []Result `json:"results"`
	Anchors []Anchor `json:"anchors,omitempty"` // the bank's newest anchor of each chain
}

// BankMessage is one message of the reconciliation feed.
type BankMessage struct {
	Seq    int64  `json:"seq"`
	Key    string `json:"key"`
	Kind   string `json:"kind,omitempty"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Amount int64  `json:"amount"`
}

// Totals are counts and amounts by where the bank says messages stand.
type Totals struct {
	Posted   app.Totals `json:"posted"`
	Pending  app.Totals `json:"pending"`
	Rejected app.Totals `json:"rejected"`
}

// Feed is the answer of GET /v1/desk/reconciliation.
type Feed struct {
	Messages []BankMessage `json:"messages"`
	Totals   Totals        `json:"totals"`
}

// Hotlist is the bank's list of blocked wallets.
type Hotlist struct {
	Version int64    `json:"version"`
	PANs    []string `json:"pans"`

	set map[string]bool
}

// Contains says whether the PAN is blocked. It suits emv.Terminal.Hotlist
// and is safe for concurrent use once the list is read.
func (h *Hotlist) Contains(pan string) bool {
	if h == nil {
		return false
	}
	if h.set == nil { // a list made by hand, not read: look through it
		for _, p := range h.PANs {
			if p == pan {
				return true
			}
		}
		return false
	}
	return h.set[pan]
}

// index builds the lookup set once, before the list is shared.
func (h *Hotlist) index() {
	h.set = make(map[string]bool, len(h.PANs))
	for _, p := range h.PANs {
		h.set[p] = true
	}
}

func (h *Hotlist) validate() error {
	if h.Version < 0 {
		return fmt.Errorf("hotlist version %d", h.Version)
	}
	for i, p := range h.PANs {
		if len(p) < 12 || len(p) > 19 || strings.Trim(p, "0123456789") != "" {
			return fmt.Errorf("hotlist entry %d (%q) is not a PAN", i+1, p)
		}
	}
	return nil
}

// Enrolment is the bank's answer to POST /v1/enroll.
type Enrolment struct {
	TerminalID  string `json:"terminal_id"`
	MerchantID  string `json:"merchant_id"`
	Teller      bool   `json:"teller"`
	Certificate string `json:"certificate"`
	CA          string `json:"ca"`
}

type enrolRequest struct {
	Code string `json:"code"`
	CSR  string `json:"csr"`
}

// errorBody is the bank's error answer.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}
