package wallet

import (
	"testing"

	"lingqian/emv/tlv"
	"lingqian/issuance"
)

func TestCommands_StatusWords(t *testing.T) {
	c := newWallet(t, issuance.Request{Balance: 50000})
	selectAID := command(0, 0xA4, 4, 0, issuance.AID)
	gpo := command(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, 34)))
	cdol1, err := issuance.ParseDOL(issuance.DefaultCDOL1)
	if err != nil {
		t.Fatal(err)
	}
	cdol1Len := cdol1.Len()
	genAC := command(0x80, 0xAE, 0x50, 0, make([]byte, cdol1Len))
	cases := []struct {
		name   string
		before [][]byte // sent first, after a reset
		cmd    []byte
		want   uint16
	}{
		{"too short", nil, []byte{0x00, 0xA4, 0x04}, swWrongLength},
		{"Lc beyond the data", nil, []byte{0x00, 0xA4, 0x04, 0x00, 0x08, 0xA0}, swWrongLength},
		{"extended length", nil, []byte{0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x01, 0xA0}, swWrongLength},
		{"unknown class", nil, []byte{0x90, 0xA4, 0x04, 0x00, 0x00}, swCLANotSupported},
		{"known class, wrong for the command", nil, []byte{0x80, 0xA4, 0x04, 0x00, 0x01, 0xA0}, swCLANotSupported},
		{"unknown instruction", nil, []byte{0x00, 0x12, 0x00, 0x00}, swINSNotSupported},
		{"SELECT without a name", nil, []byte{0x00, 0xA4, 0x04, 0x00, 0x00}, swWrongLength},
		{"SELECT by file id", nil, command(0, 0xA4, 0, 0, []byte{0x3F, 0x00}), swWrongP1P2},
		{"SELECT another AID", nil, command(0, 0xA4, 4, 0, []byte{0xA0, 0, 0, 0, 0x04, 0x10, 0x10}), swNotFound},
		{"SELECT next occurrence", nil, command(0, 0xA4, 4, 2, issuance.AID), swNotFound},
		{"SELECT by RID", nil, command(0, 0xA4, 4, 0, issuance.AID[:5]), swOK},
		{"GPO before SELECT", nil, gpo, swConditions},
		{"GPO after SELECT PPSE", [][]byte{command(0, 0xA4, 4, 0, []byte("2PAY.SYS.DDF01"))}, gpo, swConditions},
		{"GPO without template 83", [][]byte{selectAID}, command(0x80, 0xA8, 0, 0, make([]byte, 36)), swWrongLength},
		{"GPO twice", [][]byte{selectAID, gpo}, gpo, swConditions},
		{"GPO with P1", [][]byte{selectAID}, command(0x80, 0xA8, 1, 0, tlv.Encode(0x83, make([]byte, 34))), swWrongP1P2},
		{"READ RECORD before SELECT", nil, []byte{0x00, 0xB2, 0x01, 0x0C, 0x00}, swConditions},
		{"READ RECORD by SFI 0", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x01, 0x04, 0x00}, swWrongP1P2},
		{"READ RECORD P2 not 100", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x01, 0x0D, 0x00}, swWrongP1P2},
		{"READ RECORD 0", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x00, 0x0C, 0x00}, swWrongP1P2},
		{"READ RECORD past the file", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x03, 0x14, 0x00}, swNoRecord},
		{"READ RECORD of no file", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x01, 0xFC, 0x00}, swNotFound},
		{"READ RECORD of an empty log", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x01, 0x5C, 0x00}, swNoRecord},
		{"READ RECORD with data", [][]byte{selectAID}, []byte{0x00, 0xB2, 0x01, 0x0C, 0x01, 0x00}, swWrongLength},
		{"GET DATA of the balance", [][]byte{selectAID}, []byte{0x80, 0xCA, 0x9F, 0x79, 0x00}, swOK},
		{"GET DATA of the ATC", [][]byte{selectAID}, []byte{0x80, 0xCA, 0x9F, 0x36, 0x00}, swOK},
		{"GET DATA of something else", [][]byte{selectAID}, []byte{0x80, 0xCA, 0x9F, 0x17, 0x00}, swNoData},
		{"GENERATE AC before GPO", [][]byte{selectAID}, genAC, swConditions},
		{"GENERATE AC with the wrong length", [][]byte{selectAID, gpo}, command(0x80, 0xAE, 0x50, 0, make([]byte, cdol1Len-1)), swWrongLength},
		{"GENERATE AC with P2", [][]byte{selectAID, gpo}, command(0x80, 0xAE, 0x50, 1, make([]byte, cdol1Len)), swWrongP1P2},
		{"GENERATE AC of a reserved type", [][]byte{selectAID, gpo}, command(0x80, 0xAE, 0xC0, 0, make([]byte, cdol1Len)), swWrongP1P2},
		{"GENERATE AC twice", [][]byte{selectAID, gpo, genAC}, genAC, swConditions},
		{"RECOVER AC with a short UN", [][]byte{selectAID}, command(0x80, 0xD0, 0, 0, []byte{1, 2, 3}), swWrongLength},
		{"RECOVER AC with nothing to recover", [][]byte{selectAID}, command(0x80, 0xD0, 0, 0, []byte{1, 2, 3, 4}), swNoData},
		{"EXTERNAL AUTHENTICATE without an ARQC", [][]byte{selectAID, gpo, genAC}, command(0, 0x82, 0, 0, make([]byte, 10)), swConditions},
		{"EXTERNAL AUTHENTICATE with 8 bytes", [][]byte{selectAID, gpo}, command(0, 0x82, 0, 0, make([]byte, 8)), swWrongLength},
		{"PUT DATA of another object", [][]byte{selectAID}, command(0x04, 0xDA, 0x9F, 0x78, make([]byte, 10)), swNoData},
		{"PUT DATA without MAC", [][]byte{selectAID}, command(0x04, 0xDA, 0x9F, 0x79, make([]byte, 6)), swWrongLength},
		{"PUT DATA without an online transaction", [][]byte{selectAID, gpo}, command(0x04, 0xDA, 0x9F, 0x79, make([]byte, 10)), swConditions},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given the card in the state the commands before leave it
			c.Reset()
			for _, b := range tc.before {
				if r := c.Process(b); r[len(r)-2] != 0x90 {
					t.Fatalf("% X answered % X", b, r)
				}
			}
			// When the command comes
			r := c.Process(tc.cmd)
			// Then it is answered with the status word, and only that on error
			got := uint16(r[len(r)-2])<<8 | uint16(r[len(r)-1])
			if got != tc.want || (got != swOK && len(r) != 2) {
				t.Errorf("answer % X, want status %04X", r, tc.want)
			}
		})
	}
}

func TestCommands_ResetForgetsTheSelection(t *testing.T) {
	c := newWallet(t, issuance.Request{})
	d := newDesk(t, c, 1)
	d.start()
	c.Reset()
	if _, s := d.send([]byte{0x80, 0xCA, 0x9F, 0x79, 0x00}); s != swConditions {
		t.Errorf("GET DATA after a reset: %04X", s)
	}
}
