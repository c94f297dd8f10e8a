package emv

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"time"

	"lingqian/emv/tlv"
)

// scriptedCard answers commands with the answers in its script, in order,
// then 6A88: a card that says anything at all.
type scriptedCard struct {
	answers [][]byte
	n       int
}

func (c *scriptedCard) Transmit(context.Context, []byte) ([]byte, error) {
	if c.n >= len(c.answers) {
		return []byte{0x6A, 0x88}, nil
	}
	c.n++
	return c.answers[c.n-1], nil
}

// splitAnswers reads a fuzz input as answers, each prefixed by a 2-byte length.
func splitAnswers(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 && len(out) < 64 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if n > len(b) {
			n = len(b)
		}
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinAnswers(answers ...[]byte) []byte {
	var out []byte
	for _, a := range answers {
		out = binary.BigEndian.AppendUint16(out, uint16(len(a)))
		out = append(out, a...)
	}
	return out
}

// FuzzKernel feeds the kernel hostile card answers: it must end every tap
// with an outcome, never panic, and never approve without a verified CDA.
func FuzzKernel(f *testing.F) {
	aid := h("A000000333010101")
	ok := func(b ...[]byte) []byte { return append(bytes.Join(b, nil), 0x90, 0x00) }
	ppseFCI := ok(tlv.Encode(0x6F, cat(tlv.Encode(0x84, ppse), tlv.Encode(0xA5, tlv.Encode(0xBF0C,
		tlv.Encode(0x61, cat(tlv.Encode(0x4F, aid), tlv.Encode(0x87, []byte{1}))))))))
	fci := ok(tlv.Encode(0x6F, cat(tlv.Encode(0x84, aid), tlv.Encode(0xA5, tlv.Encode(0x9F38, h("9F3704"))))))
	gpo := ok(tlv.Encode(0x77, cat(tlv.Encode(0x82, h("2D00")), tlv.Encode(0x94, h("08010100")))))
	rec := ok(tlv.Encode(0x70, cat(tlv.Encode(0x5A, h("6231990000000019")), tlv.Encode(0x5F24, h("301231")),
		tlv.Encode(0x9F78, h("000000100000")), tlv.Encode(0x9F4A, h("82")), tlv.Encode(0x8C, h("9F02069F3704")),
		tlv.Encode(0x8F, h("C1")), tlv.Encode(0x90, make([]byte, 64)), tlv.Encode(0x9F32, h("03")),
		tlv.Encode(0x9F46, make([]byte, 64)), tlv.Encode(0x9F47, h("03")))))
	balance := ok(tlv.Encode(0x9F79, h("000000050000")))
	genAC := ok(tlv.Encode(0x77, cat(tlv.Encode(0x9F27, h("40")), tlv.Encode(0x9F36, h("0001")),
		tlv.Encode(0x9F4B, make([]byte, 64)), tlv.Encode(0x9F10, h("07010103A00000")))))
	f.Add(joinAnswers(ppseFCI, fci, gpo, rec, balance, genAC))
	f.Add(joinAnswers(ppseFCI, fci, ok(tlv.Encode(0x80, h("2D0008010100"))), rec, rec))
	f.Add(joinAnswers(h("6A82"), fci, gpo, h("6C20"), rec, balance))
	f.Add(joinAnswers(h("6110"), h("6110"), h("6C05"), gpo))
	term := DefaultTerminal()
	term.Keys = emptyKeys{}
	k, err := NewKernel(term)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, script []byte) {
		card := &scriptedCard{answers: splitAnswers(script)}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		out := k.Run(ctx, card, Purchase{Amount: 1250, At: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)})
		if out.Result == Approved {
			t.Fatalf("approved without a CA key: %+v", out)
		}
		if out.Reason.Code == "" {
			t.Fatal("an outcome without a reason")
		}
		if out.Commands > 200 {
			t.Fatalf("%d commands for one tap", out.Commands)
		}
	})
}

func cat(b ...[]byte) []byte { return bytes.Join(b, nil) }
