package emv

import "encoding/hex"

// TVR is the terminal verification results (tag 95): one bit for each
// check that failed, so a decline can be explained (EMV Book 3 Annex C5).
type TVR [5]byte

// TVR bits as (byte index, mask).
type TVRBit struct {
	byteIdx int
	mask    byte
}

var (
	TVRODANotPerformed     = TVRBit{0, 0x80}
	TVRSDAFailed           = TVRBit{0, 0x40}
	TVRICCDataMissing      = TVRBit{0, 0x20}
	TVRExceptionFile       = TVRBit{0, 0x10}
	TVRDDAFailed           = TVRBit{0, 0x08}
	TVRCDAFailed           = TVRBit{0, 0x04}
	TVRVersionsDiffer      = TVRBit{1, 0x80}
	TVRExpiredApplication  = TVRBit{1, 0x40}
	TVRNotYetEffective     = TVRBit{1, 0x20}
	TVRServiceNotAllowed   = TVRBit{1, 0x10}
	TVRNewCard             = TVRBit{1, 0x08}
	TVRExceedsFloorLimit   = TVRBit{3, 0x80}
	TVRIssuerAuthFailed    = TVRBit{4, 0x40}
	TVRScriptFailedBefore  = TVRBit{4, 0x20}
	TVRScriptFailedAfterAC = TVRBit{4, 0x10}
)

// Set raises a bit.
func (t *TVR) Set(b TVRBit) { t[b.byteIdx] |= b.mask }

// Has says whether a bit is raised.
func (t TVR) Has(b TVRBit) bool { return t[b.byteIdx]&b.mask != 0 }

func (t TVR) String() string { return hex.EncodeToString(t[:]) }

// TSI is the transaction status information (tag 9B): which functions ran.
type TSI [2]byte

const (
	TSIODAPerformed              = 0x80
	TSICardRiskMgmtPerformed     = 0x20
	TSITerminalRiskMgmtPerformed = 0x08
)

// Set raises a bit of the first byte (the second is reserved).
func (t *TSI) Set(mask byte) { t[0] |= mask }
