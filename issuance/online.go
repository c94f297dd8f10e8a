package issuance

import (
	"crypto/subtle"
	"fmt"
)

// What the bank does with a card's cryptograms, with the keys it derives
// from its issuer master keys. The card side of each lives in the wallet
// and uses the same functions of this package.

// VerifyAC recomputes a card's application cryptogram over data (see
// ACData) and compares it in constant time. A mismatch is false with a nil
// error; an error means the inputs were unusable.
func (i *Issuer) VerifyAC(pan, psn string, atc uint16, data, ac []byte) (bool, error) {
	mkAC, err := i.acMasterKey(pan, psn)
	if err != nil {
		return false, err
	}
	want, err := ComputeAC(mkAC, atc, data)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(want, ac) == 1, nil
}

// ARPC answers a card's ARQC: ARPC method 1 with the AC session key and
// the authorisation response code arc (e.g. "00" as 30 30 for approved).
func (i *Issuer) ARPC(pan, psn string, atc uint16, arqc []byte, arc [2]byte) ([]byte, error) {
	mkAC, err := i.acMasterKey(pan, psn)
	if err != nil {
		return nil, err
	}
	return ComputeARPC(mkAC, atc, arqc, arc)
}

// BalanceScript is the issuer script command that sets the card's e-cash
// balance to newBalance after the online transaction of atc and arqc.
func (i *Issuer) BalanceScript(pan, psn string, atc uint16, arqc []byte, newBalance int64) ([]byte, error) {
	_, mkSMI, err := i.MasterKeys(pan, psn)
	if err != nil {
		return nil, err
	}
	cmd, err := BalanceScript(mkSMI, atc, arqc, newBalance)
	if err != nil {
		return nil, fmt.Errorf("issuance: balance script: %w", err)
	}
	return cmd, nil
}
