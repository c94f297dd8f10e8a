package bank

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"lingqian/issuance"
)

// MaxBatch is the most messages one batch may hold.
const MaxBatch = 1000

// Reasons a desk message is rejected (docs/bank-api.md).
const (
	ReasonBadCryptogram  = "bad_cryptogram"
	ReasonBadSignature   = "bad_signature"
	ReasonAmountMismatch = "amount_mismatch"
	ReasonUnknownWallet  = "unknown_wallet"
	ReasonReplayed       = "replayed"
	ReasonClonedWallet   = "cloned_wallet"
	ReasonHotlisted      = "hotlisted"
	ReasonWrongMerchant  = "wrong_merchant"
	ReasonVoidTooLate    = "void_too_late"
	ReasonVoided         = "voided"
	ReasonInvalid        = "invalid"
	// ReasonInternal: verifying the message failed inside the bank (a
	// defect, logged with its stack). Nothing of it is kept: the desk
	// sends it again later, so a good cryptogram is still paid once the
	// bank is mended.
	ReasonInternal = "internal_error"
)

// Batch statuses.
const (
	StatusAccepted  = "accepted"
	StatusDuplicate = "duplicate"
	StatusRejected  = "rejected"
)

// HexByte is a one-byte field (cid, txn_type): a hex string ("40") as the
// conventions say, or a JSON number, which some encoders make of a byte.
// A value that is neither is kept as Bad, so one bad message is rejected
// on its own instead of failing its whole batch.
type HexByte struct {
	V   byte
	Bad bool
}

// UnmarshalJSON reads "40" or 64.
func (h *HexByte) UnmarshalJSON(b []byte) error {
	*h = HexByte{}
	if len(b) == 4 && b[0] == '"' && b[3] == '"' {
		// The usual "40", read without a second JSON decoder: two
		// characters between quotes are a byte only as two hex digits,
		// which no escape can spell.
		var v [1]byte
		if _, err := hex.Decode(v[:], b[1:3]); err != nil {
			h.Bad = true
			return nil
		}
		h.V = v[0]
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := hex.DecodeString(s)
		if err != nil || len(v) != 1 {
			h.Bad = true
			return nil
		}
		h.V = v[0]
		return nil
	}
	n, err := strconv.ParseUint(string(b), 10, 8)
	if err != nil {
		h.Bad = true
		return nil
	}
	h.V = byte(n)
	return nil
}

// MarshalJSON writes the byte as two hex digits.
func (h HexByte) MarshalJSON() ([]byte, error) {
	return json.Marshal(fmt.Sprintf("%02X", h.V))
}

// WireMessage is a detail message as a desk sends it in a batch.
type WireMessage struct {
	Key           string  `json:"key"`
	Seq           int64   `json:"seq"`
	Kind          string  `json:"kind"`
	Ref           int64   `json:"ref,omitempty"`
	At            string  `json:"at"`
	MerchantID    string  `json:"merchant_id"`
	Amount        int64   `json:"amount"`
	Currency      string  `json:"currency"`
	TxnDate       string  `json:"txn_date"`
	TxnType       HexByte `json:"txn_type"`
	AID           string  `json:"aid"`
	PAN           string  `json:"pan"`
	PSN           string  `json:"psn"`
	ATC           int64   `json:"atc"`
	CID           HexByte `json:"cid"`
	AC            string  `json:"ac"`
	IAD           string  `json:"iad"`
	TVR           string  `json:"tvr"`
	UN            string  `json:"un"`
	PDOLData      string  `json:"pdol_data"`
	CDOL1Data     string  `json:"cdol1_data"`
	GenACResponse string  `json:"genac_response"`
}

// BatchRequest is the body of POST /v1/desk/batches.
type BatchRequest struct {
	Messages []WireMessage `json:"messages"`
	// HotlistVersion is the version of the hotlist the desk held when it
	// sent the batch (0: none): a purchase of a wallet hotlisted in a
	// later version was taken in good faith.
	HotlistVersion int64 `json:"hotlist_version,omitempty"`
	// Chains are the heads of the desk's hash chains (anchor.go); a
	// batch without them is taken from a desk that never sent any.
	Chains []ChainHead `json:"chains,omitempty"`
}

// Result is the bank's answer about one message of a batch.
type Result struct {
	Key    string `json:"key"`
	Seq    int64  `json:"seq"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
	State  string `json:"state"`
}

// BatchResponse is the answer to POST /v1/desk/batches.
type BatchResponse struct {
	Results []Result `json:"results"`
}

// fieldError names a field that is not what the contract says.
type fieldError struct{ field, why string }

func (e *fieldError) Error() string { return e.field + ": " + e.why }

func hexField(name, s string, minLen, maxLen int) ([]byte, error) {
	v, err := hex.DecodeString(s)
	if err != nil {
		return nil, &fieldError{name, "not hex"}
	}
	if len(v) < minLen || len(v) > maxLen {
		if minLen == maxLen {
			return nil, &fieldError{name, fmt.Sprintf("%d bytes, want %d", len(v), minLen)}
		}
		return nil, &fieldError{name, fmt.Sprintf("%d bytes, want %d to %d", len(v), minLen, maxLen)}
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// keyed says whether the message can be answered about and stored: a
// result names it by key and seq, and the database by terminal, key and seq.
func (wm *WireMessage) keyed() bool {
	return printable(wm.Key, 128) && wm.Seq > 0
}

// parse checks every field of a message and makes the Message the bank
// keeps. On a field error m still holds what could be read, so that the
// rejection is recorded.
func (wm *WireMessage) parse(terminalID string, received time.Time) (m Message, err error) {
	m = Message{TerminalID: terminalID, MerchantID: wm.MerchantID, Key: wm.Key, Seq: wm.Seq, Kind: wm.Kind,
		Ref: wm.Ref, Received: received, State: StateRejected, Reason: ReasonInvalid}
	if !validMerchant(wm.MerchantID) {
		m.MerchantID = ""
		return m, &fieldError{"merchant_id", "want 1 to 15 letters, digits, '.', '_' or '-'"}
	}
	switch wm.Kind {
	case KindPurchase:
		if wm.Ref != 0 {
			return m, &fieldError{"ref", "a purchase refers to nothing"}
		}
	case KindVoid:
		if wm.Ref <= 0 || wm.Ref == wm.Seq {
			return m, &fieldError{"ref", "a void names the seq of the purchase it voids"}
		}
	default:
		m.Kind = ""
		return m, &fieldError{"kind", `want "purchase" or "void"`}
	}
	if m.At, err = time.Parse(time.RFC3339, wm.At); err != nil {
		return m, &fieldError{"at", "want an RFC 3339 time"}
	}
	m.At = m.At.UTC()
	if err := issuance.CheckPAN(wm.PAN); err != nil {
		return m, &fieldError{"pan", "want 12 to 19 digits with a good check digit"}
	}
	m.PAN = wm.PAN
	if !digits(wm.PSN, 2) {
		return m, &fieldError{"psn", "want two digits"}
	}
	m.PSN = wm.PSN
	if wm.ATC < 0 || wm.ATC > 0xFFFF {
		return m, &fieldError{"atc", "want 0 to 65535"}
	}
	m.ATC = uint16(wm.ATC)
	if wm.Amount <= 0 || wm.Amount > maxAmount {
		return m, &fieldError{"amount", fmt.Sprintf("want 1 to %d fen", maxAmount)}
	}
	m.Amount = wm.Amount
	if !digits(wm.Currency, 3) {
		return m, &fieldError{"currency", "want three digits"}
	}
	m.Currency = wm.Currency
	if _, err := time.Parse(time.DateOnly, wm.TxnDate); err != nil {
		return m, &fieldError{"txn_date", "want YYYY-MM-DD"}
	}
	m.Date = wm.TxnDate
	if wm.TxnType.Bad {
		return m, &fieldError{"txn_type", "want one byte in hex"}
	}
	if wm.CID.Bad {
		return m, &fieldError{"cid", "want one byte in hex"}
	}
	m.TxnType, m.CID = wm.TxnType.V, wm.CID.V
	fields := []struct {
		dst           *[]byte
		name, value   string
		minLen, maxLn int
	}{
		{&m.AID, "aid", wm.AID, 5, 16},
		{&m.AC, "ac", wm.AC, 8, 8},
		{&m.IAD, "iad", wm.IAD, 0, 32},
		{&m.TVR, "tvr", wm.TVR, 5, 5},
		{&m.UN, "un", wm.UN, 4, 4},
		{&m.PDOLData, "pdol_data", wm.PDOLData, 0, 252},
		{&m.CDOL1Data, "cdol1_data", wm.CDOL1Data, 1, 252},
		{&m.GenACResponse, "genac_response", wm.GenACResponse, 1, 1024},
	}
	for _, f := range fields {
		if *f.dst, err = hexField(f.name, f.value, f.minLen, f.maxLn); err != nil {
			return m, err
		}
	}
	m.State, m.Reason = StatePending, ""
	return m, nil
}

// sameCard says whether a void repeats its purchase's card data.
func sameCard(void, purchase *Message) bool {
	return void.PAN == purchase.PAN && void.PSN == purchase.PSN && void.ATC == purchase.ATC &&
		bytes.Equal(void.AC, purchase.AC)
}
