package bank_test

import (
	"encoding/json"
	"testing"

	"lingqian/bank"
)

func TestHexByte_ReadsEveryFormAByteComesIn(t *testing.T) {
	cases := []struct {
		json string
		want bank.HexByte
	}{
		{`"40"`, bank.HexByte{V: 0x40}},
		{`"ff"`, bank.HexByte{V: 0xFF}},
		{`"9F"`, bank.HexByte{V: 0x9F}},
		{`64`, bank.HexByte{V: 64}},
		{`"\u0034\u0030"`, bank.HexByte{V: 0x40}},
		{`"4G"`, bank.HexByte{Bad: true}},
		{`"\\\\"`, bank.HexByte{Bad: true}},
		{`"\n4"`, bank.HexByte{Bad: true}},
		{`"4"`, bank.HexByte{Bad: true}},
		{`"400"`, bank.HexByte{Bad: true}},
		{`"4000"`, bank.HexByte{Bad: true}},
		{`""`, bank.HexByte{Bad: true}},
		{`null`, bank.HexByte{Bad: true}},
		{`256`, bank.HexByte{Bad: true}},
		{`-1`, bank.HexByte{Bad: true}},
		{`true`, bank.HexByte{Bad: true}},
	}
	for _, tc := range cases {
		t.Run(tc.json, func(t *testing.T) {
			// Given a message whose cid is written this way
			var m struct {
				CID bank.HexByte `json:"cid"`
			}
			// When it is decoded
			err := json.Unmarshal([]byte(`{"cid":`+tc.json+`}`), &m)

			// Then the byte is read, or marked bad for its message alone
			if err != nil || m.CID != tc.want {
				t.Errorf("%+v %v, want %+v", m.CID, err, tc.want)
			}
		})
	}
}
