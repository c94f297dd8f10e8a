package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"lingqian/issuance"
)

// BankLink is what the phone keeps beside its wallet file about its bank:
// where the bank is, the session, and which log records the bank has, so
// that uploads send only what is new and the log can later be trimmed.
// It holds a session token: the file is mode 0600.
type BankLink struct {
	Bank    string    `json:"bank"`
	CA      string    `json:"ca"` // the pinned CA file
	User    string    `json:"user,omitempty"`
	Token   string    `json:"token,omitempty"`
	Expires time.Time `json:"expires,omitzero"`
	// AtBank are the ATCs of log records the bank accepted or already had.
	AtBank []uint16 `json:"at_bank"`
	// Rejected are records the bank refused; they are not sent again.
	Rejected []RejectedRecord `json:"rejected,omitempty"`
	// Uploaded is the wallet's ATC and balance at the last upload.
	Uploaded *UploadPoint `json:"uploaded,omitempty"`
}

// RejectedRecord is a log record the bank refused, and why.
type RejectedRecord struct {
	ATC    uint16 `json:"atc"`
	Reason string `json:"reason"`
}

// UploadPoint is the deducted voucher as last uploaded.
type UploadPoint struct {
	ATC     uint16    `json:"atc"`
	Balance int64     `json:"balance"`
	At      time.Time `json:"at"`
}

// LinkPath is the bank link file of a wallet file: W.json → W.bank.json.
func LinkPath(walletPath string) string {
	return strings.TrimSuffix(walletPath, ".json") + ".bank.json"
}

// ErrNoLink: the wallet was not made by the bank, or its link file is gone.
var ErrNoLink = errors.New("no bank link beside the wallet")

// ReadLink reads the bank link of the wallet file walletPath.
func ReadLink(walletPath string) (*BankLink, error) {
	path := LinkPath(walletPath)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("wallet: %s: %w", path, ErrNoLink)
	}
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	var l BankLink
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", path, err)
	}
	return &l, nil
}

// Save writes the link beside the wallet file, atomically.
func (l *BankLink) Save(walletPath string) error {
	data, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet: encoding the bank link: %w", err)
	}
	if err := issuance.WriteFileAtomic(LinkPath(walletPath), append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("wallet: saving the bank link: %w", err)
	}
	return nil
}

// Has says whether the bank has the record with this ATC (accepted it,
// or had it already): such a record may be trimmed from the log.
func (l *BankLink) Has(atc uint16) bool { return slices.Contains(l.AtBank, atc) }

func (l *BankLink) refused(atc uint16) bool {
	return slices.ContainsFunc(l.Rejected, func(r RejectedRecord) bool { return r.ATC == atc })
}

// UploadResult sums up an upload.
type UploadResult struct {
	Sent      int              `json:"sent"`
	Accepted  int              `json:"accepted"`
	Duplicate int              `json:"duplicate"`
	Rejected  []RejectedRecord `json:"rejected"`
	ATC       uint16           `json:"atc"`
	Balance   int64            `json:"balance"`
}

// maxUploadRecords keeps an upload well under the bank's 1 MiB: a record
// is about 700 bytes of JSON.
const maxUploadRecords = 200

// Upload sends the deducted voucher (balance and ATC) and the log records
// the bank does not have yet, and records in link what the bank took,
// saving it beside the wallet after each request; then it trims from the
// wallet's log what the bank has (Card.TrimLog). Log in (or SetToken)
// first.
//
// Each request's Idempotency-Key is derived from the wallet (PAN, PSN),
// the ATC range of its records, the wallet's ATC and balance: the same
// upload tried again — by the retry loop, or by running upload again after
// the answer was lost — is the same request, and the bank answers it once.
// The balance is in the key because an online load's script changes it
// without a new ATC.
func (b *BankClient) Upload(ctx context.Context, c *Card, link *BankLink) (UploadResult, error) {
	pan, psn := c.PAN(), c.PSN()
	atc, balance := c.ATC(), c.Balance()
	res := UploadResult{ATC: atc, Balance: balance, Rejected: []RejectedRecord{}}
	var todo []LogEntry
	for _, e := range c.Log() {
		if !link.Has(e.ATC) && !link.refused(e.ATC) {
			todo = append(todo, e)
		}
	}
	for first := true; first || len(todo) > 0; first = false {
		chunk := todo[:min(len(todo), maxUploadRecords)]
		todo = todo[len(chunk):]
		span := "none" // the voucher alone: balance and ATC
		if len(chunk) > 0 {
			span = fmt.Sprintf("%d-%d", chunk[0].ATC, chunk[len(chunk)-1].ATC)
		}
		records := chunk
		if records == nil {
			records = []LogEntry{}
		}
		body, err := json.Marshal(struct {
			PAN     string     `json:"pan"`
			PSN     string     `json:"psn"`
			Balance int64      `json:"balance"`
			ATC     uint16     `json:"atc"`
			Records []LogEntry `json:"records"`
		}{pan, psn, balance, atc, records})
		if err != nil {
			return res, fmt.Errorf("wallet: encoding the upload: %w", err)
		}
		key := fmt.Sprintf("upload-%s-%s-r%s-a%d-b%d", pan, psn, span, atc, balance)
		var ans struct {
			Accepted  int `json:"accepted"`
			Duplicate int `json:"duplicate"`
			Rejected  []struct {
				ATC    uint16 `json:"atc"`
				Reason string `json:"reason"`
			} `json:"rejected"`
		}
		if err := b.do(ctx, "POST", "/v1/wallet/uploads", key, body, &ans); err != nil {
			return res, err
		}
		res.Sent += len(chunk)
		res.Accepted += ans.Accepted
		res.Duplicate += ans.Duplicate
		refused := map[uint16]bool{}
		for _, r := range ans.Rejected {
			refused[r.ATC] = true
			res.Rejected = append(res.Rejected, RejectedRecord{ATC: r.ATC, Reason: r.Reason})
			if !link.refused(r.ATC) {
				link.Rejected = append(link.Rejected, RejectedRecord{ATC: r.ATC, Reason: r.Reason})
			}
		}
		for _, e := range chunk {
			if !refused[e.ATC] && !link.Has(e.ATC) {
				link.AtBank = append(link.AtBank, e.ATC)
			}
		}
		link.Uploaded = &UploadPoint{ATC: atc, Balance: balance, At: time.Now().UTC()}
		if err := link.Save(c.Path()); err != nil {
			return res, err
		}
	}
	// The wallet forgets first and the link after: a crash between the
	// two leaves the link naming records the log no longer holds, which
	// is harmless; the other way round would send them again.
	if _, err := c.TrimLog(link.Has); err != nil {
		return res, err
	}
	inLog := map[uint16]bool{}
	for _, e := range c.Log() {
		inLog[e.ATC] = true
	}
	if n := len(link.AtBank); n > 0 {
		link.AtBank = slices.DeleteFunc(link.AtBank, func(atc uint16) bool { return !inLog[atc] })
		if len(link.AtBank) != n {
			if err := link.Save(c.Path()); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}
