package wallet

import (
	"bytes"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// txn is the card's volatile state: what was selected and how far the
// transaction got. A reset or a new SELECT forgets it.
type txn struct {
	selected bool
	gpo      bool
	atc      uint16 // the ATC the GET PROCESSING OPTIONS counted
	pdolData []byte // the PDOL data of GET PROCESSING OPTIONS, for CDA's hash
	first    *firstAC
	second   bool // the second GENERATE AC has been answered
	issuerOK bool // EXTERNAL AUTHENTICATE verified the ARPC
	issuerKO bool // EXTERNAL AUTHENTICATE was tried and failed
	script   bool // the balance script was applied
}

// firstAC is what the first GENERATE AC of the transaction decided.
type firstAC struct {
	cid       byte
	ac        []byte
	atc       uint16
	cdol1Data []byte
}

var ppseName = []byte("2PAY.SYS.DDF01")

// selectFile answers SELECT by name: the PPSE, or the application by its
// AID or a prefix of it (partial selection, at least the RID).
func (c *Card) selectFile(cmd apdu) []byte {
	if cmd.p1 != 0x04 || (cmd.p2 != 0x00 && cmd.p2 != 0x02) {
		return sw(swWrongP1P2)
	}
	if len(cmd.data) == 0 {
		return sw(swWrongLength)
	}
	c.tx = txn{} // selecting anything ends the transaction in progress
	p := &c.st.Perso
	switch {
	case cmd.p2 == 0x02: // "next occurrence": there is only one of each
		return sw(swNotFound)
	case bytes.Equal(cmd.data, ppseName):
		return answer(p.PPSE)
	case len(cmd.data) >= 5 && bytes.HasPrefix(p.AID, cmd.data):
		c.tx.selected = true
		return answer(p.FCI)
	}
	return sw(swNotFound)
}

// getProcessingOptions starts a transaction: it counts it (ATC), keeps
// the PDOL data for the CDA hash, and answers the AIP and AFL (format 2).
func (c *Card) getProcessingOptions(cmd apdu) []byte {
	if cmd.p1 != 0 || cmd.p2 != 0 {
		return sw(swWrongP1P2)
	}
	if c.tx.gpo {
		return sw(swConditions) // once per selection, as EMV has it
	}
	objs, err := tlv.Parse(cmd.data)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x83 ||
		len(objs[0].Raw) != len(cmd.data) || len(objs[0].Value) != c.pdol.Len() {
		return sw(swWrongLength)
	}
	if c.st.ATC == 0xFFFF {
		return sw(swConditions) // the counter is spent: the card is done
	}
	next := c.st
	next.ATC++
	if err := c.commit(next); err != nil {
		return sw(swMemoryFailure)
	}
	c.tx.gpo, c.tx.atc = true, next.ATC
	c.tx.pdolData = bytes.Clone(objs[0].Value)
	p := &c.st.Perso
	return answer(tlv.Encode(0x77, append(tlv.Encode(0x82, p.AIP), tlv.Encode(0x94, p.AFL)...)))
}

// readRecord answers a record of the card's files, or of its transaction
// log (SFI 11, record 1 the newest).
func (c *Card) readRecord(cmd apdu) []byte {
	sfi := int(cmd.p2 >> 3)
	if cmd.p2&0x07 != 0x04 || sfi == 0 || cmd.p1 == 0 {
		return sw(swWrongP1P2)
	}
	if cmd.data != nil {
		return sw(swWrongLength)
	}
	if sfi == issuance.LogSFI {
		n := int(cmd.p1)
		if n > issuance.LogRecords || n > len(c.st.Log) {
			return sw(swNoRecord)
		}
		return answer(c.st.Log[len(c.st.Log)-n].Record)
	}
	if rec, ok := c.records[[2]int{sfi, int(cmd.p1)}]; ok {
		return answer(rec)
	}
	for k := range c.records {
		if k[0] == sfi {
			return sw(swNoRecord)
		}
	}
	return sw(swNotFound)
}

// getData answers the e-cash data objects a desk asks for outside records.
func (c *Card) getData(cmd apdu) []byte {
	if cmd.data != nil {
		return sw(swWrongLength)
	}
	tag := tlv.Tag(cmd.p1)<<8 | tlv.Tag(cmd.p2)
	p := &c.st.Perso
	var v []byte
	switch tag {
	case 0x9F79:
		v, _ = issuance.Amount(c.st.Balance)
	case 0x9F78:
		v, _ = issuance.Amount(p.SingleLimit)
	case 0x9F6D:
		v, _ = issuance.Amount(p.ResetThreshold)
	case 0x9F36:
		v = []byte{byte(c.st.ATC >> 8), byte(c.st.ATC)}
	case 0x9F13:
		v = []byte{byte(c.st.LastOnlineATC >> 8), byte(c.st.LastOnlineATC)}
	case 0x9F4F:
		v = p.LogFormat
	default:
		return sw(swNoData)
	}
	return answer(tlv.Encode(tag, v))
}
