package wallet

import (
	"crypto/subtle"

	"lingqian/issuance"
)

// externalAuthenticate checks the issuer's ARPC for the ARQC of this
// transaction (ARPC method 1 with the AC session key). Only one attempt is
// allowed per transaction, so a desk cannot search for an ARPC.
func (c *Card) externalAuthenticate(cmd apdu) []byte {
	if cmd.p1 != 0 || cmd.p2 != 0 {
		return sw(swWrongP1P2)
	}
	if len(cmd.data) != 10 {
		return sw(swWrongLength)
	}
	f := c.tx.first
	if f == nil || f.cid != issuance.CIDARQC || c.tx.second || c.tx.issuerOK || c.tx.issuerKO {
		return sw(swConditions)
	}
	arc := [2]byte{cmd.data[8], cmd.data[9]}
	want, err := issuance.ComputeARPC(c.st.Perso.MKAC, f.atc, f.ac, arc)
	if err != nil {
		return sw(swUnknown)
	}
	if subtle.ConstantTimeCompare(want, cmd.data[:8]) != 1 {
		c.tx.issuerKO = true
		return sw(swAuthFailed)
	}
	next := c.st
	next.LastOnlineATC = f.atc
	if err := c.commit(next); err != nil {
		return sw(swMemoryFailure)
	}
	c.tx.issuerOK = true
	return sw(swOK)
}

// putData applies the issuer script that sets the e-cash balance:
// 04 DA 9F 79 0A balance(6) MAC(4), accepted only after the issuer was
// authenticated in this transaction and only with the right MAC.
func (c *Card) putData(cmd apdu) []byte {
	if cmd.p1 != 0x9F || cmd.p2 != 0x79 {
		return sw(swNoData)
	}
	if len(cmd.data) != 6+issuance.ScriptMACLen {
		return sw(swWrongLength)
	}
	f := c.tx.first
	if f == nil || !c.tx.issuerOK || c.tx.script {
		return sw(swConditions)
	}
	bal, mac := cmd.data[:6], cmd.data[6:]
	want, err := issuance.BalanceScriptMAC(c.st.Perso.MKSMI, f.atc, f.ac, bal)
	if err != nil {
		return sw(swUnknown)
	}
	if subtle.ConstantTimeCompare(want, mac) != 1 {
		return sw(swSMWrong)
	}
	v, ok := issuance.ParseBCD(bal)
	if !ok {
		return sw(swWrongData)
	}
	next := c.st
	next.Balance = v
	if err := c.commit(next); err != nil {
		return sw(swMemoryFailure)
	}
	c.tx.script = true
	return sw(swOK)
}
