package emv

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"lingqian/emv/tlv"
)

// FuzzLoad feeds an online load hostile phone answers: every load must
// end with a LoadError or a result, never a panic, and never claim the
// script was applied unless the phone said 9000 to it.
func FuzzLoad(f *testing.F) {
	aid := h("A000000333010101")
	ok := func(b ...[]byte) []byte { return append(bytes.Join(b, nil), 0x90, 0x00) }
	ppseFCI := ok(tlv.Encode(0x6F, cat(tlv.Encode(0x84, ppse), tlv.Encode(0xA5, tlv.Encode(0xBF0C,
		tlv.Encode(0x61, cat(tlv.Encode(0x4F, aid), tlv.Encode(0x87, []byte{1}))))))))
	fci := ok(tlv.Encode(0x6F, cat(tlv.Encode(0x84, aid), tlv.Encode(0xA5, tlv.Encode(0x9F38, h("9F3704"))))))
	gpo := ok(tlv.Encode(0x77, cat(tlv.Encode(0x82, h("2D00")), tlv.Encode(0x94, h("08010100")))))
	rec := ok(tlv.Encode(0x70, cat(tlv.Encode(0x5A, h("6231990000000019")), tlv.Encode(0x5F34, h("00")),
		tlv.Encode(0x8C, h("9F02069F3704")), tlv.Encode(0x8D, h("8A029F3704")), tlv.Encode(0x9F51, h("0156")))))
	balance := ok(tlv.Encode(0x9F79, h("000000050000")))
	atc := ok(tlv.Encode(0x9F36, h("0007")))
	arqc := ok(tlv.Encode(0x77, cat(tlv.Encode(0x9F27, h("80")), tlv.Encode(0x9F36, h("0007")),
		tlv.Encode(0x9F26, h("0102030405060708")), tlv.Encode(0x9F10, h("07010103A00000")))))
	format1 := ok(tlv.Encode(0x80, h("8000070102030405060708070101")))
	tc := ok(tlv.Encode(0x77, cat(tlv.Encode(0x9F27, h("40")), tlv.Encode(0x9F36, h("0007")),
		tlv.Encode(0x9F26, h("0102030405060708")))))
	f.Add(joinAnswers(ppseFCI, fci, gpo, rec, balance, atc, h("6A88"), arqc, h("9000"), h("9000"), tc, balance))
	f.Add(joinAnswers(ppseFCI, fci, gpo, rec, balance, atc, atc, format1, h("6300")))
	f.Add(joinAnswers(ppseFCI, fci, gpo, rec, h("6110"), h("6C06"), atc, atc, arqc, h("9000"), h("6988")))
	term := DefaultTerminal()
	term.Keys = emptyKeys{}
	k, err := NewKernel(term)
	if err != nil {
		f.Fatal(err)
	}
	answer := IssuerAnswer{ARPC: h("1122334455667788"), ARC: [2]byte{'0', '0'}, Script: h("04DA9F790A0000000700001122334455")}
	f.Fuzz(func(t *testing.T, script []byte) {
		card := &scriptedCard{answers: splitAnswers(script)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
		if _, err := k.ReadWallet(ctx, &scriptedCard{answers: card.answers}); err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("reading ended with %T %v", err, err)
			}
		}
		st, err := k.StartLoad(ctx, card, Load{Amount: 10000, At: at})
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("the load's start ended with %T %v", err, err)
			}
			return
		}
		if len(st.ARQC) != 8 || st.CID&0xC0 != 0x80 {
			t.Fatalf("a start without an ARQC: %+v", st)
		}
		rec := &recordingCard{Card: card}
		fin, err := k.FinishLoad(ctx, rec, st, answer)
		if fin.ScriptApplied && !rec.said9000(0xDA) {
			t.Fatalf("script applied without the phone's 9000: %+v", fin)
		}
		if err == nil && !fin.BalanceRead {
			t.Fatalf("a finished load without the balance after: %+v", fin)
		}
	})
}

// FuzzParseGenAC: a GENERATE AC answer is read or refused, never panics.
func FuzzParseGenAC(f *testing.F) {
	f.Add(h("770F9F2701809F360200079F2608010203040506070809"))
	f.Add(h("800E8000070102030405060708070101"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := parseGenAC(b)
		if err == nil && len(a.IAD) > 32 {
			t.Fatalf("IAD of %d bytes accepted", len(a.IAD))
		}
	})
}

// recordingCard keeps every command and answer.
type recordingCard struct {
	Card
	cmds, answers [][]byte
}

func (c *recordingCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	resp, err := c.Card.Transmit(ctx, cmd)
	c.cmds, c.answers = append(c.cmds, cmd), append(c.answers, resp)
	return resp, err
}

// said9000 says whether the exchange of the command with ins ended in
// 9000, GET RESPONSE and resent commands included.
func (c *recordingCard) said9000(ins byte) bool {
	last := -1
	for i, cmd := range c.cmds {
		if len(cmd) > 1 && cmd[1] == ins {
			last = i
			for j := i + 1; j < len(c.cmds) && len(c.cmds[j]) > 1 && (c.cmds[j][1] == 0xC0 || c.cmds[j][1] == ins); j++ {
				last = j
			}
			break
		}
	}
	return last >= 0 && bytes.HasSuffix(c.answers[last], []byte{0x90, 0x00})
}
