package device_test

import (
	"bytes"
	"context"
	"testing"

	"lingqian/device"
	"lingqian/internal/pcsctest"
	"lingqian/wallet"
)

func TestPCSC_AnswersOfEverySizeInOneSession(t *testing.T) {
	// Given a real pcscd and a null card that echoes each command's data
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()
	tapPhone(t, d, wallet.EchoCard{}, wallet.Faults{}, true)
	card := connectCard(t, r, d.Reader)

	// When one session sends commands whose answers are short, the
	// longest a short APDU has, and longer (extended), one after another
	data := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		return b
	}
	cases := []struct {
		name    string
		command []byte
		answer  []byte
	}{
		{"status word alone", []byte{0x80, 0xCA, 0x9F, 0x36, 0x00}, []byte{0x90, 0x00}},
		{"short, 255 bytes", append(append([]byte{0x00, 0xA4, 0x04, 0x00, 0xFF}, data(255)...), 0x00), append(data(255), 0x90, 0x00)},
		{"extended, 1,000 bytes", append(append([]byte{0x00, 0xA4, 0x04, 0x00, 0x00, 0x03, 0xE8}, data(1000)...), 0x00, 0x00), append(data(1000), 0x90, 0x00)},
		{"short again, 3 bytes", []byte{0x00, 0xA4, 0x04, 0x00, 0x03, 1, 2, 3, 0x00}, []byte{1, 2, 3, 0x90, 0x00}},
	}
	var answers [][]byte
	for _, c := range cases {
		got, err := card.Transmit(context.Background(), c.command)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		answers = append(answers, got)
	}

	// Then each answer is whole, and a later one never overwrites an
	// earlier one: the session's buffer is not handed out
	for i, c := range cases {
		if !bytes.Equal(answers[i], c.answer) {
			t.Errorf("%s: answer of %d bytes % X…, want %d bytes", c.name, len(answers[i]), head(answers[i]), len(c.answer))
		}
	}
}

func head(b []byte) []byte { return b[:min(len(b), 8)] }
