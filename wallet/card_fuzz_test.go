package wallet

import (
	"testing"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

// FuzzCard feeds the card application whatever a hostile desk might send:
// a stream of APDUs, each prefixed with its length byte. Every command
// must be answered with at least a status word, and the card must never
// panic (process is called directly, without Process's safety net).
func FuzzCard(f *testing.F) {
	c := newWallet(f, issuance.Request{Balance: 50000})
	c.persist = func([]byte) error { return nil } // keep the disk out of the loop
	start := c.st

	seq := func(cmds ...[]byte) []byte {
		var out []byte
		for _, cmd := range cmds {
			out = append(out, byte(len(cmd)))
			out = append(out, cmd...)
		}
		return out
	}
	sel := command(0, 0xA4, 4, 0, issuance.AID)
	gpo := command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, 34)))
	cdol1Data := newDesk(f, c, 100).dolData(issuance.DefaultCDOL1)
	genAC := command(0x80, 0xAE, 0x50, 0, cdol1Data)
	arqc := command(0x80, 0xAE, 0x80, 0, make([]byte, len(cdol1Data)))
	f.Add(seq(command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01")), sel, gpo, []byte{0, 0xB2, 1, 0x0C, 0}, genAC))
	f.Add(seq(sel, gpo, arqc, command(0, 0x82, 0, 0, make([]byte, 10)), command(4, 0xDA, 0x9F, 0x79, make([]byte, 10))))
	f.Add(seq(sel, gpo, genAC, command(0x80, 0xD0, 0, 0, make([]byte, 4)), []byte{0, 0xB2, 1, 0x5C, 0}))
	f.Add(seq(sel, []byte{0x80, 0xCA, 0x9F, 0x4F, 0x00}, []byte{0x80, 0xA8, 0, 0, 2, 0x83, 0x00}))
	f.Add([]byte{0x03, 0x00, 0xA4, 0x04, 0x01, 0xFF})
	f.Fuzz(func(t *testing.T, stream []byte) {
		c.st, c.tx = start, txn{}
		for len(stream) > 0 {
			n := min(int(stream[0]), len(stream)-1)
			cmd := stream[1 : 1+n]
			stream = stream[1+n:]
			if r := c.process(cmd); len(r) < 2 {
				t.Fatalf("answer % X to % X has no status word", r, cmd)
			}
		}
	})
}
