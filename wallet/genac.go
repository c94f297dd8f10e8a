package wallet

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"slices"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// GENERATE AC P1 (docs/protocol.md): bits 8–7 the cryptogram asked for,
// bit 5 a CDA signature.
const (
	p1TypeMask = 0xC0
	p1CDA      = 0x10
)

// generateAC answers the first GENERATE AC of a transaction with CDOL1
// data, or the second, with CDOL2 data, after an ARQC.
func (c *Card) generateAC(cmd apdu) []byte {
	if cmd.p2 != 0 || cmd.p1&p1TypeMask == p1TypeMask {
		return sw(swWrongP1P2)
	}
	switch {
	case !c.tx.gpo:
		return sw(swConditions)
	case c.tx.first == nil:
		if len(cmd.data) != c.cdol1.Len() {
			return sw(swWrongLength)
		}
		return c.firstGenerateAC(cmd.p1, cmd.data)
	case c.tx.first.cid == issuance.CIDARQC && !c.tx.second:
		if len(cmd.data) != c.cdol2.Len() {
			return sw(swWrongLength)
		}
		return c.secondGenerateAC(cmd.p1, cmd.data)
	}
	return sw(swConditions)
}

// decide is the card's risk management for the first GENERATE AC: a TC
// only within the balance, the single transaction limit and the
// application's currency.
func (c *Card) decide(asked byte, cdol1Data []byte) (cid, reason byte, amount int64) {
	switch asked {
	case issuance.CIDAAC:
		return issuance.CIDAAC, issuance.DeclineTerminalAsked, 0
	case issuance.CIDARQC:
		return issuance.CIDARQC, issuance.DeclineNone, 0
	}
	amount, ok := issuance.ParseBCD(c.cdol1.Value(cdol1Data, 0x9F02))
	cur, _ := issuance.CurrencyCode(c.st.Perso.Currency) // validated at Open
	switch {
	case !ok:
		return issuance.CIDAAC, issuance.DeclineAmountMalformed, 0
	case !bytes.Equal(c.cdol1.Value(cdol1Data, 0x5F2A), cur):
		return issuance.CIDAAC, issuance.DeclineCurrency, 0
	case amount > c.st.Perso.SingleLimit:
		return issuance.CIDAAC, issuance.DeclineOverLimit, 0
	case amount > c.st.Balance:
		return issuance.CIDAAC, issuance.DeclineOverBalance, 0
	}
	return issuance.CIDTC, issuance.DeclineNone, amount
}

func (c *Card) firstGenerateAC(p1 byte, data []byte) []byte {
	cid, reason, amount := c.decide(p1&p1TypeMask, data)
	un := c.cdol1.Value(data, 0x9F37)
	resp, ac, err := c.cryptogram(cid, reason, p1&p1CDA != 0, [][]byte{data}, un)
	if err != nil {
		return sw(swUnknown)
	}
	// A purchase's answer (TC or AAC) is kept for RECOVER AC, and a TC
	// takes the money; an ARQC only opens an online load, whose answer
	// the teller's desk never needs to recover.
	if cid != issuance.CIDARQC {
		next := c.st
		next.Last = &lastAnswer{UN: bytes.Clone(un), ATC: c.st.ATC, Answer: resp}
		if cid == issuance.CIDTC {
			next.Balance -= amount
			entry := c.logEntry(data, cid, ac, resp, next.Balance)
			// Clip: the new log must not share the old state's array.
			next.Log = append(slices.Clip(c.st.Log), entry)
		}
		if err := c.commit(next); err != nil {
			return sw(swMemoryFailure)
		}
	}
	c.tx.first = &firstAC{cid: cid, ac: ac, atc: c.st.ATC, cdol1Data: bytes.Clone(data)}
	return answer(resp)
}

// secondGenerateAC closes an online transaction: a TC when the issuer was
// authenticated and the desk asks for one, else an AAC. It changes
// nothing the wallet keeps, so it writes nothing.
func (c *Card) secondGenerateAC(p1 byte, data []byte) []byte {
	cid, reason := issuance.CIDAAC, issuance.DeclineNoIssuerAuth
	switch {
	case p1&p1TypeMask != issuance.CIDTC:
		reason = issuance.DeclineTerminalAsked
	case c.tx.issuerOK:
		cid, reason = issuance.CIDTC, issuance.DeclineNone
	}
	un := c.cdol2.Value(data, 0x9F37)
	if len(un) == 0 {
		un = c.cdol1.Value(c.tx.first.cdol1Data, 0x9F37)
	}
	resp, _, err := c.cryptogram(cid, reason, p1&p1CDA != 0, [][]byte{c.tx.first.cdol1Data, data}, un)
	if err != nil {
		return sw(swUnknown)
	}
	c.tx.second = true
	return answer(resp)
}

// cryptogram computes the application cryptogram over the latest DOL data
// and, when asked, signs it with CDA; it returns template 77 and the AC.
// dols are the CDOL data sent so far in this transaction, CDOL1 first.
func (c *Card) cryptogram(cid, reason byte, cda bool, dols [][]byte, un []byte) ([]byte, []byte, error) {
	p := &c.st.Perso
	atc := c.st.ATC
	cvr := issuance.CVR{0x00, cid & p1TypeMask, reason}
	if cda {
		cvr[1] |= issuance.CVR2CDA
	}
	if c.tx.issuerKO {
		cvr[1] |= issuance.CVR2IssuerAuthKO
	}
	if c.tx.script {
		cvr[1] |= issuance.CVR2ScriptDone
	}
	ac, err := issuance.ComputeAC(p.MKAC, atc, issuance.ACData(dols[len(dols)-1], p.AIP, atc, cvr))
	if err != nil {
		return nil, nil, err
	}
	cidTLV := tlv.Encode(0x9F27, []byte{cid})
	atcTLV := tlv.Encode(0x9F36, []byte{byte(atc >> 8), byte(atc)})
	iadTLV := tlv.Encode(0x9F10, issuance.IAD(cvr))
	if !cda {
		return tlv.Encode(0x77, bytes.Join([][]byte{cidTLV, atcTLV, tlv.Encode(0x9F26, ac), iadTLV}, nil)), ac, nil
	}
	// The transaction data hash code covers the PDOL data, every CDOL's
	// data, and the answer's objects but the signature, in the order sent.
	h := sha1.New()
	h.Write(c.tx.pdolData)
	for _, d := range dols {
		h.Write(d)
	}
	h.Write(cidTLV)
	h.Write(atcTLV)
	h.Write(iadTLV)
	idn := make([]byte, 8)
	if _, err := rand.Read(idn); err != nil {
		return nil, nil, err
	}
	dyn, err := oda.BuildCDADynamicData(idn, cid, ac, h.Sum(nil))
	if err != nil {
		return nil, nil, err
	}
	sdad, err := oda.SignSDAD(c.st.Key, dyn, un)
	if err != nil {
		return nil, nil, err
	}
	return tlv.Encode(0x77, bytes.Join([][]byte{cidTLV, atcTLV, tlv.Encode(0x9F4B, sdad), iadTLV}, nil)), ac, nil
}

// recoverAC answers the last first GENERATE AC again when the desk names
// its unpredictable number: a desk that lost the answer to a torn tap
// learns how it ended (docs/protocol.md).
func (c *Card) recoverAC(cmd apdu) []byte {
	if cmd.p1 != 0 || cmd.p2 != 0 {
		return sw(swWrongP1P2)
	}
	if len(cmd.data) != 4 {
		return sw(swWrongLength)
	}
	if last := c.st.Last; last != nil && len(last.UN) == 4 && bytes.Equal(last.UN, cmd.data) {
		return answer(last.Answer)
	}
	return sw(swNoData)
}
