// Package systest holds the system tests: the real programs as processes,
// the real pcscd with vpcd and the virtual phone, the real bank over HTTPS
// on loopback, and the benchmarks DESIGN section 8 asks for.
package systest

// Exit codes of the headless commands, as DESIGN section 7 fixes them:
// the tests check the contract, not the implementation's constants.
const (
	exitApproved  = 0 // charge: approved; sync: all delivered
	exitNotSent   = 1 // sync: the bank could not be reached
	exitError     = 2
	exitDeclined  = 3
	exitRecovered = 4 // charge: an earlier torn purchase recovered, this sale unpaid
)

// chargeJSON is what `lingqian charge --json` prints (DESIGN section 7).
type chargeJSON struct {
	Outcome    string `json:"outcome"` // approved | declined | recovered | error
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
	Amount     int64  `json:"amount"`
	SaleAmount int64  `json:"sale_amount"`
	Currency   string `json:"currency"`
	Seq        int64  `json:"seq"`
	PAN        string `json:"pan"`
	ATC        int    `json:"atc"`
	CID        string `json:"cid"`
	TVR        string `json:"tvr"`
}
