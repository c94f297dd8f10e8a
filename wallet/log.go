package wallet

import (
	"bytes"
	"fmt"
	"strings"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// LogEntry is the wallet's record of one offline purchase it approved
// (TC). It carries what the bank matches against the desk's detail
// message — PAN (the wallet's), ATC and AC — and the raw data needed to
// verify the cryptogram and the CDA signature again.
type LogEntry struct {
	ATC          uint16       `json:"atc"`
	Amount       int64        `json:"amount"`   // minor units
	Currency     string       `json:"currency"` // ISO 4217 numeric
	Date         string       `json:"date"`     // YYYY-MM-DD, the desk's date (9A)
	Time         string       `json:"time"`     // HH:MM:SS, the desk's time (9F21); "" if not sent
	Type         string       `json:"type"`     // 9C in hex: "00" for goods and services
	Country      string       `json:"country"`  // the desk's country (9F1A)
	Merchant     string       `json:"merchant,omitempty"`
	UN           issuance.Hex `json:"un"`
	CID          issuance.Hex `json:"cid"`
	AC           issuance.Hex `json:"ac"`
	BalanceAfter int64        `json:"balance_after"`
	PDOLData     issuance.Hex `json:"pdol_data"`
	CDOL1Data    issuance.Hex `json:"cdol1_data"`
	Response     issuance.Hex `json:"response"` // the GENERATE AC answer, template 77
	// Record is the entry in the card's log format (9F4F), as READ RECORD
	// of SFI 11 answers it.
	Record issuance.Hex `json:"record"`
}

// numericTags are log fields whose values are numbers: a value of the
// wrong length is padded or cut on the left, others on the right (EMV
// Book 3 5.4).
var numericTags = map[tlv.Tag]bool{
	0x9A: true, 0x9F21: true, 0x9F02: true, 0x9F03: true, 0x9F1A: true, 0x5F2A: true,
	0x9C: true, 0x9F36: true,
}

// logEntry records a TC of the first GENERATE AC.
func (c *Card) logEntry(cdol1Data []byte, cid byte, ac, resp []byte, balanceAfter int64) LogEntry {
	atc := []byte{byte(c.st.ATC >> 8), byte(c.st.ATC)}
	// A field comes from the GENERATE AC's data, else the GPO's.
	field := func(tag tlv.Tag) []byte {
		if tag == 0x9F36 {
			return atc
		}
		if v := c.cdol1.Value(cdol1Data, tag); v != nil {
			return v
		}
		return c.pdol.Value(c.tx.pdolData, tag)
	}
	var rec []byte
	for _, e := range c.logFormat {
		rec = append(rec, fit(field(e.Tag), e.Length, numericTags[e.Tag])...)
	}
	amount, _ := issuance.ParseBCD(field(0x9F02))
	return LogEntry{
		ATC:          c.st.ATC,
		Amount:       amount,
		Currency:     code3(field(0x5F2A)),
		Date:         dateString(field(0x9A)),
		Time:         timeString(field(0x9F21)),
		Type:         fmt.Sprintf("%X", field(0x9C)),
		Country:      code3(field(0x9F1A)),
		Merchant:     strings.TrimRight(string(bytes.TrimRight(field(0x9F4E), "\x00")), " "),
		UN:           bytes.Clone(c.cdol1.Value(cdol1Data, 0x9F37)),
		CID:          issuance.Hex{cid},
		AC:           bytes.Clone(ac),
		BalanceAfter: balanceAfter,
		PDOLData:     bytes.Clone(c.tx.pdolData),
		CDOL1Data:    bytes.Clone(cdol1Data),
		Response:     bytes.Clone(resp),
		Record:       rec,
	}
}

// fit pads or cuts v to n bytes.
func fit(v []byte, n int, numeric bool) []byte {
	out := make([]byte, n)
	switch {
	case len(v) >= n && numeric:
		copy(out, v[len(v)-n:])
	case len(v) >= n:
		copy(out, v[:n])
	case numeric:
		copy(out[n-len(v):], v)
	default:
		copy(out, v)
	}
	return out
}

// code3 reads an n3 code in 2 bytes ("0156" → "156").
func code3(b []byte) string {
	if v, ok := issuance.ParseBCD(b); ok && len(b) == 2 && v < 1000 {
		return fmt.Sprintf("%03d", v)
	}
	return fmt.Sprintf("%X", b)
}

func dateString(b []byte) string {
	if v, ok := issuance.ParseBCD(b); ok && len(b) == 3 {
		return fmt.Sprintf("20%02d-%02d-%02d", v/10000, v/100%100, v%100)
	}
	return fmt.Sprintf("%X", b)
}

func timeString(b []byte) string {
	if v, ok := issuance.ParseBCD(b); ok && len(b) == 3 {
		return fmt.Sprintf("%02d:%02d:%02d", v/10000, v/100%100, v%100)
	}
	return fmt.Sprintf("%X", b)
}
